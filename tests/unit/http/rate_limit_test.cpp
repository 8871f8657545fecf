// The handler's per-address limit on unauthenticated webhooks: 401s count against the client
// address, then that address's failures get 429 with Retry-After; a request that authenticates
// is served whatever its address did (verified first, limited only on failure), before its body
// for RiskOS; other addresses and the health endpoints are not affected; the refusals are
// counted in the metrics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handler_fixture.hpp"
#include "webhook_requests.hpp"

namespace riskbridge::http {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* secret = "limit-test-secret";

class RateLimitTest : public testing::handler_fixture {
protected:
    void SetUp() override {
        cfg_ = testing::webhook_config(secret);
        cfg_.server.auth_failure_limit = {3, 60s, 100};
        start();
    }

    static request ashby(const std::string& from, const std::string& body, bool good_signature) {
        request r = testing::ashby_post(body, good_signature ? secret : "wrong", "req");
        r.remote_address = from;
        return r;
    }

    static std::string event(const std::string& id) {
        return json{
            {"webhookActionId", id},
            {"action", "applicationSubmit"},
            {"data", {{"application", {{"id", "app-" + id}, {"candidate", {{"id", "c-1"}}}}}}}}
            .dump();
    }
};

TEST_F(RateLimitTest, BadSignaturesThenTooManyRequestsForThatAddressOnly) {
    const std::string attacker = "198.51.100.66";
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(ashby(attacker, event("x"), false)).status, 401u) << i;
    }
    // The next failure is refused as too many.
    const auto limited = call(ashby(attacker, event("x"), false));
    EXPECT_EQ(limited.status, 429u);
    EXPECT_EQ(json::parse(limited.body)["error"], "too_many_failures");
    EXPECT_EQ(testing::header_of(limited, "Retry-After"), "60");
    // An unsigned request that is not a ping too.
    request unsigned_req = ashby(attacker, event("x"), false);
    unsigned_req.headers.clear();
    EXPECT_EQ(call(unsigned_req).status, 429u);

    // Another client is served normally.
    const auto other = call(ashby("192.0.2.10", event("a-2"), true));
    EXPECT_EQ(other.status, 200u);
    EXPECT_EQ(json::parse(other.body)["status"], "accepted");

    // RiskOS webhooks from the blocked address with bad credentials are refused too, on their
    // headers already; health checks are not.
    request riskos;
    riskos.method = "POST";
    riskos.target = "/webhooks/riskos";
    riskos.remote_address = attacker;
    riskos.headers.emplace_back("Authorization", "Bearer guess");
    const auto early = handler_->check_headers(riskos);
    ASSERT_TRUE(early.has_value());
    EXPECT_EQ(early->status, 429u);
    riskos.body = R"({"event_id":"e-1","event_type":"case_notes_added","data":{}})";
    EXPECT_EQ(call(riskos).status, 429u);
    request health;
    health.method = "GET";
    health.target = "/healthz";
    health.remote_address = attacker;
    EXPECT_EQ(call(health).status, 200u);

    const std::string text = metrics_.serialize();
    EXPECT_THAT(text, HasSubstr(R"(riskbridge_http_refused_total{reason="rate_limited"} 4)"));
    EXPECT_THAT(text, HasSubstr(R"(outcome="rate_limited")"));
    EXPECT_THAT(text, HasSubstr(R"(outcome="unauthorized")"));
}

TEST_F(RateLimitTest, RiskosCredentialFailuresCountToo) {
    const std::string attacker = "2001:db8:7::1";
    for (int i = 0; i < 3; ++i) {
        request r;
        r.method = "POST";
        r.target = "/webhooks/riskos";
        r.remote_address = attacker;
        r.headers.emplace_back("Authorization", "Bearer guess-" + std::to_string(i));
        r.body = "{}";
        EXPECT_EQ(call(std::move(r)).status, 401u);
    }
    // Another address of the same /64 is the same client.
    EXPECT_EQ(call(ashby("2001:db8:7::2", event("a-3"), false)).status, 429u);
}

TEST_F(RateLimitTest, AnAuthenticatedRequestIsServedWhateverItsAddressFailedBefore) {
    // An attacker who shares (or forges) the sender's address fails far beyond the limit ...
    const std::string shared = "203.0.113.50";
    for (int i = 0; i < 30; ++i) {
        EXPECT_EQ(call(ashby(shared, event("forged"), false)).status, i < 3 ? 401u : 429u) << i;
    }
    // ... and the real sender's correctly signed delivery is taken all the same,
    const auto signed_delivery = call(ashby(shared, event("real-1"), true));
    EXPECT_EQ(signed_delivery.status, 200u) << signed_delivery.body;
    EXPECT_EQ(json::parse(signed_delivery.body)["status"], "accepted");
    // as is an unsigned ping (answered unauthenticated, so it is no failure to limit),
    request ping;
    ping.method = "POST";
    ping.target = "/webhooks/ashby";
    ping.remote_address = shared;
    ping.body = R"({"action":"ping"})";
    EXPECT_EQ(call(ping).status, 200u);
    // and RiskOS with valid credentials: through the header check, then served.
    request riskos;
    riskos.method = "POST";
    riskos.target = "/webhooks/riskos";
    riskos.remote_address = shared;
    riskos.headers.emplace_back("Authorization", "Bearer bearer-1");
    EXPECT_FALSE(handler_->check_headers(riskos).has_value());
    riskos.body = R"({"event_id":"e-9","event_type":"case_notes_added","data":{}})";
    const auto event_answer = call(riskos);
    EXPECT_EQ(event_answer.status, 200u) << event_answer.body;
    EXPECT_EQ(json::parse(event_answer.body)["status"], "accepted");
    // Failures from it are still refused afterwards: a success does not lift the limit.
    EXPECT_EQ(call(ashby(shared, event("forged"), false)).status, 429u);
}

TEST_F(RateLimitTest, UnsignedPingIsNotAFailure) {
    for (int i = 0; i < 10; ++i) {
        request r;
        r.method = "POST";
        r.target = "/webhooks/ashby";
        r.remote_address = "192.0.2.99";
        r.body = R"({"action":"ping","data":{"webhookActionType":"ping"}})";
        EXPECT_EQ(call(std::move(r)).status, 200u);
    }
}

}  // namespace
}  // namespace riskbridge::http
