// The worker pool against the real SQLite store in a temporary directory. Time is a
// manual_clock: backoff and lease expiry are crossed by advancing it and calling notify(), so
// nothing waits for a real delay. Outcomes are awaited by polling the store with a deadline.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixed_random.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/observability/metrics.hpp"
#include "riskbridge/workers/worker_pool.hpp"
#include "support/paths.hpp"
#include "support/prometheus.hpp"

namespace riskbridge::workers {
namespace {

using riskbridge::testing::metric_sample;

using namespace std::chrono_literals;
using store::job_state;
using testing::fixed_random;

// How long a test waits for what it polls (or a handler for its gate): generous, so that a
// sanitized build on a loaded machine still gets there; a passing test never waits it out.
constexpr auto deadline = 30s;

/// Polls `condition` every few milliseconds until it holds or the deadline passes.
bool eventually(const std::function<bool()>& condition) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(2ms);
    }
    return condition();
}

/// A one-shot gate a handler can block on until the test opens it.
class gate {
public:
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }
    bool wait() {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, deadline, [&] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

/// Counts per key, safe to bump from several worker threads.
class counter_map {
public:
    void bump(const std::string& key) {
        std::lock_guard lock(mutex_);
        ++counts_[key];
    }
    int get(const std::string& key) const {
        std::lock_guard lock(mutex_);
        const auto it = counts_.find(key);
        return it == counts_.end() ? 0 : it->second;
    }
    std::map<std::string, int> snapshot() const {
        std::lock_guard lock(mutex_);
        return counts_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, int> counts_;
};

class WorkerPoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        store::sqlite_options so;
        so.path = dir_.file("jobs.db");
        auto opened = store::make_sqlite_store(so, clock_);
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
    }

    void TearDown() override {
        if (pool_) {
            pool_->stop();
            pool_.reset();
        }
        if (store_) {
            store_->shutdown();
        }
        if (capturing_logs_) {
            log::init(log::level::info);
        }
    }

    /// Sends log lines to logs_ until TearDown, which restores stdout after the pool stopped.
    void capture_logs() {
        capturing_logs_ = true;
        log::init_to_stream(logs_, log::level::debug);
    }

    pool_options options(int threads = 2) const {
        pool_options o;
        o.threads = threads;
        o.backoff = backoff_policy{5, 1'000ms, 60'000ms};
        o.lease = 30s;
        o.poll_interval = 20ms;
        o.owner_id = "test-host:1";
        return o;
    }

    void start(handler_registry registry, pool_options o) {
        registry.add(probe_kind, [](job_context&) { return job_outcome::done(); });
        pool_ = make_worker_pool(pool_stores::of(*store_), std::move(registry), std::move(o),
                                 clock_, rng_);
        pool_->start();
    }
    void start(handler_registry registry) { start(std::move(registry), options()); }

    store::job_id add(const std::string& kind, const std::string& payload = "{}") {
        store::new_job j;
        j.kind = kind;
        j.payload = payload;
        j.correlation_id = "corr-" + kind;
        auto id = store_->add_job(j, clock_.now());
        EXPECT_TRUE(id) << id.error().message;
        return id ? *id : 0;
    }

    store::job get(store::job_id id) {
        auto j = store_->get_job(id);
        EXPECT_TRUE(j) << j.error().message;
        EXPECT_TRUE(j && j->has_value());
        return j && j->has_value() ? **j : store::job{};
    }

    /// Waits until the job is in `state` having started `attempts` attempts (0: any).
    ::testing::AssertionResult reaches(store::job_id id, job_state state, int attempts = 0) {
        store::job last;
        const bool ok = eventually([&] {
            auto j = store_->get_job(id);
            if (!j || !j->has_value()) {
                return false;
            }
            last = **j;
            return last.state == state && (attempts == 0 || last.attempts == attempts);
        });
        if (ok) {
            return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure()
               << "job " << id << " is " << store::to_string(last.state) << " after "
               << last.attempts << " attempts (wanted " << store::to_string(state) << " after "
               << attempts << "), last_error '" << last.last_error << "'";
    }

    /// Moves time past a retry's backoff and wakes a worker.
    void advance_and_notify(std::chrono::milliseconds d) {
        clock_.advance(d);
        pool_->notify();
    }

    /// Adds a probe job (its handler is added to every registry) and waits until the pool has
    /// finished it: proof that a worker claimed from the store after everything done before
    /// this call.
    ::testing::AssertionResult pool_has_polled() {
        const auto probe = add(probe_kind);
        pool_->notify();
        return reaches(probe, job_state::done, 1);
    }

    static constexpr const char* probe_kind = "probe";

    std::ostringstream logs_;  // outlives the pool: declared first, destroyed last
    bool capturing_logs_ = false;
    riskbridge::testing::temp_dir dir_;
    manual_clock clock_;
    fixed_random rng_{0.5};
    std::unique_ptr<store::job_store> store_;
    std::unique_ptr<worker_pool> pool_;
};

TEST_F(WorkerPoolTest, SuccessfulHandlerMarksJobDone) {
    counter_map runs;
    handler_registry registry;
    registry.add("screening", [&](job_context& ctx) {
        EXPECT_EQ(ctx.current().kind, "screening");
        EXPECT_EQ(ctx.current().payload, R"({"application_id":"app-1"})");
        EXPECT_EQ(ctx.current().attempts, 1);
        EXPECT_EQ(ctx.current().state, job_state::running);
        EXPECT_TRUE(ctx.checkpoint().empty());
        EXPECT_EQ(&ctx.now_source(), static_cast<clock*>(&clock_));
        EXPECT_EQ(&ctx.evaluations(), static_cast<store::evaluation_store*>(store_.get()));
        EXPECT_EQ(&ctx.queue(), static_cast<store::job_queue*>(store_.get()));
        EXPECT_EQ(&ctx.audit_trail(), static_cast<store::audit_log*>(store_.get()));
        EXPECT_FALSE(ctx.stopping());
        runs.bump(std::to_string(ctx.current().id));
        return job_outcome::done("tagged");
    });
    const auto id = add("screening", R"({"application_id":"app-1"})");
    start(std::move(registry));

    ASSERT_TRUE(reaches(id, job_state::done, 1));
    EXPECT_EQ(runs.get(std::to_string(id)), 1);
    const auto j = get(id);
    EXPECT_TRUE(j.lease_owner.empty() || j.lease_owner.rfind("test-host:1/w", 0) == 0)
        << j.lease_owner;
    EXPECT_TRUE(pool_->running());
}

TEST_F(WorkerPoolTest, TransientFailuresBackOffThenSucceed) {
    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        const int n = ++calls;
        if (n <= 2) {
            return job_outcome::retry("upstream 503 #" + std::to_string(n));
        }
        return job_outcome::done();
    });
    const auto id = add("screening");
    start(std::move(registry));

    // Attempt 1 fails: the delay is jittered in [0, base] = floor(0.5 * 1001) ms.
    ASSERT_TRUE(reaches(id, job_state::retry_wait, 1));
    auto j = get(id);
    EXPECT_EQ(j.next_run_at - clock_.now(), 500ms);
    EXPECT_EQ(j.last_error, "upstream 503 #1");
    // Not due yet: the pool leaves it alone however often it is woken.
    advance_and_notify(499ms);
    ASSERT_TRUE(pool_has_polled());
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(get(id).state, job_state::retry_wait);
    advance_and_notify(1ms);

    // Attempt 2 fails: the window doubles to [0, 2 * base].
    ASSERT_TRUE(reaches(id, job_state::retry_wait, 2));
    j = get(id);
    EXPECT_EQ(j.next_run_at - clock_.now(), 1'000ms);
    EXPECT_EQ(j.last_error, "upstream 503 #2");
    advance_and_notify(1'000ms);

    ASSERT_TRUE(reaches(id, job_state::done, 3));
    EXPECT_EQ(calls.load(), 3);

    auto history = store_->job_attempts(id);
    ASSERT_TRUE(history) << history.error().message;
    std::vector<std::string> retry_errors;
    for (const auto& a : *history) {
        if (a.outcome == "retry") {
            retry_errors.push_back(a.error);
        }
    }
    EXPECT_EQ(retry_errors, (std::vector<std::string>{"upstream 503 #1", "upstream 503 #2"}));
}

TEST_F(WorkerPoolTest, RetryAfterFromTheHandlerIsHonoured) {
    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        if (++calls == 1) {
            return job_outcome::retry("429 from Ashby", 45s);
        }
        return job_outcome::done();
    });
    const auto id = add("screening");
    start(std::move(registry));

    ASSERT_TRUE(reaches(id, job_state::retry_wait, 1));
    EXPECT_EQ(get(id).next_run_at - clock_.now(), 45s);  // above the jittered 500 ms
    advance_and_notify(44s);
    ASSERT_TRUE(pool_has_polled());
    EXPECT_EQ(calls.load(), 1);
    advance_and_notify(1s);
    ASSERT_TRUE(reaches(id, job_state::done, 2));
}

