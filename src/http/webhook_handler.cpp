// The router: picks the route, asks the intake for its decision (ashby_intake.cpp,
// riskos_intake.cpp), and carries the decision out: store calls, metrics, log lines, answer.

#include "riskbridge/http/webhook_handler.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "http/auth_gate.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/http/ashby_intake.hpp"
#include "riskbridge/http/metrics_endpoint.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::http {

namespace {

using detail::count_webhook;
using detail::with_retry_after;
using nlohmann::json;

constexpr std::string_view ashby_path = "/webhooks/ashby";
constexpr std::string_view riskos_path = "/webhooks/riskos";
/// When a client should try again after the store refused an event.
constexpr auto overloaded_retry_after = std::chrono::seconds{2};
constexpr auto unavailable_retry_after = std::chrono::seconds{10};

response store_unavailable() {
    return with_retry_after(json_error(503, "store_unavailable", "the event could not be stored"),
                            unavailable_retry_after);
}

/// The store's answer to an enqueue as the client's answer, and the outcome counted and logged.
struct stored_answer {
    response answer;
    std::string_view outcome;
    std::string detail;
};

stored_answer answer_for(const store::enqueue_result& r, bool with_job) {
    const auto accepted = [&r] { return json{{"status", "accepted"}, {"job_id", r.id}}.dump(); };
    stored_answer out{{}, store::to_string(r.status), r.detail};
    switch (r.status) {
        case store::enqueue_status::accepted:
            if (with_job) {
                out.answer.body = accepted();
            } else {
                out.outcome = "ignored";
                out.answer = json_status(200, "ignored");
            }
            break;
        case store::enqueue_status::duplicate:
            if (!r.replay && with_job && r.id != 0) {
                // A new delivery (another webhookActionId) for an application whose flow
                // already has its job: stored, and handled by that job (at most one evaluation
                // per application and flow).
                out.outcome = "accepted";
                out.answer.body = accepted();
                out.detail = "the flow's existing job";
                break;
            }
            out.answer.body = r.id != 0 ? json{{"status", "duplicate"}, {"job_id", r.id}}.dump()
                                        : json{{"status", "duplicate"}}.dump();
            break;
        case store::enqueue_status::overloaded:
            out.answer = with_retry_after(
                json_error(503, "overloaded", "too many events in flight; retry later"),
                overloaded_retry_after);
            break;
        case store::enqueue_status::unavailable:
            out.answer = store_unavailable();
            break;
    }
    return out;
}

}  // namespace

/// Shared with the store callbacks of requests in flight (each holds a reference), so the
/// handler may be destroyed as soon as it has answered: the callback then finishes on an impl
/// it keeps alive.
struct webhook_handler::impl : std::enable_shared_from_this<webhook_handler::impl> {
    const config::config& cfg;
    store::ingest_store& store;
    readiness_probe workers_ready;
    observability::metrics* metrics;
    security::webhook_authenticator riskos_auth;
    detail::auth_gate gate;
    std::mutex stored_mutex;
    stored_callback job_stored;

    impl(const config::config& c, store::ingest_store& s, readiness_probe ready,
         observability::metrics* m)
        : cfg(c),
          store(s),
          workers_ready(std::move(ready)),
          metrics(m),
          riskos_auth(c.riskos.webhook_auth),
          gate(c.server.auth_failure_limit, m) {}

