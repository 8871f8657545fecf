#pragma once

// The Ashby notes riskbridge writes (HTML, `{"type": "text/html"}`), limited to the tags Ashby
// keeps (b, i, u, a, ul, ol, li, code, pre). Everything that came from outside (decisions,
// reason codes, module names, ids) is HTML-escaped.
//
// Every note ends with a step marker, a short visible footer
//     <i>riskbridge:ref rb-screening-<application_id>/decision</i>
// (an HTML comment would be stripped by Ashby). Before writing a note again after an
// uncertain attempt, a flow lists the candidate's notes and skips the write when one already
// carries the marker: a note is never written twice for the same step.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/flows/consent.hpp"

namespace riskbridge::flows {

std::string html_escape(std::string_view text);

/// The marker text for a step reference, e.g. "riskbridge:ref rb-screening-a1/decision".
std::string note_marker(std::string_view ref);
/// True when `content` (as Ashby stores it) carries the marker of `ref`.
bool has_note_marker(std::string_view content, std::string_view ref);

/// `<case_url_base>/<workflow>/<eval_id>` (one slash between the parts).
std::string case_url(std::string_view base, std::string_view workflow, std::string_view eval_id);

/// One reason code and where it came from.
struct reason_code {
    std::string code;        ///< e.g. R201
    std::string module;      ///< e.g. fraud, emailRisk
    std::string enrichment;  ///< e.g. "Socure Sigma Identity Fraud"
    friend bool operator==(const reason_code&, const reason_code&) = default;
};

/// The most reason codes a decision note lists.
inline constexpr std::size_t max_note_reasons = 8;

/// The reason codes of an evaluation, risk codes (R...) before informational ones (I...),
/// then in the order RiskOS gave them, without repeats, at most `limit`.
std::vector<reason_code> top_reasons(const clients::riskos::evaluation& e,
                                     std::size_t limit = max_note_reasons);

struct decision_note {
    std::string flow_title = "Identity screening";  ///< what was checked
    std::string decision;                           ///< ACCEPT, REVIEW, ...
    std::optional<std::string> tag;                 ///< the tag applied, if any
    std::vector<reason_code> reasons;
    /// Extra lines after the tag (plain text, escaped when rendered), e.g. the DocV document
    /// type or why the flow ended.
    std::vector<std::string> details;
    std::string case_link;  ///< empty when unknown
    std::string eval_id;
    std::string ref;  ///< the step marker's reference
};

std::string render_decision_note(const decision_note& n);

/// A decision that changed after it was written to Ashby (a reviewer in RiskOS).
struct decision_change_note {
    std::string flow_title = "identity screening";
    std::string from;                        ///< the decision written before
    std::string to;                          ///< the decision now
    std::optional<std::string> removed_tag;  ///< the old decision's tag, when it was removed
    std::optional<std::string> added_tag;    ///< the new decision's tag, when one is configured
    std::string reviewer_id;                 ///< who changed it, when RiskOS says (an id)
    std::string decided_at;                  ///< RiskOS's decision_at, when given
    std::string case_link;                   ///< empty when unknown
    std::string eval_id;
    std::string ref;
};
/// "<b>RiskOS identity screening changed: REVIEW → ACCEPT</b>", the tags swapped, who and when.
std::string render_decision_change_note(const decision_change_note& n);
/// "<b>RiskOS <title></b>" and a line per detail: a flow that could not run, a new capture
/// link sent, a reminder.
std::string render_notice_note(std::string_view title, const std::vector<std::string>& details,
                               std::string_view case_link, std::string_view eval_id,
                               std::string_view ref);
/// "Identity screening was not run: the candidate has not given consent ..."
std::string render_consent_note(consent_status status, std::string_view question,
                                const std::optional<std::string>& tag, std::string_view ref);
/// "Identity screening was not run: missing email, phone."
std::string render_missing_note(const std::vector<std::string>& missing_labels,
                                std::string_view ref);

/// The note of a requested document verification: the link's expiry, and the capture link
/// itself only when `link` is given (riskos.docv.link_in_note).
std::string render_docv_requested_note(std::string_view eval_id, std::string_view case_link,
                                       time_point expires_at, bool message_sent,
                                       const std::optional<std::string>& link,
                                       std::string_view ref);
/// "Document verification was not started: ..." (no consent, or missing fields).
std::string render_docv_skipped_note(std::string_view reason, std::string_view ref);

}  // namespace riskbridge::flows
