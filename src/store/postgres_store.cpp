// The PostgreSQL job store, for several replicas sharing one database.
//
// The same semantics as the SQLite store (sqlite_store.cpp), and the same columns; times are
// BIGINT unix milliseconds. Every statement is prepared once per connection, with bound
// parameters.
//
// Connections:
// - writer: owned by the writer thread (group_commit_store.hpp), which commits the queued
//   ingestion requests (enqueue_async, quarantine_async) in one transaction (group commit)
//   before they are answered. The batch goes to the server as one pipeline (BEGIN, one
//   statement per request, COMMIT): one round trip and one WAL flush for many requests. A
//   request whose data the server refuses does not sink its batch: the batch is rolled back
//   and its requests run again one by one. A deadlock with another replica's writer, or a
//   connection lost mid-batch, runs the batch again (dedupe makes a repeated enqueue a
//   duplicate, never a second job; a quarantined body whose commit was lost with the
//   connection may be kept twice); any other failure answers the batch unavailable. When the
//   connection is lost the writer reconnects in the background, so readiness comes back on
//   its own.
// - pool: `pool_size` connections for the synchronous calls of workers, the CLI and tests.
//   Each call is one statement (data-modifying CTEs where SQLite uses a transaction), so no
//   transaction is ever left open on a pooled connection.
//
// Claims lock the oldest due row with FOR UPDATE SKIP LOCKED: replicas polling at once take
// different jobs and never wait for each other. Expired leases are taken over by claim(),
// which records the lost attempt in the same statement. Migrations run in one transaction
// under a transaction-scoped advisory lock, so replicas starting together apply them once.
// A broken connection is reported as errc::unavailable and replaced on its next use.

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <tuple>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/checks.hpp"
#include "store/group_commit_store.hpp"
#include "store/pg_db.hpp"
#include "store/postgres_privacy.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"

