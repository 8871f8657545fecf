#pragma once

// Document verification (DocV), RiskOS webhook events and reconciliation (docs/external-apis.md):
// the job kinds, the evaluation record's state machine, the DocV progress notes, the status
// pushed to the candidate's custom field, and the one job that finishes an evaluation.
//
// Evaluation record states (store::evaluation_record.state):
//
//   pending ──┐                      (screening: RiskOS answered paused or in progress)
//   requested ┼─ finish_evaluation ─▶ deciding ─▶ completed | declined | expired
//             │   (ONE job per eval_id, unique_key "finish:<eval_id>")
//   (none) ───┴─ the flow's own job, when RiskOS completed at once ─▶ deciding ─▶ completed
//
//   requested  DocV: a capture was requested (docv_token, expires_at set); also a DocV flow
//              evaluation paused without a capture request
//   deciding   the decision is being written (tag, note, status) by exactly one job
//   completed  decision ACCEPT | REVIEW | REJECT | RESUBMIT | ... written
//   declined   the candidate declined consent in the capture app (decision REJECT)
//   expired    Session Expired, or the capture link's lifetime plus the grace period passed
//              while RiskOS still had the evaluation paused (decision REJECT)
//
// Every path that ends an evaluation — `evaluation_completed`, a terminal-negative
// `case_notes_added` (Consent Declined, Session Expired), reconciliation (a missed webhook or
// an expired link) — only ever *enqueues* the finish job with the outcome it saw. The store
// keeps one job per unique_key, so the first outcome wins, later ones are dropped, and only
// that job writes the decision: the final state is set once and nothing is written twice,
// whatever the order of events. Progress notes only append to the audit trail (and push the
// "in progress" status); they never write the record.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/flows/notes.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::flows {

inline constexpr const char* riskos_event_kind = "riskos_event";
inline constexpr const char* finish_evaluation_kind = "finish_evaluation";
inline constexpr const char* reconcile_kind = "reconcile";

namespace eval_state_names {
inline constexpr const char* pending = "pending";
inline constexpr const char* requested = "requested";
inline constexpr const char* deciding = "deciding";
inline constexpr const char* completed = "completed";
inline constexpr const char* declined = "declined";
inline constexpr const char* expired = "expired";
}  // namespace eval_state_names

/// pending or requested: RiskOS has not given the final answer yet.
bool is_waiting_state(std::string_view state) noexcept;
/// completed, declined or expired.
bool is_final_state(std::string_view state) noexcept;

/// The DocV progress notes of `case_notes_added` (data.notes) and of the older envelope
/// (event.message, or event.eventType such as WAITING_FOR_USER_TO_REDIRECT).
enum class case_note {
    process_initiated,
    app_opened,
    front_uploaded,
    back_uploaded,
    selfie_uploaded,
    upload_successful,
    session_complete,
    consent_declined,
    session_expired,
    other,
};
/// Case-insensitive on the note text ("Capture App Opened") or the older event type
/// ("APP_OPENED", "CONSENT_DECLINED", "SESSION_EXPIRED", ...).
case_note parse_case_note(std::string_view text) noexcept;
/// RiskOS's note text, e.g. "Capture App Opened"; "other" for anything else.
const char* to_string(case_note n) noexcept;
/// Consent Declined and Session Expired end the flow (REJECT).
bool is_terminal_negative(case_note n) noexcept;

/// The verification state kept in ashby.status_custom_field (DocV flow).
enum class verification_status { requested, in_progress, passed, failed, review };
const char* to_string(verification_status s) noexcept;  ///< "requested", "in progress", ...
bool is_final_status(verification_status s) noexcept;   ///< passed, failed, review
/// ACCEPT → passed, REJECT → failed, anything else (REVIEW, RESUBMIT, ...) → review.
verification_status status_for_decision(std::string_view decision) noexcept;
/// The status a record stands for: nullopt while deciding or for an unknown state.
std::optional<verification_status> status_for_record(const store::evaluation_record& r) noexcept;

/// How an evaluation ended.
enum class finish_outcome { decision, declined, expired };
const char* to_string(finish_outcome o) noexcept;  ///< "decision", "declined", "expired"
/// The record's final state for an outcome: completed, declined, expired.
const char* final_state_for(finish_outcome o) noexcept;

/// The payload of the finish_evaluation job: what finished the evaluation, without any
/// personal data (decision, reason codes, document type; never documentData).
struct finish_request {
    std::string eval_id;
    finish_outcome outcome = finish_outcome::decision;
    std::string source;    ///< evaluation_completed | case_notes_added | reconcile | link_expired
    std::string decision;  ///< upper case; REJECT for declined and expired
    std::string workflow;  ///< may be empty (the flow's configured workflow is used)
    std::vector<reason_code> reasons;
    std::optional<clients::riskos::docv_result> docv;  ///< the DocV result, when there was one
    std::string event_id;                              ///< the webhook's, when from one
};

std::string to_json_text(const finish_request& f);
/// nullopt when the text is not a finish request (no eval_id).
std::optional<finish_request> parse_finish_request(std::string_view text);
/// From a completed evaluation (API answer or webhook data): the decision as sent (upper
/// case; the DocV decision value when the evaluation has none), top reason codes, DocV result.
finish_request finish_from_evaluation(const clients::riskos::evaluation& e, std::string source);
/// "finish:<eval_id>": at most one finish job per evaluation.
std::string finish_job_key(std::string_view eval_id);
/// Enqueues the finish job (or finds the one already there). Returns its id.
result<store::job_id> enqueue_finish(store::job_store& st, const finish_request& f, time_point now);

/// Extra note lines for a finish request: the DocV result and document type, or why the
/// flow ended (consent declined, session expired, link expired). Plain text.
std::vector<std::string> finish_note_details(const finish_request& f,
                                             std::chrono::milliseconds link_lifetime);

/// The note of a requested document verification: the link's expiry, and the capture link
/// itself only when `link` is given (riskos.docv.link_in_note).
std::string render_docv_requested_note(std::string_view eval_id, std::string_view case_link,
                                       time_point expires_at, bool message_sent,
                                       const std::optional<std::string>& link,
                                       std::string_view ref);
/// "Document verification was not started: ..." (no consent, or missing fields).
std::string render_docv_skipped_note(std::string_view reason, std::string_view ref);

/// Enqueues one `reconcile` job for each evaluation waiting longer than
/// riskos.reconcile_after (unique per eval_id and reconcile_after window, so an evaluation is
/// read back at most once per window), when `owner` holds the "reconcile" singleton lease of
/// the store (one replica schedules at a time). Quick: no upstream call. Returns the number of
/// evaluations looked at (0 when another replica holds the lease).
result<int> schedule_reconciliation(store::job_store& st, const config::config& cfg,
                                    std::string_view owner, time_point now, int limit = 500);

}  // namespace riskbridge::flows
