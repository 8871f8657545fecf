// compute_backoff: full jitter between 0 and min(max, base * 2^(attempt-1)), Retry-After as a
// floor capped at max, and no overflow however many attempts have failed.

#include <climits>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "fixed_random.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::workers {
namespace {

using namespace std::chrono_literals;
using testing::fixed_random;

constexpr backoff_policy policy{12, milliseconds{100}, milliseconds{10'000}};

milliseconds backoff_at(double u, int attempt, std::optional<milliseconds> retry_after = {},
                        const backoff_policy& p = policy) {
    fixed_random rng(u);
    return compute_backoff(p, attempt, rng, retry_after);
}

TEST(Backoff, LowestDrawIsZeroForEveryAttempt) {
    for (int attempt = 1; attempt <= 20; ++attempt) {
        EXPECT_EQ(backoff_at(0.0, attempt), 0ms) << "attempt " << attempt;
    }
}

TEST(Backoff, WindowDoublesPerAttempt) {
    // attempt n draws from [0, base * 2^(n-1)]: 100, 200, 400, ... ms.
    for (int attempt = 1; attempt <= 7; ++attempt) {
        const long long ceiling = 100LL << (attempt - 1);
        const auto mid = backoff_at(0.5, attempt).count();
        const auto high = backoff_at(0.999, attempt).count();
        EXPECT_EQ(mid, ceiling / 2) << "attempt " << attempt;
        EXPECT_LE(high, ceiling) << "attempt " << attempt;
        EXPECT_GE(high, ceiling * 99 / 100) << "attempt " << attempt;
    }
}

TEST(Backoff, ExactValuesForTheFirstAttempts) {
    EXPECT_EQ(backoff_at(0.5, 1), 50ms);
    EXPECT_EQ(backoff_at(0.999, 1), 100ms);  // the upper bound is reachable
    EXPECT_EQ(backoff_at(0.5, 2), 100ms);
    EXPECT_EQ(backoff_at(0.999, 2), 200ms);  // floor(0.999 * 201)
    EXPECT_EQ(backoff_at(0.5, 3), 200ms);
}

TEST(Backoff, CappedAtMax) {
    // 100 * 2^9 = 51'200 > 10'000: the window is [0, 10'000].
    EXPECT_EQ(backoff_at(0.5, 10), 5'000ms);
    EXPECT_EQ(backoff_at(0.999, 10), 9'990ms);
    EXPECT_LE(backoff_at(0.999, 8), 10'000ms);
    EXPECT_EQ(backoff_at(0.5, 8), 5'000ms);  // 12'800 is capped as well
}

TEST(Backoff, BaseAboveMaxIsCapped) {
    const backoff_policy p{5, milliseconds{50'000}, milliseconds{1'000}};
    EXPECT_EQ(backoff_at(0.999, 1, {}, p), 999ms);
    EXPECT_EQ(backoff_at(0.5, 1, {}, p), 500ms);
}

TEST(Backoff, RetryAfterIsAFloor) {
    EXPECT_EQ(backoff_at(0.0, 1, 5'000ms), 5'000ms);
    EXPECT_EQ(backoff_at(0.5, 3, 5'000ms), 5'000ms);
    // A jittered delay above the floor is kept.
    EXPECT_EQ(backoff_at(0.5, 10, 1'000ms), 5'000ms);
    EXPECT_EQ(backoff_at(0.999, 1, 10ms), 100ms);
    EXPECT_EQ(backoff_at(0.0, 1, 0ms), 0ms);
}

TEST(Backoff, RetryAfterAboveMaxIsStillHonoured) {
    // Calling back before the upstream said to would only spend attempts on more 429s.
    EXPECT_EQ(backoff_at(0.0, 1, 1h), 1h);
    EXPECT_EQ(backoff_at(0.999, 30, 24h), 24h);
}

TEST(Backoff, NegativeRetryAfterIsIgnored) {
    EXPECT_EQ(backoff_at(0.5, 1, -5s), 50ms);
}

TEST(Backoff, HugeAttemptNumbersDoNotOverflow) {
    for (int attempt : {62, 63, 64, 100, 1000, INT_MAX}) {
        const auto high = backoff_at(0.999, attempt);
        EXPECT_GE(high, 9'900ms) << "attempt " << attempt;
        EXPECT_LE(high, 10'000ms) << "attempt " << attempt;
        EXPECT_EQ(backoff_at(0.0, attempt), 0ms) << "attempt " << attempt;
        EXPECT_EQ(backoff_at(0.5, attempt), 5'000ms) << "attempt " << attempt;
    }
}

TEST(Backoff, HugeBaseAndMaxDoNotOverflow) {
    constexpr auto big = std::numeric_limits<milliseconds::rep>::max();
    const backoff_policy p{12, milliseconds{big / 4}, milliseconds{big}};
    for (int attempt : {1, 2, 3, 4, 1000}) {
        const auto d = backoff_at(0.999, attempt, {}, p);
        EXPECT_GE(d.count(), 0) << "attempt " << attempt;
        EXPECT_LE(d.count(), big) << "attempt " << attempt;
    }
}

TEST(Backoff, AttemptBelowOneCountsAsTheFirst) {
    EXPECT_EQ(backoff_at(0.999, 0), 100ms);
    EXPECT_EQ(backoff_at(0.999, -7), 100ms);
}

TEST(Backoff, MisbehavingRandomSourceIsClamped) {
    EXPECT_EQ(backoff_at(1.0, 1), 100ms);
    EXPECT_EQ(backoff_at(7.5, 1), 100ms);
    EXPECT_EQ(backoff_at(-1.0, 1), 0ms);
    EXPECT_EQ(backoff_at(std::nan(""), 1), 0ms);
}

TEST(Backoff, ZeroBaseMeansNoDelay) {
    const backoff_policy p{12, milliseconds{0}, milliseconds{10'000}};
    EXPECT_EQ(backoff_at(0.999, 5, {}, p), 0ms);
    EXPECT_EQ(backoff_at(0.999, 5, 2s, p), 2'000ms);
}

TEST(Backoff, RealRandomSourceStaysInTheWindow) {
    auto rng = make_random_source();
    for (int attempt = 1; attempt <= 12; ++attempt) {
        const auto ceiling = std::min<long long>(10'000, 100LL << (attempt - 1));
        for (int i = 0; i < 200; ++i) {
            const auto d = compute_backoff(policy, attempt, *rng).count();
            ASSERT_GE(d, 0);
            ASSERT_LE(d, ceiling);
        }
    }
}

}  // namespace
}  // namespace riskbridge::workers
