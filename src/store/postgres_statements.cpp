// The PostgreSQL statement catalogue (postgres_statements.hpp).
//
// Times are BIGINT unix milliseconds. The statements that move a job between states (claim,
// extend, checkpoint, done, retry, dead, release, retry_dead_*) are composed from the job
// state machine (store/job_lifecycle.hpp): their state guard is guard_sql(op), their state,
// lease and attempt assignments effects_sql(op), and the outcome they write to job_attempts
// transition(op).attempt_outcome. The claim's two guards are the predicates of the partial
// indexes jobs_due and jobs_lease, which serve it (records_test.cpp checks the plans).

#include "store/postgres_statements.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_lifecycle.hpp"
#include "store/checks.hpp"

namespace riskbridge::store::detail {

namespace {

const std::string job_columns =
    "jobs.id, jobs.kind, jobs.payload, jobs.state, jobs.attempts, jobs.next_run_at, "
    "jobs.lease_owner, jobs.lease_until, jobs.last_error, jobs.checkpoint, jobs.correlation_id, "
    "jobs.unique_key, jobs.created_at, jobs.updated_at";

const std::string eval_columns =
    "eval_id, flow, application_id, candidate_id, job_id, state, decision, docv_token, "
    "created_at, updated_at, expires_at";

// --- job transitions, from the state machine ----------------------------------------------

/// The parameters a transition's assignments take their values from ("$4").
struct transition_params {
    std::string_view now;         ///< updated_at, and finished_at when the op finishes the job
    std::string_view owner = {};  ///< lease_owner, when the op takes the lease
    std::string_view until = {};  ///< lease_until, when the op takes the lease
};

/// The SET list of `op`: the assignments the state machine decides (effects_sql), the lease
/// it takes and the finish time from the parameters, updated_at, then the statement's own
/// `extra` assignments.
std::string assignments(job_op op, const transition_params& p, std::string_view extra = {}) {
    const job_transition& t = transition(op);
    std::string out = effects_sql(op);
    const auto add = [&out](std::string_view a) {
        if (a.empty()) {
            return;
        }
        if (!out.empty()) {
            out += ", ";
        }
        out += a;
    };
    if (t.lease == lease_effect::take) {
        add("lease_owner = " + std::string(p.owner) + ", lease_until = " + std::string(p.until));
    }
    if (t.finishes) {
        add("finished_at = " + std::string(p.now));
    }
    add("updated_at = " + std::string(p.now));
    add(extra);
    return out;
}

/// "UPDATE jobs SET ... WHERE id = $1 AND state IN (...) AND lease_owner = $2": the lease
/// holder's move of job $1.
std::string holder_update(job_op op, std::string_view now, std::string_view extra) {
    if (!transition(op).needs_lease_holder) {
        throw std::logic_error("holder_update: the op needs no lease holder");
    }
    return "UPDATE jobs SET " + assignments(op, {now}, extra) + " WHERE id = $1 AND " +
           guard_sql(op) + " AND lease_owner = $2";
}

/// The outcome `op` writes to job_attempts, as an SQL literal.
std::string attempt_outcome_sql(job_op op) {
    const char* outcome = transition(op).attempt_outcome;
    if (outcome == nullptr || std::string_view(outcome).find('\'') != std::string_view::npos) {
        throw std::logic_error("attempt_outcome_sql: no outcome to write");
    }
    return std::string("'") + outcome + "'";
}

/// `update` (which names the jobs it moved), then the attempt it ended written to the job's
/// history with `op`'s outcome, at `now`, with `error`.
std::string with_attempt(job_op op, const std::string& update, std::string_view now,
                         std::string_view error) {
    return "WITH j AS (" + update +
           " RETURNING id, attempts) "
           "INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
           "SELECT id, attempts, " +
           std::string(now) + ", " + attempt_outcome_sql(op) + ", " + std::string(error) +
           " FROM j";
}

/// The oldest due job by (next_run_at, id): a queued/retry_wait one from jobs_due or an
/// expired lease from jobs_lease, each locked with SKIP LOCKED so that concurrent claimers
/// pass each other; an expired lease's lost attempt is recorded in the same statement. One
/// UPDATE serves both, so claim and take_over must assign alike.
std::string claim_sql() {
    const transition_params p{"$1", "$2", "$3"};
    const std::string set = assignments(job_op::claim, p);
    if (set != assignments(job_op::take_over, p)) {
        throw std::logic_error("claim_sql: claim and take_over assign differently");
    }
    // The CTEs' column is `attempt`: in the UPDATE, `attempts` is the job's.
    return "WITH queued AS ("
           "  SELECT id, next_run_at, attempts AS attempt, lease_owner, false AS expired FROM jobs"
           "  WHERE " +
           guard_sql(job_op::claim) +
           " AND next_run_at <= $1"
           "    AND ($4::text[] IS NULL OR kind = ANY($4))"
           "  ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
           "), expired AS ("
           "  SELECT id, next_run_at, attempts AS attempt, lease_owner, true AS expired FROM jobs"
           "  WHERE " +
           guard_sql(job_op::take_over) +
           " AND lease_until <= $1"
           "    AND ($4::text[] IS NULL OR kind = ANY($4))"
           "  ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED"
           "), pick AS ("
           "  SELECT * FROM (SELECT * FROM queued UNION ALL SELECT * FROM expired) due"
           "  ORDER BY next_run_at, id LIMIT 1"
           "), lost AS ("
           "  INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error)"
           "  SELECT id, attempt, $1, " +
           attempt_outcome_sql(job_op::take_over) +
           ", 'lease of ' || lease_owner || ' expired'"
           "  FROM pick WHERE expired"
           ") UPDATE jobs SET " +
           set + " FROM pick WHERE jobs.id = pick.id RETURNING " + job_columns;
}

/// running → queued for the jobs leased by $1 (every running job when $1 is empty), each
/// lost attempt written to the history with the reason $3.
std::string release_sql() {
    return "WITH released AS ("
           "  UPDATE jobs SET " +
           assignments(job_op::release, {"$2"}) + " WHERE " + guard_sql(job_op::release) +
           " AND ($1 = '' OR lease_owner = $1) RETURNING id, attempts"
           "), history AS ("
           "  INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error)"
           "  SELECT id, attempts, $2, " +
           attempt_outcome_sql(job_op::release) +
           ", $3 FROM released"
           ") SELECT count(*) FROM released";
}

/// dead → queued with the attempts reset, at $1; `which` narrows the jobs.
std::string retry_dead_sql(std::string_view which) {
    return "UPDATE jobs SET " + assignments(job_op::retry_dead, {"$1"}, "next_run_at = $1") +
           " WHERE " + std::string(which) + guard_sql(job_op::retry_dead);
}

// --- the catalogue ------------------------------------------------------------------------

std::vector<pg_statement> compose_catalogue() {
    const std::string queued = state_sql(job_state::queued);
    const std::string cancelled = state_sql(job_state::cancelled);
    std::vector<pg_statement> all = {
        // One enqueue in one statement, so a batch pipelines: the delivery row is inserted
        // first (ON CONFLICT DO NOTHING: a known delivery is a duplicate), then the job with
        // the id the delivery already points at: the existing job of a taken unique_key, else
        // a fresh one from the sequence. Should another replica commit the same unique_key in
        // between, the job insert does nothing and the delivery's foreign key fails the
        // statement (23503): the writer then runs the request again alone, and it sees that
        // job.
        {stmt::enqueue, "enqueue", "ttittttt",
         "WITH existing AS ("
         "  SELECT id FROM jobs WHERE $7::text IS NOT NULL AND unique_key = $7"
         "), new_job AS ("
         "  SELECT CASE WHEN $4::text IS NULL THEN NULL"
         "         ELSE coalesce((SELECT id FROM existing), nextval('jobs_id_seq')) END AS id"
         "), delivery AS ("
         "  INSERT INTO deliveries (source, key, job_id, received_at)"
         "  SELECT $1, $2, id, $3 FROM new_job"
         "  ON CONFLICT (source, key) DO NOTHING RETURNING job_id"
         "), job AS ("
         "  INSERT INTO jobs (id, kind, payload, state, next_run_at, correlation_id, unique_key,"
         "                    created_at, updated_at, subject)"
         "  SELECT job_id, $4, $5, " +
             queued +
             ", $3, $6, $7, $3, $3, $8 FROM delivery"
             "  WHERE job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM existing)"
             "  ON CONFLICT (unique_key) DO NOTHING RETURNING id"
             ") SELECT (SELECT count(*) FROM delivery), (SELECT count(*) FROM job),"
             "  coalesce((SELECT job_id FROM delivery),"
             "           (SELECT job_id FROM deliveries WHERE source = $1 AND key = $2))"},
        {stmt::quarantine, "quarantine", "tttbii",
         "INSERT INTO quarantine (source, reason, request_id, body, body_bytes, received_at) "
         "VALUES ($1, $2, $3, $4, $5, $6)"},
        // After the commit: the job of a delivery another replica stored while the enqueue
        // statement ran (its snapshot could not see that row; this one can).
        {stmt::find_delivery, "find_delivery", "tt",
         "SELECT job_id FROM deliveries WHERE source = $1 AND key = $2"},

        {stmt::claim, "claim", "itia", claim_sql()},
        {stmt::extend, "extend", "itii",
         holder_update(job_op::extend_lease, "$4", "lease_until = $3")},
        {stmt::checkpoint, "checkpoint", "itti",
         holder_update(job_op::save_checkpoint, "$4", "checkpoint = $3")},
        {stmt::done, "done", "itti",
         with_attempt(job_op::mark_done, holder_update(job_op::mark_done, "$4", "outcome = $3"),
                      "$4", "''")},
        {stmt::retry, "retry", "ititi",
         with_attempt(job_op::mark_retry,
                      holder_update(job_op::mark_retry, "$5", "next_run_at = $3, last_error = $4"),
                      "$5", "$4")},
        {stmt::dead, "dead", "itti",
         with_attempt(job_op::mark_dead, holder_update(job_op::mark_dead, "$4", "last_error = $3"),
                      "$4", "$3")},
        {stmt::release, "release", "tit", release_sql()},
        {stmt::insert_job, "insert_job", "ttittit",
         "INSERT INTO jobs (kind, payload, state, next_run_at, correlation_id, unique_key, "
         "created_at, updated_at, subject) VALUES ($1, $2, " +
             queued + ", $3, $4, $5, $6, $6, $7) ON CONFLICT (unique_key) DO NOTHING RETURNING id"},
        {stmt::find_job_by_key, "find_job_by_key", "t",
         "SELECT id FROM jobs WHERE unique_key = $1"},
        {stmt::retry_dead_one, "retry_dead_one", "ii", retry_dead_sql("id = $2 AND ")},
        {stmt::retry_dead_all, "retry_dead_all", "i", retry_dead_sql("")},
        // Taken when free or expired, renewed when ours; no row back: someone else holds it.
        {stmt::singleton, "singleton", "ttii",
         "INSERT INTO singletons AS s (name, owner, lease_until, acquired_at) "
         "VALUES ($1, $2, $3, $4) "
         "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
         "lease_until = excluded.lease_until, acquired_at = CASE WHEN s.owner = excluded.owner "
         "THEN s.acquired_at ELSE excluded.acquired_at END "
         "WHERE s.owner = excluded.owner OR s.lease_until <= excluded.acquired_at "
         "RETURNING owner"},

        // An evaluation recorded by the job of an erased candidate (it was running when the
        // erasure cancelled it) is stored as a tombstone, and a tombstone stays one. The job
        // row is share-locked so that an erasure in progress is waited for and its result
        // seen.
        {stmt::upsert_evaluation, "upsert_evaluation", "ttttitttiii",
         "INSERT INTO evaluations (" + eval_columns +
             ") SELECT $1, $2, CASE WHEN x THEN '' ELSE $3 END, CASE WHEN x THEN '' ELSE $4 END, "
             "$5, CASE WHEN x THEN 'erased' ELSE $6 END, CASE WHEN x THEN '' ELSE $7 END, "
             "CASE WHEN x THEN '' ELSE $8 END, $9, $10, $11 FROM (SELECT EXISTS (SELECT 1 FROM "
             "(SELECT state FROM jobs WHERE id = $5 FOR SHARE) j WHERE j.state = " +
             cancelled +
             ") AS x) c "
             "ON CONFLICT (eval_id) DO UPDATE SET flow = excluded.flow, "
             "application_id = excluded.application_id, candidate_id = excluded.candidate_id, "
             "job_id = excluded.job_id, state = excluded.state, decision = excluded.decision, "
             "docv_token = excluded.docv_token, updated_at = excluded.updated_at, "
             "expires_at = excluded.expires_at WHERE evaluations.state <> 'erased'"},
        // A cancelled job (its candidate was erased) keeps no detail.
        {stmt::insert_audit, "insert_audit", "iittt",
         "INSERT INTO audit (job_id, at, step, outcome, detail) SELECT $1, $2, $3, $4, "
         "CASE WHEN EXISTS (SELECT 1 FROM (SELECT state FROM jobs WHERE id = $1 FOR SHARE) j "
         "WHERE j.state = " +
             cancelled + ") THEN '' ELSE $5 END"},

        {stmt::get_job, "get_job", "i", "SELECT " + job_columns + " FROM jobs WHERE id = $1"},
        {stmt::list_jobs, "list_jobs", "i",
         "SELECT " + job_columns + " FROM jobs ORDER BY id DESC LIMIT $1"},
        {stmt::list_jobs_by_state, "list_jobs_by_state", "ti",
         "SELECT " + job_columns + " FROM jobs WHERE state = $1 ORDER BY id DESC LIMIT $2"},
        {stmt::job_attempts, "job_attempts", "i",
         "SELECT attempt, finished_at, outcome, error FROM job_attempts WHERE job_id = $1 "
         "ORDER BY attempt, id"},
        {stmt::find_evaluation, "find_evaluation", "t",
         "SELECT " + eval_columns + " FROM evaluations WHERE eval_id = $1"},
        {stmt::find_evaluation_by_token, "find_evaluation_by_token", "t",
         "SELECT " + eval_columns +
             " FROM evaluations WHERE docv_token = $1 ORDER BY updated_at DESC LIMIT 1"},
        {stmt::evaluations_for_candidate, "evaluations_for_candidate", "t",
         "SELECT " + eval_columns +
             " FROM evaluations WHERE candidate_id = $1 ORDER BY created_at, eval_id"},
        {stmt::stale_evaluations, "stale_evaluations", "aii",
         "SELECT " + eval_columns +
             " FROM evaluations WHERE state = ANY($1) AND updated_at < $2 "
             "ORDER BY updated_at, eval_id LIMIT $3"},
        {stmt::audit_for_job, "audit_for_job", "i",
         "SELECT job_id, at, step, outcome, detail FROM audit WHERE job_id = $1 ORDER BY id"},
        {stmt::list_quarantine, "list_quarantine", "i",
         "SELECT id, source, reason, request_id, body_bytes, received_at FROM quarantine "
         "ORDER BY id DESC LIMIT $1"},
        {stmt::count_by_state, "count_by_state", "",
         "SELECT state, count(*) FROM jobs GROUP BY state"},
        {stmt::count_totals, "count_totals", "",
         "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM quarantine)"},
    };
    if (all.size() != static_cast<std::size_t>(stmt::count_)) {
        throw std::logic_error("the statement catalogue misses a statement");
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (static_cast<std::size_t>(all[i].id) != i) {
            throw std::logic_error("the statement catalogue must follow the order of enum stmt");
        }
    }
    return all;
}

const std::vector<pg_statement>& catalogue() {
    static const std::vector<pg_statement> all = compose_catalogue();
    return all;
}

std::vector<Oid> param_types(const char* types) {
    std::vector<Oid> out;
    for (const char* p = types; *p != '\0'; ++p) {
        switch (*p) {
            case 'i':
                out.push_back(int8_oid);
                break;
            case 'b':
                out.push_back(bytea_oid);
                break;
            case 'a':
                out.push_back(text_array_oid);
                break;
            default:
                out.push_back(text_oid);
                break;
        }
    }
    return out;
}

/// Prepares the statements [first, last] on `c`.
result<void> prepare_range(const pg_connection& c, stmt first, stmt last) {
    for (auto i = static_cast<std::size_t>(first); i <= static_cast<std::size_t>(last); ++i) {
        const pg_statement& s = catalogue()[i];
        if (auto r = c.prepare(s.name, s.sql.c_str(), param_types(s.types)); !r) {
            return r;
        }
    }
    return {};
}

std::string millis(milliseconds d) {
    return std::to_string(std::max<long long>(0, d.count()));
}

}  // namespace

const pg_statement& pg_statement_for(stmt s) {
    return catalogue()[static_cast<std::size_t>(s)];
}

result<void> setup_connection(const pg_connection& c, const postgres_options& o, pg_role role) {
    const bool writer = role == pg_role::writer;
    pg_params p;
    const std::string lock = millis(o.lock_timeout);
    const std::string statement_limit = millis(o.statement_timeout);
    p.text(lock).text(statement_limit);
    pg_result r = c.exec_params(
        "SELECT set_config('lock_timeout', $1::text, false), "
        "set_config('statement_timeout', $2::text, false), "
        "current_setting('synchronous_commit')",
        p);
    if (!r.ok() || r.rows() != 1) {
        return c.fail(r, "session settings");
    }
    // The writer acknowledges after its commit: the commit must be durable. "off" would
    // acknowledge before the WAL is flushed; the server's default and stronger are kept.
    if (writer && r.text(0, 2) == "off") {
        if (auto s = c.exec("SET synchronous_commit = on", "session settings"); !s) {
            return s;
        }
    }
    if (writer) {
        return prepare_range(c, stmt::enqueue, stmt::find_delivery);
    }
    return prepare_range(c, stmt::claim, static_cast<stmt>(catalogue().size() - 1));
}

result<pg_result> run(connection_pool& pool, stmt s, const pg_params& p, bool idempotent) {
    const char* name = pg_statement_for(s).name;
    for (int attempt = 0;; ++attempt) {
        auto c = pool.acquire();
        if (!c) {
            return std::move(c).error();
        }
        pg_result r = (*c)->exec_prepared(name, p);
        if (r.ok()) {
            return r;
        }
        error e = (*c)->fail(r, name);
        if (!(*c)->ok() && idempotent && attempt == 0 && pool.reconnect(*c)) {
            continue;  // e.g. the server restarted since this connection was last used
        }
        if (e.code == errc::unavailable) {
            log::warn(
                "store_statement_failed",
                {{"statement", name}, {"sqlstate", r.sqlstate()}, {"connection_ok", (*c)->ok()}});
        }
        return e;
    }
}

result<void> run_owned(connection_pool& pool, stmt s, const pg_params& p, const char* what) {
    auto r = run(pool, s, p);
    if (!r) {
        return std::move(r).error();
    }
    if (r->affected() == 0) {
        return lease_not_held(what);
    }
    return {};
}

}  // namespace riskbridge::store::detail
