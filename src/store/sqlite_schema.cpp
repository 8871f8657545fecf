// The SQLite store's schema: its migration steps, the schema version table, and the widening
// of the jobs table's state check (sqlite_schema.hpp). The schema at the latest step is
// described in schema_description.hpp; the schema tests compare the two.

#include "store/sqlite_schema.hpp"

#include <sqlite3.h>

#include <iterator>
#include <string>
#include <utility>

#include "riskbridge/observability/log.hpp"
#include "store/schema.hpp"
#include "store/sqlite_connection.hpp"

namespace riskbridge::store::detail {

namespace {

// Ordered; a step is never edited once released, later changes are new steps.
constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,
    payload        TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL
                   CHECK (state IN ('queued', 'running', 'retry_wait', 'done', 'dead')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_run_at    INTEGER NOT NULL,
    lease_owner    TEXT    NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    checkpoint     TEXT    NOT NULL DEFAULT '',
    correlation_id TEXT    NOT NULL DEFAULT '',
    unique_key     TEXT    UNIQUE,
    outcome        TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
-- The claim query: the oldest due queued/retry_wait job, and the oldest expired lease.
CREATE INDEX jobs_due ON jobs (next_run_at, id) WHERE state IN ('queued', 'retry_wait');
CREATE INDEX jobs_lease ON jobs (lease_until, id) WHERE state = 'running';
-- Listing by state (newest first) and counting by state.
CREATE INDEX jobs_state ON jobs (state, id);
-- Retention.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'dead');

CREATE TABLE deliveries (
    source      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    job_id      INTEGER REFERENCES jobs (id),
    received_at INTEGER NOT NULL,
    PRIMARY KEY (source, key)
) WITHOUT ROWID;

CREATE TABLE job_attempts (
    job_id      INTEGER NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_attempts_job ON job_attempts (job_id, attempt);

CREATE TABLE evaluations (
    eval_id        TEXT    PRIMARY KEY,
    flow           TEXT    NOT NULL,
    application_id TEXT    NOT NULL DEFAULT '',
    candidate_id   TEXT    NOT NULL DEFAULT '',
    job_id         INTEGER NOT NULL DEFAULT 0,
    state          TEXT    NOT NULL,
    decision       TEXT    NOT NULL DEFAULT '',
    docv_token     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX evaluations_candidate ON evaluations (candidate_id);
CREATE INDEX evaluations_docv_token ON evaluations (docv_token);
CREATE INDEX evaluations_state ON evaluations (state, updated_at);

CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    request_id  TEXT    NOT NULL DEFAULT '',
    body        BLOB,
    body_bytes  INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX quarantine_received ON quarantine (received_at);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    job_id  INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    step    TEXT    NOT NULL,
    outcome TEXT    NOT NULL,
    detail  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_job ON audit (job_id, id);
)sql"},
    {2, R"sql(
-- Named leases for periodic work that runs in one process at a time (see
-- job_store::try_acquire_singleton); trivial on one node, kept for the same semantics.
CREATE TABLE singletons (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    lease_until INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    {3, R"sql(
-- Erasure: who each job is about (a candidate id or an eval_id), and a final state for the
-- jobs of an erased candidate ('cancelled': added to the state check by
-- allow_cancelled_state, as SQLite cannot alter a CHECK constraint).
ALTER TABLE jobs ADD COLUMN subject TEXT;
CREATE INDEX jobs_subject ON jobs (subject) WHERE subject IS NOT NULL;
UPDATE jobs SET subject = (SELECT e.candidate_id FROM evaluations e
                           WHERE e.job_id = jobs.id AND e.candidate_id <> '' LIMIT 1)
 WHERE subject IS NULL;
-- Retention over every table.
CREATE INDEX jobs_ended ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX deliveries_received ON deliveries (received_at);
CREATE INDEX job_attempts_finished ON job_attempts (finished_at);
CREATE INDEX audit_at ON audit (at);
)sql"},
    {4, R"sql(
-- The claim index also holds each due job's kind and state, so a worker pool that runs a few
-- kinds only (the privacy pool) reads past other kinds' due jobs in the index alone, without a
-- row lookup each: its idle poll over a long backlog costs half as much.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (next_run_at, id, kind, state) WHERE state IN ('queued', 'retry_wait');
)sql"},
};

constexpr int latest_schema_version = migrations[std::size(migrations) - 1].version;

/// The step that also needs allow_cancelled_state.
constexpr int cancelled_state_step = 3;

result<int> read_schema_version(const database& db) {
    auto exists = db.query_text(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!exists) {
        return std::move(exists).error();
    }
    if (*exists == "0") {
        return 0;
    }
    auto v = db.query_text("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!v) {
        return std::move(v).error();
    }
    try {
        return std::stoi(*v);
    } catch (...) {
        return make_error(errc::io_error, "the store's schema_version is not a number");
    }
}

}  // namespace

int sqlite_latest_schema_version() noexcept {
    return latest_schema_version;
}

result<void> sqlite_migrate(const database& db, clock& clk) {
    auto current = read_schema_version(db);
    if (!current) {
        return std::move(current).error();
    }
    if (*current > latest_schema_version) {
        return newer_schema(*current, latest_schema_version);
    }
    if (*current == latest_schema_version) {
        return {};
    }
    occasional_transaction t(db);
    if (auto r = t.begin(); !r) {
        return r;
    }
    if (auto r = db.exec("CREATE TABLE IF NOT EXISTS schema_version ("
                         "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        !r) {
        return r;
    }
    current = read_schema_version(db);  // another process may have migrated meanwhile
    if (!current) {
        return std::move(current).error();
    }
    if (*current > latest_schema_version) {
        return newer_schema(*current, latest_schema_version);
    }
    auto record =
        db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)", false);
    if (!record) {
        return std::move(record).error();
    }
    for (const auto& m : migrations) {
        if (m.version <= *current) {
            continue;
        }
        if (auto r = db.exec(m.sql); !r) {
            return make_error(r.error().code, "schema migration " + std::to_string(m.version) +
                                                  " failed: " + r.error().message);
        }
        if (m.version == cancelled_state_step) {
            if (auto r = allow_cancelled_state(db); !r) {
                return make_error(r.error().code,
                                  "schema migration 3 failed: " + r.error().message);
            }
        }
        use u(*record);
        u->bind(1, m.version);
        u->bind(2, to_unix_ms(clk.now()));
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db.fail(rc, "schema_version");
        }
    }
    if (auto r = t.commit(); !r) {
        return r;
    }
    log::info("store_schema_migrated", {{"from", *current}, {"to", latest_schema_version}});
    return {};
}

result<void> allow_cancelled_state(const database& db) {
    // SQLite cannot alter a CHECK constraint. A change that leaves every stored row valid may
    // edit the table's definition in place, with the schema version bumped in the same
    // transaction (https://www.sqlite.org/lang_altertable.html#otheralter): widening the
    // state check is such a change.
    auto version = db.query_text("PRAGMA schema_version");
    if (!version) {
        return std::move(version).error();
    }
    long long next = 0;
    try {
        next = std::stoll(*version) + 1;
    } catch (const std::exception&) {
        return make_error(errc::io_error, "the SQLite schema version is not a number");
    }
    if (auto r = db.exec("PRAGMA writable_schema=ON"); !r) {
        return r;
    }
    auto changed = db.run("allow_cancelled_state",
                          "UPDATE sqlite_schema SET sql = replace(sql, "
                          "'''retry_wait'', ''done'', ''dead'')', "
                          "'''retry_wait'', ''done'', ''dead'', ''cancelled'')') "
                          "WHERE type = 'table' AND name = 'jobs'");
    if (!changed) {
        (void)db.exec("PRAGMA writable_schema=OFF");
        return std::move(changed).error();
    }
    if (auto r = db.exec("PRAGMA schema_version=" + std::to_string(next)); !r) {
        (void)db.exec("PRAGMA writable_schema=OFF");
        return r;
    }
    if (auto r = db.exec("PRAGMA writable_schema=OFF"); !r) {
        return r;
    }
    auto check = db.query_text(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND "
        "name = 'jobs'");
    if (!check) {
        return std::move(check).error();
    }
    if (check->find("'cancelled'") == std::string::npos) {
        return make_error(errc::io_error, "the jobs table's state check was not widened");
    }
    return {};
}

}  // namespace riskbridge::store::detail