TEST_F(WorkerPoolTest, RetryAfterAboveBackoffMaxIsHonouredToo) {
    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        if (++calls == 1) {
            return job_outcome::retry("429 from RiskOS", 5min);  // backoff max is 60 s
        }
        return job_outcome::done();
    });
    const auto id = add("screening");
    start(std::move(registry));

    ASSERT_TRUE(reaches(id, job_state::retry_wait, 1));
    EXPECT_EQ(get(id).next_run_at - clock_.now(), 5min);
    advance_and_notify(4min);
    ASSERT_TRUE(pool_has_polled());
    EXPECT_EQ(calls.load(), 1);
    advance_and_notify(1min);
    ASSERT_TRUE(reaches(id, job_state::done, 2));
}

TEST_F(WorkerPoolTest, ExhaustedAttemptsGoDeadWithTheReason) {
    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        ++calls;
        return job_outcome::retry("riskos timeout");
    });
    auto o = options();
    o.backoff.max_attempts = 3;
    const auto id = add("screening");
    start(std::move(registry), o);

    for (int attempt = 1; attempt < 3; ++attempt) {
        ASSERT_TRUE(reaches(id, job_state::retry_wait, attempt));
        advance_and_notify(o.backoff.max);
    }
    ASSERT_TRUE(reaches(id, job_state::dead, 3));
    EXPECT_EQ(get(id).last_error, "attempts exhausted: riskos timeout");
    EXPECT_EQ(calls.load(), 3);

    // Dead stays dead: more time and wake-ups do not run it again.
    advance_and_notify(1h);
    ASSERT_TRUE(pool_has_polled());
    EXPECT_EQ(calls.load(), 3);

    auto history = store_->job_attempts(id);
    ASSERT_TRUE(history) << history.error().message;
    ASSERT_FALSE(history->empty());
    EXPECT_EQ(history->back().error, "attempts exhausted: riskos timeout");
}

