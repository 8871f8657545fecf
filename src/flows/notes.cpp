#include "riskbridge/flows/notes.hpp"

#include <algorithm>

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
    if (!n.case_link.empty()) {
        html += "<li>Case: <a href=\"" + html_escape(n.case_link) + "\">open in RiskOS</a></li>";
    }
    if (!n.eval_id.empty()) {
        html += "<li>Evaluation: <code>" + html_escape(n.eval_id) + "</code></li>";
    }
    html += "</ul>" + footer(n.ref);
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
    std::string list;
    for (const auto& l : missing_labels) {
        list += list.empty() ? "" : ", ";
        list += l;
    }
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

}  // namespace riskbridge::flows
