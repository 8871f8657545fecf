#pragma once

// Prometheus metrics (prometheus-cpp underneath, kept out of this header). One registry per
// daemon; modules record through the typed methods so label sets stay bounded.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace riskbridge::observability {

class metrics {
public:
    metrics();
    ~metrics();
    metrics(const metrics&) = delete;
    metrics& operator=(const metrics&) = delete;

    /// A webhook answered: source ashby|riskos, the action or event type (unknown values are
    /// folded into "other"), outcome accepted|duplicate|ignored|ping|unauthorized|malformed|
    /// unavailable|rate_limited.
    void webhook(std::string_view source, std::string_view action, std::string_view outcome);
    /// An HTTP request refused before the handler (README "HTTP endpoints" lists the reasons:
    /// timeout, bad_request, headers_too_large, body_too_large, idle_evicted, ...).
    void http_refused(std::string_view reason);
    /// One group commit of the store: how many requests it held and how long it took.
    void store_commit(std::size_t batch_size, std::chrono::microseconds latency);
    /// Jobs by state, refreshed periodically off the request path.
    void set_jobs(std::string_view state, std::int64_t count);
    /// One call to an upstream API: service ashby|riskos, a bounded endpoint name
    /// (candidate.info, evaluation_create, ...; never a URL with ids), status the HTTP code
    /// ("200", "429") or a failure kind (timeout, network, tls, protocol, api_error).
    void upstream_request(std::string_view service, std::string_view endpoint,
                          std::string_view status, std::chrono::microseconds latency);
    /// One attempt of a job ran: flow is the job kind, result done|retry|dead|lease_lost|
    /// store_error.
    void job_attempt(std::string_view flow, std::string_view result,
                     std::chrono::microseconds duration);
    /// A job went to the dead-letter state.
    void job_dead(std::string_view flow);

    /// The Prometheus text exposition of every metric.
    std::string serialize() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace riskbridge::observability
