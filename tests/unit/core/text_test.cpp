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

TEST(Text, ToLowerAndToUpperChangeAsciiLettersOnly) {
    EXPECT_EQ(to_lower("Content-Type: HTTP/1.1"), "content-type: http/1.1");
    EXPECT_EQ(to_upper("accept_with_review-2"), "ACCEPT_WITH_REVIEW-2");
    EXPECT_EQ(to_lower(""), "");
    EXPECT_EQ(to_upper(""), "");
    EXPECT_EQ(to_lower("@[`{"), "@[`{");  // the neighbours of 'A'-'Z' and 'a'-'z' stay
    EXPECT_EQ(to_upper("@[`{"), "@[`{");
    EXPECT_EQ(to_lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // ÉTÉ: UTF-8 bytes kept
    EXPECT_EQ(to_upper("\xC3\xA9t\xC3\xA9"), "\xC3\xA9T\xC3\xA9");  // été
    EXPECT_EQ(to_upper(std::string_view("a\0b", 3)), std::string("A\0B", 3));
}

TEST(Text, JoinPutsTheSeparatorBetweenItems) {
    EXPECT_EQ(join({}, ", "), "");
    EXPECT_EQ(join({"a"}, ", "), "a");
    EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
    EXPECT_EQ(join({"a", "b"}, ""), "ab");
    EXPECT_EQ(join({"a", "", "b"}, ","), "a,,b");
    EXPECT_EQ(join({"a", ""}, ","), "a,");
}

TEST(Text, JoinWritesNoSeparatorBeforeTheFirstNonEmptyText) {
    EXPECT_EQ(join({"", "a"}, ", "), "a");
    EXPECT_EQ(join({"", "", "a", "b"}, ", "), "a, b");
    EXPECT_EQ(join({"", ""}, ", "), "");
}

}  // namespace
}  // namespace riskbridge
