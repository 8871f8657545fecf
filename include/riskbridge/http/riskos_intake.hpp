#pragma once

// RiskOS's webhooks (POST /webhooks/riskos) as a function of the request: Basic or Bearer
// credentials in the Authorization header, then the event envelope (the current one, or the
// older DocV one) and the reduced job payload. docs/external-apis.md records what this relies on.

#include <map>
#include <optional>

#include "riskbridge/config/riskos_events.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/http/intake.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/security/credentials.hpp"

namespace riskbridge::http {

/// The job kind of RiskOS webhook events.
inline constexpr const char* riskos_event_kind = "riskos_event";

/// The credentials alone (they are in a header, so this can run before the body is read):
/// nullopt when valid, else the refusal (401 with WWW-Authenticate).
std::optional<refuse_decision> check_riskos_credentials(const security::webhook_authenticator& auth,
                                                        const request& req);

/// The decision on a RiskOS webhook:
///   - credentials that are not valid: refused (check_riskos_credentials);
///   - not JSON, not an object, neither envelope, implausible event id: quarantined;
///   - {event_id, event_type, data} whose type is one riskbridge acts on (riskos_acts_on(),
///     under its own name, a built-in alias or one of `aliases`), and the older
///     {id, eventGroup: DocvNotification, event}: a riskos_event job (payload reduced to ids
///     and status words, its canonical `event_kind`, subject the eval_id), delivery key the
///     event id (else `sha256:<hex of the body>`);
///   - any other event type: the delivery only, no job.
/// `now` is the payload's received_at. Never throws on any body.
intake_decision riskos_intake(const security::webhook_authenticator& auth, const request& req,
                              time_point now,
                              const std::map<std::string, std::string>& aliases = {});

/// The events a riskos_event job acts on: evaluation_completed, case_notes_added, the older
/// DocV envelope, the reviewer's changes (decision_update, case_status_updated,
/// evaluation_resumed), reevaluation and workflow_execution_failed. evaluation_paused and
/// every other type are acknowledged only.
bool riskos_acts_on(config::riskos_event e) noexcept;

}  // namespace riskbridge::http
