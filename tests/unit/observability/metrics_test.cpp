#include "riskbridge/observability/metrics.hpp"
#include "support/prometheus.hpp"

#include <chrono>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace riskbridge::observability {
namespace {

using riskbridge::testing::metric_sample;

using namespace std::chrono_literals;

TEST(MetricsTest, WebhooksAreCountedBySourceActionAndOutcome) {
    metrics m;
    m.webhook("ashby", "applicationSubmit", "accepted");
    m.webhook("ashby", "applicationSubmit", "accepted");
    m.webhook("ashby", "applicationSubmit", "duplicate");
    m.webhook("ashby", "someday/new?id=42", "ignored");
    const std::string text = m.serialize();
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_webhooks_total{action="applicationSubmit",outcome="accepted",source="ashby"})"),
        2);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_webhooks_total{action="applicationSubmit",outcome="duplicate",source="ashby"})"),
        1);
    // An unknown action never becomes a label value of its own.
    EXPECT_EQ(
        metric_sample(
            text, R"(riskbridge_webhooks_total{action="other",outcome="ignored",source="ashby"})"),
        1);
    EXPECT_EQ(text.find("someday"), std::string::npos);
}

TEST(MetricsTest, StoreCommitsFeedBatchSizeAndLatencyHistograms) {
    metrics m;
    m.store_commit(3, 1500us);
    m.store_commit(1, 200us);
    const std::string text = m.serialize();
    EXPECT_EQ(metric_sample(text, "riskbridge_store_commit_batch_size_count"), 2);
    EXPECT_EQ(metric_sample(text, "riskbridge_store_commit_batch_size_sum"), 4);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_store_commit_batch_size_bucket{le="2"})"), 1);
    EXPECT_EQ(metric_sample(text, "riskbridge_store_commit_seconds_count"), 2);
    EXPECT_DOUBLE_EQ(metric_sample(text, "riskbridge_store_commit_seconds_sum"), 0.0017);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_store_commit_seconds_bucket{le="0.00025"})"), 1);
}

TEST(MetricsTest, UpstreamRequestsByServiceEndpointAndStatusWithLatency) {
    metrics m;
    m.upstream_request("ashby", "candidate.info", "200", 20ms);
    m.upstream_request("ashby", "candidate.info", "200", 40ms);
    m.upstream_request("ashby", "candidate.info", "503", 5ms);
    m.upstream_request("riskos", "evaluation_create", "timeout", 2s);
    const std::string text = m.serialize();
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="candidate.info",service="ashby",status="200"})"),
        2);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="candidate.info",service="ashby",status="503"})"),
        1);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="evaluation_create",service="riskos",status="timeout"})"),
        1);
    // The histogram has no status label: one series per service and endpoint.
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_request_duration_seconds_count{endpoint="candidate.info",service="ashby"})"),
        3);
    EXPECT_DOUBLE_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_request_duration_seconds_sum{endpoint="candidate.info",service="ashby"})"),
        0.065);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_request_duration_seconds_bucket{endpoint="candidate.info",service="ashby",le="0.025"})"),
        2);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_request_duration_seconds_bucket{endpoint="evaluation_create",service="riskos",le="1"})"),
        0);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_request_duration_seconds_bucket{endpoint="evaluation_create",service="riskos",le="2.5"})"),
        1);
}

TEST(MetricsTest, LabelValuesThatAreNotPlainTokensAreFolded) {
    metrics m;
    // A URL with an id, or free text, must never become a series of its own.
    m.upstream_request("riskos", "/api/evaluation/ev-123", "200", 1ms);
    m.upstream_request("ashby", "", "HTTP 200 \"ok\"", 1ms);
    const std::string text = m.serialize();
    EXPECT_EQ(text.find("ev-123"), std::string::npos);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="other",service="riskos",status="200"})"),
        1);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="none",service="ashby",status="other"})"),
        1);
}

TEST(MetricsTest, JobAttemptsByFlowAndResultAndDeadJobs) {
    metrics m;
    m.job_attempt("screening", "done", 300ms);
    m.job_attempt("screening", "retry", 100ms);
    m.job_attempt("screening", "done", 700ms);
    m.job_attempt("document_verification", "dead", 50ms);
    m.job_dead("document_verification");
    const std::string text = m.serialize();
    EXPECT_EQ(metric_sample(
                  text, R"(riskbridge_job_duration_seconds_count{flow="screening",result="done"})"),
              2);
    EXPECT_EQ(
        metric_sample(text,
                      R"(riskbridge_job_duration_seconds_count{flow="screening",result="retry"})"),
        1);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_job_duration_seconds_count{flow="document_verification",result="dead"})"),
        1);
    EXPECT_DOUBLE_EQ(
        metric_sample(text,
                      R"(riskbridge_job_duration_seconds_sum{flow="screening",result="done"})"),
        1.0);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_job_duration_seconds_bucket{flow="screening",result="done",le="0.5"})"),
        1);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs_dead_total{flow="document_verification"})"),
              1);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs_dead_total{flow="screening"})"),
              -1);  // none yet
}

TEST(MetricsTest, JobsGaugeTakesTheLatestCountPerState) {
    metrics m;
    m.set_jobs("queued", 5);
    m.set_jobs("queued", 2);
    m.set_jobs("dead", 1);
    const std::string text = m.serialize();
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs{state="queued"})"), 2);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs{state="dead"})"), 1);
}

TEST(MetricsTest, EveryFamilyHasItsTypeOnceItHasASample) {
    metrics m;
    EXPECT_EQ(m.serialize().find("riskbridge_upstream_requests_total"), std::string::npos);
    m.webhook("riskos", "evaluation_completed", "accepted");
    m.http_refused("too_large");
    m.store_commit(1, 1ms);
    m.set_jobs("done", 1);
    m.upstream_request("riskos", "evaluation_get", "404", 1ms);
    m.job_attempt("reconcile", "done", 1ms);
    m.job_dead("reconcile");
    const std::string text = m.serialize();
    for (const char* family :
         {"riskbridge_webhooks_total counter", "riskbridge_http_refused_total counter",
          "riskbridge_store_commit_batch_size histogram",
          "riskbridge_store_commit_seconds histogram", "riskbridge_jobs gauge",
          "riskbridge_upstream_requests_total counter",
          "riskbridge_upstream_request_duration_seconds histogram",
          "riskbridge_job_duration_seconds histogram", "riskbridge_jobs_dead_total counter"}) {
        EXPECT_NE(text.find(std::string("# TYPE ") + family), std::string::npos) << family;
    }
}

}  // namespace
}  // namespace riskbridge::observability
