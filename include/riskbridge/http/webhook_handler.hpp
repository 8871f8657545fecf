#pragma once

// What the daemon answers, as a function of the request: the route picks the intake
// (ashby_intake.hpp, riskos_intake.hpp), whose decision becomes store calls and the answer,
// given once the event is durable. No sockets here; the store is the only asynchronous step.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "riskbridge/config/config.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/http/riskos_intake.hpp"  // riskos_event_kind
#include "riskbridge/observability/metrics.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::http {

/// Called exactly once with the answer, possibly on another thread (the store's writer).
using respond_fn = std::function<void(response)>;

/// Looks at a request whose line and headers have arrived, before any of its body is read
/// (`body` is empty; `remote_address` and `request_id` are set). An answer refuses the request
/// there: the server sends it and closes the connection without taking the body. nullopt lets
/// the server read the body and call the request handler. Called on an I/O thread: it must be
/// quick and must not block.
using header_check = std::function<std::optional<response>(const request&)>;

struct request_handler;

/// A callable that answers a whole request: a lambda, a std::function, ...
template <class F>
concept request_callable = !std::is_same_v<std::remove_cvref_t<F>, request_handler> &&
                           std::is_invocable_v<F&, request, respond_fn>;

/// What the server calls for each request: `on_request` with the whole request, and before
/// that, when set, `on_headers`. Any request_callable converts to one with no header check.
struct request_handler {
    std::function<void(request, respond_fn)> on_request;
    header_check on_headers;

    request_handler() = default;
    template <request_callable F>
    request_handler(F f)  // NOLINT(google-explicit-constructor): a lambda is a handler
        : on_request(std::move(f)) {}
    request_handler(std::function<void(request, respond_fn)> request_fn, header_check headers_fn)
        : on_request(std::move(request_fn)), on_headers(std::move(headers_fn)) {}

    void operator()(request req, respond_fn respond) const {
        on_request(std::move(req), std::move(respond));
    }
};

/// Told the kind of each job a webhook stored (on the store's answer thread; must be quick).
using stored_callback = std::function<void(std::string_view kind)>;

/// Readiness beyond the store: e.g. the worker pool is running.
using readiness_probe = std::function<bool()>;

class webhook_handler {
public:
    webhook_handler(const config::config& cfg, store::ingest_store& store,
                    readiness_probe workers_ready = {}, observability::metrics* metrics = nullptr);
    ~webhook_handler();
    webhook_handler(const webhook_handler&) = delete;
    webhook_handler& operator=(const webhook_handler&) = delete;

    /// Answers `req` through `respond`, exactly once.
    void handle(request req, respond_fn respond);
    /// The check of a request's headers before its body is read (see header_check): RiskOS
    /// credentials are verified here, so a request without valid ones is refused (401, or 429
    /// for a client address that failed too often) before its body is taken. handle() checks
    /// them again, so a caller that skips this step is refused all the same.
    std::optional<response> check_headers(const request& req);
    /// An adapter for the server: check_headers, then handle.
    request_handler as_request_handler();

    /// Called after a job was stored, with its kind, to wake the worker pool that runs it
    /// (and only that one: a pool woken for work it has no handler for scans the queue for
    /// nothing).
    void on_job_stored(stored_callback callback);

private:
    struct impl;
    std::shared_ptr<impl> impl_;  ///< shared with the callbacks of requests in flight
};

}  // namespace riskbridge::http
