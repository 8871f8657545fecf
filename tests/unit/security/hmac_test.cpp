#include "riskbridge/security/hmac.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace riskbridge::security {
namespace {

using config::secret;

// GitHub's published example for webhook signatures (same scheme as Ashby's).
constexpr std::string_view k_github_secret = "It's a Secret to Everybody";
constexpr std::string_view k_github_payload = "Hello, World!";
constexpr std::string_view k_github_signature =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

std::vector<secret> secrets(std::initializer_list<std::string> values) {
    std::vector<secret> out;
    for (const auto& v : values) {
        out.emplace_back(v);
    }
    return out;
}

std::string sign(std::string_view key, std::string_view body) {
    return "sha256=" + hmac_sha256_hex(key, body);
}

TEST(HmacSha256Hex, Rfc4231TestCase2) {
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256Hex, Rfc4231TestCase1BinaryKey) {
    const std::string key(20, '\x0b');
    EXPECT_EQ(hmac_sha256_hex(key, "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256Hex, GithubPublishedVector) {
    EXPECT_EQ("sha256=" + hmac_sha256_hex(k_github_secret, k_github_payload), k_github_signature);
}

TEST(HmacSha256Hex, EmptyKeyAndDataStillProduceADigest) {
    // HMAC-SHA256("", "") is a well-known constant.
    EXPECT_EQ(hmac_sha256_hex("", ""),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
    EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(SignatureStatus, ToString) {
    EXPECT_STREQ(to_string(signature_status::valid), "valid");
    EXPECT_STREQ(to_string(signature_status::missing), "missing");
    EXPECT_STREQ(to_string(signature_status::malformed), "malformed");
    EXPECT_STREQ(to_string(signature_status::mismatch), "mismatch");
}

TEST(VerifyAshbySignature, AcceptsGithubVector) {
    EXPECT_EQ(verify_ashby_signature(k_github_signature, k_github_payload,
                                     secrets({std::string(k_github_secret)})),
              signature_status::valid);
}

TEST(VerifyAshbySignature, ToleratesSurroundingWhitespace) {
    const std::string header = " \t" + std::string(k_github_signature) + "  ";
    EXPECT_EQ(
        verify_ashby_signature(header, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::valid);
}

TEST(VerifyAshbySignature, WrongSecretIsMismatch) {
    EXPECT_EQ(verify_ashby_signature(k_github_signature, k_github_payload,
                                     secrets({"It's a secret to everybody"})),
              signature_status::mismatch);
}

TEST(VerifyAshbySignature, TamperedBodyIsMismatch) {
    const std::string body = R"({"webhookActionId":"a1","action":"ping","data":{}})";
    const std::string header = sign("s3cret", body);
    ASSERT_EQ(verify_ashby_signature(header, body, secrets({"s3cret"})), signature_status::valid);
    for (std::size_t i : {std::size_t{0}, body.size() / 2, body.size() - 1}) {
        std::string tampered = body;
        tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
        EXPECT_EQ(verify_ashby_signature(header, tampered, secrets({"s3cret"})),
                  signature_status::mismatch)
            << "byte " << i;
    }
    EXPECT_EQ(verify_ashby_signature(header, body + " ", secrets({"s3cret"})),
              signature_status::mismatch);
}

TEST(VerifyAshbySignature, FlippedSignatureDigitIsMismatch) {
    std::string header(k_github_signature);
    header.back() = header.back() == '7' ? '8' : '7';
    EXPECT_EQ(
        verify_ashby_signature(header, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::mismatch);
}

TEST(VerifyAshbySignature, TruncatedSignatureIsMalformed) {
    const std::string header(k_github_signature.substr(0, k_github_signature.size() - 1));
    EXPECT_EQ(
        verify_ashby_signature(header, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::malformed);
    EXPECT_EQ(verify_ashby_signature("sha256=", k_github_payload,
                                     secrets({std::string(k_github_secret)})),
              signature_status::malformed);
}

TEST(VerifyAshbySignature, OverlongSignatureIsMalformed) {
    const std::string header = std::string(k_github_signature) + "0";
    EXPECT_EQ(
        verify_ashby_signature(header, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::malformed);
}

// Hex digits are case-insensitive: an upper-case (or mixed-case) digest is accepted when it
// is the right digest, and still a mismatch when it is not.
TEST(VerifyAshbySignature, UpperCaseHexIsAcceptedCaseInsensitively) {
    std::string upper(k_github_signature);
    std::transform(upper.begin() + 7, upper.end(), upper.begin() + 7,
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    ASSERT_NE(upper, std::string(k_github_signature));
    EXPECT_EQ(
        verify_ashby_signature(upper, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::valid);
    EXPECT_EQ(
        verify_ashby_signature(upper, "Hello, World?", secrets({std::string(k_github_secret)})),
        signature_status::mismatch);
}

TEST(VerifyAshbySignature, NonHexDigitIsMalformed) {
    std::string header(k_github_signature);
    header[10] = 'g';
    EXPECT_EQ(
        verify_ashby_signature(header, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::malformed);
    header = k_github_signature;
    header[20] = ' ';
    EXPECT_EQ(
        verify_ashby_signature(header, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::malformed);
}

TEST(VerifyAshbySignature, MissingPrefixIsMalformed) {
    const std::string bare(k_github_signature.substr(7));
    ASSERT_EQ(bare.size(), 64u);
    EXPECT_EQ(
        verify_ashby_signature(bare, k_github_payload, secrets({std::string(k_github_secret)})),
        signature_status::malformed);
}

TEST(VerifyAshbySignature, OtherAlgorithmPrefixIsMalformed) {
    const std::string hex(k_github_signature.substr(7));
    const auto s = secrets({std::string(k_github_secret)});
    EXPECT_EQ(verify_ashby_signature("sha1=" + hex, k_github_payload, s),
              signature_status::malformed);
    // A real sha1-sized digest too.
    EXPECT_EQ(verify_ashby_signature("sha1=" + hex.substr(0, 40), k_github_payload, s),
              signature_status::malformed);
    EXPECT_EQ(verify_ashby_signature("SHA256=" + hex, k_github_payload, s),
              signature_status::malformed);
    EXPECT_EQ(verify_ashby_signature("sha256 =" + hex, k_github_payload, s),
              signature_status::malformed);
}

TEST(VerifyAshbySignature, EmptyOrBlankHeaderIsMissing) {
    const auto s = secrets({std::string(k_github_secret)});
    EXPECT_EQ(verify_ashby_signature("", k_github_payload, s), signature_status::missing);
    EXPECT_EQ(verify_ashby_signature("  \t ", k_github_payload, s), signature_status::missing);
}

TEST(VerifyAshbySignature, SecondOfSeveralSecretsMatches) {
    const std::string body = R"({"action":"applicationSubmit"})";
    const auto s = secrets({"old-secret", "new-secret", "other-secret"});
    EXPECT_EQ(verify_ashby_signature(sign("new-secret", body), body, s), signature_status::valid);
    EXPECT_EQ(verify_ashby_signature(sign("old-secret", body), body, s), signature_status::valid);
    EXPECT_EQ(verify_ashby_signature(sign("other-secret", body), body, s), signature_status::valid);
    EXPECT_EQ(verify_ashby_signature(sign("retired-secret", body), body, s),
              signature_status::mismatch);
}

TEST(VerifyAshbySignature, EmptySecretsListNeverMatches) {
    EXPECT_EQ(verify_ashby_signature(k_github_signature, k_github_payload, {}),
              signature_status::mismatch);
}

TEST(VerifyAshbySignature, EmptySecretIsSkipped) {
    const std::string body = "{}";
    // A signature made with the empty key must not be accepted through an empty secret.
    EXPECT_EQ(verify_ashby_signature(sign("", body), body, secrets({""})),
              signature_status::mismatch);
    EXPECT_EQ(verify_ashby_signature(sign("", body), body, secrets({"", "real"})),
              signature_status::mismatch);
    EXPECT_EQ(verify_ashby_signature(sign("real", body), body, secrets({"", "real"})),
              signature_status::valid);
}

TEST(VerifyAshbySignature, BinaryBodyWithNulBytes) {
    const std::string body("a\0b\xff\x00\x80z", 7);
    ASSERT_EQ(body.size(), 7u);
    const std::string header = sign("key", body);
    EXPECT_EQ(verify_ashby_signature(header, body, secrets({"key"})), signature_status::valid);
    // Truncating at the first NUL must change the digest: the whole body is signed.
    EXPECT_EQ(verify_ashby_signature(header, std::string_view(body.data(), 1), secrets({"key"})),
              signature_status::mismatch);
    EXPECT_NE(hmac_sha256_hex("key", body), hmac_sha256_hex("key", std::string(body.c_str())));
}

TEST(VerifyAshbySignature, SecretIsUsedAsTypedNotDecoded) {
    // A hex-looking secret is keyed with its characters, not with the bytes it spells.
    const std::string body = "payload";
    const std::string hex_secret = "00ff00ff";
    EXPECT_EQ(verify_ashby_signature(sign(hex_secret, body), body, secrets({hex_secret})),
              signature_status::valid);
    EXPECT_EQ(verify_ashby_signature(sign(std::string("\x00\xff\x00\xff", 4), body), body,
                                     secrets({hex_secret})),
              signature_status::mismatch);
}

// The verifier keeps a keyed context per thread and secret, and drops them all once it would
// hold more than a handful: every key gives its own answer, whatever was verified before, on
// any thread.
TEST(VerifyAshbySignature, EachSecretKeepsItsOwnKeyAcrossManyVerifications) {
    std::vector<std::string> keys;
    for (int i = 0; i < 20; ++i) {
        keys.push_back("secret-" + std::to_string(i));
    }
    const auto check_all = [&keys] {
        for (int round = 0; round < 3; ++round) {
            for (std::size_t i = 0; i < keys.size(); ++i) {
                const std::string body = "body " + std::to_string(round) + "/" + std::to_string(i);
                const std::string header = sign(keys[i], body);
                EXPECT_EQ(verify_ashby_signature(header, body, secrets({keys[i]})),
                          signature_status::valid);
                const std::string other = keys[(i + 1) % keys.size()];
                EXPECT_EQ(verify_ashby_signature(header, body, secrets({other})),
                          signature_status::mismatch);
                EXPECT_EQ(verify_ashby_signature(header, body, secrets({other, keys[i]})),
                          signature_status::valid);
            }
        }
    };
    check_all();
    std::thread other_thread(check_all);
    other_thread.join();
}

}  // namespace
}  // namespace riskbridge::security
