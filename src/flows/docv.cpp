// DocV helpers: states, progress notes, statuses, the finish request, the DocV notes and the
// scheduling of reconciliation (docv.hpp).

#include "riskbridge/flows/docv.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "flow_util.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::object_of;
using detail::text_of;
using nlohmann::json;

/// Lower case, letters and digits only: "Capture App Opened" and "CAPTURE_APP_OPENED" meet.
std::string squash(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return out;
}

std::string hours_text(std::chrono::milliseconds d) {
    const auto h = std::chrono::duration_cast<std::chrono::hours>(d).count();
    if (h >= 1 && std::chrono::hours(h) == d) {
        return std::to_string(h) + (h == 1 ? " hour" : " hours");
    }
    const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count();
    return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

}  // namespace

bool is_waiting_state(std::string_view state) noexcept {
    return state == eval_state_names::pending || state == eval_state_names::requested;
}

bool is_final_state(std::string_view state) noexcept {
    return state == eval_state_names::completed || state == eval_state_names::declined ||
           state == eval_state_names::expired;
}

case_note parse_case_note(std::string_view text) noexcept {
    struct known {
        const char* name;
        case_note note;
    };
    // RiskOS's note texts first, then the older envelope's event types.
    static constexpr known names[] = {
        {"processinitiated", case_note::process_initiated},
        {"waitingforusertoredirect", case_note::process_initiated},
        {"captureappopened", case_note::app_opened},
        {"appopened", case_note::app_opened},
        {"documentfrontuploaded", case_note::front_uploaded},
        {"documentfrontupload", case_note::front_uploaded},
        {"frontuploaded", case_note::front_uploaded},
        {"documentbackuploaded", case_note::back_uploaded},
        {"documentbackupload", case_note::back_uploaded},
        {"backuploaded", case_note::back_uploaded},
        {"documentselfieuploaded", case_note::selfie_uploaded},
        {"selfieuploaded", case_note::selfie_uploaded},
        {"selfieupload", case_note::selfie_uploaded},
        {"documentsuploadsuccessful", case_note::upload_successful},
        {"uploadsuccessful", case_note::upload_successful},
        {"documentsuploaded", case_note::upload_successful},
        {"sessioncomplete", case_note::session_complete},
        {"verificationcomplete", case_note::session_complete},
        {"consentdeclined", case_note::consent_declined},
        {"sessionexpired", case_note::session_expired},
    };
    std::string key;
    try {
        key = squash(text);
    } catch (...) {
        return case_note::other;
    }
    for (const auto& k : names) {
        if (key == k.name) {
            return k.note;
        }
    }
    return case_note::other;
}

const char* to_string(case_note n) noexcept {
    switch (n) {
        case case_note::process_initiated:
            return "Process Initiated";
        case case_note::app_opened:
            return "Capture App Opened";
        case case_note::front_uploaded:
            return "Document Front Uploaded";
        case case_note::back_uploaded:
            return "Document Back Uploaded";
        case case_note::selfie_uploaded:
            return "Document Selfie Uploaded";
        case case_note::upload_successful:
            return "Documents Upload Successful";
        case case_note::session_complete:
            return "Session Complete";
        case case_note::consent_declined:
            return "Consent Declined";
        case case_note::session_expired:
            return "Session Expired";
        case case_note::other:
            break;
    }
    return "other";
}

bool is_terminal_negative(case_note n) noexcept {
    return n == case_note::consent_declined || n == case_note::session_expired;
}

const char* to_string(verification_status s) noexcept {
    switch (s) {
        case verification_status::requested:
            return "requested";
        case verification_status::in_progress:
            return "in progress";
        case verification_status::passed:
            return "passed";
        case verification_status::failed:
            return "failed";
        case verification_status::review:
            return "review";
    }
    return "review";
}

bool is_final_status(verification_status s) noexcept {
    return s == verification_status::passed || s == verification_status::failed ||
           s == verification_status::review;
}

verification_status status_for_decision(std::string_view decision) noexcept {
    if (decision == "ACCEPT") {
        return verification_status::passed;
    }
    if (decision == "REJECT") {
        return verification_status::failed;
    }
    return verification_status::review;
}

std::optional<verification_status> status_for_record(const store::evaluation_record& r) noexcept {
    if (r.state == eval_state_names::requested || r.state == eval_state_names::pending) {
        return verification_status::requested;
    }
    if (r.state == eval_state_names::declined || r.state == eval_state_names::expired) {
        return verification_status::failed;
    }
    if (r.state == eval_state_names::completed) {
        return status_for_decision(r.decision);
    }
    return std::nullopt;
}

