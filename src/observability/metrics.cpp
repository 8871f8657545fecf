#include "riskbridge/observability/metrics.hpp"

#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "riskbridge/core/encoding.hpp"

namespace riskbridge::observability {

namespace {

constexpr std::array known_actions = {
    "applicationSubmit", "applicationUpdate", "candidateStageChange", "candidateHire",
    "candidateDelete", "candidateMerge", "interviewPlanTransition", "interviewScheduleCreate",
    "interviewScheduleUpdate", "jobCreate", "jobUpdate", "jobPostingUpdate", "jobPostingPublish",
    "jobPostingUnpublish", "offerCreate", "offerUpdate", "offerDelete", "openingCreate",
    "pushToHRIS", "signatureRequestUpdate", "surveySubmit", "ping",
    // RiskOS event types
    "evaluation_completed", "case_notes_added", "evaluation_paused", "decision_update",
    "case_status_updated", "DocvNotification"};

std::string bounded_label(std::string_view value) {
    for (const char* a : known_actions) {
        if (value == a) {
            return std::string(value);
        }
    }
    return value.empty() ? "none" : "other";
}

/// A label value from code (service, endpoint, status, flow, result): kept when it is a short
/// plain token, so a mistake upstream can never turn a label into free text or an id.
std::string token_label(std::string_view value) {
    if (value.empty()) {
        return "none";
    }
    return is_token(value) ? std::string(value) : "other";
}

double seconds_of(std::chrono::microseconds d) {
    return static_cast<double>(d.count()) / 1e6;
}

const prometheus::Histogram::BucketBoundaries upstream_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5,   1,    2.5,   5,    10,  30};
const prometheus::Histogram::BucketBoundaries job_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                          1,     2.5,  5,     10,   30,  60,   120};
/// Requests per store commit.
const prometheus::Histogram::BucketBoundaries batch_size_buckets{1,  2,  4,   8,   16,
                                                                 32, 64, 128, 256, 512};
const prometheus::Histogram::BucketBoundaries commit_buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

}  // namespace

struct metrics::impl {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    prometheus::Family<prometheus::Counter>& webhooks =
        prometheus::BuildCounter()
            .Name("riskbridge_webhooks_total")
            .Help("Webhooks answered, by source, action or event type, and outcome")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& refused =
        prometheus::BuildCounter()
            .Name("riskbridge_http_refused_total")
            .Help("HTTP requests refused before routing, by reason")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& batch =
        prometheus::BuildHistogram()
            .Name("riskbridge_store_commit_batch_size")
            .Help("Requests committed together by one store transaction")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& commit_latency =
        prometheus::BuildHistogram()
            .Name("riskbridge_store_commit_seconds")
            .Help("Duration of one store commit, fsync included")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& jobs = prometheus::BuildGauge()
                                                      .Name("riskbridge_jobs")
                                                      .Help("Jobs in the store, by state")
                                                      .Register(*registry);
    prometheus::Family<prometheus::Counter>& upstream_requests =
        prometheus::BuildCounter()
            .Name("riskbridge_upstream_requests_total")
            .Help(
                "Calls to Ashby and RiskOS, by service, endpoint and status (HTTP code or "
                "failure kind)")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& upstream_duration =
        prometheus::BuildHistogram()
            .Name("riskbridge_upstream_request_duration_seconds")
            .Help("Duration of one call to Ashby or RiskOS, by service and endpoint")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& job_duration =
        prometheus::BuildHistogram()
            .Name("riskbridge_job_duration_seconds")
            .Help("Duration of one job attempt, by flow (job kind) and result")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& jobs_dead =
        prometheus::BuildCounter()
            .Name("riskbridge_jobs_dead_total")
            .Help("Jobs moved to the dead-letter state, by flow (job kind)")
            .Register(*registry);
    prometheus::Histogram& batch_hist = batch.Add({}, batch_size_buckets);
    prometheus::Histogram& commit_hist = commit_latency.Add({}, commit_buckets);
    /// riskbridge_webhooks_total's counters by "source\naction\noutcome" (metrics::webhook).
    std::mutex webhook_mutex;
    std::unordered_map<std::string, prometheus::Counter*> webhook_counters;
};

metrics::metrics() : impl_(std::make_unique<impl>()) {}
metrics::~metrics() = default;

void metrics::webhook(std::string_view source, std::string_view action, std::string_view outcome) {
    // Family::Add builds a label map and hashes it on every call; a delivery's counter is
    // looked up by one short key instead (the label values are bounded, so is the cache).
    std::string label_action = bounded_label(action);
    std::string key;
    key.reserve(source.size() + label_action.size() + outcome.size() + 2);
    key.append(source).push_back('\n');
    key.append(label_action).push_back('\n');
    key.append(outcome);
    std::lock_guard lock(impl_->webhook_mutex);
    auto it = impl_->webhook_counters.find(key);
    if (it == impl_->webhook_counters.end()) {
        prometheus::Counter& c = impl_->webhooks.Add({{"source", std::string(source)},
                                                      {"action", std::move(label_action)},
                                                      {"outcome", std::string(outcome)}});
        it = impl_->webhook_counters.emplace(std::move(key), &c).first;
    }
    it->second->Increment();
}

void metrics::http_refused(std::string_view reason) {
    impl_->refused.Add({{"reason", std::string(reason)}}).Increment();
}

void metrics::store_commit(std::size_t batch_size, std::chrono::microseconds latency) {
    impl_->batch_hist.Observe(static_cast<double>(batch_size));
    impl_->commit_hist.Observe(static_cast<double>(latency.count()) / 1e6);
}

void metrics::set_jobs(std::string_view state, std::int64_t count) {
    impl_->jobs.Add({{"state", std::string(state)}}).Set(static_cast<double>(count));
}

void metrics::upstream_request(std::string_view service, std::string_view endpoint,
                               std::string_view status, std::chrono::microseconds latency) {
    const std::string svc = token_label(service);
    const std::string ep = token_label(endpoint);
    impl_->upstream_requests
        .Add({{"service", svc}, {"endpoint", ep}, {"status", token_label(status)}})
        .Increment();
    impl_->upstream_duration.Add({{"service", svc}, {"endpoint", ep}}, upstream_buckets)
        .Observe(seconds_of(latency));
}

void metrics::job_attempt(std::string_view flow, std::string_view result,
                          std::chrono::microseconds duration) {
    const prometheus::Labels labels{{"flow", token_label(flow)}, {"result", token_label(result)}};
    impl_->job_duration.Add(labels, job_buckets).Observe(seconds_of(duration));
}

void metrics::job_dead(std::string_view flow) {
    impl_->jobs_dead.Add({{"flow", token_label(flow)}}).Increment();
}

std::string metrics::serialize() const {
    return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace riskbridge::observability