namespace riskbridge::store {

namespace {

using detail::migration;
using detail::pg_connection;
using detail::pg_conninfo;
using detail::pg_params;
using detail::pg_result;
using detail::pg_row;
using detail::read_audit_entry;
using detail::read_evaluation;
using detail::read_job;
using detail::read_job_attempt;
using detail::read_quarantine_entry;
using detail::write_batch;
using detail::write_item;

// --- schema -------------------------------------------------------------------------------

// Ordered; a step is never edited once released, later changes are new steps. The versions
// match the SQLite store's.
constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE jobs (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT    NOT NULL,
    payload        TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL
                   CHECK (state IN ('queued', 'running', 'retry_wait', 'done', 'dead')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_run_at    BIGINT  NOT NULL,
    lease_owner    TEXT    NOT NULL DEFAULT '',
    lease_until    BIGINT  NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    checkpoint     TEXT    NOT NULL DEFAULT '',
    correlation_id TEXT    NOT NULL DEFAULT '',
    unique_key     TEXT    UNIQUE,
    outcome        TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    finished_at    BIGINT
);
-- The claim statement: the oldest due queued/retry_wait job, and the oldest expired lease.
CREATE INDEX jobs_due ON jobs (next_run_at, id) WHERE state IN ('queued', 'retry_wait');
CREATE INDEX jobs_lease ON jobs (lease_until, id) WHERE state = 'running';
-- Listing by state (newest first) and counting by state.
CREATE INDEX jobs_state ON jobs (state, id);
-- Retention.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'dead');

CREATE TABLE deliveries (
    source      TEXT   NOT NULL,
    key         TEXT   NOT NULL,
    job_id      BIGINT REFERENCES jobs (id),
    received_at BIGINT NOT NULL,
    PRIMARY KEY (source, key)
);

CREATE TABLE job_attempts (
    id          BIGSERIAL PRIMARY KEY,
    job_id      BIGINT  NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    finished_at BIGINT  NOT NULL,
    outcome     TEXT    NOT NULL,
    error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_attempts_job ON job_attempts (job_id, attempt);

CREATE TABLE evaluations (
    eval_id        TEXT    PRIMARY KEY,
    flow           TEXT    NOT NULL,
    application_id TEXT    NOT NULL DEFAULT '',
    candidate_id   TEXT    NOT NULL DEFAULT '',
    job_id         BIGINT  NOT NULL DEFAULT 0,
    state          TEXT    NOT NULL,
    decision       TEXT    NOT NULL DEFAULT '',
    docv_token     TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX evaluations_candidate ON evaluations (candidate_id);
CREATE INDEX evaluations_docv_token ON evaluations (docv_token);
CREATE INDEX evaluations_state ON evaluations (state, updated_at);

CREATE TABLE quarantine (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT   NOT NULL,
    reason      TEXT   NOT NULL,
    request_id  TEXT   NOT NULL DEFAULT '',
    body        BYTEA,
    body_bytes  BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX quarantine_received ON quarantine (received_at);

CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    job_id  BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    step    TEXT   NOT NULL,
    outcome TEXT   NOT NULL,
    detail  TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX audit_job ON audit (job_id, id);
)sql"},
    {2, R"sql(
-- Named leases for periodic work that runs in one replica at a time.
CREATE TABLE singletons (
    name        TEXT   PRIMARY KEY,
    owner       TEXT   NOT NULL,
    lease_until BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);
)sql"},
    {3, R"sql(
-- Erasure: who each job is about (a candidate id or an eval_id), and a final state for the
-- jobs of an erased candidate.
ALTER TABLE jobs ADD COLUMN subject TEXT;
CREATE INDEX jobs_subject ON jobs (subject) WHERE subject IS NOT NULL;
UPDATE jobs SET subject = e.candidate_id FROM evaluations e
 WHERE e.job_id = jobs.id AND e.candidate_id <> '' AND jobs.subject IS NULL;
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'retry_wait', 'done', 'dead', 'cancelled'));
-- Retention over every table.
CREATE INDEX jobs_ended ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX deliveries_received ON deliveries (received_at);
CREATE INDEX job_attempts_finished ON job_attempts (finished_at);
CREATE INDEX audit_at ON audit (at);
)sql"},
};

constexpr int latest_schema_version = migrations[std::size(migrations) - 1].version;

/// The key of the advisory lock migrations hold ("riskbridge" in ASCII, as a number).
constexpr long long migration_lock_key = 0x7269736b62726964LL;

#define RB_JOB_COLUMNS                                                                            \
    "jobs.id, jobs.kind, jobs.payload, jobs.state, jobs.attempts, jobs.next_run_at, "             \
    "jobs.lease_owner, jobs.lease_until, jobs.last_error, jobs.checkpoint, jobs.correlation_id, " \
    "jobs.unique_key, jobs.created_at, jobs.updated_at"

#define RB_EVAL_COLUMNS                                                                  \
    "eval_id, flow, application_id, candidate_id, job_id, state, decision, docv_token, " \
    "created_at, updated_at, expires_at"

// --- statements ---------------------------------------------------------------------------

/// Every prepared statement. Parameter types: i = bigint, t = text, b = bytea, a = text[].
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

struct statement_def {
    stmt id;
    const char* name;
    const char* types;
    const char* sql;
};

constexpr statement_def statements[] = {
    // One enqueue in one statement, so a batch pipelines: the delivery row is inserted first
    // (ON CONFLICT DO NOTHING: a known delivery is a duplicate), then the job with the id
    // the delivery already points at: the existing job of a taken unique_key, else a fresh
    // one from the sequence. Should another replica commit the same unique_key in between,
    // the job insert does nothing and the delivery's foreign key fails the statement (23503):
    // the writer then runs the request again alone, and it sees that job.
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
     "  SELECT job_id, $4, $5, 'queued', $3, $6, $7, $3, $3, $8 FROM delivery"
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

    // The oldest due job by (next_run_at, id): a queued/retry_wait one from jobs_due or an
    // expired lease from jobs_lease, each locked with SKIP LOCKED so that concurrent claimers
    // pass each other; an expired lease's lost attempt is recorded in the same statement.
    {stmt::claim, "claim", "itia",
     "WITH queued AS ("
     "  SELECT id, next_run_at, attempts, lease_owner, false AS expired FROM jobs"
     "  WHERE state IN ('queued', 'retry_wait') AND next_run_at <= $1"
     "    AND ($4::text[] IS NULL OR kind = ANY($4))"
     "  ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
     "), expired AS ("
     "  SELECT id, next_run_at, attempts, lease_owner, true AS expired FROM jobs"
     "  WHERE state = 'running' AND lease_until <= $1"
     "    AND ($4::text[] IS NULL OR kind = ANY($4))"
     "  ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED"
     "), pick AS ("
     "  SELECT * FROM (SELECT * FROM queued UNION ALL SELECT * FROM expired) due"
     "  ORDER BY next_run_at, id LIMIT 1"
     "), lost AS ("
     "  INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error)"
     "  SELECT id, attempts, $1, 'lease_expired', 'lease of ' || lease_owner || ' expired'"
     "  FROM pick WHERE expired"
     ") UPDATE jobs SET state = 'running', lease_owner = $2, lease_until = $3,"
     "  attempts = jobs.attempts + 1, updated_at = $1"
     " FROM pick WHERE jobs.id = pick.id RETURNING " RB_JOB_COLUMNS},
    {stmt::extend, "extend", "itii",
     "UPDATE jobs SET lease_until = $3, updated_at = $4 "
     "WHERE id = $1 AND state = 'running' AND lease_owner = $2"},
    {stmt::checkpoint, "checkpoint", "itti",
     "UPDATE jobs SET checkpoint = $3, updated_at = $4 "
     "WHERE id = $1 AND state = 'running' AND lease_owner = $2"},
    {stmt::done, "done", "itti",
     "WITH j AS ("
     "  UPDATE jobs SET state = 'done', outcome = $3, lease_owner = '', lease_until = 0,"
     "  updated_at = $4, finished_at = $4"
     "  WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING id, attempts"
     ") INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
     "SELECT id, attempts, $4, 'done', '' FROM j"},
    {stmt::retry, "retry", "ititi",
     "WITH j AS ("
     "  UPDATE jobs SET state = 'retry_wait', next_run_at = $3, last_error = $4,"
     "  lease_owner = '', lease_until = 0, updated_at = $5"
     "  WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING id, attempts"
     ") INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
     "SELECT id, attempts, $5, 'retry', $4 FROM j"},
    {stmt::dead, "dead", "itti",
     "WITH j AS ("
     "  UPDATE jobs SET state = 'dead', last_error = $3, lease_owner = '', lease_until = 0,"
     "  updated_at = $4, finished_at = $4"
     "  WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING id, attempts"
     ") INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
     "SELECT id, attempts, $4, 'dead', $3 FROM j"},
    {stmt::release, "release", "tit",
     "WITH released AS ("
     "  UPDATE jobs SET state = 'queued', lease_owner = '', lease_until = 0, updated_at = $2"
     "  WHERE state = 'running' AND ($1 = '' OR lease_owner = $1) RETURNING id, attempts"
     "), history AS ("
     "  INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error)"
     "  SELECT id, attempts, $2, 'lease_expired', $3 FROM released"
     ") SELECT count(*) FROM released"},
    {stmt::insert_job, "insert_job", "ttittit",
     "INSERT INTO jobs (kind, payload, state, next_run_at, correlation_id, unique_key, "
     "created_at, updated_at, subject) VALUES ($1, $2, 'queued', $3, $4, $5, $6, $6, $7) "
     "ON CONFLICT (unique_key) DO NOTHING RETURNING id"},
    {stmt::find_job_by_key, "find_job_by_key", "t", "SELECT id FROM jobs WHERE unique_key = $1"},
    {stmt::retry_dead_one, "retry_dead_one", "ii",
     "UPDATE jobs SET state = 'queued', attempts = 0, next_run_at = $1, lease_owner = '', "
     "lease_until = 0, outcome = '', finished_at = NULL, updated_at = $1 "
     "WHERE id = $2 AND state = 'dead'"},
    {stmt::retry_dead_all, "retry_dead_all", "i",
     "UPDATE jobs SET state = 'queued', attempts = 0, next_run_at = $1, lease_owner = '', "
     "lease_until = 0, outcome = '', finished_at = NULL, updated_at = $1 "
     "WHERE state = 'dead'"},
    // Taken when free or expired, renewed when ours; no row back: someone else holds it.
    {stmt::singleton, "singleton", "ttii",
     "INSERT INTO singletons AS s (name, owner, lease_until, acquired_at) "
     "VALUES ($1, $2, $3, $4) "
     "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
     "lease_until = excluded.lease_until, acquired_at = CASE WHEN s.owner = excluded.owner "
     "THEN s.acquired_at ELSE excluded.acquired_at END "
     "WHERE s.owner = excluded.owner OR s.lease_until <= excluded.acquired_at "
     "RETURNING owner"},

    {stmt::upsert_evaluation, "upsert_evaluation", "ttttitttiii",
     // An evaluation recorded by the job of an erased candidate (it was running when the
     // erasure cancelled it) is stored as a tombstone, and a tombstone stays one. The job row
     // is share-locked so that an erasure in progress is waited for and its result seen.
     "INSERT INTO evaluations (" RB_EVAL_COLUMNS
     ") SELECT $1, $2, CASE WHEN x THEN '' ELSE $3 END, CASE WHEN x THEN '' ELSE $4 END, $5, "
     "CASE WHEN x THEN 'erased' ELSE $6 END, CASE WHEN x THEN '' ELSE $7 END, "
     "CASE WHEN x THEN '' ELSE $8 END, $9, $10, $11 FROM (SELECT EXISTS (SELECT 1 FROM "
     "(SELECT state FROM jobs WHERE id = $5 FOR SHARE) j WHERE j.state = 'cancelled') AS x) c "
     "ON CONFLICT (eval_id) DO UPDATE SET flow = excluded.flow, "
     "application_id = excluded.application_id, candidate_id = excluded.candidate_id, "
     "job_id = excluded.job_id, state = excluded.state, decision = excluded.decision, "
     "docv_token = excluded.docv_token, updated_at = excluded.updated_at, "
     "expires_at = excluded.expires_at WHERE evaluations.state <> 'erased'"},
    // A cancelled job (its candidate was erased) keeps no detail.
    {stmt::insert_audit, "insert_audit", "iittt",
     "INSERT INTO audit (job_id, at, step, outcome, detail) SELECT $1, $2, $3, $4, "
     "CASE WHEN EXISTS (SELECT 1 FROM (SELECT state FROM jobs WHERE id = $1 FOR SHARE) j "
     "WHERE j.state = 'cancelled') THEN '' ELSE $5 END"},

    {stmt::get_job, "get_job", "i", "SELECT " RB_JOB_COLUMNS " FROM jobs WHERE id = $1"},
    {stmt::list_jobs, "list_jobs", "i",
     "SELECT " RB_JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT $1"},
    {stmt::list_jobs_by_state, "list_jobs_by_state", "ti",
     "SELECT " RB_JOB_COLUMNS " FROM jobs WHERE state = $1 ORDER BY id DESC LIMIT $2"},
    {stmt::job_attempts, "job_attempts", "i",
     "SELECT attempt, finished_at, outcome, error FROM job_attempts WHERE job_id = $1 "
     "ORDER BY attempt, id"},
    {stmt::find_evaluation, "find_evaluation", "t",
     "SELECT " RB_EVAL_COLUMNS " FROM evaluations WHERE eval_id = $1"},
    {stmt::find_evaluation_by_token, "find_evaluation_by_token", "t",
     "SELECT " RB_EVAL_COLUMNS
     " FROM evaluations WHERE docv_token = $1 ORDER BY updated_at DESC LIMIT 1"},
    {stmt::evaluations_for_candidate, "evaluations_for_candidate", "t",
     "SELECT " RB_EVAL_COLUMNS
     " FROM evaluations WHERE candidate_id = $1 ORDER BY created_at, eval_id"},
    {stmt::stale_evaluations, "stale_evaluations", "aii",
     "SELECT " RB_EVAL_COLUMNS " FROM evaluations WHERE state = ANY($1) AND updated_at < $2 "
     "ORDER BY updated_at, eval_id LIMIT $3"},
    {stmt::audit_for_job, "audit_for_job", "i",
     "SELECT job_id, at, step, outcome, detail FROM audit WHERE job_id = $1 ORDER BY id"},
    {stmt::list_quarantine, "list_quarantine", "i",
     "SELECT id, source, reason, request_id, body_bytes, received_at FROM quarantine "
     "ORDER BY id DESC LIMIT $1"},
    {stmt::count_by_state, "count_by_state", "", "SELECT state, count(*) FROM jobs GROUP BY state"},
    {stmt::count_totals, "count_totals", "",
     "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM quarantine)"},
};

static_assert(std::size(statements) == static_cast<std::size_t>(stmt::count_));

constexpr const statement_def& def(stmt s) {
    return statements[static_cast<std::size_t>(s)];
}

constexpr bool catalogue_in_order() {
    for (std::size_t i = 0; i < std::size(statements); ++i) {
        if (static_cast<std::size_t>(statements[i].id) != i) {
            return false;
        }
    }
    return true;
}
static_assert(catalogue_in_order(), "statements[] must follow the order of enum stmt");

std::vector<Oid> param_types(const char* types) {
    std::vector<Oid> out;
    for (const char* p = types; *p != '\0'; ++p) {
        switch (*p) {
            case 'i':
                out.push_back(detail::int8_oid);
                break;
            case 'b':
                out.push_back(detail::bytea_oid);
                break;
            case 'a':
                out.push_back(detail::text_array_oid);
                break;
            default:
                out.push_back(detail::text_oid);
                break;
        }
    }
    return out;
}

/// Prepares the statements [first, last] on `c`.
result<void> prepare_range(const pg_connection& c, stmt first, stmt last) {
    for (auto i = static_cast<std::size_t>(first); i <= static_cast<std::size_t>(last); ++i) {
        const auto& d = statements[i];
        if (auto r = c.prepare(d.name, d.sql, param_types(d.types)); !r) {
            return r;
        }
    }
    return {};
}

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
std::optional<std::int64_t> sql_limit(int limit) {
    if (limit > 0) {
        return limit;
    }
    return std::nullopt;
}

std::string millis(milliseconds d) {
    return std::to_string(std::max<long long>(0, d.count()));
}

// --- connections --------------------------------------------------------------------------

/// Session settings every connection gets: how long to wait for locks and statements.
result<void> configure_session(const pg_connection& c, const postgres_options& o, bool writer) {
    pg_params p;
    const std::string lock = millis(o.lock_timeout);
    const std::string statement = millis(o.statement_timeout);
    p.text(lock).text(statement);
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
    return {};
}

result<int> read_schema_version(const pg_connection& c) {
    pg_result r(PQexec(c.get(), "SELECT coalesce(max(version), 0) FROM schema_version"));
    if (!r.ok() || r.rows() != 1) {
        return c.fail(r, "schema_version");
    }
    return static_cast<int>(r.int64(0, 0));
}

/// Creates or upgrades the schema in one transaction, under an advisory lock that every
/// replica takes first: the first to start migrates, the others wait and find it done.
result<void> migrate(const pg_connection& c, clock& clk) {
    if (auto r = c.exec("BEGIN", "migrate"); !r) {
        return r;
    }
    auto fail = [&](error e) -> result<void> {
        pg_result rb(PQexec(c.get(), "ROLLBACK"));
        return e;
    };
    {
        pg_params p;
        p.int64(migration_lock_key);
        pg_result r = c.exec_params("SELECT pg_advisory_xact_lock($1::bigint)", p);
        if (!r.ok()) {
            return fail(c.fail(r, "migration lock"));
        }
    }
    // Another replica's migration may be committing right now: it holds the lock until its
    // commit, so what is read below is after it.
    if (auto r = c.exec("CREATE TABLE IF NOT EXISTS schema_version ("
                        "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
                        "migrate");
        !r) {
        return fail(r.error());
    }
    auto current = read_schema_version(c);
    if (!current) {
        return fail(std::move(current).error());
    }
    if (*current > latest_schema_version) {
        return fail(detail::newer_schema(*current, latest_schema_version));
    }
    for (const auto& m : migrations) {
        if (m.version <= *current) {
            continue;
        }
        if (auto r = c.exec(m.sql, "migrate"); !r) {
            return fail(make_error(r.error().code, "schema migration " + std::to_string(m.version) +
                                                       " failed: " + r.error().message));
        }
        pg_params p;
        p.int64(m.version).int64(to_unix_ms(clk.now()));
        pg_result r = c.exec_params(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1::integer, $2::bigint)", p);
        if (!r.ok()) {
            return fail(c.fail(r, "schema_version"));
        }
    }
    if (auto r = c.exec("COMMIT", "migrate"); !r) {
        return fail(r.error());
    }
    if (*current < latest_schema_version) {
        log::info("store_schema_migrated", {{"from", *current}, {"to", latest_schema_version}});
    }
    return {};
}

/// A fixed set of connections for the synchronous calls. A connection found broken when it
/// is taken is replaced (reconnect, session settings, statements prepared again).
class connection_pool {
public:
    using setup_fn = std::function<result<void>(pg_connection&)>;

    class lease {
    public:
        lease(connection_pool* pool, std::size_t index) noexcept : pool_(pool), index_(index) {}
        ~lease() {
            if (pool_ != nullptr) {
                pool_->give_back(index_);
            }
        }
        lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), index_(o.index_) {}
        lease& operator=(lease&&) = delete;
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        pg_connection& operator*() const noexcept { return pool_->connections_[index_]; }
        pg_connection* operator->() const noexcept { return &pool_->connections_[index_]; }

    private:
        connection_pool* pool_;
        std::size_t index_;
    };

    connection_pool(const pg_conninfo& info, std::size_t size, setup_fn setup)
        : info_(info), setup_(std::move(setup)), connections_(std::max<std::size_t>(size, 1)) {
        for (std::size_t i = 0; i < connections_.size(); ++i) {
            free_.push_back(i);
        }
    }

    /// Connects every slot now, so a wrong URL or password fails at start-up.
    result<void> open_all() {
        for (auto& c : connections_) {
            if (auto r = connect(c); !r) {
                return r;
            }
        }
        return {};
    }

    /// A connection, waiting for one to be free (every call holds it for one statement).
    result<lease> acquire() {
        std::size_t index = 0;
        {
            std::unique_lock lock(mutex_);
            if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !free_.empty(); })) {
                return make_error(errc::unavailable, "no PostgreSQL connection free");
            }
            index = free_.back();
            free_.pop_back();
        }
        lease l(this, index);
        if (!l->ok()) {
            if (auto r = reconnect(l); !r) {
                return r.error();
            }
        }
        return l;
    }

    /// Replaces the leased connection with a fresh one.
    result<void> reconnect(const lease& l) {
        if (auto r = connect(*l); !r) {
            return r;
        }
        log::info("store_reconnected", {{"connection", "pool"}});
        return {};
    }

