#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/webhook_json.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/http/auth_failure_limiter.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/credentials.hpp"
#include "riskbridge/security/digest.hpp"
#include "riskbridge/security/hmac.hpp"

namespace riskbridge::http {

namespace {

using detail::member;
using detail::parse_untrusted;
using detail::plausible_id;
using detail::string_member;
using nlohmann::json;

/// The longest submitterClientIp kept (an IPv6 address with a zone fits easily).
constexpr std::size_t max_ip_address_text = 64;

/// The largest unsigned body looked at as a possible ping (Ashby's is about 50 bytes).
constexpr std::size_t max_unsigned_ping_bytes = 1024;

constexpr const char* ashby_source = "ashby";
constexpr const char* not_an_ashby_envelope =
    "not an Ashby webhook envelope (action and data required)";
constexpr const char* riskos_source = "riskos";

response with_retry_after(response r, int seconds) {
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return r;
}

}  // namespace

/// Shared with the store callbacks of requests in flight (each holds a reference), so the
/// handler may be destroyed as soon as it has answered: the callback then finishes on an
/// impl it keeps alive.
struct webhook_handler::impl : std::enable_shared_from_this<webhook_handler::impl> {
    const config::config& cfg;
    store::job_store& store;
    readiness_probe workers_ready;
    observability::metrics* metrics;
    security::webhook_authenticator riskos_auth;
    auth_failure_limiter failures;
    std::mutex stored_mutex;
    std::function<void()> job_stored;

    impl(const config::config& c, store::job_store& s, readiness_probe ready,
         observability::metrics* m)
        : cfg(c),
          store(s),
          workers_ready(std::move(ready)),
          metrics(m),
          riskos_auth(c.riskos.webhook_auth),
          failures({c.server.auth_failure_limit.max, c.server.auth_failure_limit.window,
                    c.server.auth_failure_limit.max_addresses}) {}

    void count(std::string_view source, std::string_view action, std::string_view outcome) {
        if (metrics != nullptr) {
            metrics->webhook(source, action, outcome);
        }
    }

    /// A copy of the on_job_stored callback, called outside the lock.
    std::function<void()> stored_callback() {
        std::lock_guard lock(stored_mutex);
        return job_stored;
    }

    void handle(request req, respond_fn respond) {
        const std::string_view path = req.path();
        const bool is_get = req.method == "GET" || req.method == "HEAD";
        if (path == "/webhooks/ashby" || path == "/webhooks/riskos") {
            if (req.method != "POST") {
                auto r = json_error(405, "method_not_allowed", "use POST");
                r.headers.emplace_back("Allow", "POST");
                return respond(std::move(r));
            }
            // Authentication comes first, whatever the client address did before: a client
            // that failed too often is refused (429) only when this request fails too.
            if (path == "/webhooks/ashby") {
                return handle_ashby(std::move(req), std::move(respond));
            }
            return handle_riskos(std::move(req), std::move(respond));
        }
        if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
            if (!is_get) {
                auto r = json_error(405, "method_not_allowed", "use GET");
                r.headers.emplace_back("Allow", "GET, HEAD");
                return respond(std::move(r));
            }
            if (path == "/healthz") {
                return respond(json_status(200, "ok"));
            }
            if (path == "/readyz") {
                return respond(readiness());
            }
            response r;
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = metrics != nullptr ? metrics->serialize() : std::string{};
            return respond(std::move(r));
        }
        respond(json_error(404, "not_found", "no such endpoint"));
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

    // --- Ashby ----------------------------------------------------------------------------

