// See riskos_intake.hpp.

#include "riskbridge/http/riskos_intake.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "http/webhook_json.hpp"
#include "riskbridge/security/digest.hpp"

namespace riskbridge::http {

namespace {

using detail::member;
using detail::parse_untrusted;
using detail::plausible_id;
using detail::string_member;
using nlohmann::json;

quarantine_decision quarantine(std::string reason) {
    return {riskos_source, std::move(reason)};
}

/// What the envelope says: the event's type and id, whether a riskos_event job handles it,
/// and the evaluation it is about; or why it is no envelope.
struct envelope {
    std::optional<std::string> event_type;
    std::optional<std::string> event_id;
    bool handled = false;
    config::riskos_event kind = config::riskos_event::other;
    std::string eval_id;
    std::optional<std::string> problem;
};

/// Current envelope: {event_id, event_type, event_at, data}; the older DocV one:
/// {id, eventGroup, event: {eventType, docVTransactionToken, ...}}.
envelope read_envelope(const json& doc, const std::map<std::string, std::string>& aliases) {
    envelope e;
    e.event_type = string_member(doc, "event_type");
    e.event_id = string_member(doc, "event_id");
    if (e.event_type) {
        const json* data = member(doc, "data");
        if (data == nullptr || !data->is_object()) {
            e.problem = "event_type given but data is not an object";
            return e;
        }
        e.kind = config::classify_riskos_event(*e.event_type, aliases);
        e.handled = riskos_acts_on(e.kind);
        e.eval_id = string_member(*data, "eval_id").value_or("");
    } else if (auto group = string_member(doc, "eventGroup")) {
        const json* event = member(doc, "event");
        if (event == nullptr || !event->is_object()) {
            e.problem = "eventGroup given but event is not an object";
            return e;
        }
        e.event_type = *group;
        e.kind = *group == "DocvNotification" ? config::riskos_event::docv_notification
                                              : config::riskos_event::other;
        e.handled = e.kind == config::riskos_event::docv_notification;
        if (!e.event_id) {
            e.event_id = string_member(doc, "id");
        }
    } else {
        e.problem = "not a RiskOS event envelope (event_type or eventGroup required)";
    }
    return e;
}

}  // namespace

bool riskos_acts_on(config::riskos_event e) noexcept {
    switch (e) {
        case config::riskos_event::evaluation_completed:
        case config::riskos_event::case_notes_added:
        case config::riskos_event::docv_notification:
        case config::riskos_event::decision_update:
        case config::riskos_event::case_status_updated:
        case config::riskos_event::evaluation_resumed:
        case config::riskos_event::reevaluation:
        case config::riskos_event::workflow_execution_failed:
            return true;
        case config::riskos_event::evaluation_paused:
        case config::riskos_event::other:
            return false;
    }
    return false;
}

std::optional<refuse_decision> check_riskos_credentials(const security::webhook_authenticator& auth,
                                                        const request& req) {
    const auto status = auth.verify(req.header("Authorization").value_or(""));
    if (status == security::auth_status::valid) {
        return std::nullopt;
    }
    auto answer = json_error(401, "unauthorized", "missing or invalid credentials");
    answer.headers.emplace_back("WWW-Authenticate", "Bearer, Basic realm=\"riskbridge\"");
    return refuse_decision{riskos_source, security::to_string(status), std::move(answer)};
}

intake_decision riskos_intake(const security::webhook_authenticator& auth, const request& req,
                              time_point now, const std::map<std::string, std::string>& aliases) {
    if (auto refused = check_riskos_credentials(auth, req)) {
        return std::move(*refused);
    }
    std::string reason;
    auto doc = parse_untrusted(req.body, reason);
    if (!doc) {
        return quarantine(std::move(reason));
    }
    if (!doc->is_object()) {
        return quarantine("not a RiskOS event envelope");
    }
    envelope e = read_envelope(*doc, aliases);
    if (e.problem) {
        return quarantine(std::move(*e.problem));
    }
    if (e.event_id && !plausible_id(*e.event_id)) {
        return quarantine("event_id is not a plausible id");
    }
    if (!plausible_id(e.eval_id)) {
        e.eval_id.clear();
    }
    const std::string delivery =
        e.event_id ? *e.event_id : "sha256:" + security::sha256_hex(req.body);
    const std::string type = plausible_id(*e.event_type) ? *e.event_type : "?";

    enqueue_decision d;
    d.request.delivery = {riskos_source, delivery};
    if (e.handled) {
        const json payload = {{"source", riskos_source},
                              {"event_type", type},
                              {"event_kind", config::to_string(e.kind)},
                              {"event_id", delivery},
                              {"eval_id", e.eval_id},
                              {"request_id", req.request_id},
                              {"received_at", format_rfc3339(now)},
                              {"event", detail::reduced_riskos_event(*doc)}};
        d.request.job = store::new_job{
            riskos_event_kind, payload.dump(-1, ' ', false, json::error_handler_t::replace),
            "riskos:" + delivery, std::nullopt,
            e.eval_id.empty() ? std::nullopt : std::optional<std::string>(e.eval_id)};
    }
    d.ids = {riskos_source, type, delivery, {}, {}, e.eval_id};
    return d;
}

}  // namespace riskbridge::http
