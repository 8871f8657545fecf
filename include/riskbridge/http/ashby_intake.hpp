#pragma once

// Ashby's webhooks (POST /webhooks/ashby) as a function of the request: the Ashby-Signature
// HMAC over the raw body, the envelope, the action's trigger, candidateDelete/candidateMerge,
// and the reduced job payload. docs/external-apis.md records what this relies on.

#include <cstddef>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/http/intake.hpp"
#include "riskbridge/http/message.hpp"

namespace riskbridge::http {

/// The largest unsigned body looked at as a possible ping (Ashby's is about 50 bytes).
inline constexpr std::size_t max_unsigned_ping_bytes = 1024;
/// The longest submitterClientIp kept (an IPv6 address with a zone fits easily).
inline constexpr std::size_t max_ip_address_text = 64;

/// The decision on an Ashby webhook, from `cfg.ashby.webhook_secrets` and `cfg.triggers`:
///   - unsigned: a ping of at most max_unsigned_ping_bytes is a ping_decision; anything else is
///     refused (missing signature);
///   - a signature that does not verify: refused;
///   - signed, not JSON or not an envelope (action and data), implausible ids: quarantined;
///   - a ping, whatever its data: ping_decision;
///   - candidateDelete / candidateMerge: an erase_candidate / merge_candidates job, whatever
///     the triggers;
///   - an action no trigger names, or a stage trigger whose stage this is not: ignored;
///   - else a job of the flow's kind, unique key `<flow>:<application_id>`, subject the
///     candidate, payload ids and the submitter's IP only; delivery key
///     `<webhookActionId>:<action>`, else `sha256:<hex of the body>`.
/// `now` is the payload's received_at. Never throws on any body.
intake_decision ashby_intake(const config::config& cfg, const request& req, time_point now);

}  // namespace riskbridge::http