TEST_F(WorkerPoolTest, PermanentFailureGoesDeadAtOnce) {
    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        ++calls;
        return job_outcome::fail("RiskOS answered 401");
    });
    const auto id = add("screening");
    start(std::move(registry));

    ASSERT_TRUE(reaches(id, job_state::dead, 1));
    const auto j = get(id);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.last_error, "RiskOS answered 401");
    EXPECT_EQ(calls.load(), 1);
}

TEST_F(WorkerPoolTest, RetryResumesFromTheCheckpointWithoutRepeatingSideEffects) {
    counter_map side_effects;
    std::vector<std::string> seen_checkpoints;
    std::mutex seen_mutex;
    handler_registry registry;
    registry.add("screening", [&](job_context& ctx) {
        {
            std::lock_guard lock(seen_mutex);
            seen_checkpoints.push_back(ctx.checkpoint());
        }
        if (ctx.checkpoint().empty()) {
            side_effects.bump("evaluation_created");
            if (auto r = ctx.save_checkpoint("evaluation_created"); !r) {
                return job_outcome::retry("checkpoint failed");
            }
            EXPECT_EQ(ctx.checkpoint(), "evaluation_created");
            ctx.audit("create_evaluation", "ok", "eval-1");
            return job_outcome::retry("ashby 502 while tagging");
        }
        if (ctx.checkpoint() == "evaluation_created") {
            side_effects.bump("tagged");
            if (auto r = ctx.save_checkpoint("tagged"); !r) {
                return job_outcome::retry("checkpoint failed");
            }
            ctx.audit("tag_candidate", "ok");
        }
        return job_outcome::done();
    });
    const auto id = add("screening");
    start(std::move(registry));

    ASSERT_TRUE(reaches(id, job_state::retry_wait, 1));
    EXPECT_EQ(get(id).checkpoint, "evaluation_created");
    advance_and_notify(1s);
    ASSERT_TRUE(reaches(id, job_state::done, 2));

    EXPECT_EQ(side_effects.get("evaluation_created"), 1);
    EXPECT_EQ(side_effects.get("tagged"), 1);
    EXPECT_EQ(get(id).checkpoint, "tagged");
    {
        std::lock_guard lock(seen_mutex);
        EXPECT_EQ(seen_checkpoints, (std::vector<std::string>{"", "evaluation_created"}));
    }

    auto audit = store_->audit_for_job(id);
    ASSERT_TRUE(audit) << audit.error().message;
    ASSERT_EQ(audit->size(), 2u);
    EXPECT_EQ((*audit)[0].step, "create_evaluation");
    EXPECT_EQ((*audit)[0].outcome, "ok");
    EXPECT_EQ((*audit)[0].detail, "eval-1");
    EXPECT_EQ((*audit)[1].step, "tag_candidate");
    EXPECT_EQ((*audit)[1].at, clock_.now());  // stamped with the injected clock
}

