// Observability end to end: the real daemon against the simulators takes a few webhooks
// (accepted, duplicate, bad signature), runs the flow, and then /metrics shows the traffic,
// /readyz says ready, and every log line of the job carries its ids, so one grep follows a
// candidate from the webhook to the decision.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deployment_test.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"
#include "support/prometheus.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class MetricsTest : public deployment_test {
protected:
    void SetUp() override {
        deployment_test::SetUp();
        seed_samples();
    }

    void start(const std::string& ashby_key = "sim-ashby-key") {
        deployment_options o;
        o.ashby_api_key = ashby_key;
        o.sample_address_fields = true;
        o.workers =
            "{ threads: 2, max_attempts: 5, backoff_base_ms: 50, backoff_max_ms: 200, "
            "poll_interval_ms: 50 }";
        configure("metrics", o);
        deployment_test::start();
    }

    std::string scrape() {
        auto r = http_request(daemon_->port(), "GET", "/metrics");
        EXPECT_TRUE(r.has_value());
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, 200);
        EXPECT_NE(r->header("content-type").find("text/plain"), std::string::npos);
        return r->body;
    }
};

TEST_F(MetricsTest, TrafficMovesTheCountersAndOneGrepFollowsTheCandidate) {
    start();
    const auto& accept = sample("accept");
    const auto body = ashby_.webhook_body("applicationSubmit", accept.application_id);
    ASSERT_TRUE(body.has_value());

    const json first = accepted_answer(*body);
    ASSERT_EQ(first.value("status", ""), "accepted") << first;
    const long long job_id = first.value("job_id", 0LL);
    ASSERT_GT(job_id, 0);
    EXPECT_EQ(accepted_answer(*body).value("status", ""), "duplicate");
    auto forged = http_request(daemon_->port(), "POST", "/webhooks/ashby", *body,
                               {{"Content-Type", "application/json"},
                                {"Ashby-Signature", "sha256=" + std::string(64, '0')}});
    ASSERT_TRUE(forged.has_value());
    EXPECT_EQ(forged->status, 401);

    const std::string done_series =
        R"(riskbridge_job_duration_seconds_count{flow="screening",result="done"})";
    ASSERT_TRUE(eventually([&] { return metric_sample(scrape(), done_series) >= 1; }))
        << scrape() << daemon_->logs();
    const std::string text = scrape();

    // Webhooks, by outcome.
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_webhooks_total{action="applicationSubmit",outcome="accepted",source="ashby"})"),
        1)
        << text;
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_webhooks_total{action="applicationSubmit",outcome="duplicate",source="ashby"})"),
        1);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_webhooks_total{action="none",outcome="unauthorized",source="ashby"})"),
        1);

    // The store's group commits: the accepted and the duplicate delivery went through one each
    // at least (the forged one never reached the store).
    EXPECT_GE(metric_sample(text, "riskbridge_store_commit_batch_size_count"), 2);
    EXPECT_GE(metric_sample(text, "riskbridge_store_commit_seconds_count"), 2);

    // Upstream calls, by service, endpoint and status, never a URL with ids.
    for (const char* endpoint :
         {"application.info", "candidate.info", "candidate.addTag", "candidate.createNote"}) {
        EXPECT_GE(
            metric_sample(text, std::string(R"(riskbridge_upstream_requests_total{endpoint=")") +
                                    endpoint + R"(",service="ashby",status="200"})"),
            1)
            << endpoint;
    }
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="evaluation_create",service="riskos",status="200"})"),
        1);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_request_duration_seconds_count{endpoint="evaluation_create",service="riskos"})"),
        1);
    EXPECT_EQ(text.find(accept.application_id), std::string::npos) << "an id became a label";
    EXPECT_EQ(text.find(accept.candidate_id), std::string::npos) << "an id became a label";

    // Jobs: one attempt, done, none dead; the queue gauge is there (refreshed every 10 s).
    EXPECT_EQ(metric_sample(text, done_series), 1);
    EXPECT_EQ(metric_sample(text, R"(riskbridge_jobs_dead_total{flow="screening"})"), -1);
    EXPECT_GE(metric_sample(text, R"(riskbridge_jobs{state="dead"})"), 0);

    // Ready: the store is writable and the workers run.
    auto ready = http_request(daemon_->port(), "GET", "/readyz");
    ASSERT_TRUE(ready.has_value());
    EXPECT_EQ(ready->status, 200) << ready->body;
    const json readiness = json::parse(ready->body, nullptr, false);
    EXPECT_EQ(readiness.value("store", ""), "ok") << ready->body;
    EXPECT_EQ(readiness.value("workers", ""), "ok") << ready->body;

    // Logs: every line of the job carries its id, the delivery and, once read, the candidate
    // and the evaluation; the webhook's own line shares the delivery and the candidate.
    const auto eval_id = riskos_.eval_id_for("rb-screening-" + accept.application_id);
    ASSERT_TRUE(eval_id.has_value());
    const std::string delivery =
        json::parse(*body).value("webhookActionId", "") + ":applicationSubmit";
    std::size_t job_lines = 0;
    bool saw_done = false;
    bool saw_webhook = false;
    for (auto& o : log_objects(daemon_->logs())) {
        if (o.value("event", "") == "webhook_received" && o.value("outcome", "") == "accepted") {
            saw_webhook = true;
            EXPECT_EQ(o.value("delivery", ""), delivery) << o;
            EXPECT_EQ(o.value("candidate_id", ""), accept.candidate_id) << o;
            EXPECT_EQ(o.value("job_id", ""), std::to_string(job_id)) << o;
        }
        if (o.value("event", "") == "webhook_received") {
            continue;  // the server's line, not the worker's: it has no attempt
        }
        if (o.value("job_id", json()) != json(std::to_string(job_id))) {
            continue;
        }
        ++job_lines;
        EXPECT_EQ(o.value("kind", ""), "screening") << o;
        EXPECT_EQ(o.value("delivery", ""), delivery) << o;
        EXPECT_EQ(o.value("candidate_id", ""), accept.candidate_id) << o;
        EXPECT_EQ(o.value("application_id", ""), accept.application_id) << o;
        EXPECT_EQ(o.value("attempt", ""), "1") << o;
        if (o.value("event", "") == "job_done") {
            saw_done = true;
            EXPECT_EQ(o.value("eval_id", ""), *eval_id) << o;
        }
    }
    EXPECT_TRUE(saw_webhook);
    EXPECT_TRUE(saw_done);
    EXPECT_GE(job_lines, 3u) << daemon_->logs();
}

