#pragma once

// Private to the SQLite store: the statement catalogue. Each set holds the prepared statements
// of one part of the store on the connection it runs on; their SQL text is in
// sqlite_statements.cpp. The statements that move a job between states take their state guard,
// their state/lease/attempt assignments and the outcome they record from the job state
// machine (job_lifecycle.hpp), composed when they are prepared.
//
// Times are INTEGER unix milliseconds. Every statement is prepared once with bound parameters.

#include <cstdint>
#include <vector>

#include "riskbridge/core/error.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_db.hpp"

namespace riskbridge::store::detail {

/// The group commit's statements, on the writer connection (sqlite_ingest.hpp).
struct writer_statements {
    tx_statements tx;
    statement savepoint, release, rollback_to;
    statement find_delivery, insert_delivery, insert_job, find_job_by_key, insert_quarantine;

    result<void> prepare(const database& writer);
};

/// The queue's statements, on the sync connection (sqlite_queue.hpp).
struct queue_statements {
    tx_statements tx;
    /// The oldest due queued/retry_wait job, and the oldest expired lease (?1 now, ?2 kinds).
    statement due_queued, due_expired;
    /// Lease the job found: claim takes a due one, take_over one whose lease expired.
    statement claim, take_over, expired_attempt;
    statement extend, checkpoint, done, retry, dead, attempt_from_job;
    statement release_attempts, release;
    statement insert_job, find_job_by_key, singleton;

    result<void> prepare(const database& sync);
};

/// Evaluations and the audit trail (sqlite_records.hpp): writes on the sync connection, reads
/// on the read connection.
struct records_statements {
    statement upsert_evaluation, insert_audit;
    statement find_evaluation, find_evaluation_by_token, evaluations_for_candidate;
    statement stale_evaluations, audit_for_job;

    result<void> prepare(const database& sync, const database& read);
};

/// Operations (sqlite_admin.hpp): retry_dead on the sync connection, listings and counts on the
/// read connection.
struct admin_statements {
    statement retry_dead_one, retry_dead_all;
    statement get_job, list_jobs, list_jobs_by_state, job_attempts;
    statement list_quarantine, count_by_state, count_deliveries, count_quarantine;

    result<void> prepare(const database& sync, const database& read);
};

/// SQLite LIMIT for a listing: a non-positive limit means no limit.
std::int64_t sql_limit(int limit) noexcept;

/// Steps `s` to its end, reading each row with `read`; errors are reported on `db`.
template <class T, class Reader>
result<std::vector<T>> collect(const database& db, statement& s, Reader read, const char* what) {
    std::vector<T> out;
    int rc = SQLITE_ROW;
    while ((rc = s.step()) == SQLITE_ROW) {
        out.push_back(read(s));
    }
    if (rc != SQLITE_DONE) {
        return db.fail(rc, what);
    }
    return out;
}

}  // namespace riskbridge::store::detail
