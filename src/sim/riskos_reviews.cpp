// What happens to an evaluation after it started, each with its webhook: a reviewer's
// decision, a rerun, an expired DocV capture link, a failed workflow execution, any event at
// all, and a retried delivery; the public methods (sending on the caller's thread) and their
// /_sim/ requests (sending from the outbox thread). riskos_sim.hpp states the behaviour.

#include <cctype>

#include "riskbridge/observability/log.hpp"
#include "sim/riskos_model.hpp"

namespace riskbridge::sim {

namespace {

using detail::json;
using detail::json_response;
using detail::text_at;

constexpr std::string_view sim_prefix = "/_sim/";
constexpr const char* default_reviewer = "sim-reviewer";

/// "Accept" for ACCEPT, as the documents' sub_status of a closed case.
std::string sub_status_for(const std::string& decision) {
    std::string out;
    for (const char c : decision) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(static_cast<char>(out.empty() ? std::toupper(u) : std::tolower(u)));
    }
    return out;
}

/// The document of an evaluation a reviewer closed with `decision` at `at`.
void close_with(json& doc, const std::string& decision, const std::string& at) {
    doc["eval_end_time"] = at;
    doc["decision_at"] = at;
    doc["decision"] = decision;
    doc["eval_status"] = "evaluation_completed";
    doc["status"] = "CLOSED";
    doc["sub_status"] = sub_status_for(decision);
    doc["review_queues"] = json::array();
    doc.erase("score");
}

error unknown_evaluation() {
    return error(errc::not_found, "no evaluation with this eval_id");
}

/// The HTTP answer to a refused action.
http::response refusal(const error& e) {
    switch (e.code) {
        case errc::not_found:
            return http::json_error(404, "not_found", e.message);
        case errc::conflict:
            return http::json_error(409, "conflict", e.message);
        default:
            return http::json_error(400, "bad_request", e.message);
    }
}

/// A not-sent delivery: what review(..., send = false) returns.
webhook_delivery not_sent(const std::string& eval_id, const std::string& event_type) {
    webhook_delivery d;
    d.event_type = event_type;
    d.eval_id = eval_id;
    d.error = "not sent";
    return d;
}

}  // namespace

// ---- the changes, under mu ------------------------------------------------------------

result<riskos_simulator::impl::outgoing> riskos_simulator::impl::prepare_review(
    const std::string& eval_id, const std::string& decision, const std::string& reviewer_id,
    const std::string& event_type) {
    if (decision.empty() || event_type.empty()) {
        return error(errc::invalid_argument, "a review needs a decision and an event type");
    }
    std::lock_guard lock(mu);
    auto it = evals.find(eval_id);
    if (it == evals.end()) {
        return unknown_evaluation();
    }
    eval_rec& e = it->second;
    e.next_step = e.steps.size();  // a capture still running would overwrite the decision
    const std::string at = decision_time(e);
    close_with(e.doc, decision, at);
    log::info("sim_riskos_review", {{"eval_id", e.eval_id}, {"event_type", event_type}});
    json data;
    if (event_type == "evaluation_completed") {
        data = e.doc;  // what RiskOS sends for a completed evaluation, whoever completed it
        data["reviewer_id"] = reviewer_id;
    } else {
        data = json{{"eval_id", e.eval_id}, {"id", e.request_id},         {"workflow", e.workflow},
                    {"decision", decision}, {"reviewer_id", reviewer_id}, {"status", "CLOSED"}};
    }
    return event_for(e, event_type, std::move(data));
}

result<riskos_simulator::impl::outgoing> riskos_simulator::impl::prepare_event(
    const std::string& eval_id, const std::string& event_type, const json& overrides) {
    if (event_type.empty()) {
        return error(errc::invalid_argument, "an event needs an event type");
    }
    if (!overrides.is_object()) {
        return error(errc::invalid_argument, "the data overrides must be a JSON object");
    }
    std::lock_guard lock(mu);
    auto it = evals.find(eval_id);
    if (it == evals.end()) {
        return unknown_evaluation();
    }
    const eval_rec& e = it->second;
    json data{{"eval_id", e.eval_id}, {"id", e.request_id}, {"workflow", e.workflow}};
    data.update(overrides);
    return event_for(e, event_type, std::move(data));
}

