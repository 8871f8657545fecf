#pragma once

// RiskOS's webhooks (POST /webhooks/riskos) as a function of the request: Basic or Bearer
// credentials in the Authorization header, then the event envelope (the current one, or the
// older DocV one) and the reduced job payload. docs/external-apis.md records what this relies on.

#include <optional>

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
///   - {event_id, event_type, data} with evaluation_completed or case_notes_added, and the
///     older {id, eventGroup: DocvNotification, event}: a riskos_event job (payload reduced to
///     ids and status words, subject the eval_id), delivery key the event id (else
///     `sha256:<hex of the body>`);
///   - any other event type: the delivery only, no job.
/// `now` is the payload's received_at. Never throws on any body.
intake_decision riskos_intake(const security::webhook_authenticator& auth, const request& req,
                              time_point now);

}  // namespace riskbridge::http
