// The clients tell their upstream_observer about every call with bounded labels: the service,
// an endpoint name from code (never a URL with ids), and the HTTP status or failure kind.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_http.hpp"
#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/clients/riskos/riskos_client.hpp"

namespace riskbridge::clients {
namespace {

using nlohmann::json;
using testing::fake_http;

struct seen_call {
    std::string service;
    std::string endpoint;
    std::string status;
    std::chrono::microseconds duration{-1};
};

/// An observer that keeps what it is told (the views die with the call).
struct recorder {
    std::vector<seen_call> calls;
    upstream_observer observer() {
        return [this](const upstream_call& c) {
            calls.push_back({std::string(c.service), std::string(c.endpoint), std::string(c.status),
                             c.duration});
        };
    }
};

upstream_error failure(failure_kind kind, std::string code) {
    upstream_error e;
    e.kind = kind;
    e.transient = true;
    e.code = std::move(code);
    e.message = "fake failure";
    return e;
}

std::string ok(const json& results, const json& extra = json::object()) {
    json body{{"success", true}, {"results", results}};
    body.update(extra);
    return body.dump();
}

TEST(UpstreamObserver, AshbyCallsAreNamedByMethodWithStatusOrFailureKind) {
    fake_http http;
    recorder seen;
    ashby::ashby_options o;
    o.base_url = "https://api.ashbyhq.com";
    o.api_key = "k";
    o.observer = seen.observer();
    ashby::ashby_client client(http, o);

    http.reply(200, ok({{"id", "cand-1"}, {"name", "A"}}));
    ASSERT_TRUE(client.candidate_info("cand-1"));
    http.reply(429, "{}", {{"retry-after", "3"}});
    EXPECT_FALSE(client.application_info("app-1"));
    http.reply(200, json{{"success", false}, {"errorInfo", {{"code", "not_found"}}}}.dump());
    EXPECT_FALSE(client.add_tag("cand-1", "t-1"));
    http.fail(failure(failure_kind::timeout, "OPERATION_TIMEDOUT"));
    EXPECT_FALSE(client.create_note({"cand-1", "<b>x</b>", false, std::nullopt}));
    http.fail(failure(failure_kind::network, "COULDNT_CONNECT"));
    EXPECT_FALSE(client.create_tag("LOW_RISK"));
    // A list endpoint: one observation per page.
    http.reply(200, ok(json::array({{{"id", "n-1"}}}),
                       {{"moreDataAvailable", true}, {"nextCursor", "c2"}}));
    http.reply(200, ok(json::array({{{"id", "n-2"}}})));
    ASSERT_TRUE(client.list_notes("cand-1"));

    ASSERT_EQ(seen.calls.size(), 7u);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"candidate.info", "200"},          {"application.info", "429"},
        {"candidate.addTag", "api_error"},  {"candidate.createNote", "timeout"},
        {"candidateTag.create", "network"}, {"candidate.listNotes", "200"},
        {"candidate.listNotes", "200"}};
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(seen.calls[i].service, "ashby");
        EXPECT_EQ(seen.calls[i].endpoint, want[i].first);
        EXPECT_EQ(seen.calls[i].status, want[i].second);
        EXPECT_GE(seen.calls[i].duration.count(), 0);
    }
}

TEST(UpstreamObserver, RiskosCallsAreCreateOrGetNeverTheUrl) {
    fake_http http;
    recorder seen;
    riskos::riskos_options o;
    o.base_url = "https://riskos.example";
    o.api_key = "rk";
    o.observer = seen.observer();
    riskos::riskos_client client(http, o);

    http.reply(201, json{{"eval_id", "ev-1"}, {"eval_status", "evaluation_paused"}}.dump());
    (void)client.evaluate_json(R"({"id": "rb-screening-app-1"})");
    http.reply(404, "{}");
    EXPECT_FALSE(client.get_evaluation("ev-123"));
    http.fail(failure(failure_kind::tls, "SSL_CONNECT_ERROR"));
    EXPECT_FALSE(client.get_evaluation("ev-124"));
    // Refused before sending: no call, nothing observed.
    EXPECT_FALSE(client.get_evaluation("../etc"));

    ASSERT_EQ(seen.calls.size(), 3u);
    EXPECT_EQ(seen.calls[0].service, "riskos");
    EXPECT_EQ(seen.calls[0].endpoint, "evaluation_create");
    EXPECT_EQ(seen.calls[0].status, "201");
    EXPECT_EQ(seen.calls[1].endpoint, "evaluation_get");
    EXPECT_EQ(seen.calls[1].status, "404");
    EXPECT_EQ(seen.calls[2].endpoint, "evaluation_get");
    EXPECT_EQ(seen.calls[2].status, "tls");
    for (const auto& c : seen.calls) {
        EXPECT_EQ(c.endpoint.find("ev-"), std::string::npos);
    }
}

TEST(UpstreamObserver, AThrowingObserverNeverChangesTheOutcome) {
    fake_http http;
    riskos::riskos_options o;
    o.observer = [](const upstream_call&) { throw std::runtime_error("metrics broke"); };
    riskos::riskos_client client(http, o);
    http.reply(404, "{}");
    auto r = client.get_evaluation("ev-1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 404);
}

TEST(UpstreamObserver, StatusLabelIsTheHttpStatusOrTheFailureKind) {
    upstream_error e;
    e.kind = failure_kind::http_status;
    e.status = 503;
    EXPECT_EQ(status_label(e), "503");
    e.kind = failure_kind::protocol;
    EXPECT_EQ(status_label(e), "protocol");
    e.kind = failure_kind::api_error;
    e.status = 200;
    EXPECT_EQ(status_label(e), "api_error");
}

}  // namespace
}  // namespace riskbridge::clients
