// The RiskOS simulator's public class, POST /_sim/docv/{eval_id} and GET /_sim/state. The
// rest is in the files riskos_model.hpp lists.

#include "riskbridge/sim/riskos_sim.hpp"

#include "sim/riskos_model.hpp"

namespace riskbridge::sim {

namespace {

using detail::dump;
using detail::json;
using detail::json_response;
using detail::text_at;

constexpr std::string_view docv_control_prefix = "/_sim/docv/";

}  // namespace

std::string riskos_simulator::impl::state() const {
    json list = json::array();
    json sent = json::array();
    {
        std::lock_guard lock(mu);
        for (const auto& id : order) {
            const eval_rec& e = evals.at(id);
            json item{{"eval_id", e.eval_id},
                      {"id", e.request_id},
                      {"workflow", e.workflow},
                      {"decision", text_at(e.doc, "decision")},
                      {"eval_status", text_at(e.doc, "eval_status")},
                      {"case_url", opt.case_url_base + "/" + e.workflow + "/" + e.eval_id}};
            if (!e.rerun_of.empty()) {
                item["rerun_of"] = e.rerun_of;
            }
            if (e.docv) {
                item["docv_outcome"] = to_string(e.outcome);
                item["docv_steps_sent"] = e.next_step;
                item["docv_steps_total"] = e.steps.size();
            }
            list.push_back(std::move(item));
        }
        for (const auto& d : deliveries) {
            sent.push_back(detail::delivery_json(d));
        }
    }
    return host.state_text(json{{"evaluations", list}, {"webhooks", sent}});
}

bool riskos_simulator::impl::control(const http::request& req, const http::respond_fn& respond) {
    const std::string_view path = req.path();
    if (path.starts_with(docv_control_prefix) && req.method == "POST") {
        const std::string eval_id(path.substr(docv_control_prefix.size()));
        bool known = false;
        {
            std::lock_guard lock(mu);
            auto it = evals.find(eval_id);
            known = it != evals.end() && it->second.docv;
        }
        if (!known) {
            respond(http::json_error(404, "not_found", "no DocV evaluation with this eval_id"));
            return true;
        }
        host.outbox().post([this, eval_id] { auto_step(eval_id, std::nullopt, 1); });
        respond(json_response(202, json{{"status", "capture started"}, {"eval_id", eval_id}}));
        return true;
    }
    return reviewer_control(req, respond);
}

riskos_simulator::riskos_simulator(riskos_sim_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

riskos_simulator::~riskos_simulator() {
    stop();
}

result<void> riskos_simulator::start() {
    detail::host_handlers h;
    h.key = &impl::call_key;
    h.api = [this](const http::request& r) { return impl_->api(r); };
    h.state = [this] { return impl_->state(); };
    h.control = [this](const http::request& r, const http::respond_fn& respond) {
        return impl_->control(r, respond);
    };
    return impl_->host.start(std::move(h));
}

void riskos_simulator::stop() {
    impl_->host.stop();  // a capture still running stops where it is
}

std::uint16_t riskos_simulator::port() const {
    return impl_->host.port();
}
std::string riskos_simulator::base_url() const {
    return impl_->host.base_url();
}
const riskos_sim_options& riskos_simulator::options() const {
    return impl_->opt;
}

void riskos_simulator::set_webhook_target(const std::string& url, const std::string& bearer) {
    std::lock_guard lock(impl_->mu);
    impl_->webhook_url = url;
    impl_->webhook_bearer = bearer;
}

std::optional<std::string> riskos_simulator::eval_id_for(const std::string& request_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->by_request.find(request_id);
    return it == impl_->by_request.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::vector<std::string> riskos_simulator::eval_ids_for(const std::string& request_id) const {
    std::lock_guard lock(impl_->mu);
    std::vector<std::string> out;
    for (const auto& id : impl_->order) {
        if (impl_->evals.at(id).request_id == request_id) {
            out.push_back(id);
        }
    }
    return out;
}

std::vector<std::string> riskos_simulator::eval_ids() const {
    std::lock_guard lock(impl_->mu);
    return impl_->order;
}

std::optional<std::string> riskos_simulator::evaluation_json(const std::string& eval_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->evals.find(eval_id);
    return it == impl_->evals.end() ? std::nullopt
                                    : std::optional<std::string>(dump(it->second.doc));
}

std::optional<std::string> riskos_simulator::request_json(const std::string& eval_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->evals.find(eval_id);
    return it == impl_->evals.end() ? std::nullopt
                                    : std::optional<std::string>(dump(it->second.request));
}

int riskos_simulator::calls(const std::string& endpoint) const {
    return impl_->host.calls(endpoint);
}

std::vector<webhook_delivery> riskos_simulator::run_docv(const std::string& eval_id) {
    return impl_->run_now(eval_id);
}

bool riskos_simulator::complete_silently(const std::string& eval_id) {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->evals.find(eval_id);
    if (it == impl_->evals.end() || !it->second.docv) {
        return false;
    }
    impl::eval_rec& e = it->second;
    if (e.steps.empty() || !e.steps.back().completion || e.next_step >= e.steps.size()) {
        return false;
    }
    e.next_step = e.steps.size();
    impl_->complete(e);
    return true;
}

std::vector<webhook_delivery> riskos_simulator::deliveries() const {
    std::lock_guard lock(impl_->mu);
    return impl_->deliveries;
}

std::optional<std::string> riskos_simulator::delivery_body(const std::string& event_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->bodies.find(event_id);
    return it == impl_->bodies.end() ? std::nullopt : std::optional<std::string>(it->second);
}

bool riskos_simulator::wait_for_deliveries(std::size_t count, milliseconds timeout) const {
    std::unique_lock lock(impl_->mu);
    return impl_->delivered_cv.wait_for(lock, timeout,
                                        [&] { return impl_->deliveries.size() >= count; });
}

std::string riskos_simulator::state_json() const {
    return impl_->state();
}

fault_injector& riskos_simulator::faults() {
    return impl_->host.faults();
}

}  // namespace riskbridge::sim