    void handle_ashby(request req, respond_fn respond) {
        const auto header = req.header("Ashby-Signature");
        if (!header || header->empty()) {
            // Whether Ashby signs its ping is unconfirmed: an unsigned ping is answered 200 (or
            // Ashby saves the webhook disabled), anything else unsigned is refused.
            // Only a small body can be a ping: nothing bigger is parsed unauthenticated.
            std::string reason;
            if (auto doc = req.body.size() <= max_unsigned_ping_bytes
                               ? parse_untrusted(req.body, reason)
                               : std::nullopt;
                doc && string_member(*doc, "action") == "ping") {
                count(ashby_source, "ping", "ping");
                log::info("webhook_ping", {{"request_id", req.request_id}, {"signed", false}});
                return respond(json_status(200, "ok"));
            }
            return respond(reject_ashby(req, security::signature_status::missing));
        }
        const auto status =
            security::verify_ashby_signature(*header, req.body, cfg.ashby.webhook_secrets);
        if (status != security::signature_status::valid) {
            return respond(reject_ashby(req, status));
        }

        std::string reason;
        auto doc = parse_untrusted(req.body, reason);
        if (!doc) {
            return quarantine(std::move(req), std::move(respond), ashby_source, reason);
        }
        const auto action = string_member(*doc, "action");
        if (action == "ping") {  // whatever its data: Ashby disables a webhook whose ping fails
            count(ashby_source, "ping", "ping");
            log::info("webhook_ping", {{"request_id", req.request_id}, {"signed", true}});
            return respond(json_status(200, "ok"));
        }
        if (!doc->is_object() || !action || action->empty()) {
            return quarantine(std::move(req), std::move(respond), ashby_source,
                              not_an_ashby_envelope);
        }
        if (*action == "candidateDelete" || *action == "candidateMerge") {
            // Erasure is not a flow: handled whatever the triggers say.
            return handle_candidate_change(std::move(req), std::move(respond), *doc, *action);
        }
        if (!triggered(*action)) {
            // Unknown and untriggered actions are acknowledged and ignored whatever their
            // data (Ashby retries a 400, and may add actions: docs/external-apis.md).
            return ignore(req, respond, *action, string_member(*doc, "webhookActionId"));
        }
        const json* data = member(*doc, "data");
        if (data == nullptr || !data->is_object()) {
            return quarantine(std::move(req), std::move(respond), ashby_source,
                              not_an_ashby_envelope);
        }
        const auto action_id = string_member(*doc, "webhookActionId");
        if (action_id && !plausible_id(*action_id)) {
            return quarantine(std::move(req), std::move(respond), ashby_source,
                              "webhookActionId is not a plausible id");
        }
        const std::string delivery =
            action_id ? *action_id + ":" + *action : "sha256:" + security::sha256_hex(req.body);

        const json* application = member(*data, "application");
        const config::trigger* trig = match_trigger(*action, application);
        if (trig == nullptr) {  // a stage trigger whose stage this is not
            return ignore(req, respond, *action, action_id);
        }

        const auto application_id =
            application != nullptr ? string_member(*application, "id") : std::nullopt;
        const json* candidate =
            application != nullptr ? member(*application, "candidate") : nullptr;
        const auto candidate_id =
            candidate != nullptr ? string_member(*candidate, "id") : std::nullopt;
        if (!application_id || !plausible_id(*application_id) || !candidate_id ||
            !plausible_id(*candidate_id)) {
            return quarantine(std::move(req), std::move(respond), ashby_source,
                              "data.application.id and data.application.candidate.id are "
                              "required for action " +
                                  *action);
        }

        // Keep less: ids, and the one value of the webhook the flow may not read back from
        // the API (the submitter's IP address). The flow reads the candidate from Ashby.
        const std::string flow = config::to_string(trig->flow);
        json payload = {{"source", ashby_source},
                        {"action", *action},
                        {"webhook_action_id", action_id.value_or("")},
                        {"delivery", delivery},
                        {"flow", flow},
                        {"application_id", *application_id},
                        {"candidate_id", *candidate_id},
                        {"request_id", req.request_id},
                        {"received_at", format_rfc3339(system_clock().now())}};
        if (auto ip = string_member(*application, "submitterClientIp");
            ip && !ip->empty() && ip->size() <= max_ip_address_text) {
            payload["submitter_client_ip"] = *ip;
        }

        store::enqueue_request er;
        er.delivery = {ashby_source, delivery};
        er.job = store::new_job{flow, payload.dump(-1, ' ', false, json::error_handler_t::replace),
                                "ashby:" + delivery, flow + ":" + *application_id, *candidate_id};

        log_context ctx{req.request_id,  ashby_source,  *action, delivery,
                        *application_id, *candidate_id, {}};
        enqueue(std::move(er), std::move(respond), std::move(ctx));
    }

