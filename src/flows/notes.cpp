#include "riskbridge/flows/notes.hpp"

#include <algorithm>

#include "riskbridge/core/text.hpp"

namespace riskbridge::flows {

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string note_marker(std::string_view ref) {
    return "riskbridge:ref " + std::string(ref);
}

bool has_note_marker(std::string_view content, std::string_view ref) {
    const std::string plain = note_marker(ref);
    if (content.find(plain) != std::string_view::npos) {
        return true;
    }
    const std::string escaped = html_escape(plain);
    return escaped != plain && content.find(escaped) != std::string_view::npos;
}

std::string case_url(std::string_view base, std::string_view workflow, std::string_view eval_id) {
    std::string out(base);
    while (!out.empty() && out.back() == '/') {
        out.pop_back();
    }
    return out + "/" + std::string(workflow) + "/" + std::string(eval_id);
}

std::vector<reason_code> top_reasons(const clients::riskos::evaluation& e, std::size_t limit) {
    std::vector<reason_code> all;
    for (const auto& en : e.enrichments) {
        for (const auto& m : en.modules) {
            for (const auto& code : m.reason_codes) {
                const bool seen = std::any_of(all.begin(), all.end(),
                                              [&](const reason_code& r) { return r.code == code; });
                if (!seen && !code.empty()) {
                    all.push_back({code, m.name, en.name});
                }
            }
        }
    }
    std::stable_partition(all.begin(), all.end(), [](const reason_code& r) {
        return !r.code.empty() && (r.code.front() == 'R' || r.code.front() == 'r');
    });
    if (all.size() > limit) {
        all.resize(limit);
    }
    return all;
}

namespace {

std::string footer(std::string_view ref) {
    return "<i>" + html_escape(note_marker(ref)) + "</i>";
}

/// The list items linking the case in RiskOS and naming the evaluation, when known.
std::string case_items(std::string_view case_link, std::string_view eval_id) {
    std::string html;
    if (!case_link.empty()) {
        html += "<li>Case: <a href=\"" + html_escape(case_link) + "\">open in RiskOS</a></li>";
    }
    if (!eval_id.empty()) {
        html += "<li>Evaluation: <code>" + html_escape(eval_id) + "</code></li>";
    }
    return html;
}

}  // namespace

std::string render_decision_note(const decision_note& n) {
    std::string html =
        "<b>RiskOS " + html_escape(n.flow_title) + ": " + html_escape(n.decision) + "</b><ul>";
    html += "<li>Tag: " +
            (n.tag ? "<b>" + html_escape(*n.tag) + "</b>"
                   : std::string("none configured for this decision")) +
            "</li>";
    for (const auto& d : n.details) {
        html += "<li>" + html_escape(d) + "</li>";
    }
    if (!n.reasons.empty()) {
        html += "<li>Top reason codes:<ul>";
        for (const auto& r : n.reasons) {
            html += "<li><code>" + html_escape(r.code) + "</code>";
            std::string where = r.module;
            if (!r.enrichment.empty()) {
                where += where.empty() ? r.enrichment : ", " + r.enrichment;
            }
            if (!where.empty()) {
                html += " (" + html_escape(where) + ")";
            }
            html += "</li>";
        }
        html += "</ul></li>";
    } else {
        html += "<li>No reason codes were returned.</li>";
    }
    html += case_items(n.case_link, n.eval_id);
    html += "</ul>" + footer(n.ref);
    return html;
}

std::string render_decision_change_note(const decision_change_note& n) {
    std::string html = "<b>RiskOS " + html_escape(n.flow_title) +
                       " decision changed: " + html_escape(n.from) + " \u2192 " +
                       html_escape(n.to) + "</b><ul>";
    html += "<li>The decision was changed in RiskOS after riskbridge wrote " + html_escape(n.from) +
            ".</li>";
    if (n.removed_tag) {
        html += "<li>Tag removed: <b>" + html_escape(*n.removed_tag) + "</b></li>";
    }
    html += "<li>Tag: " +
            (n.added_tag ? "<b>" + html_escape(*n.added_tag) + "</b>"
                         : std::string("none configured for this decision")) +
            "</li>";
    if (!n.reviewer_id.empty()) {
        html += "<li>Changed by reviewer <code>" + html_escape(n.reviewer_id) + "</code></li>";
    }
    if (!n.decided_at.empty()) {
        html += "<li>Decided at " + html_escape(n.decided_at) + "</li>";
    }
    html += case_items(n.case_link, n.eval_id);
    html += "</ul>" + footer(n.ref);
    return html;
}

std::string render_notice_note(std::string_view title, const std::vector<std::string>& details,
                               std::string_view case_link, std::string_view eval_id,
                               std::string_view ref) {
    std::string html = "<b>RiskOS " + html_escape(title) + "</b><ul>";
    for (const auto& d : details) {
        html += "<li>" + html_escape(d) + "</li>";
    }
    html += case_items(std::string(case_link), std::string(eval_id));
    html += "</ul>" + footer(ref);
    return html;
}

std::string render_consent_note(consent_status status, std::string_view question,
                                const std::optional<std::string>& tag, std::string_view ref) {
    std::string html =
        "<b>RiskOS identity screening was not run: no consent</b><ul><li>The application ";
    html += status == consent_status::refused ? "does not accept" : "has no answer to";
    html += " the consent question <i>" + html_escape(question) + "</i>.</li>";
    if (tag) {
        html += "<li>Tag: <b>" + html_escape(*tag) + "</b></li>";
    }
    html += "<li>No data was sent to RiskOS.</li></ul>" + footer(ref);
    return html;
}

std::string render_missing_note(const std::vector<std::string>& missing_labels,
                                std::string_view ref) {
    const std::string list = join(missing_labels, ", ");
    std::string html =
        "<b>RiskOS identity screening was not run: missing " + html_escape(list) + "</b><ul>";
    for (const auto& l : missing_labels) {
        html += "<li>No usable " + html_escape(l) + " on the candidate's profile.</li>";
    }
    html +=
        "<li>riskbridge checks each application once: add the missing details to the "
        "candidate's profile and screen the candidate in RiskOS by hand.</li></ul>" +
        footer(ref);
    return html;
}

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
    html += case_items(case_link, eval_id);
    html += "</ul>" + footer(ref);
    return html;
}

std::string render_docv_skipped_note(std::string_view reason, std::string_view ref) {
    return "<b>RiskOS document verification was not started: " + html_escape(reason) +
           "</b><ul><li>No data was sent to RiskOS.</li><li>Verify the candidate's documents "
           "in RiskOS by hand if needed.</li></ul>" +
           footer(ref);
}

}  // namespace riskbridge::flows