TEST_F(WorkerPoolTest, JobsOfKindsWithoutAHandlerAreLeftQueued) {
    // A process that has no handler for a kind (an older replica, a flow not built yet)
    // leaves those jobs for one that has, instead of dead-lettering them.
    handler_registry registry;
    registry.add("screening", [](job_context&) { return job_outcome::done(); });
    const auto mystery = add("mystery");
    const auto known = add("screening");
    start(std::move(registry));

    ASSERT_TRUE(reaches(known, job_state::done, 1));
    // The unknown job is older than the known one, so it would have been claimed first.
    EXPECT_EQ(get(mystery).state, job_state::queued);
    EXPECT_EQ(get(mystery).attempts, 0);
}

TEST_F(WorkerPoolTest, ThrowingHandlerIsRetriedAndTheThreadSurvives) {
    capture_logs();

    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) -> job_outcome {
        if (++calls == 1) {
            throw std::runtime_error("jane.doe@example.com has no phone");
        }
        return job_outcome::done();
    });
    registry.add("other", [](job_context&) { return job_outcome::done(); });
    const auto id = add("screening");
    start(std::move(registry), options(1));  // one thread: it must survive the throw

    ASSERT_TRUE(reaches(id, job_state::retry_wait, 1));
    const auto j = get(id);
    EXPECT_NE(j.last_error.find("std::runtime_error"), std::string::npos) << j.last_error;
    EXPECT_EQ(j.last_error.find("jane"), std::string::npos) << j.last_error;

    const auto other = add("other");
    ASSERT_TRUE(reaches(other, job_state::done, 1));
    advance_and_notify(1s);
    ASSERT_TRUE(reaches(id, job_state::done, 2));

    pool_->stop();
    const std::string text = logs_.str();
    EXPECT_NE(text.find("handler_threw"), std::string::npos);
    EXPECT_NE(text.find(R"("job_id":")" + std::to_string(id) + "\""), std::string::npos);
    EXPECT_NE(text.find(R"("correlation_id":"corr-screening")"), std::string::npos);
    EXPECT_EQ(text.find("jane"), std::string::npos);
}

TEST_F(WorkerPoolTest, ExpiredLeaseOfACrashedWorkerIsPickedUp) {
    const auto id = add("screening");
    // Another process claims the job and dies without finishing.
    auto crashed = store_->claim("crashed-host:9/w0", clock_.now(), 30s);
    ASSERT_TRUE(crashed) << crashed.error().message;
    ASSERT_TRUE(crashed->has_value());
    ASSERT_EQ((*crashed)->id, id);

    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context& ctx) {
        ++calls;
        EXPECT_EQ(ctx.current().attempts, 2);
        return job_outcome::done();
    });
    start(std::move(registry));

    // While the lease holds the pool leaves the job alone.
    ASSERT_TRUE(pool_has_polled());
    EXPECT_EQ(calls.load(), 0);
    EXPECT_EQ(get(id).state, job_state::running);

    advance_and_notify(30s + 1ms);
    ASSERT_TRUE(reaches(id, job_state::done, 2));
    EXPECT_EQ(calls.load(), 1);

    // The crashed owner has lost the job.
    EXPECT_FALSE(store_->mark_done(id, "crashed-host:9/w0", "late"));
}