private:
    result<void> connect(pg_connection& slot) {
        slot.close();
        auto c = pg_connection::open(info_);
        if (!c) {
            return std::move(c).error();
        }
        if (auto r = setup_(*c); !r) {
            return r;
        }
        slot = std::move(*c);
        return {};
    }

    void give_back(std::size_t index) {
        {
            std::lock_guard lock(mutex_);
            free_.push_back(index);
        }
        cv_.notify_one();
    }

    const pg_conninfo& info_;
    setup_fn setup_;
    std::vector<pg_connection> connections_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::size_t> free_;
};

// --- the store ----------------------------------------------------------------------------

/// What became of one attempt at committing a batch.
enum class batch_end {
    committed,    ///< every item's outcome is set and durable
    item_failed,  ///< the server refused one item's data: nothing stored, try one by one
    again,        ///< deadlock, serialisation failure or a lost connection: try again
    failed,       ///< nothing stored; answer unavailable
};

constexpr int batch_attempts = 3;
constexpr auto writer_io_timeout = std::chrono::seconds(60);
constexpr auto writer_reconnect_interval = std::chrono::seconds(1);

class postgres_store final : public detail::group_commit_store {
public:
    postgres_store(postgres_options options, pg_conninfo info, clock& clk)
        : group_commit_store(clk, {options.max_pending_writes, options.max_batch, options.on_commit,
                                   writer_reconnect_interval}),
          options_(std::move(options)),
          info_(std::move(info)),
          pool_(info_, static_cast<std::size_t>(std::max(options_.pool_size, 1)),
                [this](pg_connection& c) { return setup_pool_connection(c); }) {}

