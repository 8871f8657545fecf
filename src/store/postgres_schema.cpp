// The PostgreSQL store's schema (postgres_schema.hpp): its migrations, applied in one
// transaction under a transaction-scoped advisory lock so that replicas starting together
// apply them once.

#include "store/postgres_schema.hpp"

#include <iterator>
#include <string>

#include "riskbridge/observability/log.hpp"
#include "store/schema.hpp"

namespace riskbridge::store::detail {

namespace {

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
    {4, R"sql(
-- Step 4 widens SQLite's claim index (jobs_due) so a claim by kind reads the index alone.
-- PostgreSQL's claim locks every row it takes (FOR UPDATE SKIP LOCKED) and so visits the row
-- anyway: its jobs_due stays as it is, and the step only keeps both stores at one version.
SELECT 1;
)sql"},
};

constexpr int latest_schema_version = migrations[std::size(migrations) - 1].version;

/// The key of the advisory lock migrations hold ("riskbridge" in ASCII, as a number).
constexpr long long migration_lock_key = 0x7269736b62726964LL;

result<int> read_schema_version(const pg_connection& c) {
    pg_result r(PQexec(c.get(), "SELECT coalesce(max(version), 0) FROM schema_version"));
    if (!r.ok() || r.rows() != 1) {
        return c.fail(r, "schema_version");
    }
    return static_cast<int>(r.int64(0, 0));
}

}  // namespace

int pg_latest_schema_version() noexcept {
    return latest_schema_version;
}

result<void> pg_migrate(const pg_connection& c, clock& clk) {
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
        return fail(newer_schema(*current, latest_schema_version));
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

}  // namespace riskbridge::store::detail
