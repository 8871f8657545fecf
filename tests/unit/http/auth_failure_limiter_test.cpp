// The per-address limit on unauthenticated requests, with a manual clock: the limit, the
// window, Retry-After, independence of addresses, IPv6 /64 grouping and the memory bound.

#include "riskbridge/http/auth_failure_limiter.hpp"

#include <gtest/gtest.h>

namespace riskbridge::http {
namespace {

using namespace std::chrono_literals;

TEST(AuthFailureLimiter, RefusesAfterMaxFailuresUntilTheWindowEnds) {
    manual_clock clk;
    auth_failure_limiter limiter({3, 60s, 100}, clk);
    EXPECT_FALSE(limiter.refused_for("192.0.2.1"));
    EXPECT_FALSE(limiter.record_failure("192.0.2.1"));
    EXPECT_FALSE(limiter.record_failure("192.0.2.1"));
    EXPECT_FALSE(limiter.refused_for("192.0.2.1"));
    EXPECT_TRUE(limiter.record_failure("192.0.2.1"));  // the third reaches the limit
    ASSERT_TRUE(limiter.refused_for("192.0.2.1"));
    EXPECT_EQ(*limiter.refused_for("192.0.2.1"), 60s);
    // Another address is not affected.
    EXPECT_FALSE(limiter.refused_for("192.0.2.2"));

    clk.advance(59'500ms);
    ASSERT_TRUE(limiter.refused_for("192.0.2.1"));
    EXPECT_EQ(*limiter.refused_for("192.0.2.1"), 1s);  // rounded up, never 0
    clk.advance(500ms);
    EXPECT_FALSE(limiter.refused_for("192.0.2.1"));
    // A fresh window: three more failures are needed.
    EXPECT_FALSE(limiter.record_failure("192.0.2.1"));
    EXPECT_FALSE(limiter.refused_for("192.0.2.1"));
}

TEST(AuthFailureLimiter, LoopbackClientsAreNeverLimited) {
    manual_clock clk;
    auth_failure_limiter limiter({3, 60s, 100}, clk);
    for (const char* local : {"127.0.0.1", "127.8.9.10", "::1"}) {
        for (int i = 0; i < 10; ++i) {
            EXPECT_FALSE(limiter.record_failure(local)) << local;
        }
        EXPECT_FALSE(limiter.refused_for(local)) << local;
    }
    EXPECT_EQ(limiter.tracked(), 0u);
    // Addresses that only look close are still counted.
    for (const char* remote : {"128.0.0.1", "::2"}) {
        for (int i = 0; i < 3; ++i) {
            limiter.record_failure(remote);
        }
        EXPECT_TRUE(limiter.refused_for(remote)) << remote;
    }
}

TEST(AuthFailureLimiter, FailuresOfAnEndedWindowAreForgotten) {
    manual_clock clk;
    auth_failure_limiter limiter({3, 10s, 100}, clk);
    limiter.record_failure("198.51.100.9");
    limiter.record_failure("198.51.100.9");
    clk.advance(10s);
    EXPECT_FALSE(limiter.record_failure("198.51.100.9"));
    EXPECT_FALSE(limiter.record_failure("198.51.100.9"));
    EXPECT_FALSE(limiter.refused_for("198.51.100.9"));
    EXPECT_TRUE(limiter.record_failure("198.51.100.9"));
}

TEST(AuthFailureLimiter, ZeroMaxDisablesTheLimit) {
    manual_clock clk;
    auth_failure_limiter limiter({0, 60s, 100}, clk);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(limiter.record_failure("203.0.113.5"));
    }
    EXPECT_FALSE(limiter.refused_for("203.0.113.5"));
    EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(AuthFailureLimiter, Ipv6ClientsAreCountedByTheirSlash64) {
    manual_clock clk;
    auth_failure_limiter limiter({2, 60s, 100}, clk);
    limiter.record_failure("2001:db8:1:2::1");
    EXPECT_TRUE(limiter.record_failure("2001:db8:1:2:ffff::99"));  // same /64
    EXPECT_TRUE(limiter.refused_for("2001:db8:1:2::abcd"));
    EXPECT_FALSE(limiter.refused_for("2001:db8:1:3::1"));  // another /64
    // IPv4-mapped IPv6 is the IPv4 address.
    limiter.record_failure("::ffff:192.0.2.44");
    EXPECT_TRUE(limiter.record_failure("192.0.2.44"));
    EXPECT_EQ(address_key("::ffff:192.0.2.44"), "192.0.2.44");
    EXPECT_EQ(address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    EXPECT_EQ(address_key("unknown"), "unknown");
}

std::string flood_address(int i) {
    return "10." + std::to_string(1 + i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
           std::to_string(i % 256);
}

TEST(AuthFailureLimiter, TheTableIsBoundedAndAFloodDoesNotLiftABlock) {
    manual_clock clk;
    auth_failure_limiter limiter({2, 60s, 1000}, clk);
    limiter.record_failure("192.0.2.1");
    EXPECT_TRUE(limiter.record_failure("192.0.2.1"));  // blocked
    limiter.record_failure("192.0.2.2");               // counting, touched long ago
    // A flood from 100k other addresses never holds more than 1000 entries...
    for (int i = 0; i < 100'000; ++i) {
        limiter.record_failure(flood_address(i));
        ASSERT_LE(limiter.tracked(), 1000u);
    }
    EXPECT_EQ(limiter.tracked(), 1000u);
    // ...forgets the addresses still counting, and keeps the one refused until its window ends.
    EXPECT_TRUE(limiter.refused_for("192.0.2.1"));
    EXPECT_FALSE(limiter.record_failure("192.0.2.2"));  // its first failure was forgotten
    clk.advance(61s);
    EXPECT_FALSE(limiter.refused_for("192.0.2.1"));
}

TEST(AuthFailureLimiter, WhenEveryTrackedAddressIsRefusedNewOnesGoUncounted) {
    manual_clock clk;
    auth_failure_limiter limiter({1, 60s, 3}, clk);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(limiter.record_failure(flood_address(i)));
    }
    EXPECT_FALSE(limiter.record_failure(flood_address(3)));
    EXPECT_FALSE(limiter.refused_for(flood_address(3)));
    EXPECT_EQ(limiter.tracked(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(limiter.refused_for(flood_address(i))) << i;
    }
    clk.advance(61s);  // the blocks have ended: room again
    EXPECT_TRUE(limiter.record_failure(flood_address(3)));
    EXPECT_TRUE(limiter.refused_for(flood_address(3)));
    EXPECT_LE(limiter.tracked(), 3u);
}

TEST(AuthFailureLimiter, RecentlyTouchedAddressesSurviveEviction) {
    manual_clock clk;
    auth_failure_limiter limiter({3, 60s, 3}, clk);
    limiter.record_failure("10.0.0.1");
    limiter.record_failure("10.0.0.2");
    limiter.record_failure("10.0.0.3");
    limiter.record_failure("10.0.0.1");  // touched again: now the most recent
    limiter.record_failure("10.0.0.4");  // evicts 10.0.0.2
    EXPECT_EQ(limiter.tracked(), 3u);
    EXPECT_TRUE(limiter.record_failure("10.0.0.1"));  // its two earlier failures were kept
    EXPECT_FALSE(limiter.record_failure("10.0.0.2"));
    EXPECT_FALSE(limiter.record_failure("10.0.0.2"));
    EXPECT_TRUE(limiter.record_failure("10.0.0.2"));  // started again from zero
}

}  // namespace
}  // namespace riskbridge::http
