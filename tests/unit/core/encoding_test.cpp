// base64, hex and plain tokens: the one implementation that Basic credentials, the encrypted
// store, data keys, the Ashby client and metric labels share.

#include "riskbridge/core/encoding.hpp"

#include <gtest/gtest.h>

namespace riskbridge {
namespace {

TEST(Base64, EncodesWithPaddingAndDecodesBack) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("key:"), "a2V5Og==");
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
    }
    for (std::size_t n = 0; n <= all.size(); n += 7) {
        const std::string bytes = all.substr(0, n);
        EXPECT_EQ(base64_decode(base64_encode(bytes), base64_alphabet::standard,
                                base64_padding::required),
                  bytes)
            << n;
    }
}

TEST(Base64, PaddingIsOptionalUnlessRequired) {
    EXPECT_EQ(base64_decode("Zg"), "f");
    EXPECT_EQ(base64_decode("Zg=="), "f");
    EXPECT_FALSE(base64_decode("Zg", base64_alphabet::standard, base64_padding::required));
    EXPECT_FALSE(base64_decode("Zg="));    // padding that does not complete a group
    EXPECT_FALSE(base64_decode("Zg==="));  // three '='
    EXPECT_FALSE(base64_decode("Z"));      // one digit cannot be a byte
}

TEST(Base64, RefusesStrayBitsOtherCharactersAndTheUrlAlphabetUnlessAsked) {
    EXPECT_FALSE(base64_decode("Zh=="));  // the bits below "Zg" must be zero
    EXPECT_FALSE(base64_decode("Zm9v "));
    EXPECT_FALSE(base64_decode("Zm9\nv"));
    EXPECT_FALSE(base64_decode("-_8="));
    EXPECT_EQ(base64_decode("-_8=", base64_alphabet::standard_or_url), base64_decode("+/8="));
}

TEST(Hex, DecodesEitherCaseAndRefusesTheRest) {
    EXPECT_EQ(hex_decode("00ffA0"), std::string("\x00\xff\xa0", 3));
    EXPECT_EQ(hex_decode(""), "");
    EXPECT_FALSE(hex_decode("abc"));
    EXPECT_FALSE(hex_decode("zz"));
}

TEST(Token, IsShortAndPlain) {
    EXPECT_TRUE(is_token("2026-11"));
    EXPECT_TRUE(is_token("missing_endpoint_permission"));
    EXPECT_TRUE(is_token("candidate.info"));
    EXPECT_FALSE(is_token(""));
    EXPECT_FALSE(is_token(std::string(65, 'a')));
    EXPECT_TRUE(is_token(std::string(128, 'a'), 128));
    for (const char* text : {"a b", "ada@example.com", "+14155550101", "x/y", "é"}) {
        EXPECT_FALSE(is_token(text)) << text;
    }
}

}  // namespace
}  // namespace riskbridge