TEST_F(WorkerPoolTest, ManyJobsOnSeveralWorkersRunExactlyOnce) {
    constexpr int job_count = 200;
    counter_map executions;
    std::atomic<int> max_busy{0};
    handler_registry registry;
    registry.add("screening", [&](job_context& ctx) {
        executions.bump(std::to_string(ctx.current().id));
        int busy = pool_->busy_workers();
        int prev = max_busy.load();
        while (busy > prev && !max_busy.compare_exchange_weak(prev, busy)) {
        }
        if (auto r = ctx.save_checkpoint("done"); !r) {
            return job_outcome::retry("checkpoint failed");
        }
        return job_outcome::done();
    });
    std::vector<store::job_id> ids;
    for (int i = 0; i < job_count; ++i) {
        ids.push_back(add("screening", R"({"n":)" + std::to_string(i) + "}"));
    }
    start(std::move(registry), options(4));

    ASSERT_TRUE(eventually([&] {
        auto s = store_->stats();
        return s && s->jobs_by_state[job_state::done] == job_count;
    }));
    const auto counts = executions.snapshot();
    EXPECT_EQ(counts.size(), static_cast<std::size_t>(job_count));
    for (const auto id : ids) {
        EXPECT_EQ(executions.get(std::to_string(id)), 1) << "job " << id;
        EXPECT_EQ(get(id).attempts, 1) << "job " << id;
    }
    EXPECT_GE(max_busy.load(), 1);
    EXPECT_LE(max_busy.load(), 4);
}

TEST_F(WorkerPoolTest, StopWhileIdleReturnsPromptly) {
    handler_registry registry;
    auto o = options(4);
    o.poll_interval = 10min;  // only stop() can end the idle wait in time
    start(std::move(registry), o);
    ASSERT_TRUE(pool_->running());
    EXPECT_EQ(pool_->busy_workers(), 0);

    const auto begin = std::chrono::steady_clock::now();
    pool_->stop();
    // Not waiting out the 10 minute poll is what this proves; 10 s leaves a loaded or
    // sanitized machine all the room it needs to wake and join four threads.
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 10s);
    EXPECT_FALSE(pool_->running());
    pool_->stop();  // idempotent
    EXPECT_FALSE(pool_->running());
}

TEST_F(WorkerPoolTest, NotifyWakesAnIdleWorker) {
    handler_registry registry;
    registry.add("screening", [](job_context&) { return job_outcome::done(); });
    auto o = options(2);
    o.poll_interval = 10min;  // without notify() the job would wait for the next poll
    start(std::move(registry), o);
    // The first claims happen at start; from here on the workers only claim when woken.
    ASSERT_TRUE(pool_has_polled());

    const auto id = add("screening");
    pool_->notify();
    ASSERT_TRUE(reaches(id, job_state::done, 1));
}

TEST_F(WorkerPoolTest, BusyWorkersCountsRunningHandlers) {
    gate release;
    std::atomic<int> started{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        ++started;
        return release.wait() ? job_outcome::done() : job_outcome::retry("gate timeout");
    });
    const auto a = add("screening");
    const auto b = add("screening");
    start(std::move(registry), options(3));

    ASSERT_TRUE(eventually([&] { return pool_->busy_workers() == 2; }));
    EXPECT_EQ(started.load(), 2);
    release.open();
    ASSERT_TRUE(reaches(a, job_state::done, 1));
    ASSERT_TRUE(reaches(b, job_state::done, 1));
    EXPECT_TRUE(eventually([&] { return pool_->busy_workers() == 0; }));
}

TEST_F(WorkerPoolTest, StopLetsTheRunningHandlerFinishItsAttempt) {
    gate entered;
    handler_registry registry;
    registry.add("screening", [&](job_context& ctx) {
        entered.open();
        // Work step by step until the pool asks us to stop, then hand the job back.
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!ctx.stopping() && std::chrono::steady_clock::now() < until) {
            std::this_thread::yield();
        }
        return ctx.stopping() ? job_outcome::retry("stopping") : job_outcome::done();
    });
    const auto id = add("screening");
    start(std::move(registry));
    ASSERT_TRUE(entered.wait());

    pool_->stop();
    EXPECT_FALSE(pool_->running());
    const auto j = get(id);
    EXPECT_EQ(j.state, job_state::retry_wait);
    EXPECT_EQ(j.last_error, "stopping");
    EXPECT_EQ(j.attempts, 1);
}

