// The SQLite store's statement catalogue (sqlite_statements.hpp): the SQL text of every
// statement kept prepared on a connection.

#include "store/sqlite_statements.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "riskbridge/store/job_lifecycle.hpp"

namespace riskbridge::store::detail {

namespace {

#define RB_JOB_COLUMNS                                                                        \
    "id, kind, payload, state, attempts, next_run_at, lease_owner, lease_until, last_error, " \
    "checkpoint, correlation_id, unique_key, created_at, updated_at"

#define RB_EVAL_COLUMNS                                                                  \
    "eval_id, flow, application_id, candidate_id, job_id, state, decision, docv_token, " \
    "created_at, updated_at, expires_at"

/// SQLite's LIMIT without a limit.
constexpr std::int64_t no_limit = -1;

/// Prepares `sql` into `out`; the first failure is kept in `err`.
void prepare_into(const database& db, statement& out, std::string_view sql,
                  std::optional<error>& err) {
    if (err) {
        return;
    }
    auto p = db.prepare(sql);
    if (!p) {
        err = std::move(p).error();
        return;
    }
    out = std::move(*p);
}

result<void> first_error(const std::optional<error>& err) {
    if (err) {
        return *err;
    }
    return {};
}

// --- the job state machine in SQL (job_lifecycle.hpp) -------------------------------------

/// `text` as an SQL string literal.
std::string quoted(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        out += c;
        if (c == '\'') {
            out += '\'';
        }
    }
    return out + "'";
}

/// The parameters of a transition's statement that the transition itself reads ("" for
/// none).
struct transition_params {
    std::string_view owner;        ///< the worker: the lease holder check, or who takes the lease
    std::string_view lease_until;  ///< when a lease taken ends
    std::string_view now;          ///< finished_at, for an op that finishes the job
};

// The queue's statements bind ?1 the job and ?2 the worker; a claim binds ?3 the lease's end.
constexpr transition_params no_params{"", "", ""};
constexpr transition_params lease_taken{"?2", "?3", ""};
constexpr transition_params lease_held{"?2", "", ""};
constexpr transition_params lease_held_ends_at_4{"?2", "", "?4"};

/// A statement that lacks a parameter its transition reads is a mistake in this file: it
/// throws when the store opens, and make_sqlite_store answers that the store cannot start.
std::string_view required(std::string_view param, job_op op, const char* what) {
    if (param.empty()) {
        throw std::logic_error(std::string("the statement of ") + to_string(op) + " has no " +
                               what + " parameter");
    }
    return param;
}

/// "UPDATE jobs SET <op's effects>, <set> WHERE <key> AND <op's guard>": the statement that
/// persists `op` for the rows `key` selects. The lease taken, the finish time and the lease
/// holder check come from the transition, with the values of `params`.
std::string transition_update(job_op op, std::string_view key, std::string_view set,
                              const transition_params& params) {
    const job_transition& t = transition(op);
    std::string assignments = effects_sql(op);
    auto assign = [&assignments](std::string_view a) {
        if (!assignments.empty()) {
            assignments += ", ";
        }
        assignments += a;
    };
    if (t.lease == lease_effect::take) {
        assign("lease_owner = " + std::string(required(params.owner, op, "owner")) +
               ", lease_until = " + std::string(required(params.lease_until, op, "lease_until")));
    }
    assign(set);
    if (t.finishes) {
        assign("finished_at = " + std::string(required(params.now, op, "finish time")));
    }
    std::string where(key);
    if (!where.empty()) {
        where += " AND ";
    }
    where += guard_sql(op);
    if (t.needs_lease_holder) {
        where += " AND lease_owner = " + std::string(required(params.owner, op, "owner"));
    }
    return "UPDATE jobs SET " + assignments + " WHERE " + where;
}

/// "INSERT INTO job_attempts ... SELECT ... FROM jobs WHERE <where>": the attempt `op` ends,
/// for each job `where` selects (before the op moves it), with op's outcome, finished at
/// `now` with `error`.
std::string ended_attempts(job_op op, std::string_view where, std::string_view now,
                           std::string_view error) {
    const char* outcome = transition(op).attempt_outcome;
    if (outcome == nullptr) {
        throw std::logic_error(std::string(to_string(op)) + " ends no attempt");
    }
    return "INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
           "SELECT id, attempts, " +
           std::string(now) + ", " + quoted(outcome) + ", " + std::string(error) +
           " FROM jobs WHERE " + std::string(where);
}

/// The guard of `op` in the words of the partial index a claim query reads (jobs_due in
/// migration 4, jobs_lease in migration 1). SQLite uses a partial index only when it can prove
/// that the query's WHERE implies the index's (https://www.sqlite.org/partialindex.html), and
/// it does not take "state IN ('running')" to imply "state = 'running'": an op that applies to
/// one state is guarded with "=".
std::string partial_index_guard(job_op op) {
    std::optional<job_state> only;
    int states = 0;
    for (const job_state s : all_job_states) {
        if (allowed(op, s)) {
            only = s;
            ++states;
        }
    }
    return states == 1 ? "state = " + state_sql(*only) : guard_sql(op);
}

/// The oldest job `op` may lease, by the partial index `index` ordered by `order`: the id,
/// next_run_at and `extra` columns. ?1 now, ?2 the kinds as a JSON array (NULL: any kind).
/// The statements name the index (INDEXED BY) because without statistics the planner prefers
/// jobs_state and sorts every due job; preparing them fails if the guard stops implying the
/// index's condition.
std::string oldest_due(job_op op, std::string_view index, std::string_view due_column,
                       std::string_view extra) {
    const std::string due(due_column);
    return "SELECT id, next_run_at" + std::string(extra) + " FROM jobs INDEXED BY " +
           std::string(index) + " WHERE " + partial_index_guard(op) + " AND " + due +
           " <= ?1 AND (?2 IS NULL OR kind IN (SELECT value FROM json_each(?2))) ORDER BY " + due +
           ", id LIMIT 1";
}

/// A new job, queued; taken when its unique key is free (?1 kind, ?2 payload, ?3 next run,
/// ?4 correlation id, ?5 unique key, ?6 now, ?7 subject).
std::string insert_job_sql() {
    return "INSERT INTO jobs (kind, payload, state, next_run_at, correlation_id, unique_key, "
           "created_at, updated_at, subject) VALUES (?1, ?2, " +
           state_sql(job_state::queued) +
           ", ?3, ?4, ?5, ?6, ?6, ?7) ON CONFLICT (unique_key) DO NOTHING";
}

/// The job holding a unique key (?1), after an insert_job_sql() that found it taken.
constexpr std::string_view find_job_by_key_sql = "SELECT id FROM jobs WHERE unique_key = ?1";

/// "EXISTS (...)": the job `job_param` was cancelled by an erasure.
std::string job_cancelled(std::string_view job_param) {
    return "EXISTS (SELECT 1 FROM jobs WHERE id = " + std::string(job_param) +
           " AND state = " + state_sql(job_state::cancelled) + ")";
}

}  // namespace

