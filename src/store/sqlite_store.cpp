// The SQLite job store.
//
// Connections (each used by one thread at a time):
// - writer: owned by the writer thread (group_commit_store.hpp), which commits the queued
//   ingestion requests (enqueue_async, quarantine_async) in one transaction (group commit: one
//   fsync for many requests, synchronous=FULL) before they are answered.
// - sync: mutex-guarded, for the synchronous writes of workers, the CLI and tests. It and the
//   writer take turns through an in-process gate (write_gate_) rather than SQLite's busy
//   handler.
// - read: mutex-guarded, for the synchronous reads, so they never queue behind an fsync.
// - checkpoint: owned by the checkpoint thread. Automatic checkpoints are off on every
//   connection (they would run inside a commit); this thread runs PASSIVE checkpoints once a
//   second when something was committed and at once when the WAL grows large, RESTART once
//   one has caught up (so the WAL starts over instead of growing), and TRUNCATE when neither
//   could keep the WAL small.
//
// Times are INTEGER unix milliseconds. Every statement is prepared once with bound parameters.

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/checks.hpp"
#include "store/group_commit_store.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_privacy.hpp"

namespace riskbridge::store {

namespace {

using detail::database;
using detail::migration;
using detail::read_audit_entry;
using detail::read_evaluation;
using detail::read_job;
using detail::read_job_attempt;
using detail::read_quarantine_entry;
using detail::statement;
using detail::use;
using detail::write_batch;
using detail::write_item;

// --- schema -------------------------------------------------------------------------------

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
};

constexpr int latest_schema_version = migrations[std::size(migrations) - 1].version;

#define RB_JOB_COLUMNS                                                                        \
    "id, kind, payload, state, attempts, next_run_at, lease_owner, lease_until, last_error, " \
    "checkpoint, correlation_id, unique_key, created_at, updated_at"

#define RB_EVAL_COLUMNS                                                                  \
    "eval_id, flow, application_id, candidate_id, job_id, state, decision, docv_token, " \
    "created_at, updated_at, expires_at"

/// SQLite LIMIT: a non-positive limit means no limit.
std::int64_t sql_limit(int limit) {
    return limit > 0 ? limit : -1;
}

// --- connections --------------------------------------------------------------------------

/// A busy handler with short sleeps (SQLite's default sleeps whole milliseconds, which
/// would dominate a group commit that takes a fraction of one) and an overall deadline.
struct busy_wait {
    milliseconds timeout{5'000};
    std::chrono::steady_clock::time_point started{};
};

int on_busy(void* ctx, int count) {
    auto* b = static_cast<busy_wait*>(ctx);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) {
        b->started = now;
    }
    if (now - b->started >= b->timeout) {
        return 0;
    }
    static constexpr int pause_us[] = {10, 20, 50, 100, 200, 500, 1000};
    const int i = std::min(count, static_cast<int>(std::size(pause_us)) - 1);
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us[i]));
    return 1;
}

/// The store's files hold applicants' personal data and the audit trail: readable by their
/// owner only, whatever the process umask. Each missing directory of `path` is created 0700
/// and a new database file 0600 (SQLite gives its -wal, -shm and journal files the mode of the
/// database file); an existing database, -wal or -shm file that others could read (one made
/// before this rule) is narrowed to 0600.
result<void> prepare_private_files(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path file(path);
    std::vector<fs::path> missing;  // innermost first
    for (fs::path dir = file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        std::error_code ec;
        if (fs::exists(dir, ec) || ec) {
            break;  // an error (no permission to look) is reported by mkdir or SQLite
        }
        missing.push_back(dir);
        if (dir == dir.parent_path()) {
            break;
        }
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
            const int err = errno;
            return make_error(errc::io_error, "cannot create the store's directory " +
                                                  it->string() + ": " + std::strerror(err));
        }
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);  // an empty file is an empty SQLite database
        return {};
    }
    // Already there (or not creatable, which opening it will report).
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const std::string name = path + suffix;
        struct stat st {};
        if (::stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) {
            continue;
        }
        if (::chmod(name.c_str(), S_IRUSR | S_IWUSR) == 0) {
            log::info("store_file_narrowed", {{"file", name}, {"mode", "0600"}});
        } else {
            log::warn("store_file_readable_by_others",
                      {{"file", name}, {"error", std::strerror(errno)}});
        }
    }
    return {};
}

result<database> open_connection(const std::string& path, busy_wait& busy) {
    auto db = database::open(path);
    if (!db) {
        return db;
    }
    sqlite3_busy_handler(db->get(), &on_busy, &busy);
    // Switching a new file to WAL takes an exclusive lock; connections (processes) opening it
    // at the same moment can get SQLITE_BUSY at once, without the busy handler (SQLite's
    // deadlock avoidance): try again until the busy timeout.
    const auto deadline = std::chrono::steady_clock::now() + busy.timeout;
    auto mode = db->query_text("PRAGMA journal_mode=WAL");
    while (!mode && mode.error().code == errc::unavailable &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        mode = db->query_text("PRAGMA journal_mode=WAL");
    }
    if (!mode) {
        return std::move(mode).error();
    }
    if (*mode != "wal") {
        return make_error(errc::io_error,
                          "the SQLite store cannot use WAL mode (got " + *mode + ")");
    }
    // Durable commits, enforced references, no checkpoint inside any commit, and deleted or
    // overwritten content zeroed in the file (an erased candidate's bytes do not linger in
    // free pages).
    if (auto r = db->exec("PRAGMA synchronous=FULL;"
                          "PRAGMA foreign_keys=ON;"
                          "PRAGMA temp_store=MEMORY;"
                          "PRAGMA wal_autocheckpoint=0;"
                          "PRAGMA secure_delete=ON;"
                          "PRAGMA journal_size_limit=67108864;");
        !r) {
        return r.error();
    }
    return db;
}

/// BEGIN IMMEDIATE / COMMIT / ROLLBACK, prepared once per connection.
struct tx_statements {
    statement begin, commit, rollback;

