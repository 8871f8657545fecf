// The Ashby simulator's public class (seeding and inspection) and GET /_sim/state. The rest
// is in the files ashby_model.hpp lists.

#include "riskbridge/sim/ashby_sim.hpp"

#include "sim/ashby_model.hpp"

namespace riskbridge::sim {

using detail::json;

std::string ashby_simulator::impl::state() const {
    json cands = json::array();
    json apps = json::array();
    json tag_list = json::array();
    {
        std::lock_guard lock(mu);
        for (const auto& [id, c] : candidates) {
            json notes = json::array();
            for (const auto& n : c.notes) {
                notes.push_back({{"id", n.id},
                                 {"created_at", n.created_at},
                                 {"content", n.content},
                                 {"send_notifications", n.send_notifications},
                                 {"is_private", n.is_private}});
            }
            cands.push_back(
                {{"id", id},
                 {"name", c.seed.name},
                 {"tags", tag_titles(c)},
                 {"notes", notes},
                 {"custom_values", values_json(c.custom_values)},
                 {"fraud_status", c.fraud_status ? json(*c.fraud_status) : json(nullptr)}});
        }
        for (const auto& [id, a] : applications) {
            apps.push_back({{"id", id},
                            {"candidate_id", a.seed.candidate_id},
                            {"status", a.seed.status},
                            {"stage", a.seed.stage_title},
                            {"custom_values", values_json(a.custom_values)}});
        }
        for (const auto& t : tags) {
            tag_list.push_back(tag_json(t));
        }
    }
    return host.state_text(json{{"candidates", cands}, {"applications", apps}, {"tags", tag_list}});
}

ashby_simulator::ashby_simulator(ashby_sim_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

ashby_simulator::~ashby_simulator() {
    stop();
}

result<void> ashby_simulator::start() {
    detail::host_handlers h;
    h.key = [](const http::request& r) {
        const std::string_view p = r.path();
        return std::string(p.substr(p.empty() ? 0 : 1, detail::max_call_key_path_chars));
    };
    h.api = [this](const http::request& r) { return impl_->api(r); };
    h.state = [this] { return impl_->state(); };
    h.control = [this](const http::request& r, const http::respond_fn& respond) {
        return impl_->control(r, respond);
    };
    return impl_->host.start(std::move(h));
}

void ashby_simulator::stop() {
    impl_->host.stop();  // a webhook still queued is not sent
}

std::uint16_t ashby_simulator::port() const {
    return impl_->host.port();
}
std::string ashby_simulator::base_url() const {
    return impl_->host.base_url();
}
const ashby_sim_options& ashby_simulator::options() const {
    return impl_->opt;
}

void ashby_simulator::add_candidate(candidate_seed candidate) {
    std::lock_guard lock(impl_->mu);
    impl::candidate_rec rec;
    rec.created_at = impl_->now_text();
    rec.fraud_status = candidate.fraud_status;
    const std::string id = candidate.id;
    rec.seed = std::move(candidate);
    impl_->candidates[id] = std::move(rec);
}

void ashby_simulator::add_application(application_seed application) {
    std::lock_guard lock(impl_->mu);
    impl::application_rec rec;
    rec.created_at = impl_->now_text();
    rec.updated_at = rec.created_at;
    const std::string id = application.id;
    rec.seed = std::move(application);
    impl_->applications[id] = std::move(rec);
}

std::string ashby_simulator::add_tag(const std::string& title, bool archived) {
    std::lock_guard lock(impl_->mu);
    for (const auto& t : impl_->tags) {
        if (t.title == title) {
            return t.id;
        }
    }
    impl_->tags.push_back({impl_->ids.next(), title, archived});
    return impl_->tags.back().id;
}

bool ashby_simulator::set_application_stage(const std::string& application_id,
                                            const std::string& title, const std::string& type,
                                            const std::string& status) {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->applications.find(application_id);
    if (it == impl_->applications.end()) {
        return false;
    }
    it->second.seed.stage_title = title;
    it->second.seed.stage_type = type;
    it->second.seed.status = status;
    it->second.updated_at = impl_->now_text();
    return true;
}

std::vector<std::string> ashby_simulator::tags_of(const std::string& candidate_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->candidates.find(candidate_id);
    return it == impl_->candidates.end() ? std::vector<std::string>{}
                                         : impl_->tag_titles(it->second);
}

std::vector<sim_note> ashby_simulator::notes_of(const std::string& candidate_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->candidates.find(candidate_id);
    return it == impl_->candidates.end() ? std::vector<sim_note>{} : it->second.notes;
}

std::map<std::string, std::string> ashby_simulator::custom_values_of(
    const std::string& object_id) const {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->candidates.find(object_id); it != impl_->candidates.end()) {
        return it->second.custom_values;
    }
    if (auto it = impl_->applications.find(object_id); it != impl_->applications.end()) {
        return it->second.custom_values;
    }
    return {};
}

std::optional<std::string> ashby_simulator::fraud_status_of(const std::string& candidate_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->candidates.find(candidate_id);
    return it == impl_->candidates.end() ? std::nullopt : it->second.fraud_status;
}

std::map<std::string, std::string> ashby_simulator::all_tags() const {
    std::lock_guard lock(impl_->mu);
    std::map<std::string, std::string> out;
    for (const auto& t : impl_->tags) {
        out[t.title] = t.id;
    }
    return out;
}

int ashby_simulator::calls(const std::string& endpoint) const {
    return impl_->host.calls(endpoint);
}

std::map<std::string, int> ashby_simulator::call_counts() const {
    return impl_->host.call_counts();
}

std::string ashby_simulator::state_json() const {
    return impl_->state();
}

fault_injector& ashby_simulator::faults() {
    return impl_->host.faults();
}

std::optional<std::string> ashby_simulator::webhook_body(const std::string& action,
                                                         const std::string& application_id) {
    return impl_->webhook(action, application_id);
}

std::string ashby_simulator::sign(const std::string& body) const {
    return impl_->signature(body);
}

clients::upstream_result<clients::http_response> ashby_simulator::send_webhook(
    const std::string& target_url, const std::string& body) {
    return impl_->send(target_url, body);
}

}  // namespace riskbridge::sim
