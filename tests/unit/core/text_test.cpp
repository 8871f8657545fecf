// The ASCII helpers the server, the security checks, the clients and the flows share.

#include "riskbridge/core/text.hpp"

#include <gtest/gtest.h>

namespace riskbridge {
namespace {

TEST(Text, IequalsIgnoresAsciiCaseOnly) {
    EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("Bearer", "Bearer "));
    EXPECT_FALSE(iequals("abc", "abd"));
    EXPECT_FALSE(iequals("\xC3\xA9", "\xC3\x89"));  // é and É: not ASCII, compared as bytes
    EXPECT_FALSE(iequals("[", "{"));                // 0x5B and 0x7B differ by the case bit
}

TEST(Text, TrimOwsTakesSpacesAndTabsOnly) {
    EXPECT_EQ(trim_ows(" \t sha256=ab \t"), "sha256=ab");
    EXPECT_EQ(trim_ows("\r\nx\n"), "\r\nx\n");
    EXPECT_EQ(trim_ows(" \t "), "");
    EXPECT_EQ(trim_ows(""), "");
}

TEST(Text, TrimSpaceTakesAllAsciiWhitespace) {
    EXPECT_EQ(trim_space("\t\n\v\f\r I Consent \r\n"), "I Consent");
    EXPECT_EQ(trim_space("\xC2\xA0x"), "\xC2\xA0x");  // a non-breaking space is not ASCII
    EXPECT_EQ(trim_space("   "), "");
}

}  // namespace
}  // namespace riskbridge
