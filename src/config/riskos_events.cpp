// See riskos_events.hpp.

#include "riskbridge/config/riskos_events.hpp"

#include <array>
#include <utility>

namespace riskbridge::config {

namespace {

constexpr std::array<std::pair<riskos_event, std::string_view>, 9> canonical_names{{
    {riskos_event::evaluation_completed, "evaluation_completed"},
    {riskos_event::case_notes_added, "case_notes_added"},
    {riskos_event::docv_notification, "DocvNotification"},
    {riskos_event::decision_update, "decision_update"},
    {riskos_event::case_status_updated, "case_status_updated"},
    {riskos_event::evaluation_resumed, "evaluation_resumed"},
    {riskos_event::evaluation_paused, "evaluation_paused"},
    {riskos_event::reevaluation, "reevaluation"},
    {riskos_event::workflow_execution_failed, "workflow_execution_failed"},
}};

/// The names Socure's configuration reference uses for the same events.
constexpr std::array<std::pair<std::string_view, riskos_event>, 2> builtin_aliases{{
    {"case_decision_changed", riskos_event::decision_update},
    {"case_status_changed", riskos_event::case_status_updated},
}};

}  // namespace

const char* to_string(riskos_event e) noexcept {
    for (const auto& [event, name] : canonical_names) {
        if (event == e) {
            return name.data();
        }
    }
    return "other";
}

std::optional<riskos_event> parse_riskos_event(std::string_view canonical) noexcept {
    for (const auto& [event, name] : canonical_names) {
        if (name == canonical) {
            return event;
        }
    }
    return std::nullopt;
}

riskos_event classify_riskos_event(std::string_view type,
                                   const std::map<std::string, std::string>& aliases) {
    if (auto e = parse_riskos_event(type)) {
        return *e;
    }
    for (const auto& [alias, event] : builtin_aliases) {
        if (alias == type) {
            return event;
        }
    }
    if (const auto it = aliases.find(std::string(type)); it != aliases.end()) {
        return parse_riskos_event(it->second).value_or(riskos_event::other);
    }
    return riskos_event::other;
}

}  // namespace riskbridge::config
