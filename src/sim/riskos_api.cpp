// The fake RiskOS Evaluation API: Bearer authentication, routing, POST /api/evaluation (a new
// evaluation, or the same one again for a request id it has seen) and GET /api/evaluation/{id}.

#include "riskbridge/observability/log.hpp"
#include "sim/riskos_model.hpp"

namespace riskbridge::sim {

namespace {

using detail::json;
using detail::json_response;
using detail::text_at;

constexpr std::string_view evaluation_path_prefix = "/api/evaluation/";
/// Call-counting keys name a longer method "?".
constexpr std::size_t max_call_key_method_chars = 8;

}  // namespace

riskos_simulator::impl::impl(riskos_sim_options o)
    : opt(std::move(o)),
      host("riskos", opt.host, opt.port, opt.threads, opt.seed),
      ids(opt.seed * 104729 + 3),
      webhook_url(opt.webhook_url),
      webhook_bearer(opt.webhook_bearer) {}

std::string riskos_simulator::impl::call_key(const http::request& r) {
    const std::string_view p = r.path();
    if (p == "/api/evaluation" || p.starts_with(evaluation_path_prefix)) {
        return r.method + " /api/evaluation";
    }
    return (r.method.size() <= max_call_key_method_chars ? r.method : std::string("?")) + " " +
           std::string(p.substr(0, detail::max_call_key_path_chars));
}

http::response riskos_simulator::impl::api(const http::request& req) {
    const auto auth = req.header("Authorization");
    const auto token = auth ? detail::credentials_after(*auth, "Bearer") : std::nullopt;
    if (!token || token->empty() || *token != opt.api_key) {
        return http::json_error(401, "unauthorized", "missing or invalid bearer token");
    }
    const std::string_view path = req.path();
    if (path == "/api/evaluation") {
        if (req.method != "POST") {
            return http::json_error(405, "method_not_allowed", "POST a new evaluation");
        }
        return start_evaluation(req.body);
    }
    if (path.starts_with(evaluation_path_prefix)) {
        if (req.method != "GET") {
            return http::json_error(405, "method_not_allowed", "GET an evaluation");
        }
        const std::string id(path.substr(evaluation_path_prefix.size()));
        std::lock_guard lock(mu);
        auto it = evals.find(id);
        if (it == evals.end()) {
            return http::json_error(404, "not_found", "no evaluation with this eval_id");
        }
        return json_response(200, it->second.doc);
    }
    return http::json_error(404, "not_found", "no such endpoint in the simulator");
}

http::response riskos_simulator::impl::start_evaluation(const std::string& body_text) {
    json body = json::parse(body_text, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return http::json_error(400, "invalid_request", "the body is not a JSON object");
    }
    const std::string request_id = text_at(body, "id");
    const std::string workflow = text_at(body, "workflow");
    const auto data = body.find("data");
    if (request_id.empty() || workflow.empty() || data == body.end() || !data->is_object() ||
        !data->contains("individual") || !(*data)["individual"].is_object()) {
        return http::json_error(400, "invalid_request",
                                "id, workflow and data.individual are required");
    }
    bool schedule = false;
    std::string eval_id;
    http::response answer;
    {
        std::lock_guard lock(mu);
        if (auto seen = by_request.find(request_id); seen != by_request.end()) {
            const eval_rec& e = evals[seen->second];
            log::info("sim_riskos_rerun", {{"eval_id", e.eval_id}});
            return json_response(
                text_at(e.doc, "eval_status") == "evaluation_completed" ? 200 : 201, e.doc);
        }
        eval_rec e;
        e.request_id = request_id;
        e.workflow = workflow;
        e.eval_id = detail::uuid_from(std::to_string(opt.seed) + ":eval:" + request_id);
        e.request = std::move(body);
        decide(e);
        eval_id = e.eval_id;
        schedule = e.docv && opt.docv_auto_delay.has_value();
        answer = json_response(e.docv ? 201 : 200, e.doc);
        log::info("sim_riskos_evaluation", {{"eval_id", e.eval_id},
                                            {"decision", text_at(e.doc, "decision")},
                                            {"eval_status", text_at(e.doc, "eval_status")}});
        by_request[request_id] = eval_id;
        order.push_back(eval_id);
        evals.emplace(eval_id, std::move(e));
    }
    if (schedule) {
        host.outbox().post_after(*opt.docv_auto_delay,
                                 [this, eval_id] { auto_step(eval_id, std::nullopt, 1); });
    }
    return answer;
}

}  // namespace riskbridge::sim