    void handle(request req, respond_fn respond) {
        const std::string_view path = req.path();
        if (path == ashby_path || path == riskos_path) {
            if (req.method != "POST") {
                return respond(method_not_allowed("use POST", "POST"));
            }
            const time_point now = system_clock().now();
            auto decision = path == ashby_path
                                ? ashby_intake(cfg, req, now)
                                : riskos_intake(riskos_auth, req, now, cfg.riskos.event_aliases);
            return carry_out(std::move(decision), std::move(req), std::move(respond));
        }
        if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
            if (req.method != "GET" && req.method != "HEAD") {
                return respond(method_not_allowed("use GET", "GET, HEAD"));
            }
            if (path == "/healthz") {
                return respond(json_status(200, "ok"));
            }
            if (path == "/readyz") {
                return respond(readiness());
            }
            return respond(metrics_answer(metrics));
        }
        respond(not_found());
    }

    response readiness() {
        const bool store_ok = store.writable();
        const bool workers_ok = !workers_ready || workers_ready();
        response r;
        r.status = store_ok && workers_ok ? 200 : 503;
        r.body = json{{"status", r.status == 200 ? "ready" : "not_ready"},
                      {"store", store_ok ? "ok" : "unavailable"},
                      {"workers", workers_ok ? "ok" : "stopped"}}
                     .dump();
        return r;
    }

    /// Before the body is read: RiskOS's credentials, the only thing the headers decide.
    std::optional<response> check_headers(const request& req) {
        if (req.method == "POST" && req.path() == riskos_path) {
            if (auto refused = check_riskos_credentials(riskos_auth, req)) {
                return gate.refuse(req, *refused);
            }
        }
        return std::nullopt;
    }

    void carry_out(intake_decision decision, request req, respond_fn respond) {
        std::visit(
            [&](auto&& d) {
                using decision_t = std::decay_t<decltype(d)>;
                if constexpr (std::is_same_v<decision_t, enqueue_decision>) {
                    enqueue(std::move(d), req.request_id, std::move(respond));
                } else if constexpr (std::is_same_v<decision_t, quarantine_decision>) {
                    quarantine(std::move(d), std::move(req), std::move(respond));
                } else if constexpr (std::is_same_v<decision_t, refuse_decision>) {
                    respond(gate.refuse(req, d));
                } else if constexpr (std::is_same_v<decision_t, ping_decision>) {
                    count_webhook(metrics, ashby_source, "ping", "ping");
                    log::info("webhook_ping",
                              {{"request_id", req.request_id}, {"signed", d.is_signed}});
                    respond(std::move(d.answer));
                } else {
                    static_assert(std::is_same_v<decision_t, ignore_decision>);
                    count_webhook(metrics, d.source, d.action, "ignored");
                    log::info("webhook_ignored", {{"request_id", req.request_id},
                                                  {"source", d.source},
                                                  {"action", d.log_action},
                                                  {"delivery", d.log_delivery}});
                    respond(std::move(d.answer));
                }
            },
            decision);
    }

    void enqueue(enqueue_decision d, std::string request_id, respond_fn respond) {
        const bool with_job = d.request.job.has_value();
        std::string kind = with_job ? d.request.job->kind : std::string();
        store.enqueue_async(
            std::move(d.request), [self = shared_from_this(), ids = std::move(d.ids),
                                   request_id = std::move(request_id), respond = std::move(respond),
                                   with_job, kind = std::move(kind)](store::enqueue_result r) {
                auto [answer, outcome, detail] = answer_for(r, with_job);
                // Counted before the answer (a scrape right after it sees it); logged after.
                count_webhook(self->metrics, ids.source, ids.action, outcome);
                const bool stored_job = with_job && r.status == store::enqueue_status::accepted;
                stored_callback wake = stored_job ? self->stored() : nullptr;
                respond(std::move(answer));
                if (log::enabled(log::level::info)) {  // the fields are built only if written
                    log::info("webhook_received",
                              {{"request_id", request_id},
                               {"source", ids.source},
                               {"action", ids.action},
                               {"delivery", ids.delivery},
                               {"application_id", ids.application_id},
                               {"candidate_id", ids.candidate_id},
                               {"eval_id", ids.eval_id},
                               {"outcome", outcome},
                               {"job_id", r.id != 0 ? std::to_string(r.id) : std::string()},
                               {"detail", detail}});
                }
                if (wake) {
                    wake(kind);
                }
            });
    }

    void quarantine(quarantine_decision d, request req, respond_fn respond) {
        const std::size_t bytes = req.body.size();
        store::quarantine_request q{d.source, d.reason, std::move(req.body), req.request_id};
        store.quarantine_async(
            std::move(q),
            [self = shared_from_this(), d = std::move(d), respond = std::move(respond),
             request_id = std::move(req.request_id), bytes](result<void> r) {
                log::warn("webhook_quarantined", {{"request_id", request_id},
                                                  {"source", d.source},
                                                  {"reason", d.reason},
                                                  {"bytes", bytes},
                                                  {"stored", r.has_value()}});
                count_webhook(self->metrics, d.source, "", r ? "malformed" : "unavailable");
                respond(r ? json_error(400, "malformed_payload", d.reason) : store_unavailable());
            });
    }

    /// A copy of the on_job_stored callback, called outside the lock.
    stored_callback stored() {
        std::lock_guard lock(stored_mutex);
        return job_stored;
    }
};

webhook_handler::webhook_handler(const config::config& cfg, store::ingest_store& store,
                                 readiness_probe workers_ready, observability::metrics* metrics)
    : impl_(std::make_shared<impl>(cfg, store, std::move(workers_ready), metrics)) {}

webhook_handler::~webhook_handler() = default;

void webhook_handler::handle(request req, respond_fn respond) {
    // Exactly one answer, even if something below throws (nothing should on untrusted input;
    // this is the last line of defence, e.g. against std::bad_alloc).
    struct once {
        respond_fn fn;
        std::atomic<bool> answered{false};
        void operator()(response r) {
            if (!answered.exchange(true)) {
                fn(std::move(r));
            }
        }
    };
    auto guard = std::make_shared<once>();
    guard->fn = std::move(respond);
    try {
        impl_->handle(std::move(req), [guard](response r) { (*guard)(std::move(r)); });
    } catch (const std::exception&) {
        log::error("handler_exception", {});
        (*guard)(json_error(500, "internal_error", "the request could not be handled"));
    }
}

std::optional<response> webhook_handler::check_headers(const request& req) {
    // Nothing below should throw on untrusted input; if it does (std::bad_alloc), the request
    // goes on to handle(), which checks again and answers whatever happens.
    try {
        return impl_->check_headers(req);
    } catch (const std::exception&) {
        log::error("handler_exception", {});
        return std::nullopt;
    }
}

request_handler webhook_handler::as_request_handler() {
    return request_handler(
        [this](request req, respond_fn respond) { handle(std::move(req), std::move(respond)); },
        [this](const request& req) { return check_headers(req); });
}

void webhook_handler::on_job_stored(stored_callback callback) {
    std::lock_guard lock(impl_->stored_mutex);
    impl_->job_stored = std::move(callback);
}

}  // namespace riskbridge::http
