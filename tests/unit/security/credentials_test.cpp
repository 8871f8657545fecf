#include "riskbridge/security/credentials.hpp"

#include <string>

#include <gtest/gtest.h>

namespace riskbridge::security {
namespace {

using config::basic_credential;
using config::riskos_webhook_auth;
using config::secret;

constexpr std::string_view k_token = "3f2c8a1e-7b4d-4c9a-9e21-5d6f0a8b7c34";

config::riskos_webhook_auth make_auth() {
    riskos_webhook_auth auth;
    auth.bearer_tokens.emplace_back(std::string(k_token));
    auth.basic.push_back(basic_credential{"riskos", secret("p4ss:w0rd")});
    return auth;
}

// "riskos:p4ss:w0rd" (a colon in the password is allowed; the user-id ends at the first one).
constexpr std::string_view k_basic_valid = "cmlza29zOnA0c3M6dzByZA==";

TEST(AuthStatus, ToString) {
    EXPECT_STREQ(to_string(auth_status::valid), "valid");
    EXPECT_STREQ(to_string(auth_status::missing), "missing");
    EXPECT_STREQ(to_string(auth_status::unsupported), "unsupported");
    EXPECT_STREQ(to_string(auth_status::malformed), "malformed");
    EXPECT_STREQ(to_string(auth_status::rejected), "rejected");
}

TEST(WebhookAuthenticator, ValidBearer) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Bearer " + std::string(k_token)), auth_status::valid);
}

TEST(WebhookAuthenticator, BearerSchemeIsCaseInsensitive) {
    const webhook_authenticator auth(make_auth());
    for (const char* scheme : {"bearer", "BEARER", "bEaReR"}) {
        EXPECT_EQ(auth.verify(std::string(scheme) + " " + std::string(k_token)), auth_status::valid)
            << scheme;
    }
}

TEST(WebhookAuthenticator, SurroundingAndSeparatingSpacesAreTrimmed) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("  Bearer   " + std::string(k_token) + " \t"), auth_status::valid);
    EXPECT_EQ(auth.verify(" Basic  " + std::string(k_basic_valid) + " "), auth_status::valid);
}

TEST(WebhookAuthenticator, WrongTokenIsRejected) {
    const webhook_authenticator auth(make_auth());
    std::string wrong(k_token);
    wrong.back() = wrong.back() == '4' ? '5' : '4';
    EXPECT_EQ(auth.verify("Bearer " + wrong), auth_status::rejected);
    EXPECT_EQ(auth.verify("Bearer " + std::string(k_token.substr(1))), auth_status::rejected);
    EXPECT_EQ(auth.verify("Bearer " + std::string(k_token) + "0"), auth_status::rejected);
}

TEST(WebhookAuthenticator, TokenIsCaseSensitive) {
    const webhook_authenticator auth(make_auth());
    std::string upper(k_token);
    for (auto& c : upper) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    EXPECT_EQ(auth.verify("Bearer " + upper), auth_status::rejected);
}

TEST(WebhookAuthenticator, EmptyBearerTokenIsMalformed) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Bearer"), auth_status::malformed);
    EXPECT_EQ(auth.verify("Bearer   "), auth_status::malformed);
}

TEST(WebhookAuthenticator, BearerTokenWithInnerSpaceIsMalformed) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Bearer " + std::string(k_token) + " extra"), auth_status::malformed);
}

TEST(WebhookAuthenticator, ValidBasic) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Basic " + std::string(k_basic_valid)), auth_status::valid);
    EXPECT_EQ(auth.verify("basic " + std::string(k_basic_valid)), auth_status::valid);
    EXPECT_EQ(auth.verify("BASIC " + std::string(k_basic_valid)), auth_status::valid);
}

TEST(WebhookAuthenticator, BasicWrongPasswordIsRejected) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Basic cmlza29zOnA0c3M="), auth_status::rejected);  // riskos:p4ss
    EXPECT_EQ(auth.verify("Basic cmlza29zOg=="), auth_status::rejected);      // riskos:
}

TEST(WebhookAuthenticator, BasicWrongUserIsRejected) {
    const webhook_authenticator auth(make_auth());
    // "RiskOS:p4ss:w0rd": user names are compared exactly.
    EXPECT_EQ(auth.verify("Basic Umlza09TOnA0c3M6dzByZA=="), auth_status::rejected);
}

TEST(WebhookAuthenticator, BasicWithoutColonIsMalformed) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Basic cmlza29z"), auth_status::malformed);  // "riskos"
    EXPECT_EQ(auth.verify("Basic"), auth_status::malformed);
}

TEST(WebhookAuthenticator, BadBase64IsMalformed) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify("Basic cmlza29z*nA0c3M="), auth_status::malformed);   // bad char
    EXPECT_EQ(auth.verify("Basic cmlza29zOnA0c3M=="), auth_status::malformed);  // bad padding
    EXPECT_EQ(auth.verify("Basic ===="), auth_status::malformed);
    EXPECT_EQ(auth.verify("Basic cmlza29zO"), auth_status::malformed);  // 4n+1 characters
    EXPECT_EQ(auth.verify("Basic cmlz a29zOnA0c3M="), auth_status::malformed);
    EXPECT_EQ(auth.verify("Basic cmlza29zOnA0c3M=cmlz"), auth_status::malformed);
    EXPECT_EQ(auth.verify("Basic cmlza29z_nA0c3M-"), auth_status::malformed);  // URL-safe
}

