#include "riskbridge/security/digest.hpp"

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

}  // namespace
}  // namespace riskbridge::security