const char* to_string(finish_outcome o) noexcept {
    switch (o) {
        case finish_outcome::decision:
            return "decision";
        case finish_outcome::declined:
            return "declined";
        case finish_outcome::expired:
            return "expired";
    }
    return "decision";
}

const char* final_state_for(finish_outcome o) noexcept {
    switch (o) {
        case finish_outcome::decision:
            return eval_state_names::completed;
        case finish_outcome::declined:
            return eval_state_names::declined;
        case finish_outcome::expired:
            return eval_state_names::expired;
    }
    return eval_state_names::completed;
}

// ---- the finish request ----------------------------------------------------------------

std::string to_json_text(const finish_request& f) {
    json doc{{"eval_id", f.eval_id},   {"outcome", to_string(f.outcome)},
             {"source", f.source},     {"decision", f.decision},
             {"workflow", f.workflow}, {"reasons", detail::reasons_json(f.reasons)},
             {"event_id", f.event_id}};
    if (f.docv) {
        json type = json::object();
        if (f.docv->document.type) {
            type["type"] = *f.docv->document.type;
        }
        if (f.docv->document.country) {
            type["country"] = *f.docv->document.country;
        }
        if (f.docv->document.state) {
            type["state"] = *f.docv->document.state;
        }
        doc["docv"] = {{"value", f.docv->decision_value},
                       {"name", f.docv->decision_name.value_or("")},
                       {"reason_codes", f.docv->reason_codes},
                       {"document_type", std::move(type)}};
    }
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<finish_request> parse_finish_request(std::string_view text) {
    const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || text_of(doc, "eval_id").empty()) {
        return std::nullopt;
    }
    finish_request f;
    f.eval_id = text_of(doc, "eval_id");
    const std::string outcome = text_of(doc, "outcome");
    f.outcome = outcome == "declined"  ? finish_outcome::declined
                : outcome == "expired" ? finish_outcome::expired
                                       : finish_outcome::decision;
    f.source = text_of(doc, "source");
    f.decision = text_of(doc, "decision");
    f.workflow = text_of(doc, "workflow");
    f.event_id = text_of(doc, "event_id");
    if (const auto it = doc.find("reasons"); it != doc.end()) {
        f.reasons = detail::reasons_of(*it);
    }
    if (const json* dv = object_of(doc, "docv")) {
        clients::riskos::docv_result r;
        r.decision_value = text_of(*dv, "value");
        r.decision = clients::riskos::parse_decision(r.decision_value);
        if (auto name = text_of(*dv, "name"); !name.empty()) {
            r.decision_name = name;
        }
        if (const auto it = dv->find("reason_codes"); it != dv->end() && it->is_array()) {
            for (const auto& c : *it) {
                if (c.is_string()) {
                    r.reason_codes.push_back(c.get<std::string>());
                }
            }
        }
        if (const json* t = object_of(*dv, "document_type")) {
            for (const auto& [key, field] :
                 {std::pair{"type", &r.document.type}, std::pair{"country", &r.document.country},
                  std::pair{"state", &r.document.state}}) {
                if (auto v = text_of(*t, key); !v.empty()) {
                    *field = v;
                }
            }
        }
        f.docv = std::move(r);
    }
    return f;
}

finish_request finish_from_evaluation(const clients::riskos::evaluation& e, std::string source) {
    finish_request f;
    f.eval_id = e.eval_id;
    f.outcome = finish_outcome::decision;
    f.source = std::move(source);
    f.workflow = e.workflow;
    if (!e.decision_text.empty()) {
        f.decision = to_upper(e.decision_text);
    } else if (e.docv_outcome && !e.docv_outcome->decision_value.empty()) {
        f.decision = to_upper(e.docv_outcome->decision_value);
    } else {
        f.decision = clients::riskos::to_string(e.decision);
    }
    f.reasons = top_reasons(e);
    if (e.docv_outcome) {
        f.docv = *e.docv_outcome;  // decision, reason codes, document type: no document data
    }
    return f;
}

std::string finish_job_key(std::string_view eval_id) {
    return "finish:" + std::string(eval_id);
}

result<store::job_id> enqueue_finish(store::job_store& st, const finish_request& f,
                                     time_point now) {
    store::new_job j;
    j.kind = finish_evaluation_kind;
    j.payload = to_json_text(f);
    j.correlation_id = "eval:" + f.eval_id;
    j.unique_key = finish_job_key(f.eval_id);
    j.subject = f.eval_id;  // erasure finds it through the evaluation
    return st.add_job(j, now);
}

