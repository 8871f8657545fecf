#pragma once

// Helpers for the store's tests: a fresh database per test, synchronous wrappers around the
// asynchronous ingestion calls, and a raw SQLite connection that can hold the write lock.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

/// A plain SQLite connection to the store's file, for inspecting rows and holding locks.
class raw_db {
public:
    explicit raw_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
            ADD_FAILURE() << "cannot open " << path;
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    ~raw_db() { sqlite3_close(db_); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;

    bool exec(const std::string& sql) {
        char* err = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << (err ? err : "?");
            sqlite3_free(err);
            return false;
        }
        return true;
    }
    /// The first column of every row of a constant query, as text (NULL as "NULL").
    std::vector<std::string> column(const std::string& sql) {
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
    std::string scalar(const std::string& sql) {
        auto c = column(sql);
        return c.empty() ? std::string("<none>") : c.front();
    }

private:
    sqlite3* db_ = nullptr;
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

class store_test : public ::testing::Test {
protected:
    std::unique_ptr<job_store> open(sqlite_options opts = {}) {
        if (opts.path.empty()) {
            opts.path = db_path();
        }
        auto s = make_sqlite_store(opts, clock_);
        if (!s) {
            ADD_FAILURE() << "open failed: " << s.error().message;
            return nullptr;
        }
        return std::move(s).value();
    }
    std::string db_path() const { return dir_.file("store.db"); }

    riskbridge::testing::temp_dir dir_;
    manual_clock clock_;
};

}  // namespace riskbridge::store::testing
