// See ashby_intake.hpp.

#include "riskbridge/http/ashby_intake.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "http/webhook_json.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/security/digest.hpp"
#include "riskbridge/security/hmac.hpp"

namespace riskbridge::http {

namespace {

using detail::member;
using detail::parse_untrusted;
using detail::plausible_id;
using detail::string_member;
using nlohmann::json;

constexpr const char* not_an_ashby_envelope =
    "not an Ashby webhook envelope (action and data required)";
constexpr const char* implausible_action_id = "webhookActionId is not a plausible id";

/// The delivery as JSON with only the members the intake reads; the rest (names, emails,
/// phones, answers...) is checked as JSON but never built in memory.
std::optional<json> parse_envelope(std::string_view body, std::string& reason) {
    return parse_untrusted(body, reason,
                           {{"action"},
                            {"webhookActionId"},
                            {"data", "candidate", "id"},
                            {"data", "deletedCandidate", "id"},
                            {"data", "mergedCandidate", "id"},
                            {"data", "application", "id"},
                            {"data", "application", "submitterClientIp"},
                            {"data", "application", "candidate", "id"},
                            {"data", "application", "currentInterviewStage", "title"},
                            {"data", "application", "currentInterviewStage", "type"}});
}

quarantine_decision quarantine(std::string reason) {
    return {ashby_source, std::move(reason)};
}

ping_decision ping(bool is_signed) {
    return {is_signed, json_status(200, "ok")};
}

refuse_decision refuse(security::signature_status status) {
    return {ashby_source, security::to_string(status),
            json_error(401, "invalid_signature",
                       status == security::signature_status::missing
                           ? "missing Ashby-Signature header"
                           : "Ashby-Signature does not match the body")};
}

/// 200 {"status":"ignored"}, logged by ids only; nothing stored.
ignore_decision ignore(const std::string& action, const std::optional<std::string>& action_id) {
    return {ashby_source, action, plausible_id(action) ? action : "?",
            action_id && plausible_id(*action_id) ? *action_id + ":" + action : "?",
            json_status(200, "ignored")};
}

/// A delivery's webhookActionId (when given) and key: `<webhookActionId>:<action>`, else the
/// hash of the body.
struct delivery_ids {
    std::optional<std::string> action_id;
    std::string key;
};

/// nullopt when the webhookActionId is not a plausible id.
std::optional<delivery_ids> delivery_of(const json& doc, const std::string& action,
                                        const request& req) {
    auto action_id = string_member(doc, "webhookActionId");
    if (action_id && !plausible_id(*action_id)) {
        return std::nullopt;
    }
    std::string key =
        action_id ? *action_id + ":" + action : "sha256:" + security::sha256_hex(req.body);
    return delivery_ids{std::move(action_id), std::move(key)};
}

/// What every job payload of an Ashby delivery holds; the caller adds the ids of its kind.
json base_payload(const std::string& action, const delivery_ids& delivery, const request& req,
                  time_point now) {
    return {{"source", ashby_source},
            {"action", action},
            {"webhook_action_id", delivery.action_id.value_or("")},
            {"delivery", delivery.key},
            {"request_id", req.request_id},
            {"received_at", format_rfc3339(now)}};
}

std::string payload_text(const json& payload) {
    return payload.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Whether any trigger starts a flow on this action (whatever its stage).
bool triggered(const config::config& cfg, const std::string& action) {
    return std::any_of(cfg.triggers.begin(), cfg.triggers.end(),
                       [&](const config::trigger& t) { return t.action == action; });
}

/// The trigger of this action: one without a stage, or a stage trigger whose stage is the
/// application's currentInterviewStage (its title or type, without letter case).
const config::trigger* match_trigger(const config::config& cfg, const std::string& action,
                                     const json* application) {
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

/// candidateDelete {"candidate":{"id"}} and candidateMerge {"deletedCandidate":{"id"},
/// "mergedCandidate":{"id"}}: an erasure or merge job for the privacy workers.
intake_decision candidate_change(const request& req, const json& doc, const std::string& action,
                                 time_point now) {
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
        return quarantine(erase ? "data.candidate.id is required for action candidateDelete"
                                : "data.deletedCandidate.id and data.mergedCandidate.id are "
                                  "required for action candidateMerge");
    }
    const auto delivery = delivery_of(doc, action, req);
    if (!delivery) {
        return quarantine(implausible_action_id);
    }
    json payload = base_payload(action, *delivery, req, now);
    if (erase) {
        payload["candidate_id"] = *subject;
    } else {
        payload["deleted_candidate_id"] = *subject;
        payload["merged_candidate_id"] = *survivor;
    }
    enqueue_decision d;
    d.request.delivery = {ashby_source, delivery->key};
    d.request.job =
        store::new_job{erase ? store::erase_candidate_kind : store::merge_candidates_kind,
                       payload_text(payload), "ashby:" + delivery->key, std::nullopt, std::nullopt};
    d.ids = {ashby_source, action, delivery->key, {}, *subject, {}};
    return d;
}

/// A triggered action: a job of the flow's kind, or ignored when its stage is not the
/// trigger's.
intake_decision flow_event(const config::config& cfg, const request& req, const json& doc,
                           const std::string& action, time_point now) {
    const json* data = member(doc, "data");
    if (data == nullptr || !data->is_object()) {
        return quarantine(not_an_ashby_envelope);
    }
    const auto delivery = delivery_of(doc, action, req);
    if (!delivery) {
        return quarantine(implausible_action_id);
    }

    const json* application = member(*data, "application");
    const config::trigger* trig = match_trigger(cfg, action, application);
    if (trig == nullptr) {  // a stage trigger whose stage this is not
        return ignore(action, delivery->action_id);
    }

    const auto application_id =
        application != nullptr ? string_member(*application, "id") : std::nullopt;
    const json* candidate = application != nullptr ? member(*application, "candidate") : nullptr;
    const auto candidate_id = candidate != nullptr ? string_member(*candidate, "id") : std::nullopt;
    if (!application_id || !plausible_id(*application_id) || !candidate_id ||
        !plausible_id(*candidate_id)) {
        return quarantine(
            "data.application.id and data.application.candidate.id are required for action " +
            action);
    }

    // Keep less: ids, and the one value of the webhook the flow may not read back from the API
    // (the submitter's IP address). The flow reads the candidate from Ashby.
    const std::string flow = config::to_string(trig->flow);
    json payload = base_payload(action, *delivery, req, now);
    payload["flow"] = flow;
    payload["application_id"] = *application_id;
    payload["candidate_id"] = *candidate_id;
    if (auto ip = string_member(*application, "submitterClientIp");
        ip && !ip->empty() && ip->size() <= max_ip_address_text) {
        payload["submitter_client_ip"] = *ip;
    }

    enqueue_decision d;
    d.request.delivery = {ashby_source, delivery->key};
    d.request.job = store::new_job{flow, payload_text(payload), "ashby:" + delivery->key,
                                   flow + ":" + *application_id, *candidate_id};
    d.ids = {ashby_source, action, delivery->key, *application_id, *candidate_id, {}};
    return d;
}

}  // namespace

intake_decision ashby_intake(const config::config& cfg, const request& req, time_point now) {
    const auto header = req.header("Ashby-Signature");
    if (!header || header->empty()) {
        // Whether Ashby signs its ping is unconfirmed: an unsigned ping is answered 200 (or
        // Ashby saves the webhook disabled), anything else unsigned is refused. Only a small
        // body can be a ping: nothing bigger is parsed unauthenticated.
        std::string reason;
        if (auto doc = req.body.size() <= max_unsigned_ping_bytes
                           ? parse_untrusted(req.body, reason)
                           : std::nullopt;
            doc && string_member(*doc, "action") == "ping") {
            return ping(false);
        }
        return refuse(security::signature_status::missing);
    }
    const auto status =
        security::verify_ashby_signature(*header, req.body, cfg.ashby.webhook_secrets);
    if (status != security::signature_status::valid) {
        return refuse(status);
    }

    std::string reason;
    auto doc = parse_envelope(req.body, reason);
    if (!doc) {
        return quarantine(std::move(reason));
    }
    const auto action = string_member(*doc, "action");
    if (action == "ping") {  // whatever its data: Ashby disables a webhook whose ping fails
        return ping(true);
    }
    if (!doc->is_object() || !action || action->empty()) {
        return quarantine(not_an_ashby_envelope);
    }
    if (*action == "candidateDelete" || *action == "candidateMerge") {
        // Erasure is not a flow: handled whatever the triggers say.
        return candidate_change(req, *doc, *action, now);
    }
    if (!triggered(cfg, *action)) {
        // Unknown and untriggered actions are acknowledged and ignored whatever their data
        // (Ashby retries a 400, and may add actions: docs/external-apis.md).
        return ignore(*action, string_member(*doc, "webhookActionId"));
    }
    return flow_event(cfg, req, *doc, *action, now);
}

}  // namespace riskbridge::http
