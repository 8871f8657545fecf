// The SQLite job store: the job_store that the daemon opens without a PostgreSQL URL. It owns
// the connections (sqlite_connection.hpp) and the checkpointer (sqlite_checkpointer.hpp), and
// delegates each role to a part sharing the connections:
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
#include "store/group_commit_store.hpp"
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

class sqlite_store final : public detail::group_commit_store {
public:
    sqlite_store(sqlite_options options, clock& clk)
        : group_commit_store(clk,
                             {options.max_pending_writes, options.max_batch, options.on_commit}),
          options_(std::move(options)),
          ingest_(connections_.writer),
          queue_(connections_, clk),
          records_(connections_, clk),
          admin_(connections_) {}

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

    // --- job_queue ----------------------------------------------------------------------

    result<std::optional<job>> claim(std::string_view owner, time_point now, milliseconds lease,
                                     const std::vector<std::string>& kinds) override {
        return queue_.claim(owner, now, lease, kinds);
    }
    result<void> extend_lease(job_id id, std::string_view owner, time_point until) override {
        return queue_.extend_lease(id, owner, until);
    }
    result<void> save_checkpoint(job_id id, std::string_view owner,
                                 std::string_view checkpoint) override {
        return queue_.save_checkpoint(id, owner, checkpoint);
    }
    result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) override {
        return queue_.mark_done(id, owner, outcome);
    }
    result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                            std::string_view error) override {
        return queue_.mark_retry(id, owner, next_run_at, error);
    }
    result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) override {
        return queue_.mark_dead(id, owner, error);
    }
    result<int> release_leases(std::string_view owner) override {
        return queue_.release_leases(owner);
    }
    result<job_id> add_job(const new_job& j, time_point run_at) override {
        return queue_.add_job(j, run_at);
    }
    result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                       time_point now, milliseconds ttl) override {
        return queue_.try_acquire_singleton(name, owner, now, ttl);
    }

    // --- evaluation_store and audit_log -------------------------------------------------

    result<void> upsert_evaluation(const evaluation_record& e) override {
        return records_.upsert_evaluation(e);
    }
    result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) override {
        return records_.find_evaluation(eval_id);
    }
    result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) override {
        return records_.find_evaluation_by_docv_token(token);
    }
    result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) override {
        return records_.evaluations_for_candidate(candidate_id);
    }
    result<std::vector<evaluation_record>> stale_evaluations(
        const std::vector<evaluation_state>& states, time_point before, int limit) override {
        return records_.stale_evaluations(states, before, limit);
    }
    result<void> append_audit(const audit_entry& e) override { return records_.append_audit(e); }
    result<std::vector<audit_entry>> audit_for_job(job_id id) override {
        return records_.audit_for_job(id);
    }

    // --- store_admin --------------------------------------------------------------------

    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) override {
        return admin_.list_jobs(state, limit);
    }
    result<std::optional<job>> get_job(job_id id) override { return admin_.get_job(id); }
    result<std::vector<job_attempt>> job_attempts(job_id id) override {
        return admin_.job_attempts(id);
    }
    result<int> retry_dead(std::optional<job_id> id, time_point now) override {
        return admin_.retry_dead(id, now);
    }
    result<int> purge_finished(time_point older_than) override {
        return admin_.purge_finished(older_than);
    }
    result<erasure_report> erase_candidate(const erasure_request& req) override {
        return admin_.erase_candidate(req);
    }
    result<int> merge_candidate(std::string_view from, std::string_view into,
                                time_point at) override {
        return admin_.merge_candidate(from, into, at);
    }
    result<std::vector<quarantine_entry>> list_quarantine(int limit) override {
        return admin_.list_quarantine(limit);
    }
    result<store_stats> stats() override {
        auto out = admin_.stats();
        if (out) {
            out->pending_writes = pending_writes();
        }
        return out;
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
