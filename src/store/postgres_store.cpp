// The PostgreSQL job store, for several replicas sharing one database.
//
// The same semantics as the SQLite store (sqlite_store.cpp), and the same columns; times are
// BIGINT unix milliseconds. Every statement is prepared once per connection, with bound
// parameters (postgres_statements.hpp); the job transitions persist what the state machine
// decides (job_lifecycle.hpp). The store wires the parts and delegates to them:
// - postgres_schema: the migrations, applied once under an advisory lock when it opens;
// - postgres_writer: the writer thread's connection (group_commit_store.hpp), which commits
//   the queued ingestion requests (enqueue_async, quarantine_async) in one pipelined
//   transaction before they are answered;
// - a pool of `pool_size` connections (pg_db.hpp) for the synchronous calls of workers, the
//   CLI and tests, shared by postgres_queue (claims and job transitions), postgres_records
//   (evaluations, audit) and postgres_admin (listing, retry_dead, retention, erasure, counts).
//   Each call is one statement (data-modifying CTEs where SQLite uses a transaction), or one
//   transaction on one connection for erasure, so no transaction is ever left open on a
//   pooled connection.
// A broken connection is reported as errc::unavailable and replaced on its next use.

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/group_commit_store.hpp"
#include "store/pg_db.hpp"
#include "store/postgres_admin.hpp"
#include "store/postgres_queue.hpp"
#include "store/postgres_records.hpp"
#include "store/postgres_schema.hpp"
#include "store/postgres_statements.hpp"
#include "store/postgres_writer.hpp"

namespace riskbridge::store {

namespace {

using detail::connection_pool;
using detail::pg_connection;
using detail::pg_conninfo;
using detail::write_batch;

/// The pool has at least this many connections, whatever pool_size says.
constexpr int min_pool_size = 1;

class postgres_store final : public detail::group_commit_store {
public:
    postgres_store(postgres_options options, pg_conninfo info, clock& clk)
        : group_commit_store(clk, {options.max_pending_writes, options.max_batch, options.on_commit,
                                   detail::writer_reconnect_interval}),
          options_(std::move(options)),
          info_(std::move(info)),
          pool_(info_, static_cast<std::size_t>(std::max(options_.pool_size, min_pool_size)),
                [this](pg_connection& c) {
                    return detail::setup_connection(c, options_, detail::pg_role::pool);
                }),
          writer_(options_, info_),
          queue_(pool_, clk),
          records_(pool_, clk),
          admin_(pool_) {}

    ~postgres_store() override { shutdown(); }

    postgres_store(const postgres_store&) = delete;
    postgres_store& operator=(const postgres_store&) = delete;

    result<void> open() {
        auto w = pg_connection::open(info_);
        if (!w) {
            return std::move(w).error();
        }
        if (auto r = detail::pg_migrate(*w, clock_); !r) {
            return r;
        }
        if (auto r = writer_.start(std::move(*w)); !r) {
            return r;
        }
        if (auto r = pool_.open_all(); !r) {
            return r;
        }
        start_writer();
        log::info("store_opened", {{"backend", "postgresql"},
                                   {"host", info_.host()},
                                   {"port", info_.port()},
                                   {"dbname", info_.dbname()},
                                   {"schema_version", detail::pg_latest_schema_version()},
                                   {"pool_size", options_.pool_size},
                                   {"max_pending_writes", options_.max_pending_writes}});
        return {};
    }

    // --- job_queue: postgres_queue ----------------------------------------------------

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

    // --- evaluation_store and audit_log: postgres_records -----------------------------

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

    // --- store_admin: postgres_admin --------------------------------------------------

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
    // --- the writer thread: postgres_writer -------------------------------------------

    bool probe_writable() override { return writer_.ensure_connected(); }

    void on_writer_exception() override { writer_.drop(); }

    void commit_batch(write_batch& batch) override {
        const auto done = writer_.commit(batch);
        if (done.healthy) {
            note_commit(batch.size(), done.started);
            writer_.complete_duplicates(batch);
        } else {
            mark_unwritable();
        }
        if (!done.answered) {
            fail_batch(batch);
        }
    }

    postgres_options options_;
    pg_conninfo info_;
    connection_pool pool_;
    detail::postgres_writer writer_;  ///< the writer thread's (and open()'s, before it starts)
    detail::postgres_queue queue_;
    detail::postgres_records records_;
    detail::postgres_admin admin_;
};

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