TEST(WebhookAuthenticator, UnpaddedBase64IsAccepted) {
    const webhook_authenticator auth(make_auth());
    std::string unpadded(k_basic_valid);
    while (unpadded.back() == '=') {
        unpadded.pop_back();
    }
    EXPECT_EQ(auth.verify("Basic " + unpadded), auth_status::valid);
}

TEST(WebhookAuthenticator, UnsupportedScheme) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify(R"(Digest username="riskos", realm="x", nonce="abc")"),
              auth_status::unsupported);
    EXPECT_EQ(auth.verify("Token " + std::string(k_token)), auth_status::unsupported);
    EXPECT_EQ(auth.verify(std::string(k_token)), auth_status::unsupported);
    EXPECT_EQ(auth.verify("Bearer:" + std::string(k_token)), auth_status::unsupported);
}

TEST(WebhookAuthenticator, MissingHeader) {
    const webhook_authenticator auth(make_auth());
    EXPECT_EQ(auth.verify(""), auth_status::missing);
    EXPECT_EQ(auth.verify("   "), auth_status::missing);
}

TEST(WebhookAuthenticator, SeveralCredentialsForRotation) {
    riskos_webhook_auth cfg;
    cfg.bearer_tokens = {secret("old-token"), secret("new-token")};
    cfg.basic = {basic_credential{"old", secret("old-pass")},
                 basic_credential{"new", secret("new-pass")}};
    const webhook_authenticator auth(cfg);
    EXPECT_EQ(auth.verify("Bearer old-token"), auth_status::valid);
    EXPECT_EQ(auth.verify("Bearer new-token"), auth_status::valid);
    EXPECT_EQ(auth.verify("Bearer older-token"), auth_status::rejected);
    EXPECT_EQ(auth.verify("Basic b2xkOm9sZC1wYXNz"), auth_status::valid);     // old:old-pass
    EXPECT_EQ(auth.verify("Basic bmV3Om5ldy1wYXNz"), auth_status::valid);     // new:new-pass
    EXPECT_EQ(auth.verify("Basic b2xkOm5ldy1wYXNz"), auth_status::rejected);  // old:new-pass
    EXPECT_EQ(auth.verify("Basic bmV3Om9sZC1wYXNz"), auth_status::rejected);  // new:old-pass
}

TEST(WebhookAuthenticator, TokenOfOneSchemeDoesNotWorkForTheOther) {
    riskos_webhook_auth cfg;
    cfg.bearer_tokens = {secret("b2xkOm9sZC1wYXNz")};
    const webhook_authenticator bearer_only(cfg);
    EXPECT_EQ(bearer_only.verify("Bearer b2xkOm9sZC1wYXNz"), auth_status::valid);
    EXPECT_EQ(bearer_only.verify("Basic b2xkOm9sZC1wYXNz"), auth_status::rejected);
}

TEST(WebhookAuthenticator, NothingConfiguredRejectsEverything) {
    const webhook_authenticator auth(riskos_webhook_auth{});
    EXPECT_EQ(auth.verify("Bearer " + std::string(k_token)), auth_status::rejected);
    EXPECT_EQ(auth.verify("Basic " + std::string(k_basic_valid)), auth_status::rejected);
}

TEST(WebhookAuthenticator, EmptyConfiguredCredentialsNeverMatch) {
    riskos_webhook_auth cfg;
    cfg.bearer_tokens = {secret("")};
    cfg.basic = {basic_credential{"", secret("")}, basic_credential{"user", secret("")},
                 basic_credential{"", secret("pass")}};
    const webhook_authenticator auth(cfg);
    EXPECT_EQ(auth.verify("Basic Og=="), auth_status::rejected);      // ":"
    EXPECT_EQ(auth.verify("Basic dXNlcjo="), auth_status::rejected);  // "user:"
    EXPECT_EQ(auth.verify("Basic OnBhc3M="), auth_status::rejected);  // ":pass"
    EXPECT_EQ(auth.verify("Bearer"), auth_status::malformed);
}

TEST(WebhookAuthenticator, OversizedHeaderIsMalformed) {
    const webhook_authenticator auth(make_auth());
    // Valid credentials padded with spaces beyond the limit: rejected before trimming.
    const std::string padded = "Bearer " + std::string(k_token) + std::string(9000, ' ');
    EXPECT_EQ(auth.verify(padded), auth_status::malformed);
    const std::string huge_basic = "Basic " + std::string(8 * 1024, 'A');
    EXPECT_EQ(auth.verify(huge_basic), auth_status::malformed);
    // Just under the limit is still parsed normally.
    const std::string near = "Bearer " + std::string(8 * 1024 - 7, 'x');
    ASSERT_EQ(near.size(), 8u * 1024);
    EXPECT_EQ(auth.verify(near), auth_status::rejected);
}

TEST(WebhookAuthenticator, BinaryGarbageNeverThrows) {
    const webhook_authenticator auth(make_auth());
    const std::string garbage("Bearer \x00\xff\x01", 10);
    EXPECT_EQ(auth.verify(garbage), auth_status::malformed);
    const std::string nul_in_basic("Basic cmlza29zOnA0c3M6dzByZA==\0", 31);
    EXPECT_EQ(auth.verify(nul_in_basic), auth_status::malformed);
}

}  // namespace
}  // namespace riskbridge::security