result<riskos_simulator::impl::outgoing> riskos_simulator::impl::prepare_redelivery(
    const std::string& event_id) {
    std::lock_guard lock(mu);
    auto body = bodies.find(event_id);
    if (body == bodies.end()) {
        return error(errc::not_found, "no event with this event_id was sent");
    }
    outgoing out;
    out.url = webhook_url;
    out.bearer = webhook_bearer;
    out.body = body->second;
    for (const auto& d : deliveries) {
        if (d.event_id == event_id) {
            out.record.event_id = d.event_id;
            out.record.event_type = d.event_type;
            out.record.eval_id = d.eval_id;
            out.record.notes = d.notes;
            break;
        }
    }
    return out;
}

result<std::pair<std::string, riskos_simulator::impl::outgoing>>
riskos_simulator::impl::prepare_rerun(const std::string& eval_id, const std::string& decision) {
    if (decision.empty()) {
        return error(errc::invalid_argument, "a rerun needs a decision");
    }
    std::lock_guard lock(mu);
    auto it = evals.find(eval_id);
    if (it == evals.end()) {
        return unknown_evaluation();
    }
    const eval_rec& old = it->second;
    std::size_t runs = 0;
    for (const auto& [id, e] : evals) {
        runs += e.request_id == old.request_id ? 1 : 0;
    }
    eval_rec n;
    n.request_id = old.request_id;
    n.workflow = old.workflow;
    n.request = old.request;
    n.rerun_of = old.eval_id;
    n.eval_id = detail::uuid_from(std::to_string(opt.seed) + ":eval:" + old.request_id +
                                  ":rerun:" + std::to_string(runs));
    n.decided_at = old.decided_at;  // so the rerun's decision_at is later than the first's
    n.doc = old.doc;
    const std::string at = decision_time(n);
    n.doc["eval_id"] = n.eval_id;
    n.doc["eval_start_time"] = at;
    close_with(n.doc, decision, at);
    json data{{"eval_id", n.eval_id},
              {"id", n.request_id},
              {"workflow", n.workflow},
              {"previous_eval_id", old.eval_id}};
    outgoing out = event_for(n, "reevaluation", std::move(data));
    log::info("sim_riskos_rerun_by_reviewer",
              {{"eval_id", n.eval_id}, {"previous_eval_id", old.eval_id}});
    std::string new_id = n.eval_id;
    order.push_back(new_id);
    evals.emplace(new_id, std::move(n));
    return std::make_pair(std::move(new_id), std::move(out));
}

result<riskos_simulator::impl::outgoing> riskos_simulator::impl::prepare_expiry(
    const std::string& eval_id) {
    std::lock_guard lock(mu);
    auto it = evals.find(eval_id);
    if (it == evals.end()) {
        return unknown_evaluation();
    }
    eval_rec& e = it->second;
    if (!e.docv || text_at(e.doc, "eval_status") != "evaluation_paused") {
        return error(errc::conflict, "not a paused DocV evaluation");
    }
    e.next_step = e.steps.size();  // the link is dead: no more capture events
    outgoing out =
        event_for(e, "case_notes_added", detail::case_notes_data(e, "Session Expired", now_text()));
    out.record.notes = "Session Expired";
    return out;
}

result<riskos_simulator::impl::outgoing> riskos_simulator::impl::prepare_failure(
    const std::string& eval_id) {
    std::lock_guard lock(mu);
    auto it = evals.find(eval_id);
    if (it == evals.end()) {
        return unknown_evaluation();
    }
    eval_rec& e = it->second;
    e.next_step = e.steps.size();
    e.doc["eval_status"] = "evaluation_in_progress";
    log::info("sim_riskos_workflow_failed", {{"eval_id", e.eval_id}});
    return event_for(e, "workflow_execution_failed",
                     json{{"eval_id", e.eval_id}, {"id", e.request_id}, {"workflow", e.workflow}});
}

