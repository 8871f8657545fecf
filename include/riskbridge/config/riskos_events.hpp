#pragma once

// The RiskOS webhook event types riskbridge acts on, under one canonical name each. Socure's
// pages name some events differently (decision_update / case_decision_changed, ...; see
// docs/external-apis.md); the built-in aliases and riskos.event_aliases map every name onto
// one of these. Any other name is acknowledged and logged, never acted on.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace riskbridge::config {

enum class riskos_event {
    evaluation_completed,
    case_notes_added,
    docv_notification,    ///< the older DocV envelope (eventGroup "DocvNotification")
    decision_update,      ///< a reviewer set the decision (also case_decision_changed)
    case_status_updated,  ///< the case's status changed (also case_status_changed)
    evaluation_resumed,
    evaluation_paused,
    reevaluation,  ///< a reviewer reran the case: a new evaluation
    workflow_execution_failed,
    other,
};

const char* to_string(riskos_event e) noexcept;
/// The canonical name only (not an alias); nullopt for anything else, `other` included.
std::optional<riskos_event> parse_riskos_event(std::string_view canonical) noexcept;
/// What an event type sent by RiskOS is: a canonical name, a built-in alias, or one of
/// `aliases` (riskos.event_aliases: name -> canonical name); `other` when none.
riskos_event classify_riskos_event(std::string_view type,
                                   const std::map<std::string, std::string>& aliases);

}  // namespace riskbridge::config