    ~postgres_store() override { shutdown(); }

    postgres_store(const postgres_store&) = delete;
    postgres_store& operator=(const postgres_store&) = delete;

    result<void> open() {
        auto w = pg_connection::open(info_);
        if (!w) {
            return std::move(w).error();
        }
        if (auto r = migrate(*w, clock_); !r) {
            return r;
        }
        if (auto r = setup_writer_connection(*w); !r) {
            return r;
        }
        writer_ = std::move(*w);
        if (auto r = pool_.open_all(); !r) {
            return r;
        }
        start_writer();
        log::info("store_opened", {{"backend", "postgresql"},
                                   {"host", info_.host()},
                                   {"port", info_.port()},
                                   {"dbname", info_.dbname()},
                                   {"schema_version", latest_schema_version},
                                   {"pool_size", options_.pool_size},
                                   {"max_pending_writes", options_.max_pending_writes}});
        return {};
    }

    // --- workers ----------------------------------------------------------------------

    result<std::optional<job>> claim(std::string_view owner, time_point now, milliseconds lease,
                                     const std::vector<std::string>& kinds) override {
        if (auto r = detail::check_claim(owner); !r) {
            return r.error();
        }
        std::optional<std::vector<std::string>> kind_list;
        if (!kinds.empty()) {
            kind_list = kinds;
        }
        pg_params p;
        p.int64(to_unix_ms(now)).text(owner).int64(to_unix_ms(now + lease)).text_array(kind_list);
        auto r = run(stmt::claim, p);
        if (!r) {
            return std::move(r).error();
        }
        if (r->rows() == 0) {
            return std::optional<job>{};
        }
        return std::optional<job>{read_job(pg_row(*r, 0))};
    }