    /// candidateDelete {"candidate":{"id"}} and candidateMerge {"deletedCandidate":{"id"},
    /// "mergedCandidate":{"id"}}: stored as an erasure or merge job for the privacy workers.
    void handle_candidate_change(request req, respond_fn respond, const json& doc,
                                 const std::string& action) {
        const json* data = member(doc, "data");
        const auto id_of = [&](const char* key) -> std::optional<std::string> {
            const json* obj = data != nullptr ? member(*data, key) : nullptr;
            auto id = obj != nullptr ? string_member(*obj, "id") : std::nullopt;
            return id && plausible_id(*id) ? id : std::nullopt;
        };
        const bool erase = action == "candidateDelete";
        const auto subject = id_of(erase ? "candidate" : "deletedCandidate");
        const auto survivor = erase ? std::nullopt : id_of("mergedCandidate");
        if (!subject || (!erase && !survivor)) {
            return quarantine(std::move(req), std::move(respond), ashby_source,
                              erase ? "data.candidate.id is required for action candidateDelete"
                                    : "data.deletedCandidate.id and data.mergedCandidate.id are "
                                      "required for action candidateMerge");
        }
        const auto action_id = string_member(doc, "webhookActionId");
        if (action_id && !plausible_id(*action_id)) {
            return quarantine(std::move(req), std::move(respond), ashby_source,
                              "webhookActionId is not a plausible id");
        }
        const std::string delivery =
            action_id ? *action_id + ":" + action : "sha256:" + security::sha256_hex(req.body);
        json payload = {{"source", ashby_source},
                        {"action", action},
                        {"webhook_action_id", action_id.value_or("")},
                        {"delivery", delivery},
                        {"request_id", req.request_id},
                        {"received_at", format_rfc3339(system_clock().now())}};
        if (erase) {
            payload["candidate_id"] = *subject;
        } else {
            payload["deleted_candidate_id"] = *subject;
            payload["merged_candidate_id"] = *survivor;
        }
        store::enqueue_request er;
        er.delivery = {ashby_source, delivery};
        er.job = store::new_job{erase ? store::erase_candidate_kind : store::merge_candidates_kind,
                                payload.dump(-1, ' ', false, json::error_handler_t::replace),
                                "ashby:" + delivery, std::nullopt, std::nullopt};
        log_context ctx{req.request_id, ashby_source, action, delivery, {}, *subject, {}};
        enqueue(std::move(er), std::move(respond), std::move(ctx));
    }

    /// Whether any trigger starts a flow on this action (whatever its stage).
    bool triggered(const std::string& action) const {
        return std::any_of(cfg.triggers.begin(), cfg.triggers.end(),
                           [&](const config::trigger& t) { return t.action == action; });
    }

    /// 200 {"status":"ignored"}, counted and logged by ids only; nothing stored.
    void ignore(const request& req, const respond_fn& respond, const std::string& action,
                const std::optional<std::string>& action_id) {
        count(ashby_source, action, "ignored");  // metrics keep known action names only
        log::info("webhook_ignored",
                  {{"request_id", req.request_id},
                   {"source", ashby_source},
                   {"action", plausible_id(action) ? action : "?"},
                   {"delivery", action_id && plausible_id(*action_id) ? *action_id + ":" + action
                                                                      : std::string("?")}});
        respond(json_status(200, "ignored"));
    }

    const config::trigger* match_trigger(const std::string& action, const json* application) {
        for (const auto& t : cfg.triggers) {
            if (t.action != action) {
                continue;
            }
            if (!t.stage) {
                return &t;
            }
            const json* stage =
                application != nullptr ? member(*application, "currentInterviewStage") : nullptr;
            if (stage == nullptr) {
                continue;
            }
            for (const char* key : {"title", "type"}) {
                if (auto v = string_member(*stage, key); v && iequals(*v, *t.stage)) {
                    return &t;
                }
            }
        }
        return nullptr;
    }

    /// A request that failed authentication from a client address that failed too often:
    /// 429 with Retry-After instead of 401, logged at debug only (a flood must not flood the
    /// log), and not counted again.
    response refuse_limited(const request& req, const char* source, std::chrono::seconds wait) {
        count(source, "", "rate_limited");
        if (metrics != nullptr) {
            metrics->http_refused("rate_limited");
        }
        log::debug(
            "webhook_rate_limited",
            {{"request_id", req.request_id}, {"source", source}, {"remote", req.remote_address}});
        return with_retry_after(
            json_error(429, "too_many_failures", "too many unauthenticated requests; retry later"),
            static_cast<int>(wait.count()));
    }

    /// Counts an unauthenticated request against its client address.
    void failed_authentication(const request& req, const char* source) {
        if (failures.record_failure(req.remote_address)) {
            log::warn("client_rate_limited",
                      {{"request_id", req.request_id},
                       {"source", source},
                       {"remote", req.remote_address},
                       {"failures", cfg.server.auth_failure_limit.max},
                       {"window_ms",
                        static_cast<long long>(cfg.server.auth_failure_limit.window.count())}});
        }
    }