    result<void> prepare(const database& db) {
        for (auto [s, sql] : {std::pair{&begin, "BEGIN IMMEDIATE"}, std::pair{&commit, "COMMIT"},
                              std::pair{&rollback, "ROLLBACK"}}) {
            auto p = db.prepare(sql);
            if (!p) {
                return std::move(p).error();
            }
            *s = std::move(*p);
        }
        return {};
    }
};

/// A write transaction on a connection; rolls back unless committed.
class transaction {
public:
    transaction(const database& db, tx_statements& tx) : db_(db), tx_(tx) {}
    ~transaction() {
        if (active_ && sqlite3_get_autocommit(db_.get()) == 0) {
            use u(tx_.rollback);
            u->step();
        }
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    result<void> begin() {
        use u(tx_.begin);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db_.fail(rc, "begin");
        }
        active_ = true;
        return {};
    }
    result<void> commit() {
        use u(tx_.commit);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db_.fail(rc, "commit");
        }
        active_ = false;
        return {};
    }

private:
    const database& db_;
    tx_statements& tx_;
    bool active_ = false;
};

/// Prepares `sql` into `out`; the first failure is kept in `err`.
void prepare_into(const database& db, statement& out, const char* sql, std::optional<error>& err) {
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

/// Creates or upgrades the schema in one transaction. A no-op at the current version.
result<void> migrate(const database& db, clock& clk) {
    auto current = read_schema_version(db);
    if (!current) {
        return std::move(current).error();
    }
    if (*current > latest_schema_version) {
        return detail::newer_schema(*current, latest_schema_version);
    }
    if (*current == latest_schema_version) {
        return {};
    }
    tx_statements tx;
    if (auto r = tx.prepare(db); !r) {
        return r;
    }
    transaction t(db, tx);
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
        return detail::newer_schema(*current, latest_schema_version);
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
        if (m.version == 3) {
            if (auto r = detail::allow_cancelled_state(db); !r) {
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

// --- the store ----------------------------------------------------------------------------

struct writer_statements {
    tx_statements tx;
    statement savepoint, release, rollback_to;
    statement find_delivery, insert_delivery, insert_job, find_job_by_key, insert_quarantine;
};

struct sync_statements {
    tx_statements tx;
    statement due_queued, due_expired, claim, expired_attempt;
    statement extend, checkpoint, done, retry, dead, attempt_from_job;
    statement release_attempts, release;
    statement insert_job, find_job_by_key, singleton;
    statement upsert_evaluation, insert_audit;
    statement retry_dead_one, retry_dead_all;
};

struct read_statements {
    statement get_job, list_jobs, list_jobs_by_state, job_attempts;
    statement find_evaluation, find_evaluation_by_token, evaluations_for_candidate;
    statement stale_evaluations, audit_for_job, list_quarantine;
    statement count_by_state, count_deliveries, count_quarantine;
};

constexpr int checkpoint_wake_pages = 2'048;       ///< ~8 MB of WAL: checkpoint now
constexpr int checkpoint_restart_pages = 1'024;    ///< ~4 MB backfilled: start the WAL over
constexpr int checkpoint_truncate_pages = 16'384;  ///< ~64 MB left after PASSIVE: TRUNCATE

class sqlite_store final : public detail::group_commit_store {
public:
    sqlite_store(sqlite_options options, clock& clk)
        : group_commit_store(clk,
                             {options.max_pending_writes, options.max_batch, options.on_commit}),
          options_(std::move(options)) {
        for (busy_wait* b : {&writer_busy_, &sync_busy_, &read_busy_, &checkpoint_busy_}) {
            b->timeout = options_.busy_timeout;
        }
    }

    ~sqlite_store() override { shutdown(); }

    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    result<void> open() {
        if (auto files = prepare_private_files(options_.path); !files) {
            return files;
        }
        auto w = open_connection(options_.path, writer_busy_);
        if (!w) {
            return std::move(w).error();
        }
        writer_db_ = std::move(*w);
        if (auto r = migrate(writer_db_, clock_); !r) {
            return r;
        }
        auto s = open_connection(options_.path, sync_busy_);
        if (!s) {
            return std::move(s).error();
        }
        sync_db_ = std::move(*s);
        // The workers' state transitions (claim, reschedule, done, audit) commit without their
        // own flush: in WAL mode the next flush of the log (the writer's next group commit, a
        // checkpoint save, a checkpoint) makes every earlier frame durable, and what a power
        // cut loses is a suffix of transactions, i.e. the store as it was a moment earlier; a
        // job then runs again from its last durable checkpoint (at least once). Checkpoint
        // saves, which guard side effects, switch to FULL (save_checkpoint).
        if (auto r = sync_db_.exec("PRAGMA synchronous=NORMAL;"); !r) {
            return r;
        }
        auto rd = open_connection(options_.path, read_busy_);
        if (!rd) {
            return std::move(rd).error();
        }
        read_db_ = std::move(*rd);
        auto c = open_connection(options_.path, checkpoint_busy_);
        if (!c) {
            return std::move(c).error();
        }
        checkpoint_db_ = std::move(*c);
        if (auto r = prepare_statements(); !r) {
            return r;
        }
        // Count commits and watch the WAL's size on the connections that write.
        sqlite3_wal_hook(writer_db_.get(), &sqlite_store::on_wal_commit, this);
        sqlite3_wal_hook(sync_db_.get(), &sqlite_store::on_wal_commit, this);

        start_writer();
        checkpointer_ = std::thread([this] {
            set_thread_name("rb-checkpoint");
            checkpoint_loop();
        });
        log::info("store_opened", {{"backend", "sqlite"},
                                   {"schema_version", latest_schema_version},
                                   {"max_pending_writes", options_.max_pending_writes}});
        return {};
    }

    // --- workers ----------------------------------------------------------------------

    result<std::optional<job>> claim(std::string_view owner, time_point now, milliseconds lease,
                                     const std::vector<std::string>& kinds) override {
        if (auto r = detail::check_claim(owner); !r) {
            return r.error();
        }
        const std::int64_t now_ms = to_unix_ms(now);
        // The kinds travel as one JSON array parameter (json_each), so the statement stays
        // prepared whatever their number; none means any kind.
        std::optional<std::string> kinds_json;
        if (!kinds.empty()) {
            kinds_json = nlohmann::json(kinds).dump();
        }
        std::scoped_lock lock(sync_mutex_, write_gate_);
        // Look first without the write lock: idle polls never contend with the writer.
        auto peek = find_due(now_ms, kinds_json);
        if (!peek) {
            return std::move(peek).error();
        }
        if (!*peek) {
            return std::optional<job>{};
        }
        transaction t(sync_db_, sync_.tx);
        if (auto r = t.begin(); !r) {
            return r.error();
        }
        auto due = find_due(now_ms, kinds_json);
        if (!due) {
            return std::move(due).error();
        }
        if (!*due) {
            return std::optional<job>{};  // taken meanwhile (another process)
        }
        const due_job& d = **due;
        if (d.expired) {
            use u(sync_.expired_attempt);
            u->bind(1, d.id);
            u->bind(2, now_ms);
            const std::string why = "lease of " + d.owner + " expired";
            u->bind(3, why);
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return sync_db_.fail(rc, "claim");
            }
        }
        std::optional<job> claimed;
        {
            use u(sync_.claim);
            u->bind(1, d.id);
            u->bind(2, owner);
            u->bind(3, to_unix_ms(now + lease));
            u->bind(4, now_ms);
            const int rc = u->step();
            if (rc != SQLITE_ROW) {
                return sync_db_.fail(rc, "claim");
            }
            claimed = read_job(*u);
            if (const int end = u->step(); end != SQLITE_DONE) {
                return sync_db_.fail(end, "claim");
            }
        }
        if (auto r = t.commit(); !r) {
            return r.error();
        }
        return claimed;
    }

    result<void> extend_lease(job_id id, std::string_view owner, time_point until) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        use u(sync_.extend);
        u->bind(1, id);
        u->bind(2, owner);
        u->bind(3, to_unix_ms(until));
        u->bind(4, to_unix_ms(clock_.now()));
        return run_owned(*u, "extend_lease");
    }

    result<void> save_checkpoint(job_id id, std::string_view owner,
                                 std::string_view checkpoint) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        // Durable when it returns: a handler writes a checkpoint before and after each side
        // effect, and relies on it after a power cut as much as after a crash.
        struct full_sync {
            database& db;
            explicit full_sync(database& d) : db(d) { (void)db.exec("PRAGMA synchronous=FULL;"); }
            ~full_sync() { (void)db.exec("PRAGMA synchronous=NORMAL;"); }
        } durable(sync_db_);
        use u(sync_.checkpoint);
        u->bind(1, id);
        u->bind(2, owner);
        u->bind(3, checkpoint);
        u->bind(4, to_unix_ms(clock_.now()));
        return run_owned(*u, "save_checkpoint");
    }

    result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        const std::int64_t now_ms = to_unix_ms(clock_.now());
        return finish(id, "done", {}, now_ms, sync_.done, [&](statement& s) {
            s.bind(1, id);
            s.bind(2, owner);
            s.bind(3, outcome);
            s.bind(4, now_ms);
        });
    }

    result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                            std::string_view error) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        const std::int64_t now_ms = to_unix_ms(clock_.now());
        return finish(id, "retry", error, now_ms, sync_.retry, [&](statement& s) {
            s.bind(1, id);
            s.bind(2, owner);
            s.bind(3, to_unix_ms(next_run_at));
            s.bind(4, error);
            s.bind(5, now_ms);
        });
    }

    result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        const std::int64_t now_ms = to_unix_ms(clock_.now());
        return finish(id, "dead", error, now_ms, sync_.dead, [&](statement& s) {
            s.bind(1, id);
            s.bind(2, owner);
            s.bind(3, error);
            s.bind(4, now_ms);
        });
    }

    result<int> release_leases(std::string_view owner) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        const std::int64_t now_ms = to_unix_ms(clock_.now());
        transaction t(sync_db_, sync_.tx);
        if (auto r = t.begin(); !r) {
            return r.error();
        }
        {
            use u(sync_.release_attempts);
            u->bind(1, owner);
            u->bind(2, now_ms);
            u->bind(3, detail::release_reason(owner));
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return sync_db_.fail(rc, "release_leases");
            }
        }
        int released = 0;
        {
            use u(sync_.release);
            u->bind(1, owner);
            u->bind(2, now_ms);
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return sync_db_.fail(rc, "release_leases");
            }
            released = sqlite3_changes(sync_db_.get());
        }
        if (auto r = t.commit(); !r) {
            return r.error();
        }
        return released;
    }

    result<job_id> add_job(const new_job& j, time_point run_at) override {
        if (auto r = detail::check_new_job(j); !r) {
            return r.error();
        }
        std::scoped_lock lock(sync_mutex_, write_gate_);
        const std::int64_t now_ms = to_unix_ms(clock_.now());
        {
            use u(sync_.insert_job);
            u->bind(1, j.kind);
            u->bind(2, j.payload);
            u->bind(3, to_unix_ms(run_at));
            u->bind(4, j.correlation_id);
            u->bind(5, j.unique_key);
            u->bind(6, now_ms);
            u->bind(7, j.subject);
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return sync_db_.fail(rc, "add_job");
            }
            if (sqlite3_changes(sync_db_.get()) == 1) {
                return job_id{sqlite3_last_insert_rowid(sync_db_.get())};
            }
        }
        use u(sync_.find_job_by_key);
        u->bind(1, j.unique_key);
        if (const int rc = u->step(); rc != SQLITE_ROW) {
            return sync_db_.fail(rc, "add_job");
        }
        return job_id{u->int64(0)};
    }

    result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                       time_point now, milliseconds ttl) override {
        if (auto r = detail::check_singleton(name, owner); !r) {
            return r.error();
        }
        std::scoped_lock lock(sync_mutex_, write_gate_);
        use u(sync_.singleton);
        u->bind(1, name);
        u->bind(2, owner);
        u->bind(3, to_unix_ms(now + ttl));
        u->bind(4, to_unix_ms(now));
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return sync_db_.fail(rc, "try_acquire_singleton");
        }
        return sqlite3_changes(sync_db_.get()) == 1;
    }

    // --- evaluations and audit --------------------------------------------------------

    result<void> upsert_evaluation(const evaluation_record& e) override {
        if (auto r = detail::check_evaluation(e); !r) {
            return r;
        }
        std::scoped_lock lock(sync_mutex_, write_gate_);
        const time_point now = clock_.now();
        use u(sync_.upsert_evaluation);
        u->bind(1, e.eval_id);
        u->bind(2, e.flow);
        u->bind(3, e.application_id);
        u->bind(4, e.candidate_id);
        u->bind(5, e.job);
        u->bind(6, e.state);
        u->bind(7, e.decision);
        u->bind(8, e.docv_token);
        u->bind(9, detail::unix_ms_or(e.created_at, now));
        u->bind(10, detail::unix_ms_or(e.updated_at, now));
        u->bind(11, to_unix_ms(e.expires_at));
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return sync_db_.fail(rc, "upsert_evaluation");
        }
        return {};
    }

    result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) override {
        std::lock_guard lock(read_mutex_);
        return one_evaluation(read_.find_evaluation, eval_id);
    }

    result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) override {
        if (token.empty()) {
            return std::optional<evaluation_record>{};
        }
        std::lock_guard lock(read_mutex_);
        return one_evaluation(read_.find_evaluation_by_token, token);
    }

    result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) override {
        std::lock_guard lock(read_mutex_);
        use u(read_.evaluations_for_candidate);
        u->bind(1, candidate_id);
        return collect<evaluation_record>(*u, read_evaluation<statement>,
                                          "evaluations_for_candidate");
    }

    result<std::vector<evaluation_record>> stale_evaluations(const std::vector<std::string>& states,
                                                             time_point before,
                                                             int limit) override {
        std::vector<evaluation_record> all;
        std::lock_guard lock(read_mutex_);
        // One indexed query per state (state, updated_at), merged: no SQL built from values.
        for (const auto& state : states) {
            use u(read_.stale_evaluations);
            u->bind(1, state);
            u->bind(2, to_unix_ms(before));
            u->bind(3, sql_limit(limit));
            auto part =
                collect<evaluation_record>(*u, read_evaluation<statement>, "stale_evaluations");
            if (!part) {
                return std::move(part).error();
            }
            for (auto& e : *part) {
                all.push_back(std::move(e));
            }
        }
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return a.updated_at != b.updated_at ? a.updated_at < b.updated_at
                                                : a.eval_id < b.eval_id;
        });
        all.erase(std::unique(all.begin(), all.end(),
                              [](const auto& a, const auto& b) { return a.eval_id == b.eval_id; }),
                  all.end());
        if (limit > 0 && all.size() > static_cast<std::size_t>(limit)) {
            all.resize(static_cast<std::size_t>(limit));
        }
        return all;
    }

    result<void> append_audit(const audit_entry& e) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        use u(sync_.insert_audit);
        u->bind(1, e.job);
        u->bind(2, detail::unix_ms_or(e.at, clock_.now()));
        u->bind(3, e.step);
        u->bind(4, e.outcome);
        u->bind(5, e.detail);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return sync_db_.fail(rc, "append_audit");
        }
        return {};
    }

    result<std::vector<audit_entry>> audit_for_job(job_id id) override {
        std::lock_guard lock(read_mutex_);
        use u(read_.audit_for_job);
        u->bind(1, id);
        return collect<audit_entry>(*u, read_audit_entry<statement>, "audit_for_job");
    }

    // --- operations -------------------------------------------------------------------

    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) override {
        std::lock_guard lock(read_mutex_);
        if (state) {
            use u(read_.list_jobs_by_state);
            u->bind(1, to_string(*state));
            u->bind(2, sql_limit(limit));
            return collect<job>(*u, read_job<statement>, "list_jobs");
        }
        use u(read_.list_jobs);
        u->bind(1, sql_limit(limit));
        return collect<job>(*u, read_job<statement>, "list_jobs");
    }

    result<std::optional<job>> get_job(job_id id) override {
        std::lock_guard lock(read_mutex_);
        use u(read_.get_job);
        u->bind(1, id);
        const int rc = u->step();
        if (rc == SQLITE_DONE) {
            return std::optional<job>{};
        }
        if (rc != SQLITE_ROW) {
            return read_db_.fail(rc, "get_job");
        }
        return std::optional<job>{read_job(*u)};
    }

    result<std::vector<job_attempt>> job_attempts(job_id id) override {
        std::lock_guard lock(read_mutex_);
        use u(read_.job_attempts);
        u->bind(1, id);
        return collect<job_attempt>(*u, read_job_attempt<statement>, "job_attempts");
    }

    result<int> retry_dead(std::optional<job_id> id, time_point now) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        statement& s = id ? sync_.retry_dead_one : sync_.retry_dead_all;
        use u(s);
        u->bind(1, to_unix_ms(now));
        if (id) {
            u->bind(2, *id);
        }
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return sync_db_.fail(rc, "retry_dead");
        }
        return sqlite3_changes(sync_db_.get());
    }

    result<int> purge_finished(time_point older_than) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        auto touched = detail::sqlite_purge(sync_db_, older_than);
        if (touched && *touched > 0) {
            log::info("store_purged", {{"rows", *touched}});
        }
        return touched;
    }

    result<erasure_report> erase_candidate(const erasure_request& req) override {
        std::lock_guard lock(sync_mutex_);
        result<erasure_report> report = [&] {
            std::lock_guard gate(write_gate_);
            return detail::sqlite_erase_candidate(sync_db_, req);
        }();
        if (report) {
            // Outside the write gate: the truncation waits for the writer's batch in flight.
            detail::sqlite_truncate_wal(sync_db_);
        }
        return report;
    }

    result<int> merge_candidate(std::string_view from, std::string_view into,
                                time_point at) override {
        std::scoped_lock lock(sync_mutex_, write_gate_);
        return detail::sqlite_merge_candidate(sync_db_, from, into, at);
    }

    result<std::vector<quarantine_entry>> list_quarantine(int limit) override {
        std::lock_guard lock(read_mutex_);
        use u(read_.list_quarantine);
        u->bind(1, sql_limit(limit));
        return collect<quarantine_entry>(*u, read_quarantine_entry<statement>, "list_quarantine");
    }

    result<store_stats> stats() override {
        store_stats out = detail::empty_stats();
        {
            std::lock_guard lock(read_mutex_);
            {
                use u(read_.count_by_state);
                int rc = SQLITE_ROW;
                while ((rc = u->step()) == SQLITE_ROW) {
                    if (auto st = parse_job_state(u->text(0))) {
                        out.jobs_by_state[*st] = u->int64(1);
                    }
                }
                if (rc != SQLITE_DONE) {
                    return read_db_.fail(rc, "stats");
                }
            }
            for (auto [s, target] : {std::pair{&read_.count_deliveries, &out.deliveries},
                                     std::pair{&read_.count_quarantine, &out.quarantined}}) {
                use u(*s);
                if (const int rc = u->step(); rc != SQLITE_ROW) {
                    return read_db_.fail(rc, "stats");
                }
                *target = u->int64(0);
            }
        }
        out.pending_writes = pending_writes();
        return out;
    }