std::vector<std::string> finish_note_details(const finish_request& f,
                                             std::chrono::milliseconds link_lifetime) {
    std::vector<std::string> out;
    switch (f.outcome) {
        case finish_outcome::declined:
            out.emplace_back(
                "The candidate declined the consent in the document capture app (Consent "
                "Declined): no documents were verified.");
            break;
        case finish_outcome::expired:
            if (f.source == "link_expired") {
                out.emplace_back("The document capture link expired (valid for " +
                                 hours_text(link_lifetime) +
                                 ") before any documents were verified.");
            } else {
                out.emplace_back(
                    "The document capture session expired (Session Expired) before any "
                    "documents were verified.");
            }
            break;
        case finish_outcome::decision:
            break;
    }
    if (f.docv) {
        if (!f.docv->decision_value.empty()) {
            out.push_back("Document verification result: " + f.docv->decision_value);
        }
        const auto& d = f.docv->document;
        if (d.type || d.country || d.state) {
            std::string where;
            for (const auto* part : {&d.country, &d.state}) {
                if (*part && !(*part)->empty()) {
                    where += where.empty() ? **part : ", " + **part;
                }
            }
            out.push_back("Document: " + d.type.value_or("unknown type") +
                          (where.empty() ? std::string{} : " (" + where + ")"));
        }
    }
    return out;
}

// ---- notes -------------------------------------------------------------------------------

std::string render_docv_requested_note(std::string_view eval_id, std::string_view case_link,
                                       time_point expires_at, bool message_sent,
                                       const std::optional<std::string>& link,
                                       std::string_view ref) {
    std::string html = "<b>RiskOS document verification requested</b><ul>";
    html += message_sent ? "<li>RiskOS sends the candidate a link to capture an identity "
                           "document and a selfie.</li>"
                         : "<li>The candidate needs the capture link to submit an identity "
                           "document and a selfie.</li>";
    if (link && !link->empty()) {
        html += "<li>Capture link: <a href=\"" + html_escape(*link) + "\">" + html_escape(*link) +
                "</a></li>";
    }
    if (expires_at.time_since_epoch().count() != 0) {
        html += "<li>The link expires at " + html_escape(format_rfc3339(expires_at)) + ".</li>";
    }
    html += "<li>The result is added here when RiskOS finishes the verification.</li>";
    if (!case_link.empty()) {
        html += "<li>Case: <a href=\"" + html_escape(case_link) + "\">open in RiskOS</a></li>";
    }
    if (!eval_id.empty()) {
        html += "<li>Evaluation: <code>" + html_escape(eval_id) + "</code></li>";
    }
    html += "</ul><i>" + html_escape(note_marker(ref)) + "</i>";
    return html;
}

std::string render_docv_skipped_note(std::string_view reason, std::string_view ref) {
    return "<b>RiskOS document verification was not started: " + html_escape(reason) +
           "</b><ul><li>No data was sent to RiskOS.</li><li>Verify the candidate's documents "
           "in RiskOS by hand if needed.</li></ul><i>" +
           html_escape(note_marker(ref)) + "</i>";
}

// ---- reconciliation scheduling -----------------------------------------------------------

result<int> schedule_reconciliation(store::job_store& st, const config::config& cfg,
                                    std::string_view owner, time_point now, int limit) {
    const auto interval = std::max(cfg.riskos.reconcile_interval, std::chrono::milliseconds(1));
    // Longer than the interval: the holder keeps it from run to run; another replica takes
    // over only once it has stopped renewing.
    auto held = st.try_acquire_singleton("reconcile", owner, now, interval * 3);
    if (!held) {
        return std::move(held).error();
    }
    if (!*held) {
        return 0;
    }
    const auto after = std::max(cfg.riskos.reconcile_after, std::chrono::milliseconds(1));
    auto stale = st.stale_evaluations({eval_state_names::pending, eval_state_names::requested},
                                      now - after, limit);
    if (!stale) {
        return std::move(stale).error();
    }
    // One window per reconcile_after: an evaluation is read back at most once per window,
    // whichever replica schedules it and however often the task runs.
    const long long window = to_unix_ms(now) / after.count();
    int queued = 0;
    for (const auto& e : *stale) {
        store::new_job j;
        j.kind = reconcile_kind;
        j.payload = json{{"eval_id", e.eval_id}}.dump();
        j.correlation_id = "eval:" + e.eval_id;
        j.unique_key = "reconcile:" + e.eval_id + ":" + std::to_string(window);
        j.subject = e.eval_id;
        if (auto added = st.add_job(j, now); !added) {
            log::warn("reconcile_enqueue_failed",
                      {{"eval_id", e.eval_id}, {"error", added.error().message}});
            continue;
        }
        ++queued;
    }
    if (!stale->empty()) {
        log::info("reconcile_scheduled",
                  {{"evaluations", static_cast<long long>(stale->size())}, {"queued", queued}});
    }
    return static_cast<int>(stale->size());
}

}  // namespace riskbridge::flows