    result<void> extend_lease(job_id id, std::string_view owner, time_point until) override {
        pg_params p;
        p.int64(id).text(owner).int64(to_unix_ms(until)).int64(to_unix_ms(clock_.now()));
        return run_owned(stmt::extend, p, "extend_lease");
    }

    result<void> save_checkpoint(job_id id, std::string_view owner,
                                 std::string_view checkpoint) override {
        pg_params p;
        p.int64(id).text(owner).text(checkpoint).int64(to_unix_ms(clock_.now()));
        return run_owned(stmt::checkpoint, p, "save_checkpoint");
    }

    result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) override {
        pg_params p;
        p.int64(id).text(owner).text(outcome).int64(to_unix_ms(clock_.now()));
        return run_owned(stmt::done, p, "done");
    }

    result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                            std::string_view error) override {
        pg_params p;
        p.int64(id)
            .text(owner)
            .int64(to_unix_ms(next_run_at))
            .text(error)
            .int64(to_unix_ms(clock_.now()));
        return run_owned(stmt::retry, p, "retry");
    }

    result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) override {
        pg_params p;
        p.int64(id).text(owner).text(error).int64(to_unix_ms(clock_.now()));
        return run_owned(stmt::dead, p, "dead");
    }

    result<int> release_leases(std::string_view owner) override {
        pg_params p;
        p.text(owner).int64(to_unix_ms(clock_.now())).text(detail::release_reason(owner));
        auto r = run(stmt::release, p);
        if (!r) {
            return std::move(r).error();
        }
        return static_cast<int>(r->int64(0, 0));
    }

    result<job_id> add_job(const new_job& j, time_point run_at) override {
        if (auto r = detail::check_new_job(j); !r) {
            return r.error();
        }
        pg_params p;
        p.text(j.kind)
            .text(j.payload)
            .int64(to_unix_ms(run_at))
            .text(j.correlation_id)
            .text(j.unique_key)
            .int64(to_unix_ms(clock_.now()))
            .text(j.subject);
        auto r = run(stmt::insert_job, p);
        if (!r) {
            return std::move(r).error();
        }
        if (r->rows() == 1) {
            return job_id{r->int64(0, 0)};
        }
        // The unique key is taken (by a committed job: the insert waited for any other).
        pg_params k;
        k.text(j.unique_key);
        auto found = run(stmt::find_job_by_key, k, true);
        if (!found) {
            return std::move(found).error();
        }
        if (found->rows() != 1) {
            return make_error(errc::unavailable, "add_job: the job holding the key is gone");
        }
        return job_id{found->int64(0, 0)};
    }

    result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                       time_point now, milliseconds ttl) override {
        if (auto r = detail::check_singleton(name, owner); !r) {
            return r.error();
        }
        pg_params p;
        p.text(name).text(owner).int64(to_unix_ms(now + ttl)).int64(to_unix_ms(now));
        auto r = run(stmt::singleton, p);
        if (!r) {
            return std::move(r).error();
        }
        return r->rows() == 1;
    }

    // --- evaluations and audit --------------------------------------------------------

    result<void> upsert_evaluation(const evaluation_record& e) override {
        if (auto r = detail::check_evaluation(e); !r) {
            return r;
        }
        const time_point now = clock_.now();
        pg_params p;
        p.text(e.eval_id)
            .text(e.flow)
            .text(e.application_id)
            .text(e.candidate_id)
            .int64(e.job)
            .text(e.state)
            .text(e.decision)
            .text(e.docv_token)
            .int64(detail::unix_ms_or(e.created_at, now))
            .int64(detail::unix_ms_or(e.updated_at, now))
            .int64(to_unix_ms(e.expires_at));
        auto r = run(stmt::upsert_evaluation, p);
        if (!r) {
            return std::move(r).error();
        }
        return {};
    }

    result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) override {
        return one_evaluation(stmt::find_evaluation, eval_id);
    }

    result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) override {
        if (token.empty()) {
            return std::optional<evaluation_record>{};
        }
        return one_evaluation(stmt::find_evaluation_by_token, token);
    }

    result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) override {
        pg_params p;
        p.text(candidate_id);
        auto r = run(stmt::evaluations_for_candidate, p, true);
        if (!r) {
            return std::move(r).error();
        }
        return read_all<evaluation_record>(*r, read_evaluation<pg_row>);
    }

    result<std::vector<evaluation_record>> stale_evaluations(const std::vector<std::string>& states,
                                                             time_point before,
                                                             int limit) override {
        if (states.empty()) {
            return std::vector<evaluation_record>{};
        }
        pg_params p;
        p.text_array(states).int64(to_unix_ms(before)).int64(sql_limit(limit));
        auto r = run(stmt::stale_evaluations, p, true);
        if (!r) {
            return std::move(r).error();
        }
        return read_all<evaluation_record>(*r, read_evaluation<pg_row>);
    }

    result<void> append_audit(const audit_entry& e) override {
        pg_params p;
        p.int64(e.job)
            .int64(detail::unix_ms_or(e.at, clock_.now()))
            .text(e.step)
            .text(e.outcome)
            .text(e.detail);
        auto r = run(stmt::insert_audit, p);
        if (!r) {
            return std::move(r).error();
        }
        return {};
    }

    result<std::vector<audit_entry>> audit_for_job(job_id id) override {
        pg_params p;
        p.int64(id);
        auto r = run(stmt::audit_for_job, p, true);
        if (!r) {
            return std::move(r).error();
        }
        return read_all<audit_entry>(*r, read_audit_entry<pg_row>);
    }

    // --- operations -------------------------------------------------------------------

    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) override {
        pg_params p;
        if (state) {
            p.text(std::string_view{to_string(*state)});
        }
        p.int64(sql_limit(limit));
        auto r = run(state ? stmt::list_jobs_by_state : stmt::list_jobs, p, true);
        if (!r) {
            return std::move(r).error();
        }
        return read_all<job>(*r, read_job<pg_row>);
    }

    result<std::optional<job>> get_job(job_id id) override {
        pg_params p;
        p.int64(id);
        auto r = run(stmt::get_job, p, true);
        if (!r) {
            return std::move(r).error();
        }
        if (r->rows() == 0) {
            return std::optional<job>{};
        }
        return std::optional<job>{read_job(pg_row(*r, 0))};
    }

    result<std::vector<job_attempt>> job_attempts(job_id id) override {
        pg_params p;
        p.int64(id);
        auto r = run(stmt::job_attempts, p, true);
        if (!r) {
            return std::move(r).error();
        }
        return read_all<job_attempt>(*r, read_job_attempt<pg_row>);
    }

    result<int> retry_dead(std::optional<job_id> id, time_point now) override {
        pg_params p;
        p.int64(to_unix_ms(now));
        if (id) {
            p.int64(*id);
        }
        auto r = run(id ? stmt::retry_dead_one : stmt::retry_dead_all, p);
        if (!r) {
            return std::move(r).error();
        }
        return r->affected();
    }

    result<int> purge_finished(time_point older_than) override {
        auto c = pool_.acquire();
        if (!c) {
            return std::move(c).error();
        }
        auto touched = detail::pg_purge(**c, older_than);
        if (touched && *touched > 0) {
            log::info("store_purged", {{"rows", *touched}});
        }
        return touched;
    }

    result<erasure_report> erase_candidate(const erasure_request& req) override {
        auto c = pool_.acquire();
        if (!c) {
            return std::move(c).error();
        }
        return detail::pg_erase_candidate(**c, req);
    }

    result<int> merge_candidate(std::string_view from, std::string_view into,
                                time_point at) override {
        auto c = pool_.acquire();
        if (!c) {
            return std::move(c).error();
        }
        return detail::pg_merge_candidate(**c, from, into, at);
    }

    result<std::vector<quarantine_entry>> list_quarantine(int limit) override {
        pg_params p;
        p.int64(sql_limit(limit));
        auto r = run(stmt::list_quarantine, p, true);
        if (!r) {
            return std::move(r).error();
        }
        return read_all<quarantine_entry>(*r, read_quarantine_entry<pg_row>);
    }

    result<store_stats> stats() override {
        store_stats out = detail::empty_stats();
        const pg_params none;
        auto by_state = run(stmt::count_by_state, none, true);
        if (!by_state) {
            return std::move(by_state).error();
        }
        for (int i = 0; i < by_state->rows(); ++i) {
            if (auto st = parse_job_state(by_state->text(i, 0))) {
                out.jobs_by_state[*st] = by_state->int64(i, 1);
            }
        }
        auto totals = run(stmt::count_totals, none, true);
        if (!totals) {
            return std::move(totals).error();
        }
        out.deliveries = totals->int64(0, 0);
        out.quarantined = totals->int64(0, 1);
        out.pending_writes = pending_writes();
        return out;
    }