TEST_F(WorkerPoolTest, LeaseKeeperExtendsTheLeaseOfALongHandler) {
    gate release;
    gate entered;
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        entered.open();
        return release.wait() ? job_outcome::done() : job_outcome::retry("gate timeout");
    });
    auto o = options(1);
    o.lease = 90ms;  // the keeper extends every 30 ms of real time
    const auto id = add("screening");
    start(std::move(registry), o);
    ASSERT_TRUE(entered.wait());

    const auto first_until = get(id).lease_until;
    clock_.advance(60ms);
    // The keeper pushes the lease to (advanced now) + lease, beyond the first expiry.
    ASSERT_TRUE(eventually([&] { return get(id).lease_until >= clock_.now() + 90ms; }))
        << "lease_until did not move past " << format_rfc3339(first_until);
    EXPECT_GT(get(id).lease_until, first_until);

    release.open();
    ASSERT_TRUE(reaches(id, job_state::done, 1));
}

TEST_F(WorkerPoolTest, AttemptsDurationsAndDeadJobsAreCountedByFlowAndResult) {
    observability::metrics m;
    std::atomic<int> calls{0};
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        return ++calls == 1 ? job_outcome::retry("ashby 503") : job_outcome::done();
    });
    registry.add("reconcile", [](job_context&) { return job_outcome::fail("RiskOS 401"); });
    auto o = options();
    o.metrics = &m;
    const auto screening = add("screening");
    const auto reconcile = add("reconcile");
    start(std::move(registry), o);

    ASSERT_TRUE(reaches(screening, job_state::retry_wait, 1));
    // Dead before the clock moves: advancing it past the lease while the attempt is still
    // running (a slow sanitizer build) would let the other worker take the job again.
    ASSERT_TRUE(reaches(reconcile, job_state::dead, 1));
    advance_and_notify(o.backoff.max);
    ASSERT_TRUE(reaches(screening, job_state::done, 2));
    pool_->stop();  // every attempt is recorded before its thread returns

    const std::string text = m.serialize();
    EXPECT_EQ(
        metric_sample(text,
                      R"(riskbridge_job_duration_seconds_count{flow="screening",result="retry"})"),
        1)
        << text;
    EXPECT_EQ(metric_sample(
                  text, R"(riskbridge_job_duration_seconds_count{flow="screening",result="done"})"),
              1);
    EXPECT_EQ(metric_sample(
                  text, R"(riskbridge_job_duration_seconds_count{flow="reconcile",result="dead"})"),
              1);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs_dead_total{flow="reconcile"})"), 1);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs_dead_total{flow="screening"})"), -1);
}

TEST_F(WorkerPoolTest, EveryLineOfAJobCarriesItsIdsTheDeliveryAndWhatTheHandlerLearnt) {
    capture_logs();
    handler_registry registry;
    registry.add("screening", [](job_context& ctx) {
        log::info("before_ids");
        {
            // The handler's own scope ends before the job's fields do.
            log::scoped_context step("step", "read");
            ctx.log_field("candidate_id", "c-42");
            ctx.log_field("candidate_id", "c-42");  // the same again: no second field
            log::info("inside_step");
        }
        ctx.log_field("eval_id", "ev-7");
        log::info("after_step");
        return job_outcome::done();
    });
    store::new_job j;
    j.kind = "screening";
    j.payload = "{}";
    j.correlation_id = "ashby:wa-1:applicationSubmit";
    auto id = store_->add_job(j, clock_.now());
    ASSERT_TRUE(id) << id.error().message;
    start(std::move(registry));
    ASSERT_TRUE(reaches(*id, job_state::done, 1));
    pool_->stop();
    log::info("after_the_job");

    std::map<std::string, nlohmann::json> by_event;
    std::istringstream in(logs_.str());
    for (std::string line; std::getline(in, line);) {
        auto o = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(o.is_object()) << line;
        by_event[o.value("event", "")] = o;
    }
    for (const char* event :
         {"job_claimed", "before_ids", "inside_step", "after_step", "job_done"}) {
        SCOPED_TRACE(event);
        ASSERT_TRUE(by_event.count(event));
        auto& o = by_event[event];
        EXPECT_EQ(o["job_id"], std::to_string(*id));
        EXPECT_EQ(o["kind"], "screening");
        EXPECT_EQ(o["attempt"], "1");
        // The same value as the webhook's own line, so one grep finds both.
        EXPECT_EQ(o["delivery"], "wa-1:applicationSubmit");
        EXPECT_FALSE(o.contains("correlation_id"));
    }
    EXPECT_FALSE(by_event["before_ids"].contains("candidate_id"));
    EXPECT_EQ(by_event["inside_step"]["candidate_id"], "c-42");
    EXPECT_EQ(by_event["inside_step"]["step"], "read");
    EXPECT_EQ(by_event["after_step"]["candidate_id"], "c-42");
    EXPECT_FALSE(by_event["after_step"].contains("step"));
    // The pool's own outcome line has what the handler learnt.
    EXPECT_EQ(by_event["job_done"]["candidate_id"], "c-42");
    EXPECT_EQ(by_event["job_done"]["eval_id"], "ev-7");
    EXPECT_EQ(logs_.str().find(R"("candidate_id":"c-42","candidate_id")"), std::string::npos);
    ASSERT_TRUE(by_event.count("after_the_job"));
    EXPECT_FALSE(by_event["after_the_job"].contains("job_id"));
}

