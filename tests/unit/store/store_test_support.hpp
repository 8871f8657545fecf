#pragma once

// Helpers for the store's tests. The suites are parameterised over the backends: every TEST_P
// runs once on SQLite (a fresh file per test) and once on PostgreSQL (a fresh schema per test
// in the database RISKBRIDGE_TEST_POSTGRES_URL names; skipped when it is unset). Also:
// synchronous wrappers around the asynchronous ingestion calls, and a raw connection to the
// store's database that can inspect rows and hold the write lock.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "pg_scratch.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/paths.hpp"

namespace riskbridge::store::testing {

using namespace std::chrono_literals;

inline constexpr auto wait_limit = std::chrono::seconds(30);

/// Collects callback values from any thread; waits for a count with a deadline.
template <class T>
class collector {
public:
    std::function<void(T)> callback() {
        return [this](T v) {
            std::lock_guard lock(mutex_);
            values_.push_back(std::move(v));
            cv_.notify_all();
        };
    }
    bool wait_for(std::size_t n, std::chrono::milliseconds timeout = wait_limit) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return values_.size() >= n; });
    }
    std::vector<T> values() {
        std::lock_guard lock(mutex_);
        return values_;
    }
    std::size_t size() {
        std::lock_guard lock(mutex_);
        return values_.size();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<T> values_;
};

/// prefix + n (appending, which keeps GCC 12's -Wrestrict false positive away at -O2).
inline std::string numbered(std::string_view prefix, long long n) {
    std::string s(prefix);
    s.append(std::to_string(n));
    return s;
}

inline enqueue_request make_request(const std::string& key, const std::string& kind = "screening",
                                    std::optional<std::string> unique_key = std::nullopt,
                                    const std::string& payload = R"({"application":"a1"})") {
    enqueue_request r;
    r.delivery = {"ashby", key};
    r.job = new_job{kind, payload, "corr-" + key, std::move(unique_key)};
    return r;
}

inline enqueue_result enqueue_sync(job_store& store, enqueue_request req) {
    auto promise = std::make_shared<std::promise<enqueue_result>>();
    auto future = promise->get_future();
    store.enqueue_async(std::move(req),
                        [promise](enqueue_result r) { promise->set_value(std::move(r)); });
    if (future.wait_for(wait_limit) != std::future_status::ready) {
        ADD_FAILURE() << "enqueue callback never came";
        return {};
    }
    return future.get();
}