// ---- the public methods --------------------------------------------------------------

result<webhook_delivery> riskos_simulator::impl::send_prepared(result<outgoing> o) {
    if (!o) {
        return std::move(o).error();
    }
    return send_now(std::move(*o));
}

result<webhook_delivery> riskos_simulator::review(const std::string& eval_id,
                                                  const std::string& decision,
                                                  const std::string& reviewer_id,
                                                  const std::string& event_type, bool send) {
    auto o = impl_->prepare_review(eval_id, decision, reviewer_id, event_type);
    if (!o) {
        return std::move(o).error();
    }
    return send ? impl_->send_now(std::move(*o)) : not_sent(eval_id, event_type);
}

result<webhook_delivery> riskos_simulator::send_event(const std::string& eval_id,
                                                      const std::string& event_type,
                                                      const nlohmann::json& data_overrides) {
    return impl_->send_prepared(impl_->prepare_event(eval_id, event_type, data_overrides));
}

result<webhook_delivery> riskos_simulator::redeliver(const std::string& event_id) {
    return impl_->send_prepared(impl_->prepare_redelivery(event_id));
}

result<rerun_result> riskos_simulator::rerun(const std::string& eval_id,
                                             const std::string& decision) {
    auto o = impl_->prepare_rerun(eval_id, decision);
    if (!o) {
        return std::move(o).error();
    }
    rerun_result out;
    out.eval_id = std::move(o->first);
    out.delivery = impl_->send_now(std::move(o->second));
    return out;
}

result<webhook_delivery> riskos_simulator::expire(const std::string& eval_id) {
    return impl_->send_prepared(impl_->prepare_expiry(eval_id));
}

result<webhook_delivery> riskos_simulator::fail_workflow(const std::string& eval_id) {
    return impl_->send_prepared(impl_->prepare_failure(eval_id));
}

// ---- the /_sim/ requests -------------------------------------------------------------

bool riskos_simulator::impl::reviewer_control(const http::request& req,
                                              const http::respond_fn& respond) {
    const std::string_view path = req.path();
    if (req.method != "POST" || !path.starts_with(sim_prefix)) {
        return false;
    }
    const std::string_view rest = path.substr(sim_prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
        return false;
    }
    const std::string_view action = rest.substr(0, slash);
    const std::string id(rest.substr(slash + 1));
    if (action != "review" && action != "event" && action != "redeliver" && action != "rerun" &&
        action != "expire" && action != "fail") {
        return false;
    }
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        respond(http::json_error(400, "bad_request", "the body is not a JSON object"));
        return true;
    }
    auto answer = [&](result<outgoing> o, json extra = json::object()) {
        if (!o) {
            respond(refusal(o.error()));
        } else {
            send_later(std::move(*o), respond, std::move(extra));
        }
    };
    if (action == "review") {
        const bool send = !body.contains("send") || body["send"] != false;
        const std::string reviewer =
            body.contains("reviewer_id") ? text_at(body, "reviewer_id") : default_reviewer;
        const std::string type =
            body.contains("event_type") ? text_at(body, "event_type") : "decision_update";
        auto o = prepare_review(id, text_at(body, "decision"), reviewer, type);
        if (o && !send) {
            respond(
                json_response(200, json{{"delivery", detail::delivery_json(not_sent(id, type))}}));
            return true;
        }
        answer(std::move(o));
    } else if (action == "event") {
        const json data = body.contains("data") ? body["data"] : json::object();
        answer(prepare_event(id, text_at(body, "event_type"), data));
    } else if (action == "redeliver") {
        answer(prepare_redelivery(id));
    } else if (action == "rerun") {
        auto o = prepare_rerun(id, text_at(body, "decision"));
        if (!o) {
            respond(refusal(o.error()));
        } else {
            send_later(std::move(o->second), respond, json{{"eval_id", o->first}});
        }
    } else if (action == "expire") {
        answer(prepare_expiry(id));
    } else {
        answer(prepare_failure(id));
    }
    return true;
}

}  // namespace riskbridge::sim
