// The writer tells its commit observer (the daemon's store commit metrics) about every group
// commit that stored its requests, and about nothing else.

#include <mutex>
#include <vector>

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

/// What the observer was told, safe to fill from the writer thread.
struct commits {
    std::mutex mutex;
    std::vector<std::size_t> batches;
    std::vector<std::chrono::microseconds> latencies;

    commit_observer observer() {
        return [this](std::size_t batch, std::chrono::microseconds latency) {
            std::lock_guard lock(mutex);
            batches.push_back(batch);
            latencies.push_back(latency);
        };
    }
    std::size_t requests() {
        std::lock_guard lock(mutex);
        std::size_t n = 0;
        for (const auto b : batches) {
            n += b;
        }
        return n;
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return batches.size();
    }
};

using commit_observer_test = store_test;
RB_STORE_BACKENDS(commit_observer_test);

TEST_P(commit_observer_test, every_commit_reports_its_batch_size_and_latency) {
    commits seen;
    test_options opts;
    opts.on_commit = seen.observer();
    // The writer waits for the test's lock until the test releases it, however slowly the
    // test runs: a lock wait that timed out first would fail k1's batch.
    opts.lock_timeout = wait_limit;
    auto store = open(opts);
    ASSERT_TRUE(store);

    ASSERT_EQ(enqueue_sync(*store, make_request("k0")).status, enqueue_status::accepted);
    // The observer runs before the requests are answered.
    EXPECT_EQ(seen.count(), 1u);
    EXPECT_EQ(seen.requests(), 1u);

    // While the writer waits for a lock, the next requests pile up and commit together.
    auto blocker = hold_write_lock();
    ASSERT_TRUE(blocker->held());
    collector<enqueue_result> results;
    store->enqueue_async(make_request("k1"), results.callback());
    ASSERT_TRUE(eventually([&] {
        auto st = store->stats();
        return st && st->pending_writes == 0;  // k1 is with the writer
    }));
    for (int i = 2; i < 6; ++i) {
        store->enqueue_async(make_request(numbered("k", i)), results.callback());
    }
    ASSERT_TRUE(blocker->release());
    ASSERT_TRUE(results.wait_for(5));

    EXPECT_EQ(seen.requests(), 6u);
    {
        std::lock_guard lock(seen.mutex);
        // k0; k1 alone (taken before the others came); k2..k5 in one transaction.
        EXPECT_EQ(seen.batches, (std::vector<std::size_t>{1, 1, 4}));
        for (const auto l : seen.latencies) {
            EXPECT_GE(l.count(), 0);
        }
    }
}

TEST_P(commit_observer_test, a_failed_commit_is_not_reported) {
    commits seen;
    test_options opts;
    opts.on_commit = seen.observer();
    opts.lock_timeout = milliseconds{50};
    auto store = open(opts);
    ASSERT_TRUE(store);
    {
        auto blocker = hold_write_lock();
        ASSERT_TRUE(blocker->held());
        EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::unavailable);
        ASSERT_TRUE(blocker->release());
    }
    EXPECT_EQ(seen.count(), 0u);
    EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::accepted);
    EXPECT_EQ(seen.count(), 1u);
}

}  // namespace
}  // namespace riskbridge::store::testing
