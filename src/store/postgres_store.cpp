// The PostgreSQL job store, for several replicas sharing one database.
//
// The same semantics as the SQLite store (sqlite_store.cpp), and the same columns; times are
// BIGINT unix milliseconds. Every statement is prepared once per connection, with bound
// parameters (postgres_statements.hpp); the job transitions persist what the state machine
// decides (job_lifecycle.hpp). The store wires the parts and delegates to them
// (composed_store.hpp):
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
#include "store/composed_store.hpp"
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

class postgres_store final : public detail::composed_store {
public:
    postgres_store(postgres_options options, pg_conninfo info, clock& clk)
        : composed_store(clk, {options.max_pending_writes, options.max_batch, options.on_commit,
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
          admin_(pool_) {
        bind_parts({&queue_, &records_, &records_, &admin_});
    }

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