TEST_F(WorkerPoolTest, ALogFieldThatIsNotAnIdIsNeverWritten) {
    capture_logs();
    handler_registry registry;
    registry.add("screening", [](job_context& ctx) {
        ctx.log_field("candidate_id", "Ada Lovelace <ada@example.com>");  // a webhook's mistake
        ctx.log_field("eval_id", "3008a19b-3e00-477e-a47f-582c0d517c50");
        log::info("fields_set");
        return job_outcome::done();
    });
    const auto id = add("screening");
    start(std::move(registry));
    ASSERT_TRUE(reaches(id, job_state::done, 1));
    pool_->stop();
    const std::string text = logs_.str();
    EXPECT_EQ(text.find("Lovelace"), std::string::npos) << text;
    EXPECT_EQ(text.find("example.com"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("candidate_id":"invalid")"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("eval_id":"3008a19b-3e00-477e-a47f-582c0d517c50")"), std::string::npos)
        << text;
}

TEST_F(WorkerPoolTest, NothingOfAJobStaysOnItsThreadForTheNextJob) {
    capture_logs();
    handler_registry registry;
    registry.add("screening", [](job_context& ctx) {
        ctx.log_field("candidate_id", "c-first");
        ctx.log_field("eval_id", "ev-first");
        log::info("first_job_line");
        return job_outcome::done();
    });
    registry.add("reconcile", [](job_context&) {
        log::info("second_job_line");
        return job_outcome::done();
    });
    const auto first = add("screening");
    const auto second = add("reconcile");
    start(std::move(registry), options(1));  // one thread runs both, one after the other
    ASSERT_TRUE(reaches(first, job_state::done, 1));
    ASSERT_TRUE(reaches(second, job_state::done, 1));
    pool_->stop();

    std::size_t second_lines = 0;
    bool saw_first = false;
    std::istringstream in(logs_.str());
    for (std::string line; std::getline(in, line);) {
        auto o = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(o.is_object()) << line;
        if (o.value("event", "") == "first_job_line") {
            saw_first = true;
            EXPECT_EQ(o.value("candidate_id", ""), "c-first") << line;
        }
        if (o.value("job_id", "") != std::to_string(second)) {
            continue;
        }
        ++second_lines;
        EXPECT_FALSE(o.contains("candidate_id")) << line;
        EXPECT_FALSE(o.contains("eval_id")) << line;
    }
    EXPECT_TRUE(saw_first);
    EXPECT_GE(second_lines, 2U);  // the handler's line and the pool's job_done at least
}

TEST_F(WorkerPoolTest, DefaultOwnerIdIsHostAndPid) {
    gate release;
    gate entered;
    handler_registry registry;
    registry.add("screening", [&](job_context&) {
        entered.open();
        return release.wait() ? job_outcome::done() : job_outcome::retry("gate timeout");
    });
    auto o = options(1);
    o.owner_id.clear();
    const auto id = add("screening");
    start(std::move(registry), o);
    ASSERT_TRUE(entered.wait());

    const auto owner = get(id).lease_owner;
    const std::string suffix = ":" + std::to_string(::getpid()) + "/w0";
    ASSERT_GT(owner.size(), suffix.size());
    EXPECT_EQ(owner.substr(owner.size() - suffix.size()), suffix);
    release.open();
    ASSERT_TRUE(reaches(id, job_state::done, 1));
}

}  // namespace
}  // namespace riskbridge::workers
