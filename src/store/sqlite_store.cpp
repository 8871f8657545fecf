// The SQLite job store: the job_store that the daemon opens without a PostgreSQL URL. It owns
// the connections (sqlite_connection.hpp) and the checkpointer (sqlite_checkpointer.hpp), and
// delegates each role to a part sharing the connections (composed_store.hpp forwards to them):
// - ingestion: group_commit_store's writer thread, committing through sqlite_ingest;
// - job_queue: sqlite_queue;
// - evaluation_store and audit_log: sqlite_records;
// - store_admin: sqlite_admin (with sqlite_privacy for erasure, merge and retention).
// The schema is migrated by sqlite_schema when the store opens.

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/composed_store.hpp"
#include "store/sqlite_admin.hpp"
#include "store/sqlite_checkpointer.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_ingest.hpp"
#include "store/sqlite_queue.hpp"
#include "store/sqlite_records.hpp"
#include "store/sqlite_schema.hpp"

namespace riskbridge::store {

namespace {

using detail::write_batch;

class sqlite_store final : public detail::composed_store {
public:
    sqlite_store(sqlite_options options, clock& clk)
        : composed_store(clk, {options.max_pending_writes, options.max_batch, options.on_commit}),
          options_(std::move(options)),
          ingest_(connections_.writer),
          queue_(connections_, clk),
          records_(connections_, clk),
          admin_(connections_) {
        bind_parts({&queue_, &records_, &records_, &admin_});
    }

    ~sqlite_store() override { shutdown(); }

    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    result<void> open() {
        const std::string& path = options_.path;
        const milliseconds busy = options_.busy_timeout;
        if (auto files = detail::prepare_private_files(path); !files) {
            return files;
        }
        if (auto r = connections_.writer.open(path, busy); !r) {
            return r;
        }
        if (auto r = detail::sqlite_migrate(connections_.writer.db(), clock_); !r) {
            return r;
        }
        if (auto r = connections_.sync.open(path, busy); !r) {
            return r;
        }
        // The workers' state transitions (claim, reschedule, done, audit) commit without their
        // own flush: in WAL mode the next flush of the log (the writer's next group commit, a
        // checkpoint save, a checkpoint) makes every earlier frame durable, and what a power
        // cut loses is a suffix of transactions, i.e. the store as it was a moment earlier; a
        // job then runs again from its last durable checkpoint (at least once). Checkpoint
        // saves, which guard side effects, switch to FULL (sqlite_queue::save_checkpoint).
        if (auto r = connections_.sync.db().exec("PRAGMA synchronous=NORMAL;"); !r) {
            return r;
        }
        if (auto r = connections_.read.open(path, busy); !r) {
            return r;
        }
        if (auto r = checkpointer_.open(path, busy); !r) {
            return r;
        }
        if (auto r = ingest_.prepare(); !r) {
            return r;
        }
        if (auto r = queue_.prepare(); !r) {
            return r;
        }
        if (auto r = records_.prepare(); !r) {
            return r;
        }
        if (auto r = admin_.prepare(); !r) {
            return r;
        }
        // Count commits and watch the WAL's size on the connections that write.
        checkpointer_.watch(connections_.writer.db());
        checkpointer_.watch(connections_.sync.db());

        start_writer();
        checkpointer_.start();
        log::info("store_opened", {{"backend", "sqlite"},
                                   {"schema_version", detail::sqlite_latest_schema_version()},
                                   {"max_pending_writes", options_.max_pending_writes}});
        return {};
    }

private:
    // --- the writer (group_commit_store) ------------------------------------------------

    void commit_batch(write_batch& batch) override {
        const auto started = std::chrono::steady_clock::now();
        std::lock_guard gate(connections_.write_gate);
        if (ingest_.commit(batch)) {
            note_commit(batch.size(), started);
        } else {
            mark_unwritable();
            fail_batch(batch);
        }
    }

    /// commit_batch() threw (allocation) inside its transaction: end it, or every later
    /// BEGIN would fail.
    void on_writer_exception() override { ingest_.roll_back(); }

    /// The write lock can be had again (another process held it past the busy timeout, say).
    bool probe_writable() override {
        std::lock_guard gate(connections_.write_gate);
        return ingest_.probe();
    }

    void stop_backend_threads() override { checkpointer_.stop(); }

    sqlite_options options_;
    detail::store_connections connections_;
    detail::wal_checkpointer checkpointer_;
    detail::sqlite_ingest ingest_;
    detail::sqlite_queue queue_;
    detail::sqlite_records records_;
    detail::sqlite_admin admin_;
};

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
