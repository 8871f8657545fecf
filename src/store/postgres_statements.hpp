#pragma once

// The PostgreSQL store's statement catalogue (postgres_statements.cpp): every statement the
// store runs, prepared once per connection with bound parameters, and what each connection
// gets when it is opened (session settings, its role's statements). The statements that move
// a job between states take their state guards and assignments from the job state machine
// (store/job_lifecycle.hpp); the SQL is composed once, the first time the catalogue is used.
// Private to the store.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "riskbridge/store/job_store.hpp"
#include "store/pg_db.hpp"

namespace riskbridge::store::detail {

/// Every prepared statement: the writer's first (enqueue .. find_delivery), then the pool's.
enum class stmt : std::size_t {
    // writer
    enqueue,
    quarantine,
    find_delivery,
    // pool: jobs
    claim,
    extend,
    checkpoint,
    done,
    retry,
    dead,
    release,
    insert_job,
    find_job_by_key,
    retry_dead_one,
    retry_dead_all,
    singleton,
    // pool: records
    upsert_evaluation,
    insert_audit,
    // pool: reads
    get_job,
    list_jobs,
    list_jobs_by_state,
    job_attempts,
    find_evaluation,
    find_evaluation_by_token,
    evaluations_for_candidate,
    stale_evaluations,
    audit_for_job,
    list_quarantine,
    count_by_state,
    count_totals,
    count_,
};

/// One prepared statement. Parameter types: i = bigint, t = text, b = bytea, a = text[].
struct pg_statement {
    stmt id;
    const char* name;
    const char* types;
    std::string sql;
};

/// The catalogue's entry for `s` (composed on first use; thread-safe).
const pg_statement& pg_statement_for(stmt s);

/// Which statements a connection prepares.
enum class pg_role { writer, pool };

/// Session settings every connection gets (lock and statement timeouts; a durable commit for
/// the writer, which acknowledges after it), then the statements of its role prepared.
result<void> setup_connection(const pg_connection& c, const postgres_options& o, pg_role role);

/// Runs one prepared statement on a pooled connection. A read (`idempotent`) that finds its
/// connection broken runs once more on a fresh one; a write does not (it may have committed),
/// and reports unavailable.
result<pg_result> run(connection_pool& pool, stmt s, const pg_params& p, bool idempotent = false);

/// A lease holder's update (guarded by the job's state and "lease_owner = $2"): no row is a
/// conflict (the lease was lost).
result<void> run_owned(connection_pool& pool, stmt s, const pg_params& p, const char* what);

/// Every row of `r`, read with `read` (a reader of rows.hpp).
template <class T, class Reader>
std::vector<T> read_all(const pg_result& r, Reader read) {
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read(pg_row(r, i)));
    }
    return out;
}

/// LIMIT: a non-positive limit means none (LIMIT NULL).
inline std::optional<std::int64_t> sql_limit(int limit) {
    if (limit > 0) {
        return limit;
    }
    return std::nullopt;
}

}  // namespace riskbridge::store::detail
