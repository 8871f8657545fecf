// The SQLite store's WAL checkpointer (sqlite_checkpointer.hpp).

#include "store/sqlite_checkpointer.hpp"

#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::store::detail {

void wal_checkpointer::start() {
    thread_ = std::thread([this] {
        set_thread_name("rb-checkpoint");
        loop();
    });
}

void wal_checkpointer::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

int wal_checkpointer::on_wal_commit(void* ctx, sqlite3*, const char*, int pages) {
    auto* self = static_cast<wal_checkpointer*>(ctx);
    self->commits_.fetch_add(1, std::memory_order_relaxed);
    if (pages >= checkpoint_wake_pages) {
        {
            std::lock_guard lock(self->mutex_);
            self->urgent_ = true;
        }
        self->cv_.notify_one();
    }
    return SQLITE_OK;
}

void wal_checkpointer::loop() {
    std::uint64_t seen = commits_.load(std::memory_order_relaxed);
    std::unique_lock lock(mutex_);
    while (!stop_) {
        cv_.wait_for(lock, checkpoint_interval, [&] { return stop_ || urgent_; });
        urgent_ = false;
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
void wal_checkpointer::run_checkpoint() {
    sqlite3* db = connection_.db().get();
    int log_frames = 0;
    int done_frames = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                       &done_frames);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log::warn("store_checkpoint_failed", {{"code", rc}, {"error", sqlite3_errmsg(db)}});
        return;
    }
    if (rc == SQLITE_OK && done_frames >= checkpoint_restart_pages) {
        // A short wait only: busy readers or writers make this one give up, the next
        // round tries again. SQLITE_BUSY is the expected way to fail here.
        busy_wait& busy = connection_.busy();
        const milliseconds patience = busy.timeout;
        busy.timeout = checkpoint_restart_patience;
        rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, &log_frames,
                                       &done_frames);
        busy.timeout = patience;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            log::warn("store_checkpoint_failed", {{"code", rc}, {"error", sqlite3_errmsg(db)}});
        }
        if (rc == SQLITE_OK) {
            return;
        }
    }
    if (log_frames >= checkpoint_truncate_pages) {
        // Neither could keep up (long readers, or a burst): shrink the WAL, which holds
        // back writers for as long as it takes. Rare by construction.
        rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                       &done_frames);
        log::info("store_checkpoint_truncate", {{"code", rc}, {"frames", log_frames}});
    }
}

}  // namespace riskbridge::store::detail