private:
    // --- connections ------------------------------------------------------------------

    result<void> setup_writer_connection(pg_connection& c) {
        if (auto r = configure_session(c, options_, true); !r) {
            return r;
        }
        if (auto r = prepare_range(c, stmt::enqueue, stmt::find_delivery); !r) {
            return r;
        }
        // Pipelined batches are sent without blocking (see pg_connection::flush).
        if (PQsetnonblocking(c.get(), 1) != 0) {
            return make_error(errc::unavailable, "cannot make the writer connection non-blocking");
        }
        return {};
    }

    result<void> setup_pool_connection(pg_connection& c) {
        if (auto r = configure_session(c, options_, false); !r) {
            return r;
        }
        return prepare_range(c, stmt::claim, static_cast<stmt>(std::size(statements) - 1));
    }

    /// Runs one prepared statement on a pooled connection. A read (`idempotent`) that finds
    /// its connection broken runs once more on a fresh one; a write does not (it may have
    /// committed), and reports unavailable.
    result<pg_result> run(stmt s, const pg_params& p, bool idempotent = false) {
        for (int attempt = 0;; ++attempt) {
            auto c = pool_.acquire();
            if (!c) {
                return std::move(c).error();
            }
            pg_result r = (*c)->exec_prepared(def(s).name, p);
            if (r.ok()) {
                return r;
            }
            error e = (*c)->fail(r, def(s).name);
            if (!(*c)->ok() && idempotent && attempt == 0 && pool_.reconnect(*c)) {
                continue;  // e.g. the server restarted since this connection was last used
            }
            if (e.code == errc::unavailable) {
                log::warn("store_statement_failed", {{"statement", def(s).name},
                                                     {"sqlstate", r.sqlstate()},
                                                     {"connection_ok", (*c)->ok()}});
            }
            return e;
        }
    }

    /// An UPDATE guarded by "state = 'running' AND lease_owner = $2": no row is a conflict
    /// (the lease was lost).
    result<void> run_owned(stmt s, const pg_params& p, const char* what) {
        auto r = run(s, p);
        if (!r) {
            return std::move(r).error();
        }
        if (r->affected() == 0) {
            return detail::lease_not_held(what);
        }
        return {};
    }

    result<std::optional<evaluation_record>> one_evaluation(stmt s, std::string_view key) {
        pg_params p;
        p.text(key);
        auto r = run(s, p, true);
        if (!r) {
            return std::move(r).error();
        }
        if (r->rows() == 0) {
            return std::optional<evaluation_record>{};
        }
        return std::optional<evaluation_record>{read_evaluation(pg_row(*r, 0))};
    }

    // --- the writer -------------------------------------------------------------------

    bool probe_writable() override { return ensure_writer(); }

    void on_writer_exception() override { drop_writer(); }

    /// The writer's connection, reconnected when it was lost. False when it cannot be had.
    bool ensure_writer() {
        if (writer_.ok()) {
            return true;
        }
        writer_.close();
        auto c = pg_connection::open(info_);
        std::optional<error> failure;
        if (!c) {
            failure = std::move(c).error();
        } else if (auto r = setup_writer_connection(*c); !r) {
            failure = r.error();
        }
        if (!failure) {
            writer_ = std::move(*c);
            reconnect_logged_ = false;
            log::info("store_reconnected", {{"connection", "writer"}});
            return true;
        }
        if (!reconnect_logged_) {  // once per outage, not once a second
            log::error("store_writer_reconnect_failed",
                       {{"code", to_string(failure->code)}, {"error", failure->message}});
            reconnect_logged_ = true;
        }
        return false;
    }

    void drop_writer() { writer_.close(); }

    void commit_batch(write_batch& batch) override {
        // Rows are locked in one order by every replica's writer (source, key), which keeps
        // concurrent batches holding copies of the same deliveries from deadlocking; copies
        // within the batch keep their arrival order, so the first is the one accepted.
        std::vector<write_item*> order;
        order.reserve(batch.size());
        for (auto& item : batch) {
            order.push_back(&item);
        }
        std::stable_sort(order.begin(), order.end(), [](const write_item* a, const write_item* b) {
            if (a->is_quarantine != b->is_quarantine) {
                return a->is_quarantine < b->is_quarantine;
            }
            if (a->is_quarantine) {
                return false;
            }
            const auto& x = a->request.delivery;
            const auto& y = b->request.delivery;
            return std::tie(x.source, x.key) < std::tie(y.source, y.key);
        });

        const auto started = std::chrono::steady_clock::now();
        bool answered = false;  // every item's outcome is set
        bool healthy = false;   // and the last statement on the connection succeeded
        for (int attempt = 1; attempt <= batch_attempts && !answered; ++attempt) {
            const batch_end end = run_batch(order);
            if (end == batch_end::committed) {
                answered = healthy = true;
            } else if (end == batch_end::item_failed) {
                healthy = run_one_by_one(order);
                answered = true;
            } else if (end == batch_end::failed) {
                break;
            }
        }
        if (healthy) {
            note_commit(batch.size(), started);
            complete_duplicates(order);
        } else {
            mark_unwritable();
        }
        if (!answered) {
            fail_batch(batch);
        }
    }

    /// A copy of a delivery committed by another replica while this batch's statement ran is
    /// a duplicate whose job id that statement could not see: read it now.
    void complete_duplicates(const std::vector<write_item*>& items) {
        for (write_item* item : items) {
            if (item->is_quarantine || !item->request.job ||
                item->outcome.status != enqueue_status::duplicate || item->outcome.id != 0 ||
                !writer_.ok()) {
                continue;
            }
            pg_params p;
            p.text(item->request.delivery.source).text(item->request.delivery.key);
            pg_result r = writer_.exec_prepared(def(stmt::find_delivery).name, p);
            if (r.ok() && r.rows() == 1) {
                item->outcome.id = r.int64(0, 0);
            }
        }
    }

    pg_params params_for(const write_item& item) const {
        pg_params p;
        if (item.is_quarantine) {
            const auto& q = item.quarantine;
            p.text(q.source)
                .text(q.reason)
                .text(q.request_id)
                .bytes(q.body)
                .int64(static_cast<std::int64_t>(q.body.size()))
                .int64(item.received_ms);
            return p;
        }
        const auto& d = item.request.delivery;
        p.text(d.source).text(d.key).int64(item.received_ms);
        if (const auto& j = item.request.job) {
            p.text(j->kind)
                .text(j->payload)
                .text(j->correlation_id)
                .text(j->unique_key)
                .text(j->subject);
        } else {
            p.null().null().null().null().null();
        }
        return p;
    }

    static const char* statement_for(const write_item& item) {
        return item.is_quarantine ? def(stmt::quarantine).name : def(stmt::enqueue).name;
    }

    /// Sets the item's outcome from its statement's successful result.
    static void record(write_item& item, const pg_result& r) {
        if (item.is_quarantine) {
            item.quarantine_outcome = {};
            return;
        }
        const bool stored = r.rows() == 1 && r.int64(0, 0) == 1;
        const bool created = r.rows() == 1 && r.int64(0, 1) == 1;
        const job_id id = r.rows() == 1 ? r.int64(0, 2) : 0;
        if (!stored) {
            item.outcome = {enqueue_status::duplicate, id, {}, true};
        } else if (item.request.job && !created) {
            item.outcome = {enqueue_status::duplicate, id, {}};  // unique_key taken
        } else {
            item.outcome = {enqueue_status::accepted, id, {}};
        }
    }

    /// One transaction for the whole batch, sent as one pipeline:
    /// BEGIN, a statement per item, COMMIT, sync.
    batch_end run_batch(const std::vector<write_item*>& items) {
        if (!ensure_writer()) {
            return batch_end::failed;
        }
        PGconn* c = writer_.get();
        const auto deadline = std::chrono::steady_clock::now() + writer_io_timeout;
        if (PQenterPipelineMode(c) != 1) {
            drop_writer();
            return batch_end::again;
        }
        bool sent = PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
        for (std::size_t i = 0; sent && i < items.size(); ++i) {
            sent = writer_.send_prepared(statement_for(*items[i]), params_for(*items[i]));
        }
        sent = sent &&
               PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
               PQpipelineSync(c) == 1 && writer_.flush(deadline);
        if (!sent) {
            log::warn("store_write_failed", {{"step", "send"}, {"batch", items.size()}});
            drop_writer();
            return batch_end::again;
        }

        // Results: one per command (each followed by a null), then the sync point.
        const std::size_t commands = items.size() + 2;
        std::size_t command = 0;
        bool committed = false;
        std::string first_state;
        for (;;) {
            if (!writer_.wait_result(deadline)) {
                log::warn("store_write_failed", {{"step", "receive"}, {"batch", items.size()}});
                drop_writer();
                return batch_end::again;
            }
            PGresult* raw = PQgetResult(c);
            if (raw == nullptr) {
                if (!writer_.ok() || ++command > commands) {
                    drop_writer();
                    return batch_end::again;
                }
                continue;
            }
            pg_result r(raw);
            if (r.status() == PGRES_PIPELINE_SYNC) {
                break;
            }
            if (command >= commands) {
                drop_writer();
                return batch_end::again;
            }
            if (r.status() == PGRES_FATAL_ERROR && first_state.empty()) {
                first_state = r.sqlstate().empty() ? std::string("?????") : r.sqlstate();
                log::warn("store_write_failed", {{"step", command == 0              ? "begin"
                                                          : command == commands - 1 ? "commit"
                                                                                    : "item"},
                                                 {"sqlstate", first_state},
                                                 {"error", r.message()},
                                                 {"batch", items.size()}});
            } else if (r.ok() && command > 0 && command < commands - 1) {
                record(*items[command - 1], r);
            } else if (r.ok() && command == commands - 1) {
                committed = std::string_view(PQcmdStatus(r.get())) == "COMMIT";
            }
        }
        if (PQexitPipelineMode(c) != 1) {
            drop_writer();
            return committed ? batch_end::committed : batch_end::again;
        }
        if (PQtransactionStatus(c) != PQTRANS_IDLE) {
            pg_result rb(PQexec(c, "ROLLBACK"));
            if (!rb.ok()) {
                drop_writer();
            }
        }
        if (committed) {
            return batch_end::committed;
        }
        if (!writer_.ok()) {
            drop_writer();
            return batch_end::again;
        }
        const std::string_view cls = std::string_view(first_state).substr(0, 2);
        if (cls == "22" || cls == "23") {
            return batch_end::item_failed;
        }
        if (first_state == "40001" || first_state == "40P01") {
            return batch_end::again;
        }
        return batch_end::failed;
    }

    /// After a batch failed on one item's data: each item in its own transaction, so only
    /// the refused one is answered unavailable. Sets every item's outcome; false when the
    /// database itself failed (that item and the ones after it are answered unavailable).
    bool run_one_by_one(const std::vector<write_item*>& items) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            write_item& item = *items[i];
            pg_result r;
            if (ensure_writer()) {
                r = writer_.exec_prepared(statement_for(item), params_for(item));
                if (r.ok()) {
                    record(item, r);
                    continue;
                }
            }
            const std::string state = r.sqlstate();
            const std::string_view cls = std::string_view(state).substr(0, 2);
            const bool refused = writer_.ok() && (cls == "22" || cls == "23");
            log::warn("store_write_refused", {{"sqlstate", state}, {"error", r.message()}});
            for (std::size_t j = i; j < (refused ? i + 1 : items.size()); ++j) {
                items[j]->outcome = {
                    enqueue_status::unavailable, 0,
                    refused ? "the database refused the request" : "database error"};
                items[j]->quarantine_outcome =
                    make_error(errc::unavailable,
                               refused ? "the database refused the request" : "database error");
            }
            if (!refused) {
                if (!writer_.ok()) {
                    drop_writer();
                }
                return false;
            }
        }
        return true;
    }

    postgres_options options_;
    pg_conninfo info_;
    connection_pool pool_;

    pg_connection writer_;           ///< the writer thread's (and open()'s, before it starts)
    bool reconnect_logged_ = false;  ///< writer thread only
};

#undef RB_JOB_COLUMNS
#undef RB_EVAL_COLUMNS

}  // namespace

result<std::unique_ptr<job_store>> make_postgres_store(const postgres_options& options,
                                                       clock& clk) {
    if (options.url.empty()) {
        return make_error(errc::invalid_argument, "store: postgres_url is empty");
    }
    auto info = pg_conninfo::parse(options.url, options.connect_timeout);
    if (!info) {
        return std::move(info).error();
    }
    try {
        auto store = std::make_unique<postgres_store>(options, std::move(*info), clk);
        if (auto r = store->open(); !r) {
            log::error("store_open_failed",
                       {{"backend", "postgresql"}, {"code", to_string(r.error().code)}});
            return r.error();
        }
        return std::unique_ptr<job_store>(std::move(store));
    } catch (const std::exception&) {
        return make_error(errc::internal, "store: cannot start the PostgreSQL store");
    }
}

}  // namespace riskbridge::store
