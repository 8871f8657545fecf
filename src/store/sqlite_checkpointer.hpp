#pragma once

// Private to the SQLite store: the WAL checkpointer, a thread (rb-checkpoint) with its own
// connection. Automatic checkpoints are off on every connection (they would run inside a
// commit); this thread runs PASSIVE checkpoints once a second when something was committed and
// at once when the WAL grows large, RESTART once one has caught up (so the WAL starts over
// instead of growing), and TRUNCATE when neither could keep the WAL small.

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "store/sqlite_connection.hpp"

namespace riskbridge::store::detail {

/// How often the checkpointer looks whether anything was committed.
inline constexpr milliseconds checkpoint_interval{1'000};
/// WAL pages after a commit that wake the checkpointer at once (~32 MB with 4 KiB pages).
/// A checkpoint copies each page once however many commits rewrote it, so a longer WAL
/// between checkpoints copies less: under a steady ingest load, 8,192 instead of 2,048 cut
/// the checkpointer's CPU per delivery by ~40% (bench/README.md, 2026-12-08).
inline constexpr int checkpoint_wake_pages = 8'192;
/// Pages a PASSIVE checkpoint backfilled that make it worth starting the WAL over (~4 MB).
inline constexpr int checkpoint_restart_pages = 1'024;
/// Pages still in the WAL after PASSIVE (and a failed RESTART) that call for TRUNCATE
/// (~64 MB).
inline constexpr int checkpoint_truncate_pages = 16'384;
/// How long a RESTART checkpoint waits for readers and writers before it gives up until the
/// next round.
inline constexpr milliseconds checkpoint_restart_patience{20};

class wal_checkpointer {
public:
    wal_checkpointer() = default;
    ~wal_checkpointer() { stop(); }
    wal_checkpointer(const wal_checkpointer&) = delete;
    wal_checkpointer& operator=(const wal_checkpointer&) = delete;

    /// Opens the checkpointer's connection.
    result<void> open(const std::string& path, milliseconds busy_timeout) {
        return connection_.open(path, busy_timeout);
    }
    /// Counts the commits of `db` and watches the WAL's size after each (a WAL hook).
    void watch(const database& db) { sqlite3_wal_hook(db.get(), &on_wal_commit, this); }
    /// Starts the thread.
    void start();
    /// Stops the thread, after a last checkpoint if something was committed since the
    /// previous one. Idempotent.
    void stop();

private:
    static int on_wal_commit(void* ctx, sqlite3*, const char*, int pages);
    void loop();
    void run_checkpoint();

    connection connection_;

    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool urgent_ = false;
    std::atomic<std::uint64_t> commits_{0};

    std::thread thread_;
};

}  // namespace riskbridge::store::detail
