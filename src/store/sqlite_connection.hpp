#pragma once

// Private to the SQLite store: opening its connections (the store's files private to their
// owner, WAL mode, pragmas, a busy handler with short sleeps), the locks the store's parts
// share them under, and write transactions.
//
// A store has four connections, each used by one thread at a time:
// - writer: owned by the writer thread (group_commit_store.hpp), which commits the queued
//   ingestion requests in one transaction (group commit: one fsync for many requests,
//   synchronous=FULL) before they are answered.
// - sync: under sync_mutex, for the synchronous writes of workers, the CLI and tests. It and
//   the writer take turns through an in-process gate (write_gate) rather than SQLite's busy
//   handler.
// - read: under read_mutex, for the synchronous reads, so they never queue behind an fsync.
// - checkpoint: owned by the checkpoint thread (sqlite_checkpointer.hpp).

#include <chrono>
#include <mutex>
#include <string>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "store/sqlite_db.hpp"

namespace riskbridge::store::detail {

/// How long a connection waits for a lock unless sqlite_options says otherwise.
inline constexpr milliseconds default_busy_timeout{5'000};

/// A busy handler with short sleeps (SQLite's default sleeps whole milliseconds, which
/// would dominate a group commit that takes a fraction of one) and an overall deadline.
struct busy_wait {
    milliseconds timeout = default_busy_timeout;
    std::chrono::steady_clock::time_point started{};
};

/// One connection and the busy handler state it points to (so neither moves).
class connection {
public:
    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Opens `path` in WAL mode with the store's pragmas, waiting up to `busy_timeout` for
    /// locks.
    result<void> open(const std::string& path, milliseconds busy_timeout);

    database& db() noexcept { return db_; }
    const database& db() const noexcept { return db_; }
    busy_wait& busy() noexcept { return busy_; }

private:
    busy_wait busy_;
    database db_;
};

/// The store's files hold applicants' personal data and the audit trail: readable by their
/// owner only, whatever the process umask. Each missing directory of `path` is created 0700
/// and a new database file 0600 (SQLite gives its -wal, -shm and journal files the mode of the
/// database file); an existing database, -wal or -shm file that others could read (one made
/// before this rule) is narrowed to 0600.
result<void> prepare_private_files(const std::string& path);

/// The connections the store's parts share, and the locks that guard them.
struct store_connections {
    connection writer;  ///< the writer thread's (group commit)
    connection sync;    ///< synchronous writes, under sync_mutex
    connection read;    ///< synchronous reads, under read_mutex

    std::mutex sync_mutex;  ///< guards sync and the statements prepared on it
    /// Held for each write of the sync connection (after sync_mutex) and for each batch of
    /// the writer: this process's two writing connections then take SQLite's write lock in
    /// turn, the one waiting woken at once, instead of polling for it through the busy handler
    /// (whose sleeps grow to 1 ms) while failing jobs keep the workers writing.
    std::mutex write_gate;
    std::mutex read_mutex;  ///< guards read and the statements prepared on it
};

/// BEGIN IMMEDIATE / COMMIT / ROLLBACK, prepared once per connection.
struct tx_statements {
    statement begin, commit, rollback;

    result<void> prepare(const database& db);
};

/// A write transaction on a connection; rolls back unless committed.
class transaction {
public:
    transaction(const database& db, tx_statements& tx) : db_(db), tx_(tx) {}
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    result<void> begin();
    result<void> commit();

private:
    const database& db_;
    tx_statements& tx_;
    bool active_ = false;
};

/// A write transaction with its own BEGIN IMMEDIATE / COMMIT / ROLLBACK, prepared when it
/// begins: for what runs rarely (migrations, erasure, merge, retention).
class occasional_transaction {
public:
    explicit occasional_transaction(const database& db) : db_(db), t_(db, tx_) {}
    occasional_transaction(const occasional_transaction&) = delete;
    occasional_transaction& operator=(const occasional_transaction&) = delete;

    result<void> begin() {
        if (auto r = tx_.prepare(db_); !r) {
            return r;
        }
        return t_.begin();
    }
    result<void> commit() { return t_.commit(); }

private:
    const database& db_;
    tx_statements tx_;
    transaction t_;  ///< after tx_, which it uses until it goes
};

/// While it lives, commits on `db` are flushed (synchronous=FULL); NORMAL again afterwards.
/// The sync connection runs at NORMAL (see sqlite_store.cpp) except for checkpoint saves.
class full_sync {
public:
    explicit full_sync(const database& db);
    ~full_sync();
    full_sync(const full_sync&) = delete;
    full_sync& operator=(const full_sync&) = delete;

private:
    const database& db_;
};

}  // namespace riskbridge::store::detail
