// Who the client is: the TCP peer, unless the peer is a trusted proxy, then the right-most
// X-Forwarded-For entry that is not itself trusted.

#include "riskbridge/http/client_address.hpp"

#include <gtest/gtest.h>

namespace riskbridge::http {
namespace {

TEST(ClientAddress, ParsesAndFormatsAddresses) {
    ASSERT_TRUE(parse_ip("192.0.2.1"));
    ASSERT_TRUE(parse_ip("2001:db8::1"));
    EXPECT_FALSE(parse_ip("192.0.2.256"));
    EXPECT_FALSE(parse_ip("lb.internal"));
    EXPECT_FALSE(parse_ip(""));
    EXPECT_EQ(format_ip(*parse_ip("::ffff:10.1.2.3")), "10.1.2.3");
    EXPECT_EQ(format_ip(*parse_ip("2001:DB8:0:0::1")), "2001:db8::1");
}

TEST(ClientAddress, TellsLoopbackAddresses) {
    for (const char* local : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
        EXPECT_TRUE(is_loopback(*parse_ip(local))) << local;
    }
    for (const char* remote : {"126.255.255.255", "128.0.0.1", "::", "::2", "::ffff:10.0.0.1",
                               "fe80::1", "2001:db8::1"}) {
        EXPECT_FALSE(is_loopback(*parse_ip(remote))) << remote;
    }
}

TEST(ClientAddress, AddressSetMatchesAddressesAndCidrs) {
    const address_set set(
        {"10.0.0.0/8", "192.168.1.7", "fd00::/8", "2001:db8::/127", "junk", "1.2.3.4/40"});
    EXPECT_TRUE(set.contains("10.200.3.4"));
    EXPECT_FALSE(set.contains("11.0.0.1"));
    EXPECT_TRUE(set.contains("192.168.1.7"));
    EXPECT_FALSE(set.contains("192.168.1.8"));
    EXPECT_TRUE(set.contains("fdab::1"));
    EXPECT_FALSE(set.contains("fe80::1"));
    EXPECT_TRUE(set.contains("2001:db8::1"));
    EXPECT_FALSE(set.contains("2001:db8::2"));
    EXPECT_TRUE(set.contains("::ffff:10.9.9.9"));  // IPv4 seen on a dual-stack socket
    EXPECT_FALSE(set.contains("1.2.3.4"));         // the invalid /40 was skipped
    EXPECT_FALSE(set.contains("not an address"));
    // An IPv6 range over IPv4-mapped addresses shorter than /96 would span all of IPv4.
    const address_set mapped({"::ffff:10.0.0.0/8", "::ffff:10.0.0.0/104"});
    EXPECT_FALSE(mapped.contains("192.0.2.1"));
    EXPECT_TRUE(mapped.contains("10.1.2.3"));  // the /104 is 10.0.0.0/8
    EXPECT_FALSE(parse_cidr("::ffff:10.0.0.0/8"));
    const address_set all_v4({"0.0.0.0/0"});
    EXPECT_TRUE(all_v4.contains("8.8.8.8"));
    EXPECT_FALSE(all_v4.contains("2001:db8::1"));
}

TEST(ClientAddress, WithoutTrustedProxiesThePeerIsTheClient) {
    const address_set none;
    EXPECT_EQ(client_address("203.0.113.9", {"198.51.100.1"}, none), "203.0.113.9");
    EXPECT_EQ(client_address("::ffff:203.0.113.9", {}, none), "203.0.113.9");
}

TEST(ClientAddress, AnUntrustedPeerCannotSpoofForwardedFor) {
    const address_set lb({"10.0.0.0/8"});
    EXPECT_EQ(client_address("203.0.113.9", {"198.51.100.1"}, lb), "203.0.113.9");
}

TEST(ClientAddress, TheRightMostUntrustedEntryIsTheClient) {
    const address_set lb({"10.0.0.0/8"});
    // The client forged the first entry; the balancer appended the real one.
    EXPECT_EQ(client_address("10.0.0.5", {"1.1.1.1, 198.51.100.7"}, lb), "198.51.100.7");
    // Two proxies in a row, and several headers.
    EXPECT_EQ(client_address("10.0.0.5", {"1.1.1.1, 198.51.100.7", "10.2.2.2"}, lb),
              "198.51.100.7");
    // Ports and brackets are tolerated.
    EXPECT_EQ(client_address("10.0.0.5", {"198.51.100.7:4321"}, lb), "198.51.100.7");
    EXPECT_EQ(client_address("10.0.0.5", {"[2001:db8::5]:443"}, lb), "2001:db8::5");
    EXPECT_EQ(client_address("10.0.0.5", {" 2001:db8::6 "}, lb), "2001:db8::6");
}

TEST(ClientAddress, GarbageStopsTheWalkAtTheLastTrustedHop) {
    const address_set lb({"10.0.0.0/8"});
    EXPECT_EQ(client_address("10.0.0.5", {"198.51.100.7, not-an-ip"}, lb), "10.0.0.5");
    EXPECT_EQ(client_address("10.0.0.5", {"198.51.100.7, not-an-ip, 10.3.3.3"}, lb), "10.3.3.3");
    EXPECT_EQ(client_address("10.0.0.5", {""}, lb), "10.0.0.5");
    // No header at all: the balancer itself (e.g. its health checks).
    EXPECT_EQ(client_address("10.0.0.5", {}, lb), "10.0.0.5");
    // Everything trusted: the left-most hop.
    EXPECT_EQ(client_address("10.0.0.5", {"10.9.9.9, 10.8.8.8"}, lb), "10.9.9.9");
}

TEST(ClientAddress, AHugeForwardedForIsWalkedOnlyAFewHops) {
    const address_set lb({"10.0.0.0/8"});
    std::string chain = "198.51.100.7";
    for (int i = 0; i < 5000; ++i) {
        chain += ", 10.0.0.1";
    }
    // 64 hops at most are looked at; the client is then the last trusted one seen.
    EXPECT_EQ(client_address("10.0.0.5", {chain}, lb), "10.0.0.1");
}

}  // namespace
}  // namespace riskbridge::http