    /// The answer to an Ashby request whose signature did not verify.
    response reject_ashby(const request& req, security::signature_status status) {
        if (const auto wait = failures.refused_for(req.remote_address)) {
            return refuse_limited(req, ashby_source, *wait);
        }
        count(ashby_source, "", "unauthorized");
        failed_authentication(req, ashby_source);
        log::warn("webhook_unauthorized", {{"request_id", req.request_id},
                                           {"source", ashby_source},
                                           {"reason", security::to_string(status)},
                                           {"remote", req.remote_address}});
        return json_error(401, "invalid_signature",
                          status == security::signature_status::missing
                              ? "missing Ashby-Signature header"
                              : "Ashby-Signature does not match the body");
    }

    // --- RiskOS ---------------------------------------------------------------------------

    /// RiskOS authenticates with a header alone, so this runs before the body is read (the
    /// server's header check) and again on the whole request: nullopt when the credentials
    /// are valid, else the refusal (401, or 429 for a client address that failed too often).
    std::optional<response> check_riskos_credentials(const request& req) {
        const auto auth = riskos_auth.verify(req.header("Authorization").value_or(""));
        if (auth == security::auth_status::valid) {
            return std::nullopt;
        }
        if (const auto wait = failures.refused_for(req.remote_address)) {
            return refuse_limited(req, riskos_source, *wait);
        }
        count(riskos_source, "", "unauthorized");
        failed_authentication(req, riskos_source);
        log::warn("webhook_unauthorized", {{"request_id", req.request_id},
                                           {"source", riskos_source},
                                           {"reason", security::to_string(auth)},
                                           {"remote", req.remote_address}});
        auto r = json_error(401, "unauthorized", "missing or invalid credentials");
        r.headers.emplace_back("WWW-Authenticate", "Bearer, Basic realm=\"riskbridge\"");
        return r;
    }

    /// Before the body is read: only what can be decided on the headers alone.
    std::optional<response> check_headers(const request& req) {
        if (req.method == "POST" && req.path() == "/webhooks/riskos") {
            return check_riskos_credentials(req);
        }
        return std::nullopt;
    }

    void handle_riskos(request req, respond_fn respond) {
        if (auto refused = check_riskos_credentials(req)) {
            return respond(std::move(*refused));
        }
        std::string reason;
        auto doc = parse_untrusted(req.body, reason);
        if (!doc) {
            return quarantine(std::move(req), std::move(respond), riskos_source, reason);
        }
        if (!doc->is_object()) {
            return quarantine(std::move(req), std::move(respond), riskos_source,
                              "not a RiskOS event envelope");
        }

        // Current envelope: {event_id, event_type, event_at, data}; the older DocV one:
        // {id, eventGroup, event: {eventType, docVTransactionToken, ...}}.
        std::optional<std::string> event_type = string_member(*doc, "event_type");
        std::optional<std::string> event_id = string_member(*doc, "event_id");
        bool handled = false;
        std::string eval_id;
        if (event_type) {
            const json* data = member(*doc, "data");
            if (data == nullptr || !data->is_object()) {
                return quarantine(std::move(req), std::move(respond), riskos_source,
                                  "event_type given but data is not an object");
            }
            handled = *event_type == "evaluation_completed" || *event_type == "case_notes_added";
            eval_id = string_member(*data, "eval_id").value_or("");
        } else if (auto group = string_member(*doc, "eventGroup")) {
            const json* event = member(*doc, "event");
            if (event == nullptr || !event->is_object()) {
                return quarantine(std::move(req), std::move(respond), riskos_source,
                                  "eventGroup given but event is not an object");
            }
            event_type = *group;
            handled = *group == "DocvNotification";
            if (!event_id) {
                event_id = string_member(*doc, "id");
            }
        } else {
            return quarantine(std::move(req), std::move(respond), riskos_source,
                              "not a RiskOS event envelope (event_type or eventGroup required)");
        }
        if (event_id && !plausible_id(*event_id)) {
            return quarantine(std::move(req), std::move(respond), riskos_source,
                              "event_id is not a plausible id");
        }
        if (!plausible_id(eval_id)) {
            eval_id.clear();
        }
        const std::string delivery =
            event_id ? *event_id : "sha256:" + security::sha256_hex(req.body);
        const std::string type = plausible_id(*event_type) ? *event_type : "?";

        store::enqueue_request er;
        er.delivery = {riskos_source, delivery};
        if (handled) {
            json payload = {{"source", riskos_source},
                            {"event_type", type},
                            {"event_id", delivery},
                            {"eval_id", eval_id},
                            {"request_id", req.request_id},
                            {"received_at", format_rfc3339(system_clock().now())},
                            {"event", detail::reduced_riskos_event(*doc)}};
            er.job = store::new_job{
                riskos_event_kind, payload.dump(-1, ' ', false, json::error_handler_t::replace),
                "riskos:" + delivery, std::nullopt,
                eval_id.empty() ? std::nullopt : std::optional<std::string>(eval_id)};
        }
        log_context ctx{req.request_id, riskos_source, type, delivery, {}, {}, eval_id};
        enqueue(std::move(er), std::move(respond), std::move(ctx));
    }

