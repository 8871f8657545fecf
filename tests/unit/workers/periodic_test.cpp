#include "riskbridge/workers/periodic.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include <gtest/gtest.h>

namespace riskbridge::workers {
namespace {

using namespace std::chrono_literals;

/// Counts calls and lets the test wait for the n-th one.
struct call_counter {
    std::mutex mutex;
    std::condition_variable cv;
    int calls = 0;
    void hit() {
        std::lock_guard lock(mutex);
        ++calls;
        cv.notify_all();
    }
    bool wait_for(int n, std::chrono::milliseconds limit = 30s) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, limit, [&] { return calls >= n; });
    }
};

TEST(PeriodicRunner, RunsEachTaskAtOnceAndThenRepeatedly) {
    call_counter fast, slow;
    periodic_runner runner;
    runner.add("fast", 5ms, [&] { fast.hit(); });
    runner.add("slow", 1h, [&] { slow.hit(); });
    runner.start();
    EXPECT_TRUE(slow.wait_for(1));  // first run right after start
    EXPECT_TRUE(fast.wait_for(3));  // then at its interval
    runner.stop();
    EXPECT_EQ(runner.runs("slow"), 1u);
    EXPECT_GE(runner.runs("fast"), 3u);
}

TEST(PeriodicRunner, AThrowingTaskKeepsItsSchedule) {
    call_counter c;
    periodic_runner runner;
    runner.add("flaky", 5ms, [&] {
        c.hit();
        throw std::runtime_error("boom");
    });
    runner.start();
    EXPECT_TRUE(c.wait_for(3));
    runner.stop();
}

TEST(PeriodicRunner, StopIsPromptEvenWithLongIntervalsAndIdempotent) {
    call_counter c;
    periodic_runner runner;
    runner.add("hourly", 1h, [&] { c.hit(); });
    runner.start();
    ASSERT_TRUE(c.wait_for(1));
    const auto began = std::chrono::steady_clock::now();
    runner.stop();
    runner.stop();
    // Not waiting out the hour is what this proves; 10 s leaves a loaded or sanitized
    // machine all the room it needs to wake and join one thread.
    EXPECT_LT(std::chrono::steady_clock::now() - began, 10s);
}

}  // namespace
}  // namespace riskbridge::workers
