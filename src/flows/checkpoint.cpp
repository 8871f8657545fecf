#include "riskbridge/flows/flow_service.hpp"

#include "flow_util.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

using nlohmann::json;

flow_checkpoint flow_checkpoint::parse(std::string_view text) {
    flow_checkpoint cp;
    if (text.empty()) {
        return cp;
    }
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded() && doc.is_object()) {
        cp.doc_ = std::move(doc);
    }
    return cp;
}

std::string flow_checkpoint::dump() const {
    json out = doc_;
    out["v"] = 1;
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string flow_checkpoint::text(std::string_view key) const {
    const auto it = doc_.find(key);
    return it != doc_.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string flow_checkpoint::step() const {
    return text("step");
}

void flow_checkpoint::set_step(std::string_view step) {
    doc_["step"] = step;
}

std::string flow_checkpoint::note_state(std::string_view key) const {
    const auto notes = doc_.find("notes");
    if (notes == doc_.end() || !notes->is_object()) {
        return {};
    }
    const auto it = notes->find(key);
    return it != notes->end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool flow_checkpoint::tag_done(std::string_view key) const {
    const auto tags = doc_.find("tags");
    return tags != doc_.end() && tags->is_object() && tags->contains(key);
}

namespace {

json& object_member(json& doc, std::string_view key) {
    json& m = doc[std::string(key)];
    if (!m.is_object()) {
        m = json::object();
    }
    return m;
}

}  // namespace

void flow_checkpoint::set_note(std::string_view key, std::string_view state,
                               std::string_view note_id) {
    object_member(doc_, "notes")[std::string(key)] = state;
    if (!note_id.empty()) {
        object_member(doc_, "note_ids")[std::string(key)] = note_id;
    }
}

void flow_checkpoint::set_tag(std::string_view key, std::string_view title) {
    object_member(doc_, "tags")[std::string(key)] = title;
}

result<void> flow_checkpoint::save(workers::job_context& ctx) const {
    return ctx.save_checkpoint(dump());
}

std::variant<applicant_read, workers::job_outcome> read_applicant(
    workers::job_context& ctx, flow_clients& c, const std::string& application_id,
    std::string candidate_id, const nlohmann::json& webhook_payload) {
    auto app = c.ashby.application_info(application_id);
    if (!app) {
        ctx.audit("read_application", "error", app.error().code);
        return outcome_for(app.error(), "ashby application.info");
    }
    if (!app->submitter_client_ip) {
        // Ashby puts it in the webhook's application; the API's copy may leave it out. The
        // webhook handler keeps it as submitter_client_ip (a job stored by an older version
        // holds the whole webhook data block instead).
        std::string ip = detail::text_of(webhook_payload, "submitter_client_ip");
        if (ip.empty()) {
            const json* data = detail::object_of(webhook_payload, "data");
            const json* webhook_app =
                data != nullptr ? detail::object_of(*data, "application") : nullptr;
            if (webhook_app != nullptr) {
                ip = detail::text_of(*webhook_app, "submitterClientIp");
            }
        }
        if (!ip.empty()) {
            app->submitter_client_ip = std::move(ip);
        }
    }
    if (!app->candidate_id.empty()) {
        candidate_id = app->candidate_id;
    }
    if (candidate_id.empty()) {
        ctx.audit("read_application", "no_candidate");
        return workers::job_outcome::fail("application has no candidate id");
    }
    ctx.log_field("candidate_id", candidate_id);
    auto cand = c.ashby.candidate_info(candidate_id);
    if (!cand) {
        ctx.audit("read_candidate", "error", cand.error().code);
        return outcome_for(cand.error(), "ashby candidate.info");
    }
    ctx.audit("read", "ok", "candidate " + candidate_id);
    return applicant_read{std::move(*app), std::move(*cand), std::move(candidate_id)};
}

workers::job_outcome outcome_for(const clients::upstream_error& e, std::string_view what) {
    std::string msg = std::string(what) + ": " + e.message;
    if (!e.code.empty() && e.message.find(e.code) == std::string::npos) {
        msg += " (" + e.code + ")";
    }
    if (e.transient) {
        return workers::job_outcome::retry(std::move(msg), e.retry_after);
    }
    return workers::job_outcome::fail(std::move(msg));
}

std::string evaluation_request_id(config::flow_kind flow, std::string_view application_id) {
    return std::string("rb-") + config::to_string(flow) + "-" + std::string(application_id);
}

std::string note_ref(config::flow_kind flow, std::string_view application_id,
                     std::string_view step) {
    return evaluation_request_id(flow, application_id) + "/" + std::string(step);
}

}  // namespace riskbridge::flows
