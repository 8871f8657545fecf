// The Ashby simulator's outbound webhooks: the envelope Ashby sends for an action, its
// `Ashby-Signature`, sending it, and POST /_sim/webhook, which does both from the outbox thread.

#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/hmac.hpp"
#include "sim/ashby_model.hpp"

namespace riskbridge::sim {

using detail::dump;
using detail::json;
using detail::json_response;

std::optional<std::string> ashby_simulator::impl::webhook(const std::string& action,
                                                          const std::string& app_id) {
    json envelope{{"webhookActionId", ids.next()}, {"action", action}};
    if (action == "ping") {
        envelope["data"] = {{"webhookActionType", "ping"}};
        return dump(envelope);
    }
    std::lock_guard lock(mu);
    auto it = applications.find(app_id);
    if (it == applications.end()) {
        return std::nullopt;
    }
    application_rec& a = it->second;
    if (action == "candidateHire") {
        a.seed.status = "Hired";
        a.seed.stage_title = "Hired";
        a.seed.stage_type = "Hired";
        a.updated_at = now_text();
    }
    json data{{"application", render_application(a, false)}};
    if (action == "candidateHire") {
        data["offer"] = {{"id", detail::uuid_from("offer:" + app_id)},
                         {"applicationId", app_id},
                         {"acceptanceStatus", "Accepted"},
                         {"offerStatus", "OfferAccepted"},
                         {"latestVersion",
                          {{"id", detail::uuid_from("offer-version:" + app_id)},
                           {"startDate", "2026-03-02"},
                           {"salary", {{"currencyCode", "USD"}, {"value", 120000}}}}}};
    }
    envelope["data"] = std::move(data);
    return dump(envelope);
}

std::string ashby_simulator::impl::signature(const std::string& body) const {
    return "sha256=" + security::hmac_sha256_hex(opt.webhook_secret, body);
}

clients::upstream_result<clients::http_response> ashby_simulator::impl::send(
    const std::string& target, const std::string& body) {
    std::lock_guard lock(send_mu);
    if (!sender) {
        sender = detail::make_webhook_sender("riskbridge-sim-ashby");
    }
    auto r = sender->send(detail::json_post(target, body, "Ashby-Signature", signature(body)));
    log::info("sim_ashby_webhook_sent",
              {{"status", r ? static_cast<long long>(r->status) : 0LL},
               {"error", r ? std::string_view{} : std::string_view{r.error().code}}});
    return r;
}

bool ashby_simulator::impl::control(const http::request& req, const http::respond_fn& respond) {
    if (req.path() != "/_sim/webhook" || req.method != "POST") {
        return false;
    }
    const json body = json::parse(req.body, nullptr, false);
    const std::string* action = detail::string_field(body, "action");
    const std::string* app = detail::string_field(body, "application_id");
    const std::string* target = detail::string_field(body, "target");
    std::string to = target != nullptr ? *target : opt.webhook_target;
    if (action == nullptr || (app == nullptr && *action != "ping") || to.empty()) {
        respond(http::json_error(400, "bad_request", "give action, application_id and a target"));
        return true;
    }
    auto payload = webhook(*action, app != nullptr ? *app : std::string{});
    if (!payload) {
        respond(http::json_error(404, "not_found", "no application with this id"));
        return true;
    }
    // Sent from the outbox thread: the I/O thread does not wait for the target.
    host.outbox().post([this, to, body = *payload, respond] {
        auto r = send(to, body);
        if (r) {
            respond(json_response(200, json{{"delivered", true}, {"status", r->status}}));
        } else {
            respond(json_response(502, json{{"delivered", false}, {"error", r.error().message}}));
        }
    });
    return true;
}

}  // namespace riskbridge::sim
