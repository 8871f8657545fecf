#include "riskbridge/flows/checkpoint.hpp"

#include "json_fields.hpp"

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
    return detail::text_of(doc_, key);
}

std::string flow_checkpoint::step() const {
    return text("step");
}

void flow_checkpoint::set_step(std::string_view step) {
    doc_["step"] = step;
}

std::string flow_checkpoint::note_state(std::string_view key) const {
    const json* notes = detail::object_of(doc_, "notes");
    return notes != nullptr ? detail::text_of(*notes, key) : std::string{};
}

bool flow_checkpoint::tag_done(std::string_view key) const {
    const json* tags = detail::object_of(doc_, "tags");
    return tags != nullptr && tags->contains(key);
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

const char* state_name(clients::riskos::eval_state s) noexcept {
    switch (s) {
        case clients::riskos::eval_state::completed:
            return "completed";
        case clients::riskos::eval_state::paused:
            return "paused";
        case clients::riskos::eval_state::in_progress:
            return "in_progress";
        case clients::riskos::eval_state::unknown:
            break;
    }
    return "unknown";
}

}  // namespace riskbridge::flows