private:
    // --- the writer -------------------------------------------------------------------

    void commit_batch(write_batch& batch) override {
        const auto started = std::chrono::steady_clock::now();
        std::lock_guard gate(write_gate_);
        bool ok = false;
        {
            use u(writer_.tx.begin);
            const int rc = u->step();
            ok = rc == SQLITE_DONE;
            if (!ok) {
                log::error("store_begin_failed", {{"code", rc},
                                                  {"error", sqlite3_errmsg(writer_db_.get())},
                                                  {"batch", batch.size()}});
            }
        }
        if (ok) {
            for (auto& item : batch) {
                if (!apply(item)) {
                    ok = false;  // the transaction is gone: nothing of this batch is stored
                    break;
                }
            }
        }
        if (ok) {
            use u(writer_.tx.commit);
            const int rc = u->step();
            ok = rc == SQLITE_DONE;
            if (!ok) {
                log::error("store_commit_failed", {{"code", rc},
                                                   {"error", sqlite3_errmsg(writer_db_.get())},
                                                   {"batch", batch.size()}});
            }
        }
        if (!ok && sqlite3_get_autocommit(writer_db_.get()) == 0) {
            use u(writer_.tx.rollback);
            u->step();
        }
        if (ok) {
            note_commit(batch.size(), started);
        } else {
            mark_unwritable();
            fail_batch(batch);
        }
    }

    /// commit_batch() threw (allocation) inside its transaction: end it, or every later
    /// BEGIN would fail.
    void on_writer_exception() override {
        if (sqlite3_get_autocommit(writer_db_.get()) == 0) {
            use u(writer_.tx.rollback);
            u->step();
        }
    }

    /// The write lock can be had again (another process held it past the busy timeout, say).
    bool probe_writable() override {
        std::lock_guard gate(write_gate_);
        use begin(writer_.tx.begin);
        if (begin->step() != SQLITE_DONE) {
            return false;
        }
        use rollback(writer_.tx.rollback);
        return rollback->step() == SQLITE_DONE;
    }

    /// Runs one item inside the batch's transaction. False when the whole transaction was
    /// lost (SQLite rolled it back); a failure of this item alone is recorded on the item.
    bool apply(write_item& item) {
        if (item.is_quarantine) {
            use u(writer_.insert_quarantine);
            const auto& q = item.quarantine;
            u->bind(1, q.source);
            u->bind(2, q.reason);
            u->bind(3, q.request_id);
            u->bind_blob(4, q.body);
            u->bind(5, static_cast<std::int64_t>(q.body.size()));
            u->bind(6, item.received_ms);
            const int rc = u->step();
            if (rc == SQLITE_DONE) {
                item.quarantine_outcome = {};
                return true;
            }
            item_failed(rc, "quarantine");
            item.quarantine_outcome = make_error(errc::unavailable, "database error");
            return sqlite3_get_autocommit(writer_db_.get()) == 0;
        }
        if (const int rc = step_once(writer_.savepoint); rc != SQLITE_DONE) {
            item_failed(rc, "savepoint");
            item.outcome = {enqueue_status::unavailable, 0, "database error"};
            return sqlite3_get_autocommit(writer_db_.get()) == 0;
        }
        const int rc = apply_enqueue(item);
        if (rc == SQLITE_DONE) {
            step_once(writer_.release);
            return true;
        }
        item_failed(rc, "enqueue");
        item.outcome = {enqueue_status::unavailable, 0, "database error"};
        if (sqlite3_get_autocommit(writer_db_.get()) != 0) {
            return false;
        }
        step_once(writer_.rollback_to);
        step_once(writer_.release);
        return true;
    }

    /// The statements of one enqueue; SQLITE_DONE on success with item.outcome set.
    int apply_enqueue(write_item& item) {
        const auto& d = item.request.delivery;
        {
            use u(writer_.find_delivery);
            u->bind(1, d.source);
            u->bind(2, d.key);
            const int rc = u->step();
            if (rc == SQLITE_ROW) {
                item.outcome = {
                    enqueue_status::duplicate, u->is_null(0) ? 0 : u->int64(0), {}, true};
                return SQLITE_DONE;
            }
            if (rc != SQLITE_DONE) {
                return rc;
            }
        }
        job_id id = 0;
        bool duplicate_job = false;
        if (const auto& j = item.request.job) {
            {
                use u(writer_.insert_job);
                u->bind(1, j->kind);
                u->bind(2, j->payload);
                u->bind(3, item.received_ms);
                u->bind(4, j->correlation_id);
                u->bind(5, j->unique_key);
                u->bind(6, item.received_ms);
                u->bind(7, j->subject);
                if (const int rc = u->step(); rc != SQLITE_DONE) {
                    return rc;
                }
            }
            if (sqlite3_changes(writer_db_.get()) == 1) {
                id = sqlite3_last_insert_rowid(writer_db_.get());
            } else {
                use u(writer_.find_job_by_key);
                u->bind(1, j->unique_key);
                if (const int rc = u->step(); rc != SQLITE_ROW) {
                    return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
                }
                id = u->int64(0);
                duplicate_job = true;
            }
        }
        {
            use u(writer_.insert_delivery);
            u->bind(1, d.source);
            u->bind(2, d.key);
            if (id != 0) {
                u->bind(3, id);
            } else {
                u->bind_null(3);
            }
            u->bind(4, item.received_ms);
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return rc;
            }
        }
        item.outcome = {
            duplicate_job ? enqueue_status::duplicate : enqueue_status::accepted, id, {}};
        return SQLITE_DONE;
    }

    int step_once(statement& s) {
        use u(s);
        return u->step();
    }

    void item_failed(int rc, const char* what) {
        log::warn("store_write_failed",
                  {{"step", what}, {"code", rc}, {"error", sqlite3_errmsg(writer_db_.get())}});
    }

    // --- checkpoints ------------------------------------------------------------------

    void stop_backend_threads() override {
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_stop_ = true;
        }
        checkpoint_cv_.notify_all();
        if (checkpointer_.joinable()) {
            checkpointer_.join();
        }
    }

    static int on_wal_commit(void* ctx, sqlite3*, const char*, int pages) {
        auto* self = static_cast<sqlite_store*>(ctx);
        self->commits_.fetch_add(1, std::memory_order_relaxed);
        if (pages >= checkpoint_wake_pages) {
            {
                std::lock_guard lock(self->checkpoint_mutex_);
                self->checkpoint_urgent_ = true;
            }
            self->checkpoint_cv_.notify_one();
        }
        return SQLITE_OK;
    }

    void checkpoint_loop() {
        std::uint64_t seen = commits_.load(std::memory_order_relaxed);
        std::unique_lock lock(checkpoint_mutex_);
        while (!checkpoint_stop_) {
            checkpoint_cv_.wait_for(lock, std::chrono::seconds(1),
                                    [&] { return checkpoint_stop_ || checkpoint_urgent_; });
            checkpoint_urgent_ = false;
            const std::uint64_t now = commits_.load(std::memory_order_relaxed);
            if (now == seen) {
                continue;
            }
            seen = now;
            lock.unlock();
            run_checkpoint();
            lock.lock();
        }
        lock.unlock();
        if (commits_.load(std::memory_order_relaxed) != seen) {
            run_checkpoint();
        }
    }

    /// PASSIVE first: it copies the WAL into the database and syncs it without holding back
    /// anyone. Under a steady stream of commits that alone never lets the WAL start over (a
    /// writer restarts the WAL only when the checkpoint has caught up as its transaction
    /// begins, and the group-commit writer begins the next one at once), so the file grows,
    /// each commit's flush has to grow it too, and the checkpoints walk an ever longer log.
    /// Once PASSIVE has backfilled enough, RESTART copies the few frames written meanwhile,
    /// syncs, and waits for readers to leave the WAL: it holds the writer back for that
    /// fraction of a millisecond (its BEGIN retries through the short busy handler), and the
    /// next commit writes from the start of a file that is already allocated.
    void run_checkpoint() {
        int log_frames = 0;
        int done_frames = 0;
        int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           &log_frames, &done_frames);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            log::warn("store_checkpoint_failed",
                      {{"code", rc}, {"error", sqlite3_errmsg(checkpoint_db_.get())}});
            return;
        }
        if (rc == SQLITE_OK && done_frames >= checkpoint_restart_pages) {
            // A short wait only: busy readers or writers make this one give up, the next
            // round tries again. SQLITE_BUSY is the expected way to fail here.
            const milliseconds patience = checkpoint_busy_.timeout;
            checkpoint_busy_.timeout = milliseconds{20};
            rc = sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                           &log_frames, &done_frames);
            checkpoint_busy_.timeout = patience;
            if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
                log::warn("store_checkpoint_failed",
                          {{"code", rc}, {"error", sqlite3_errmsg(checkpoint_db_.get())}});
            }
            if (rc == SQLITE_OK) {
                return;
            }
        }
        if (log_frames >= checkpoint_truncate_pages) {
            // Neither could keep up (long readers, or a burst): shrink the WAL, which holds
            // back writers for as long as it takes. Rare by construction.
            rc = sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), nullptr,
                                           SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &done_frames);
            log::info("store_checkpoint_truncate", {{"code", rc}, {"frames", log_frames}});
        }
    }

    // --- synchronous helpers ----------------------------------------------------------

    struct due_job {
        job_id id = 0;
        std::int64_t next_run_at = 0;
        bool expired = false;
        std::string owner;
    };

    /// The job claim() would take now: the oldest due queued/retry_wait job or expired
    /// lease, by (next_run_at, id). Each comes from one seek in its partial index; the
    /// statements name the index (INDEXED BY) because without statistics the planner
    /// prefers jobs_state and sorts every due job.
    result<std::optional<due_job>> find_due(std::int64_t now_ms,
                                            const std::optional<std::string>& kinds_json) {
        std::optional<due_job> best;
        {
            use u(sync_.due_queued);
            u->bind(1, now_ms);
            u->bind(2, kinds_json);
            const int rc = u->step();
            if (rc == SQLITE_ROW) {
                best = due_job{u->int64(0), u->int64(1), false, {}};
            } else if (rc != SQLITE_DONE) {
                return sync_db_.fail(rc, "claim");
            }
        }
        use u(sync_.due_expired);
        u->bind(1, now_ms);
        u->bind(2, kinds_json);
        const int rc = u->step();
        if (rc == SQLITE_ROW) {
            due_job e{u->int64(0), u->int64(1), true, u->text(2)};
            if (!best || std::pair(e.next_run_at, e.id) < std::pair(best->next_run_at, best->id)) {
                best = std::move(e);
            }
        } else if (rc != SQLITE_DONE) {
            return sync_db_.fail(rc, "claim");
        }
        return best;
    }

    /// Steps an UPDATE guarded by "state = 'running' AND lease_owner = ?": no row is a
    /// conflict (the lease was lost).
    result<void> run_owned(statement& s, const char* what) {
        if (const int rc = s.step(); rc != SQLITE_DONE) {
            return sync_db_.fail(rc, what);
        }
        if (sqlite3_changes(sync_db_.get()) == 0) {
            return detail::lease_not_held(what);
        }
        return {};
    }

    /// Ends an attempt: the owner-guarded UPDATE `update` (parameters set by `bind`), then a
    /// job_attempts row, in one transaction.
    template <class Bind>
    result<void> finish(job_id id, const char* outcome, std::string_view error, std::int64_t now_ms,
                        statement& update, Bind bind) {
        transaction t(sync_db_, sync_.tx);
        if (auto r = t.begin(); !r) {
            return r;
        }
        {
            use u(update);
            bind(*u);
            if (auto r = run_owned(*u, outcome); !r) {
                return r;
            }
        }
        {
            use u(sync_.attempt_from_job);
            u->bind(1, id);
            u->bind(2, now_ms);
            u->bind(3, outcome);
            u->bind(4, error);
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return sync_db_.fail(rc, outcome);
            }
        }
        return t.commit();
    }

    result<std::optional<evaluation_record>> one_evaluation(statement& s, std::string_view key) {
        use u(s);
        u->bind(1, key);
        const int rc = u->step();
        if (rc == SQLITE_DONE) {
            return std::optional<evaluation_record>{};
        }
        if (rc != SQLITE_ROW) {
            return read_db_.fail(rc, "find_evaluation");
        }
        return std::optional<evaluation_record>{read_evaluation(*u)};
    }

    template <class T, class Reader>
    result<std::vector<T>> collect(statement& s, Reader read, const char* what) {
        std::vector<T> out;
        int rc = SQLITE_ROW;
        while ((rc = s.step()) == SQLITE_ROW) {
            out.push_back(read(s));
        }
        if (rc != SQLITE_DONE) {
            return read_db_.fail(rc, what);
        }
        return out;
    }

    result<void> prepare_statements() {
        std::optional<error> err;
        if (auto r = writer_.tx.prepare(writer_db_); !r) {
            return r;
        }
        if (auto r = sync_.tx.prepare(sync_db_); !r) {
            return r;
        }
        auto w = [&](statement& s, const char* sql) { prepare_into(writer_db_, s, sql, err); };
        auto s = [&](statement& st, const char* sql) { prepare_into(sync_db_, st, sql, err); };
        auto r = [&](statement& st, const char* sql) { prepare_into(read_db_, st, sql, err); };

        w(writer_.savepoint, "SAVEPOINT item");
        w(writer_.release, "RELEASE item");
        w(writer_.rollback_to, "ROLLBACK TO item");
        w(writer_.find_delivery, "SELECT job_id FROM deliveries WHERE source = ?1 AND key = ?2");
        w(writer_.insert_delivery,
          "INSERT INTO deliveries (source, key, job_id, received_at) VALUES (?1, ?2, ?3, ?4)");
        w(writer_.insert_job,
          "INSERT INTO jobs (kind, payload, state, next_run_at, correlation_id, unique_key, "
          "created_at, updated_at, subject) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?6, ?7) "
          "ON CONFLICT (unique_key) DO NOTHING");
        w(writer_.find_job_by_key, "SELECT id FROM jobs WHERE unique_key = ?1");
        w(writer_.insert_quarantine,
          "INSERT INTO quarantine (source, reason, request_id, body, body_bytes, received_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

        s(sync_.due_queued,
          "SELECT id, next_run_at FROM jobs INDEXED BY jobs_due "
          "WHERE state IN ('queued', 'retry_wait') "
          "AND next_run_at <= ?1 "
          "AND (?2 IS NULL OR kind IN (SELECT value FROM json_each(?2))) "
          "ORDER BY next_run_at, id LIMIT 1");
        s(sync_.due_expired,
          "SELECT id, next_run_at, lease_owner FROM jobs INDEXED BY jobs_lease "
          "WHERE state = 'running' "
          "AND lease_until <= ?1 "
          "AND (?2 IS NULL OR kind IN (SELECT value FROM json_each(?2))) "
          "ORDER BY lease_until, id LIMIT 1");
        s(sync_.claim,
          "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_until = ?3, "
          "attempts = attempts + 1, updated_at = ?4 WHERE id = ?1 RETURNING " RB_JOB_COLUMNS);
        s(sync_.expired_attempt,
          "INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
          "SELECT id, attempts, ?2, 'lease_expired', ?3 FROM jobs WHERE id = ?1");
        s(sync_.extend,
          "UPDATE jobs SET lease_until = ?3, updated_at = ?4 "
          "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2");
        s(sync_.checkpoint,
          "UPDATE jobs SET checkpoint = ?3, updated_at = ?4 "
          "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2");
        s(sync_.done,
          "UPDATE jobs SET state = 'done', outcome = ?3, lease_owner = '', lease_until = 0, "
          "updated_at = ?4, finished_at = ?4 "
          "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2");
        s(sync_.retry,
          "UPDATE jobs SET state = 'retry_wait', next_run_at = ?3, last_error = ?4, "
          "lease_owner = '', lease_until = 0, updated_at = ?5 "
          "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2");
        s(sync_.dead,
          "UPDATE jobs SET state = 'dead', last_error = ?3, lease_owner = '', lease_until = 0, "
          "updated_at = ?4, finished_at = ?4 "
          "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2");
        s(sync_.attempt_from_job,
          "INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
          "SELECT id, attempts, ?2, ?3, ?4 FROM jobs WHERE id = ?1");
        s(sync_.release_attempts,
          "INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error) "
          "SELECT id, attempts, ?2, 'lease_expired', ?3 FROM jobs "
          "WHERE state = 'running' AND (?1 = '' OR lease_owner = ?1)");
        s(sync_.release,
          "UPDATE jobs SET state = 'queued', lease_owner = '', lease_until = 0, updated_at = ?2 "
          "WHERE state = 'running' AND (?1 = '' OR lease_owner = ?1)");
        s(sync_.insert_job,
          "INSERT INTO jobs (kind, payload, state, next_run_at, correlation_id, unique_key, "
          "created_at, updated_at, subject) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?6, ?7) "
          "ON CONFLICT (unique_key) DO NOTHING");
        s(sync_.find_job_by_key, "SELECT id FROM jobs WHERE unique_key = ?1");
        // Taken when free or expired, renewed when ours; no change: someone else holds it.
        s(sync_.singleton,
          "INSERT INTO singletons AS s (name, owner, lease_until, acquired_at) "
          "VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
          "lease_until = excluded.lease_until, acquired_at = CASE WHEN s.owner = excluded.owner "
          "THEN s.acquired_at ELSE excluded.acquired_at END "
          "WHERE s.owner = excluded.owner OR s.lease_until <= excluded.acquired_at");
        s(sync_.upsert_evaluation,
          // An evaluation recorded by the job of an erased candidate (it was running when
          // the erasure cancelled it) is stored as a tombstone, and a tombstone stays one.
          "INSERT INTO evaluations (" RB_EVAL_COLUMNS
          ") SELECT ?1, ?2, iif(x, '', ?3), iif(x, '', ?4), ?5, iif(x, 'erased', ?6), "
          "iif(x, '', ?7), iif(x, '', ?8), ?9, ?10, ?11 FROM (SELECT EXISTS (SELECT 1 FROM "
          "jobs WHERE id = ?5 AND state = 'cancelled') AS x) WHERE true "
          "ON CONFLICT (eval_id) DO UPDATE SET flow = excluded.flow, "
          "application_id = excluded.application_id, candidate_id = excluded.candidate_id, "
          "job_id = excluded.job_id, state = excluded.state, decision = excluded.decision, "
          "docv_token = excluded.docv_token, updated_at = excluded.updated_at, "
          "expires_at = excluded.expires_at WHERE evaluations.state <> 'erased'");
        s(sync_.insert_audit,
          // A cancelled job (its candidate was erased) keeps no detail.
          "INSERT INTO audit (job_id, at, step, outcome, detail) SELECT ?1, ?2, ?3, ?4, "
          "iif(EXISTS (SELECT 1 FROM jobs WHERE id = ?1 AND state = 'cancelled'), '', ?5)");
        s(sync_.retry_dead_one,
          "UPDATE jobs SET state = 'queued', attempts = 0, next_run_at = ?1, lease_owner = '', "
          "lease_until = 0, outcome = '', finished_at = NULL, updated_at = ?1 "
          "WHERE id = ?2 AND state = 'dead'");
        s(sync_.retry_dead_all,
          "UPDATE jobs SET state = 'queued', attempts = 0, next_run_at = ?1, lease_owner = '', "
          "lease_until = 0, outcome = '', finished_at = NULL, updated_at = ?1 "
          "WHERE state = 'dead'");

        r(read_.get_job, "SELECT " RB_JOB_COLUMNS " FROM jobs WHERE id = ?1");
        r(read_.list_jobs, "SELECT " RB_JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?1");
        r(read_.list_jobs_by_state,
          "SELECT " RB_JOB_COLUMNS " FROM jobs WHERE state = ?1 ORDER BY id DESC LIMIT ?2");
        r(read_.job_attempts,
          "SELECT attempt, finished_at, outcome, error FROM job_attempts WHERE job_id = ?1 "
          "ORDER BY attempt, rowid");
        r(read_.find_evaluation, "SELECT " RB_EVAL_COLUMNS " FROM evaluations WHERE eval_id = ?1");
        r(read_.find_evaluation_by_token, "SELECT " RB_EVAL_COLUMNS
                                          " FROM evaluations WHERE docv_token = ?1 "
                                          "ORDER BY updated_at DESC LIMIT 1");
        r(read_.evaluations_for_candidate, "SELECT " RB_EVAL_COLUMNS
                                           " FROM evaluations WHERE candidate_id = ?1 "
                                           "ORDER BY created_at, eval_id");
        r(read_.stale_evaluations, "SELECT " RB_EVAL_COLUMNS
                                   " FROM evaluations WHERE state = ?1 AND updated_at < ?2 "
                                   "ORDER BY updated_at LIMIT ?3");
        r(read_.audit_for_job,
          "SELECT job_id, at, step, outcome, detail FROM audit WHERE job_id = ?1 ORDER BY id");
        r(read_.list_quarantine,
          "SELECT id, source, reason, request_id, body_bytes, received_at FROM quarantine "
          "ORDER BY id DESC LIMIT ?1");
        r(read_.count_by_state, "SELECT state, count(*) FROM jobs GROUP BY state");
        r(read_.count_deliveries, "SELECT count(*) FROM deliveries");
        r(read_.count_quarantine, "SELECT count(*) FROM quarantine");
        if (err) {
            return *err;
        }
        return {};
    }

    sqlite_options options_;

    busy_wait writer_busy_, sync_busy_, read_busy_, checkpoint_busy_;
    database writer_db_, sync_db_, read_db_, checkpoint_db_;
    writer_statements writer_;
    sync_statements sync_;
    read_statements read_;

    std::mutex sync_mutex_;  ///< guards sync_db_ and sync_
    /// Held for each write of the sync connection (after sync_mutex_) and for each batch of
    /// the writer: this process's two writing connections then take SQLite's write lock in
    /// turn, the one waiting woken at once, instead of polling for it through the busy handler
    /// (whose sleeps grow to 1 ms) while failing jobs keep the workers writing.
    std::mutex write_gate_;
    std::mutex read_mutex_;  ///< guards read_db_ and read_

    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_cv_;
    bool checkpoint_stop_ = false;
    bool checkpoint_urgent_ = false;
    std::atomic<std::uint64_t> commits_{0};

    std::thread checkpointer_;
};

#undef RB_JOB_COLUMNS
#undef RB_EVAL_COLUMNS

}  // namespace

result<std::unique_ptr<job_store>> make_sqlite_store(const sqlite_options& options, clock& clk) {
    if (options.path.empty()) {
        return make_error(errc::invalid_argument, "store: sqlite_path is empty");
    }
    if (options.path == ":memory:") {
        return make_error(errc::invalid_argument,
                          "store: an in-memory SQLite database is not durable");
    }
    try {
        auto store = std::make_unique<sqlite_store>(options, clk);
        if (auto r = store->open(); !r) {
            log::error("store_open_failed", {{"code", to_string(r.error().code)}});
            return r.error();
        }
        return std::unique_ptr<job_store>(std::move(store));
    } catch (const std::exception&) {
        return make_error(errc::internal, "store: cannot start the SQLite store");
    }
}

}  // namespace riskbridge::store