TEST_F(MetricsTest, APermanentUpstreamRefusalCountsADeadJob) {
    start("not-the-key");  // the Ashby simulator answers 403 to any other key
    const auto body = ashby_.webhook_body("applicationSubmit", sample("accept").application_id);
    ASSERT_TRUE(body.has_value());
    ASSERT_EQ(accepted_answer(*body).value("status", ""), "accepted");

    const std::string dead_series = R"(riskbridge_jobs_dead_total{flow="screening"})";
    ASSERT_TRUE(eventually([&] { return metric_sample(scrape(), dead_series) >= 1; }))
        << scrape() << daemon_->logs();
    const std::string text = scrape();
    EXPECT_EQ(metric_sample(text, dead_series), 1);
    EXPECT_EQ(metric_sample(
                  text, R"(riskbridge_job_duration_seconds_count{flow="screening",result="dead"})"),
              1);
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="application.info",service="ashby",status="403"})"),
        1)
        << text;
    EXPECT_EQ(
        metric_sample(
            text,
            R"(riskbridge_upstream_requests_total{endpoint="evaluation_create",service="riskos",status="200"})"),
        -1);
}

TEST_F(MetricsTest, TheDaemonsThreadsAreNamedForTopAndPs) {
    start();
    const std::string tasks = "/proc/" + std::to_string(daemon_->pid()) + "/task";
    const auto thread_names = [&] {
        std::set<std::string> names;
        std::error_code ec;
        for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
            std::string name;
            std::getline(std::ifstream(task.path() / "comm"), name);
            names.insert(name);
        }
        return names;
    };
    const std::vector<std::string> expected = {
        "rb-http-0",     "rb-http-1",   "rb-store-writer", "rb-store-answer",
        "rb-checkpoint", "rb-worker-0", "rb-worker-1",     "rb-lease-keeper"};
    // Some threads start after the daemon answers /readyz (the lease keeper, the workers): wait
    // until every name is there, however slow the machine, then check each one.
    const auto all_named = [&] {
        const auto names = thread_names();
        return std::all_of(expected.begin(), expected.end(),
                           [&](const std::string& n) { return names.count(n) == 1; });
    };
    EXPECT_TRUE(eventually(all_named));
    const auto names = thread_names();
    for (const auto& name : expected) {
        EXPECT_EQ(names.count(name), 1u) << name;
    }
}

}  // namespace
}  // namespace riskbridge::testing
