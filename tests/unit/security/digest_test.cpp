#include "riskbridge/security/digest.hpp"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace riskbridge::security {
namespace {

TEST(Sha256Hex, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_NE(sha256_hex(std::string_view("a\0b", 3)), sha256_hex("a"));
}

TEST(RandomHex, LengthAlphabetAndUniqueness) {
    const std::string a = random_hex(16);
    const std::string b = random_hex(16);
    ASSERT_EQ(a.size(), 32u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);  // 2^-128 chance of a false failure
    EXPECT_EQ(random_hex(0), "");
}

TEST(UniqueHexId, SixteenHexDigitsNeverRepeatedAcrossCallsOrThreads) {
    constexpr int per_thread = 20'000;
    std::vector<std::vector<std::string>> made(4);
    std::vector<std::thread> threads;
    for (auto& ids : made) {
        threads.emplace_back([&ids] {
            for (int i = 0; i < per_thread; ++i) {
                ids.push_back(unique_hex_id());
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::set<std::string> seen;
    for (const auto& ids : made) {
        for (const auto& id : ids) {
            ASSERT_EQ(id.size(), 16u);
            ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
            seen.insert(id);
        }
    }
    EXPECT_EQ(seen.size(), made.size() * per_thread);
}

}  // namespace
}  // namespace riskbridge::security