inline result<void> quarantine_sync(job_store& store, quarantine_request req) {
    auto promise = std::make_shared<std::promise<result<void>>>();
    auto future = promise->get_future();
    store.quarantine_async(std::move(req),
                           [promise](result<void> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(wait_limit) != std::future_status::ready) {
        ADD_FAILURE() << "quarantine callback never came";
        return make_error(errc::timeout, "no callback");
    }
    return future.get();
}

/// A plain connection to the store's database, for inspecting rows and holding locks.
class raw_connection {
public:
    virtual ~raw_connection() = default;
    virtual bool exec(const std::string& sql) = 0;
    /// The first column of every row of a constant query, as text (NULL as "NULL").
    virtual std::vector<std::string> column(const std::string& sql) = 0;
    std::string scalar(const std::string& sql) {
        auto c = column(sql);
        return c.empty() ? std::string("<none>") : c.front();
    }
};

/// A plain SQLite connection to the store's file.
class raw_db final : public raw_connection {
public:
    explicit raw_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
            ADD_FAILURE() << "cannot open " << path;
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    ~raw_db() override { sqlite3_close(db_); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;

    bool exec(const std::string& sql) override {
        char* err = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << (err ? err : "?");
            sqlite3_free(err);
            return false;
        }
        return true;
    }
    std::vector<std::string> column(const std::string& sql) override {
        std::vector<std::string> out;
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
            return out;
        }
        while (sqlite3_step(s) == SQLITE_ROW) {
            const auto* t = sqlite3_column_text(s, 0);
            out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
        }
        sqlite3_finalize(s);
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

/// A plain libpq connection to the test's schema.
class raw_pg final : public raw_connection {
public:
    explicit raw_pg(const std::string& url) : c_(url) {
        if (!c_.ok()) {
            ADD_FAILURE() << "cannot connect: " << c_.error();
        }
    }
    bool exec(const std::string& sql) override {
        const bool ok = c_.exec(sql);
        if (!ok) {
            ADD_FAILURE() << sql << ": " << c_.error();
        }
        return ok;
    }
    std::vector<std::string> column(const std::string& sql) override {
        auto out = c_.column(sql);
        if (out.empty() && !c_.error().empty()) {
            ADD_FAILURE() << sql << ": " << c_.error();
        }
        return out;
    }

private:
    pg_raw c_;
};

enum class backend { sqlite, postgres };

inline std::string backend_name(const ::testing::TestParamInfo<backend>& info) {
    return info.param == backend::sqlite ? "sqlite" : "postgres";
}
inline void PrintTo(backend b, std::ostream* os) {
    *os << (b == backend::sqlite ? "sqlite" : "postgres");
}

/// Instantiates a parameterised suite on both backends.
#define RB_STORE_BACKENDS(suite)                                                                 \
    INSTANTIATE_TEST_SUITE_P(backends, suite,                                                    \
                             ::testing::Values(::riskbridge::store::testing::backend::sqlite,    \
                                               ::riskbridge::store::testing::backend::postgres), \
                             ::riskbridge::store::testing::backend_name)

/// What both backends can be asked for in tests.
struct test_options {
    std::size_t max_pending_writes = 10'000;
    std::size_t max_batch = 512;
    milliseconds lock_timeout{5'000};  ///< SQLite busy_timeout, PostgreSQL lock_timeout
    commit_observer on_commit{};
};

/// Opens a store: `target` is the SQLite file or the PostgreSQL URL.
inline result<std::unique_ptr<job_store>> open_backend(backend b, const std::string& target,
                                                       clock& clk, const test_options& o = {}) {
    if (b == backend::sqlite) {
        sqlite_options opts;
        opts.path = target;
        opts.max_pending_writes = o.max_pending_writes;
        opts.max_batch = o.max_batch;
        opts.busy_timeout = o.lock_timeout;
        opts.on_commit = o.on_commit;
        return make_sqlite_store(opts, clk);
    }
    postgres_options opts;
    opts.url = target;
    opts.pool_size = 4;
    opts.max_pending_writes = o.max_pending_writes;
    opts.max_batch = o.max_batch;
    opts.lock_timeout = o.lock_timeout;
    opts.on_commit = o.on_commit;
    return make_postgres_store(opts, clk);
}

/// A raw connection holding the lock the store's writer needs, until release().
class write_lock {
public:
    write_lock(std::unique_ptr<raw_connection> c, backend b) : c_(std::move(c)) {
        held_ = b == backend::sqlite
                    ? c_->exec("BEGIN IMMEDIATE")
                    : c_->exec("BEGIN; LOCK TABLE deliveries, jobs, quarantine IN EXCLUSIVE MODE");
    }
    ~write_lock() { release(); }
    write_lock(const write_lock&) = delete;
    write_lock& operator=(const write_lock&) = delete;
    bool held() const { return held_; }
    bool release() {
        if (!held_) {
            return true;
        }
        held_ = false;
        return c_->exec("ROLLBACK");
    }

private:
    std::unique_ptr<raw_connection> c_;
    bool held_ = false;
};

/// Waits (deadline, no fixed sleep) until `pred` holds.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = wait_limit) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

/// A fresh database per test on one backend: a file in a temporary directory (SQLite) or a
/// schema of its own (PostgreSQL; the test is skipped when no test database is configured).
class store_fixture : public ::testing::Test {
protected:
    explicit store_fixture(backend b = backend::sqlite) : backend_(b) {}

    void SetUp() override {
        if (backend_ != backend::postgres) {
            return;
        }
        auto url = postgres_test_url();
        if (!url) {
            GTEST_SKIP() << "RISKBRIDGE_TEST_POSTGRES_URL is not set: PostgreSQL backend not "
                            "tested (./scripts/with-postgres.sh CMD runs CMD with a private "
                            "cluster)";
        }
        schema_ = std::make_unique<pg_scratch_schema>(*url);
        ASSERT_TRUE(schema_->ok()) << schema_->error();
    }

    bool is_postgres() const { return backend_ == backend::postgres; }
    /// The SQLite file or the PostgreSQL URL of this test's database.
    std::string target() const { return is_postgres() ? schema_->url() : db_path(); }
    std::string db_path() const { return dir_.file("store.db"); }

    result<std::unique_ptr<job_store>> try_open(const test_options& o = {}) {
        return open_backend(backend_, target(), clock_, o);
    }
    std::unique_ptr<job_store> open(const test_options& o = {}) {
        auto s = try_open(o);
        if (!s) {
            ADD_FAILURE() << "open failed: " << s.error().message;
            return nullptr;
        }
        return std::move(s).value();
    }

    std::unique_ptr<raw_connection> raw() const {
        if (is_postgres()) {
            return std::make_unique<raw_pg>(schema_->url());
        }
        return std::make_unique<raw_db>(db_path());
    }
    std::unique_ptr<write_lock> hold_write_lock() const {
        return std::make_unique<write_lock>(raw(), backend_);
    }
    /// The stored body of a quarantined request, as text ("NULL" once purged).
    std::string quarantined_body(const std::string& request_id) const {
        const std::string body = is_postgres() ? "convert_from(body, 'UTF8')" : "body";
        return raw()->scalar("SELECT " + body + " FROM quarantine WHERE request_id = '" +
                             request_id + "'");
    }

    backend backend_;
    riskbridge::testing::temp_dir dir_;
    manual_clock clock_;
    std::unique_ptr<pg_scratch_schema> schema_;
};

/// The fixture of the parameterised suites (RB_STORE_BACKENDS).
class store_test : public store_fixture, public ::testing::WithParamInterface<backend> {
protected:
    store_test() : store_fixture(GetParam()) {}
};

/// Tests of what only one backend has (SQLite's file and WAL; PostgreSQL's plans).
class sqlite_only : public store_fixture {
protected:
    sqlite_only() : store_fixture(backend::sqlite) {}
};
class postgres_only : public store_fixture {
protected:
    postgres_only() : store_fixture(backend::postgres) {}
};

}  // namespace riskbridge::store::testing
