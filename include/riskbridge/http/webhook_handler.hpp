#pragma once

// What the daemon answers, as a function of the request: route → authenticate the raw bytes →
// parse the envelope → pick the trigger → hand the event to the store and answer once it is
// durable. No sockets here; the store is the only asynchronous step.

#include <functional>
#include <memory>
#include <string>

#include "riskbridge/config/config.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/observability/metrics.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::http {

/// Called exactly once with the answer, possibly on another thread (the store's writer).
using respond_fn = std::function<void(response)>;
using request_handler = std::function<void(request, respond_fn)>;

/// The job kind of RiskOS webhook events.
inline constexpr const char* riskos_event_kind = "riskos_event";

/// Readiness beyond the store: e.g. the worker pool is running.
using readiness_probe = std::function<bool()>;

class webhook_handler {
public:
    webhook_handler(const config::config& cfg, store::job_store& store,
                    readiness_probe workers_ready = {}, observability::metrics* metrics = nullptr);
    ~webhook_handler();
    webhook_handler(const webhook_handler&) = delete;
    webhook_handler& operator=(const webhook_handler&) = delete;

    /// Answers `req` through `respond`, exactly once.
    void handle(request req, respond_fn respond);
    /// An adapter for the server.
    request_handler as_request_handler();

    /// Called after a job was stored (e.g. to wake the worker pool).
    void on_job_stored(std::function<void()> callback);

private:
    struct impl;
    std::shared_ptr<impl> impl_;  ///< shared with the callbacks of requests in flight
};

}  // namespace riskbridge::http
