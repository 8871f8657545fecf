#pragma once

// The DocV state machine (docs/external-apis.md): the job kinds of an evaluation's life, the
// evaluation record's states, the DocV progress notes (case notes), the verification status
// pushed to the candidate's custom field, and how an evaluation ended. The finish job's
// payload is in finish_request.hpp, reconciliation in reconcile.hpp, the DocV notes in
// notes.hpp.
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
//   failed     RiskOS reported workflow_execution_failed (no decision, a note says so)
//
// After the first decision, a reviewer in RiskOS may change it (decision_update and its
// kin): a completed record's decision is then revised by a revise_decision job (one per
// record version, unique_key "revise:<eval_id>:<updated_at>"; revise.cpp), which swaps the
// tags, writes a note and stores the new decision. A reviewer's rerun (reevaluation) starts a
// new record for the new eval_id, pending, that carries the decision last written so the
// finish job can swap the tags.
//
// Every path that ends an evaluation — `evaluation_completed`, a terminal-negative
// `case_notes_added` (Consent Declined, Session Expired), reconciliation (a missed webhook or
// an expired link) — only ever *enqueues* the finish job with the outcome it saw. The store
// keeps one job per unique_key, so the first outcome wins, later ones are dropped, and only
// that job writes the decision: the final state is set once and nothing is written twice,
// whatever the order of events. Progress notes only append to the audit trail (and push the
// "in progress" status); they never write the record.

#include <optional>
#include <string_view>

#include "riskbridge/config/config.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::flows {

inline constexpr const char* riskos_event_kind = "riskos_event";
inline constexpr const char* finish_evaluation_kind = "finish_evaluation";
inline constexpr const char* reconcile_kind = "reconcile";
inline constexpr const char* revise_decision_kind = "revise_decision";
inline constexpr const char* docv_reminder_kind = "docv_reminder";

/// The record of a flow's evaluation started by the job `job`, before it has a state.
store::evaluation_record new_evaluation_record(std::string_view eval_id, config::flow_kind flow,
                                               std::string_view application_id,
                                               std::string_view candidate_id, store::job_id job);

/// pending or requested: RiskOS has not given the final answer yet.
bool is_waiting_state(store::evaluation_state state) noexcept;
/// completed, declined, expired or failed.
bool is_final_state(store::evaluation_state state) noexcept;

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

/// How an evaluation ended. `failed`: RiskOS could not run the workflow
/// (workflow_execution_failed); no decision, no tag, the finish job ends dead with the reason.
enum class finish_outcome { decision, declined, expired, failed };
const char* to_string(finish_outcome o) noexcept;  ///< "decision", "declined", "expired", ...
/// The record's final state for an outcome: completed, declined, expired, failed.
store::evaluation_state final_state_for(finish_outcome o) noexcept;

}  // namespace riskbridge::flows