std::int64_t sql_limit(int limit) noexcept {
    return limit > 0 ? limit : no_limit;
}

result<void> writer_statements::prepare(const database& writer) {
    if (auto r = tx.prepare(writer); !r) {
        return r;
    }
    std::optional<error> err;
    auto w = [&](statement& s, std::string_view sql) { prepare_into(writer, s, sql, err); };
    w(savepoint, "SAVEPOINT item");
    w(release, "RELEASE item");
    w(rollback_to, "ROLLBACK TO item");
    w(find_delivery, "SELECT job_id FROM deliveries WHERE source = ?1 AND key = ?2");
    w(insert_delivery,
      "INSERT INTO deliveries (source, key, job_id, received_at) VALUES (?1, ?2, ?3, ?4)");
    w(insert_job, insert_job_sql());
    w(find_job_by_key, find_job_by_key_sql);
    w(insert_quarantine,
      "INSERT INTO quarantine (source, reason, request_id, body, body_bytes, received_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    return first_error(err);
}

result<void> queue_statements::prepare(const database& sync) {
    if (auto r = tx.prepare(sync); !r) {
        return r;
    }
    std::optional<error> err;
    auto s = [&](statement& st, std::string_view sql) { prepare_into(sync, st, sql, err); };
    const std::string returning = " RETURNING " RB_JOB_COLUMNS;

    s(due_queued, oldest_due(job_op::claim, "jobs_due", "next_run_at", ""));
    s(due_expired, oldest_due(job_op::take_over, "jobs_lease", "lease_until", ", lease_owner"));
    // ?1 id, ?2 owner, ?3 lease until, ?4 now.
    for (auto [st, op] :
         {std::pair{&claim, job_op::claim}, std::pair{&take_over, job_op::take_over}}) {
        s(*st, transition_update(op, "id = ?1", "updated_at = ?4", lease_taken) + returning);
    }
    // ?1 id, ?2 now, ?3 why the lease ended.
    s(expired_attempt,
      ended_attempts(job_op::take_over, "id = ?1 AND " + guard_sql(job_op::take_over), "?2", "?3"));
    // ?1 id, ?2 owner, then the op's values; the last parameter is now.
    s(extend, transition_update(job_op::extend_lease, "id = ?1",
                                "lease_until = ?3, updated_at = ?4", lease_held));
    s(checkpoint, transition_update(job_op::save_checkpoint, "id = ?1",
                                    "checkpoint = ?3, updated_at = ?4", lease_held));
    s(done, transition_update(job_op::mark_done, "id = ?1", "outcome = ?3, updated_at = ?4",
                              lease_held_ends_at_4));
    s(retry, transition_update(job_op::mark_retry, "id = ?1",
                               "next_run_at = ?3, last_error = ?4, updated_at = ?5", lease_held));
    s(dead, transition_update(job_op::mark_dead, "id = ?1", "last_error = ?3, updated_at = ?4",
                              lease_held_ends_at_4));
    // After one of the three above: ?1 id, ?2 now, ?3 the op's outcome, ?4 error.
    s(attempt_from_job,
      "INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
      "SELECT id, attempts, ?2, ?3, ?4 FROM jobs WHERE id = ?1");
    // ?1 owner ('' for every owner), ?2 now, ?3 why.
    const std::string released_by = "(?1 = '' OR lease_owner = ?1)";
    s(release_attempts,
      ended_attempts(job_op::release, guard_sql(job_op::release) + " AND " + released_by, "?2",
                     "?3"));
    s(release, transition_update(job_op::release, released_by, "updated_at = ?2", no_params));
    s(insert_job, insert_job_sql());
    s(find_job_by_key, find_job_by_key_sql);
    // Taken when free or expired, renewed when ours; no change: someone else holds it.
    s(singleton,
      "INSERT INTO singletons AS s (name, owner, lease_until, acquired_at) "
      "VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
      "lease_until = excluded.lease_until, acquired_at = CASE WHEN s.owner = excluded.owner "
      "THEN s.acquired_at ELSE excluded.acquired_at END "
      "WHERE s.owner = excluded.owner OR s.lease_until <= excluded.acquired_at");
    return first_error(err);
}

result<void> records_statements::prepare(const database& sync, const database& read) {
    std::optional<error> err;
    auto s = [&](statement& st, std::string_view sql) { prepare_into(sync, st, sql, err); };
    auto r = [&](statement& st, std::string_view sql) { prepare_into(read, st, sql, err); };

    // An evaluation recorded by the job of an erased candidate (it was running when the
    // erasure cancelled it) is stored as a tombstone, and a tombstone stays one.
    s(upsert_evaluation,
      "INSERT INTO evaluations (" RB_EVAL_COLUMNS
      ") SELECT ?1, ?2, iif(x, '', ?3), iif(x, '', ?4), ?5, iif(x, 'erased', ?6), "
      "iif(x, '', ?7), iif(x, '', ?8), ?9, ?10, ?11 FROM (SELECT " +
          job_cancelled("?5") +
          " AS x) WHERE true "
          "ON CONFLICT (eval_id) DO UPDATE SET flow = excluded.flow, "
          "application_id = excluded.application_id, candidate_id = excluded.candidate_id, "
          "job_id = excluded.job_id, state = excluded.state, decision = excluded.decision, "
          "docv_token = excluded.docv_token, updated_at = excluded.updated_at, "
          "expires_at = excluded.expires_at WHERE evaluations.state <> 'erased'");
    // A cancelled job (its candidate was erased) keeps no detail.
    s(insert_audit,
      "INSERT INTO audit (job_id, at, step, outcome, detail) SELECT ?1, ?2, ?3, ?4, iif(" +
          job_cancelled("?1") + ", '', ?5)");

    r(find_evaluation, "SELECT " RB_EVAL_COLUMNS " FROM evaluations WHERE eval_id = ?1");
    r(find_evaluation_by_token, "SELECT " RB_EVAL_COLUMNS
                                " FROM evaluations WHERE docv_token = ?1 "
                                "ORDER BY updated_at DESC LIMIT 1");
    r(evaluations_for_candidate, "SELECT " RB_EVAL_COLUMNS
                                 " FROM evaluations WHERE candidate_id = ?1 "
                                 "ORDER BY created_at, eval_id");
    r(stale_evaluations, "SELECT " RB_EVAL_COLUMNS
                         " FROM evaluations WHERE state = ?1 AND updated_at < ?2 "
                         "ORDER BY updated_at LIMIT ?3");
    r(audit_for_job,
      "SELECT job_id, at, step, outcome, detail FROM audit WHERE job_id = ?1 ORDER BY id");
    return first_error(err);
}

result<void> admin_statements::prepare(const database& sync, const database& read) {
    std::optional<error> err;
    auto s = [&](statement& st, std::string_view sql) { prepare_into(sync, st, sql, err); };
    auto r = [&](statement& st, std::string_view sql) { prepare_into(read, st, sql, err); };

    // ?1 now (the next run), ?2 the job.
    s(retry_dead_one, transition_update(job_op::retry_dead, "id = ?2",
                                        "next_run_at = ?1, updated_at = ?1", no_params));
    s(retry_dead_all,
      transition_update(job_op::retry_dead, "", "next_run_at = ?1, updated_at = ?1", no_params));

    r(get_job, "SELECT " RB_JOB_COLUMNS " FROM jobs WHERE id = ?1");
    r(list_jobs, "SELECT " RB_JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?1");
    r(list_jobs_by_state,
      "SELECT " RB_JOB_COLUMNS " FROM jobs WHERE state = ?1 ORDER BY id DESC LIMIT ?2");
    r(job_attempts,
      "SELECT attempt, finished_at, outcome, error FROM job_attempts WHERE job_id = ?1 "
      "ORDER BY attempt, rowid");
    r(list_quarantine,
      "SELECT id, source, reason, request_id, body_bytes, received_at FROM quarantine "
      "ORDER BY id DESC LIMIT ?1");
    r(count_by_state, "SELECT state, count(*) FROM jobs GROUP BY state");
    r(count_deliveries, "SELECT count(*) FROM deliveries");
    r(count_quarantine, "SELECT count(*) FROM quarantine");
    return first_error(err);
}

#undef RB_JOB_COLUMNS
#undef RB_EVAL_COLUMNS

}  // namespace riskbridge::store::detail
