#include "riskbridge/core/clock.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace riskbridge {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, StartsAtTheGivenInstant) {
    const manual_clock default_start;
    EXPECT_EQ(to_unix_ms(default_start.now()), 1'700'000'000'000);
    const manual_clock c(from_unix_ms(123'456));
    EXPECT_EQ(to_unix_ms(c.now()), 123'456);
}

TEST(ManualClock, OnlyMovesWhenTold) {
    manual_clock c(from_unix_ms(1'000));
    EXPECT_EQ(c.now(), c.now());
    c.advance(250ms);
    EXPECT_EQ(to_unix_ms(c.now()), 1'250);
    c.advance(2s);
    EXPECT_EQ(to_unix_ms(c.now()), 3'250);
    c.advance(1500us);
    EXPECT_EQ(c.now().time_since_epoch(),
              std::chrono::duration_cast<time_point::duration>(3'251'500us));
}

TEST(ManualClock, SetJumpsAnywhereIncludingBackwards) {
    manual_clock c;
    c.set(from_unix_ms(5'000));
    EXPECT_EQ(to_unix_ms(c.now()), 5'000);
    c.set(from_unix_ms(10));
    EXPECT_EQ(to_unix_ms(c.now()), 10);
}

TEST(ManualClock, ConcurrentAdvancesAreNotLost) {
    manual_clock c(from_unix_ms(0));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&c] {
            for (int i = 0; i < 1000; ++i) {
                c.advance(1ms);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(to_unix_ms(c.now()), 4'000);
}

TEST(ManualClock, UsableThroughTheClockInterface) {
    manual_clock m(from_unix_ms(42));
    const clock& c = m;
    EXPECT_EQ(to_unix_ms(c.now()), 42);
}

TEST(SystemClock, IsOneInstanceFollowingTheRealClock) {
    EXPECT_EQ(&system_clock(), &system_clock());
    const auto before = std::chrono::system_clock::now();
    const auto t = system_clock().now();
    const auto after = std::chrono::system_clock::now();
    EXPECT_LE(before, t);
    EXPECT_LE(t, after);
}

TEST(FormatRfc3339, KnownInstant) {
    EXPECT_EQ(format_rfc3339(from_unix_ms(1'700'000'000'123)), "2023-11-14T22:13:20.123Z");
}

TEST(FormatRfc3339, EpochAndPaddedFields) {
    EXPECT_EQ(format_rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_rfc3339(from_unix_ms(1'000'000'000'007)), "2001-09-09T01:46:40.007Z");
    // Leap day.
    EXPECT_EQ(format_rfc3339(from_unix_ms(951'782'400'050)), "2000-02-29T00:00:00.050Z");
}

TEST(FormatRfc3339, SubMillisecondsAreTruncated) {
    const auto t = from_unix_ms(1'700'000'000'123) + 999us;
    EXPECT_EQ(format_rfc3339(t), "2023-11-14T22:13:20.123Z");
}

TEST(FormatRfc3339, BeforeTheEpochRoundsDown) {
    EXPECT_EQ(format_rfc3339(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(format_rfc3339(from_unix_ms(-1'000)), "1969-12-31T23:59:59.000Z");
    // Half a millisecond before the epoch is still in the last millisecond of 1969.
    EXPECT_EQ(format_rfc3339(time_point{} - 500us), "1969-12-31T23:59:59.999Z");
}

TEST(UnixMs, RoundTrip) {
    for (const std::int64_t ms :
         {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{1'700'000'000'123},
          std::int64_t{4'102'444'800'000}}) {
        EXPECT_EQ(to_unix_ms(from_unix_ms(ms)), ms) << ms;
    }
    const time_point t{std::chrono::milliseconds{1'234'567}};
    EXPECT_EQ(from_unix_ms(to_unix_ms(t)), t);
}

TEST(UnixMs, ToUnixMsTruncatesSubMilliseconds) {
    EXPECT_EQ(to_unix_ms(from_unix_ms(10) + 999us), 10);
}

TEST(RandomSource, UniformIsInHalfOpenUnitInterval) {
    auto rnd = make_random_source();
    ASSERT_NE(rnd, nullptr);
    double sum = 0.0;
    double lo = 1.0;
    double hi = 0.0;
    constexpr int n = 20'000;
    for (int i = 0; i < n; ++i) {
        const double x = rnd->uniform();
        ASSERT_GE(x, 0.0);
        ASSERT_LT(x, 1.0);
        sum += x;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
    // Mean of n uniforms has sd 1/sqrt(12 n) ~ 0.002: 0.03 is a >10 sigma margin.
    EXPECT_NEAR(sum / n, 0.5, 0.03);
    EXPECT_LT(lo, 0.01);
    EXPECT_GT(hi, 0.99);
}

TEST(RandomSource, SafeToShareBetweenThreads) {
    auto rnd = make_random_source();
    std::vector<std::thread> threads;
    std::vector<int> out_of_range(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&rnd, &out_of_range, t] {
            for (int i = 0; i < 5'000; ++i) {
                const double x = rnd->uniform();
                if (!(x >= 0.0 && x < 1.0)) {
                    ++out_of_range[static_cast<std::size_t>(t)];
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (int bad : out_of_range) {
        EXPECT_EQ(bad, 0);
    }
}

TEST(RandomSource, IndependentSourcesDiffer) {
    auto a = make_random_source();
    auto b = make_random_source();
    bool differ = false;
    for (int i = 0; i < 4 && !differ; ++i) {
        differ = a->uniform() != b->uniform();
    }
    EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace riskbridge