    // --- the store ------------------------------------------------------------------------

    struct log_context {
        std::string request_id, source, action, delivery, application_id, candidate_id;
        std::string eval_id;
    };

    void enqueue(store::enqueue_request er, respond_fn respond, log_context ctx) {
        const bool with_job = er.job.has_value();
        store.enqueue_async(std::move(er), [self = shared_from_this(), respond = std::move(respond),
                                            ctx = std::move(ctx),
                                            with_job](store::enqueue_result r) {
            response resp;
            std::string_view outcome = store::to_string(r.status);
            switch (r.status) {
                case store::enqueue_status::accepted:
                    if (with_job) {
                        resp.body = json{{"status", "accepted"}, {"job_id", r.id}}.dump();
                    } else {
                        outcome = "ignored";
                        resp = json_status(200, "ignored");
                    }
                    break;
                case store::enqueue_status::duplicate:
                    if (!r.replay && with_job && r.id != 0) {
                        // A new delivery (another webhookActionId) for an application whose
                        // flow already has its job: stored, and handled by that job (at most
                        // one evaluation per application and flow).
                        outcome = "accepted";
                        resp.body = json{{"status", "accepted"}, {"job_id", r.id}}.dump();
                        r.detail = "the flow's existing job";
                        break;
                    }
                    resp.body = r.id != 0 ? json{{"status", "duplicate"}, {"job_id", r.id}}.dump()
                                          : json{{"status", "duplicate"}}.dump();
                    break;
                case store::enqueue_status::overloaded:
                    resp = with_retry_after(
                        json_error(503, "overloaded", "too many events in flight; retry later"), 2);
                    break;
                case store::enqueue_status::unavailable:
                    resp = with_retry_after(
                        json_error(503, "store_unavailable", "the event could not be stored"), 10);
                    break;
            }
            // Counted before the answer (a scrape right after it sees it); logged after.
            self->count(ctx.source, ctx.action, outcome);
            const bool stored_job = with_job && r.status == store::enqueue_status::accepted;
            std::function<void()> wake = stored_job ? self->stored_callback() : nullptr;
            respond(std::move(resp));
            log::info("webhook_received",
                      {{"request_id", ctx.request_id},
                       {"source", ctx.source},
                       {"action", ctx.action},
                       {"delivery", ctx.delivery},
                       {"application_id", ctx.application_id},
                       {"candidate_id", ctx.candidate_id},
                       {"eval_id", ctx.eval_id},
                       {"outcome", outcome},
                       {"job_id", r.id != 0 ? std::to_string(r.id) : std::string()},
                       {"detail", r.detail}});
            if (wake) {
                wake();
            }
        });
    }

    void quarantine(request req, respond_fn respond, const char* source, std::string reason) {
        const std::string request_id = req.request_id;
        const std::size_t bytes = req.body.size();
        store::quarantine_request q{source, reason, std::move(req.body), request_id};
        store.quarantine_async(
            std::move(q), [self = shared_from_this(), respond = std::move(respond), source, reason,
                           request_id, bytes](result<void> r) {
                log::warn("webhook_quarantined", {{"request_id", request_id},
                                                  {"source", source},
                                                  {"reason", reason},
                                                  {"bytes", bytes},
                                                  {"stored", r.has_value()}});
                self->count(source, "", r ? "malformed" : "unavailable");
                if (!r) {
                    return respond(with_retry_after(
                        json_error(503, "store_unavailable", "the event could not be stored"), 10));
                }
                respond(json_error(400, "malformed_payload", reason));
            });
    }
};

webhook_handler::webhook_handler(const config::config& cfg, store::job_store& store,
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

void webhook_handler::on_job_stored(std::function<void()> callback) {
    std::lock_guard lock(impl_->stored_mutex);
    impl_->job_stored = std::move(callback);
}

}  // namespace riskbridge::http
