// /metrics on a listener of its own: the handler that serves /metrics alone, and the filter
// that takes /metrics off the main handler (server.metrics_listen).

#include "riskbridge/http/metrics_endpoint.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace riskbridge::http {
namespace {

response call(const request_handler& handler, const std::string& method,
              const std::string& target) {
    request req;
    req.method = method;
    req.target = target;
    std::optional<response> answer;
    handler(std::move(req), [&answer](response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(response{});
}

TEST(MetricsEndpoint, ServesThePrometheusTextOnGetAndHead) {
    observability::metrics metrics;
    metrics.http_refused("timeout");
    const auto handler = make_metrics_handler(&metrics);
    for (const char* method : {"GET", "HEAD"}) {
        const response r = call(handler, method, "/metrics?x=1");
        EXPECT_EQ(r.status, 200u) << method;
        EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
        EXPECT_NE(r.body.find("riskbridge_http_refused_total{reason=\"timeout\"} 1"),
                  std::string::npos)
            << r.body;
    }
}

TEST(MetricsEndpoint, AnswersNothingElse) {
    observability::metrics metrics;
    const auto handler = make_metrics_handler(&metrics);
    const response post = call(handler, "POST", "/metrics");
    EXPECT_EQ(post.status, 405u);
    ASSERT_EQ(post.headers.size(), 1u);
    EXPECT_EQ(post.headers[0].first, "Allow");
    for (const char* path : {"/", "/healthz", "/readyz", "/webhooks/ashby", "/metrics/"}) {
        const response r = call(handler, "GET", path);
        EXPECT_EQ(r.status, 404u) << path;
        EXPECT_EQ(r.body.find("riskbridge_"), std::string::npos) << path;
    }
    EXPECT_EQ(call(make_metrics_handler(nullptr), "GET", "/metrics").status, 200u);
}

TEST(WithoutMetrics, AnswersMetricsNotFoundAndPassesTheRest) {
    int reached = 0;
    const auto handler = without_metrics([&reached](request, respond_fn respond) {
        ++reached;
        respond(json_status(200, "inner"));
    });
    for (const char* target : {"/metrics", "/metrics?name=x", "http://host:8080/metrics"}) {
        const response r = call(handler, "GET", target);
        EXPECT_EQ(r.status, 404u) << target;
        EXPECT_EQ(r.body, R"({"error":"not_found","message":"no such endpoint"})");
    }
    EXPECT_EQ(reached, 0);
    for (const char* target : {"/healthz", "/readyz", "/webhooks/ashby", "/metricsx"}) {
        EXPECT_EQ(call(handler, "GET", target).status, 200u) << target;
    }
    EXPECT_EQ(reached, 4);
}

}  // namespace
}  // namespace riskbridge::http
