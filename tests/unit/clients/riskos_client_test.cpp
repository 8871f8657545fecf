// The RiskOS client against a scripted http_client. (Over real sockets: tests/unit/sim.)

#include "riskbridge/clients/riskos/riskos_client.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_http.hpp"
#include "support/paths.hpp"

namespace riskbridge::clients::riskos {
namespace {

using clients::testing::fake_http;
using nlohmann::json;

std::string fixture_body(const std::string& name) {
    std::ifstream in(riskbridge::testing::fixtures_dir() + "/riskos/" + name + ".json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str()).at("body").dump();
}

evaluation_request sample_request() {
    evaluation_request r;
    r.id = "job-7-screening";
    r.timestamp = "2026-02-01T10:00:00.000Z";
    r.workflow = "workforce_verification";
    r.individual.id = "cand-1";
    r.individual.given_name = "Ada";
    r.individual.family_name = "Lovelace";
    return r;
}

TEST(RiskosClient, PostsWithBearerAndOptionalVersion) {
    fake_http http;
    riskos_client client(http, {"https://riskos.sandbox.socure.com/", "rk-1", std::nullopt, {}});
    http.reply(200, fixture_body("happy_path__accept"));
    auto ev = client.evaluate(sample_request());
    ASSERT_TRUE(ev.has_value()) << ev.error().message;
    EXPECT_EQ(ev->decision, decision::accept);
    EXPECT_EQ(ev->http_status, 200);
    ASSERT_EQ(http.calls.size(), 1u);
    EXPECT_EQ(http.calls[0].method, http_method::post);
    EXPECT_EQ(http.calls[0].url, "https://riskos.sandbox.socure.com/api/evaluation");
    EXPECT_EQ(http.header(0, "Authorization"), "Bearer rk-1");
    EXPECT_EQ(http.header(0, "Content-Type"), "application/json");
    EXPECT_FALSE(http.has_header(0, "X-API-Version"));
    EXPECT_EQ(json::parse(http.calls[0].body)["id"], "job-7-screening");

    riskos_client versioned(http, {"https://riskos.example", "rk-2", "2025-01-01.orion", {}});
    http.reply(201, fixture_body("verify__dob_does_not_match__step_up_to_docv"));
    auto paused = versioned.evaluate_json(R"({"id": "x"})");
    ASSERT_TRUE(paused.has_value());
    EXPECT_EQ(paused->http_status, 201);
    EXPECT_TRUE(paused->needs_documents());
    EXPECT_EQ(http.header(1, "X-API-Version"), "2025-01-01.orion");
    EXPECT_EQ(http.calls[1].body, R"({"id": "x"})");
}

TEST(RiskosClient, GetReadsAnEvaluationBack) {
    fake_http http;
    riskos_client client(http, {"https://riskos.example", "rk", std::nullopt, {}});
    http.reply(200, fixture_body("watchlist_hit__reject"));
    auto ev = client.get_evaluation("c0ffee-01_ab");
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->decision, decision::reject);
    EXPECT_EQ(http.calls[0].method, http_method::get);
    EXPECT_EQ(http.calls[0].url, "https://riskos.example/api/evaluation/c0ffee-01_ab");
    EXPECT_TRUE(http.calls[0].body.empty());

    for (const char* bad : {"", "../admin", "a/b", "a?b=1", "x y"}) {
        auto refused = client.get_evaluation(bad);
        ASSERT_FALSE(refused.has_value()) << bad;
        EXPECT_EQ(refused.error().code, "invalid_eval_id");
        EXPECT_FALSE(refused.error().transient);
    }
    EXPECT_EQ(http.calls.size(), 1u);
}

TEST(RiskosClient, StatusesAreClassified) {
    fake_http http;
    riskos_client client(http, {"https://riskos.example", "rk", std::nullopt, {}});
    struct row {
        long status;
        bool transient;
        std::optional<milliseconds> retry_after;
    };
    for (const auto& r : std::vector<row>{{400, false, {}},
                                          {401, false, {}},
                                          {403, false, {}},
                                          {404, false, {}},
                                          {408, true, {}},
                                          {429, true, milliseconds{3000}},
                                          {500, true, {}},
                                          {503, true, milliseconds{3000}}}) {
        http.reply(r.status, R"({"error": "x", "email": "ada@example.com"})",
                   r.retry_after ? std::map<std::string, std::string>{{"retry-after", "3"}}
                                 : std::map<std::string, std::string>{});
        auto ev = client.evaluate(sample_request());
        ASSERT_FALSE(ev.has_value());
        EXPECT_EQ(ev.error().kind, failure_kind::http_status);
        EXPECT_EQ(ev.error().status, r.status);
        EXPECT_EQ(ev.error().transient, r.transient) << r.status;
        EXPECT_EQ(ev.error().retry_after, r.retry_after) << r.status;
        EXPECT_EQ(ev.error().message.find("ada@"), std::string::npos);
    }
}

TEST(RiskosClient, AnUnreadableSuccessIsAProtocolError) {
    fake_http http;
    riskos_client client(http, {"https://riskos.example", "rk", std::nullopt, {}});
    const std::string body = fixture_body("happy_path__accept");
    for (const std::string& junk : {std::string("not json"), body.substr(0, body.size() / 2),
                                    std::string(R"({"decision": "ACCEPT"})")}) {
        http.reply(200, junk);
        auto ev = client.evaluate(sample_request());
        ASSERT_FALSE(ev.has_value());
        EXPECT_EQ(ev.error().kind, failure_kind::protocol);
        EXPECT_EQ(ev.error().code, "bad_evaluation");
        EXPECT_FALSE(ev.error().transient);
    }
}

}  // namespace
}  // namespace riskbridge::clients::riskos
