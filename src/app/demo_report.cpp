// `riskbridge demo`'s output: terminal colours, the notes riskbridge wrote to the Ashby
// simulator (HTML) as plain text, the result table and how to go live.

#include "app/demo_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/request_ids.hpp"

namespace riskbridge::app::demo {

namespace {

/// The decision column: the first decision and, when a reviewer changed it, the new one.
std::string decision_text(const row& r) {
    if (r.decision.empty()) {
        return r.eval_id.empty() ? std::string("not run") : std::string("pending");
    }
    return !r.first_decision.empty() && r.first_decision != r.decision
               ? r.first_decision + " \u2192 " + r.decision
               : r.decision;
}

/// Columns a UTF-8 text takes on a terminal (one per code point; the table has no wide ones).
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

/// The longest note detail in the report's table, "..." included.
constexpr std::size_t max_detail_chars = 100;
/// A first explanation item shorter than this is followed by the second.
constexpr std::size_t short_item_chars = 50;
/// A note without a headline shows this much of its text.
constexpr std::size_t headline_fallback_chars = 80;

std::string html_unescape(std::string_view s) {
    static constexpr std::pair<std::string_view, char> entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        bool replaced = false;
        if (s[i] == '&') {
            for (const auto& [entity, c] : entities) {
                if (s.substr(i, entity.size()) == entity) {
                    out += c;
                    i += entity.size();
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) {
            out += s[i++];
        }
    }
    return out;
}

/// The RiskOS case link of the note, if it has one.
std::string case_link_in(const std::string& html) {
    const std::string needle = std::string("href=\"") + demo_case_url_base;
    const auto at = html.find(needle);
    if (at == std::string::npos) {
        return {};
    }
    const auto start = at + 6;
    const auto end = html.find('"', start);
    return end == std::string::npos ? std::string{}
                                    : html_unescape(html.substr(start, end - start));
}

std::string strip_tags(std::string_view html) {
    std::string out;
    bool in_tag = false;
    for (const char c : html) {
        if (c == '<') {
            in_tag = true;
        } else if (c == '>') {
            in_tag = false;
        } else if (!in_tag) {
            out += c;
        }
    }
    return html_unescape(out);
}

/// The note's explanation (its first item or two) and reason codes as one line; may be empty.
std::string note_detail(const std::string& html) {
    constexpr auto npos = std::string::npos;
    const auto codes_at = html.find("Top reason codes:");
    std::vector<std::string> details;
    for (auto at = html.find("<li>");
         at != npos &&
         (details.empty() || (details.size() == 1 && details[0].size() < short_item_chars));
         at = html.find("<li>", at)) {
        at += 4;
        if (codes_at != npos && at > codes_at) {
            break;  // the codes, the case link and the evaluation id follow
        }
        const auto end = std::min(html.find("</li>", at), html.find("<ul>", at));
        std::string text = strip_tags(html.substr(at, end == npos ? npos : end - at));
        if (!text.empty() && text.back() == '.') {
            text.pop_back();  // the items are joined with "; "
        }
        bool skip = text.empty();
        for (const char* prefix :
             {"Tag:", "Case:", "Evaluation:", "Top reason codes", "No reason codes"}) {
            skip = skip || text.rfind(prefix, 0) == 0;
        }
        if (!skip) {
            details.push_back(text);
        }
    }
    std::string out = join(details, "; ");
    if (codes_at != npos) {
        const auto codes_end = html.find("</ul>", codes_at);
        std::vector<std::string> codes;
        for (auto at = html.find("<code>", codes_at); at != npos && at < codes_end;
             at = html.find("<code>", at)) {
            at += 6;
            codes.push_back(strip_tags(html.substr(at, html.find("</code>", at) - at)));
        }
        if (codes.size() > 5) {
            const std::string more = "(" + std::to_string(codes.size() - 5) + " more)";
            codes.resize(5);
            codes.push_back(more);
        }
        if (!codes.empty()) {
            out += (out.empty() ? "" : "; ") + std::string("reason codes ") + join(codes, " ");
        }
    }
    constexpr std::string_view ellipsis = "...";
    return out.size() > max_detail_chars
               ? out.substr(0, max_detail_chars - ellipsis.size()) + std::string(ellipsis)
               : out;
}

}  // namespace

// ---- terminal ------------------------------------------------------------------------------

term make_term() {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term_name = std::getenv("TERM");
    term t;
    t.color = ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0') &&
              (term_name == nullptr || std::string_view(term_name) != "dumb");
    return t;
}

std::string seconds_text(steady::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s",
                  std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
    return buf;
}

std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

/// riskbridge::join, or `empty` when there are no items ("none", "-", "no tag").
std::string join_or(const std::vector<std::string>& items, const char* sep, const char* empty) {
    return items.empty() ? std::string(empty) : join(items, sep);
}

// ---- notes (HTML written to the Ashby simulator) -----------------------------------------

/// The note's first bold text (its headline), as plain text; else its first 80 characters.
std::string headline(const std::string& html) {
    const auto open = html.find("<b>");
    const auto close = open == std::string::npos ? open : html.find("</b>", open);
    std::string text = close == std::string::npos ? html.substr(0, headline_fallback_chars)
                                                  : html.substr(open + 3, close - open - 3);
    return html_unescape(text);
}

bool print_riskos_webhooks(std::vector<row>& rows, const sim::riskos_simulator& riskos,
                           std::size_t& seen, std::size_t name_width, const term& t) {
    for (auto& rw : rows) {  // whose evaluation is whose, to name them
        if (!rw.finished() && rw.eval_id.empty()) {
            if (auto e = riskos.eval_id_for(
                    flows::evaluation_request_id(rw.expect->flow, rw.sample.application_id))) {
                rw.eval_id = *e;
            }
        }
    }
    const auto deliveries = riskos.deliveries();
    bool printed = false;
    for (; seen < deliveries.size(); ++seen) {
        const auto& d = deliveries[seen];
        std::string who = d.eval_id;
        for (const auto& rw : rows) {
            if (!rw.eval_id.empty() && rw.eval_id == d.eval_id) {
                who = rw.name;
            }
        }
        std::string what = d.event_type;
        if (!d.notes.empty()) {
            what += " \"" + d.notes + "\"";
        }
        const std::string result = d.delivered() ? std::to_string(d.http_status)
                                   : d.http_status != 0
                                       ? t.red(std::to_string(d.http_status))
                                       : t.red(d.error.empty() ? "not delivered" : d.error);
        std::cout << "  " << pad(who, name_width) << "  RiskOS webhook: " << what << " -> "
                  << result << '\n';
        printed = true;
    }
    return printed;
}

std::string case_link_of(const row& r) {
    for (auto it = r.notes.rbegin(); it != r.notes.rend(); ++it) {
        if (auto link = case_link_in(it->content); !link.empty()) {
            return link;
        }
    }
    return {};
}

// ---- output --------------------------------------------------------------------------------

void print_table(const std::vector<row>& rows, const term& t) {
    std::size_t w_name = 9;
    std::size_t w_event = 5;
    std::size_t w_tags = 4;
    std::size_t w_decision = std::string_view("DECISION").size();
    for (const auto& r : rows) {
        w_decision = std::max(w_decision, display_width(decision_text(r)));
    }
    for (const auto& r : rows) {
        w_name = std::max(w_name, r.name.size());
        w_event = std::max(w_event, std::string(r.expect->action).size());
        w_tags = std::max(w_tags, join_or(r.tags, ", ", "-").size());
    }
    const std::string header = "  " + pad("APPLICANT", w_name) + "  " + pad("EVENT", w_event) +
                               "  " + pad("DECISION", w_decision) + "  " + pad("TAGS", w_tags) +
                               "  NOTES  TIME";
    std::cout << t.bold(header) << '\n';
    for (const auto& r : rows) {
        std::string decision = decision_text(r);
        decision += std::string(w_decision - std::min(w_decision, display_width(decision)), ' ');
        const std::string time =
            r.finished_at ? seconds_text(*r.finished_at - r.sent_at) : std::string("-");
        std::cout << "  " << pad(r.name, w_name) << "  " << pad(r.expect->action, w_event) << "  "
                  << decision << "  " << pad(join_or(r.tags, ", ", "-"), w_tags) << "  "
                  << pad(std::to_string(r.notes.size()), 5) << "  " << time << '\n';
        for (const auto& n : r.notes) {
            std::cout << "      " << t.dim("note") << "  " << headline(n.content) << '\n';
            if (const auto detail = note_detail(n.content); !detail.empty()) {
                std::cout << "            " << t.dim(detail) << '\n';
            }
        }
        if (const auto link = case_link_of(r); !link.empty()) {
            std::cout << "      " << t.dim("case") << "  " << link << '\n';
        }
    }
}

void print_going_live(const term& t) {
    std::cout << '\n'
              << t.bold("Going live: the same daemon on real Ashby and RiskOS") << '\n'
              << "  1. Start from config/riskbridge.example.yaml (every key documented) and "
                 "set:\n"
                 "       ashby.api_key              \"${ASHBY_API_KEY}\"  (an Ashby API key "
                 "that can read\n"
                 "                                  candidates and applications and write tags "
                 "and notes)\n"
                 "       ashby.webhook_secrets      [\"${ASHBY_WEBHOOK_SECRET}\"]  (the secret "
                 "token of the\n"
                 "                                  Ashby webhooks; list two while rotating)\n"
                 "       riskos.api_base_url        https://riskos.sandbox.socure.com, or "
                 "https://riskos.socure.com\n"
                 "       riskos.api_key             \"${RISKOS_API_KEY}\"\n"
                 "       riskos.case_url_base       https://riskos.socure.com/cases/detail\n"
                 "       riskos.webhook_auth        bearer_tokens: [\"${RISKOS_WEBHOOK_TOKEN}\"] "
                 "(or basic: ...)\n"
                 "       riskos.workflows           your screening and DocV workflow names\n"
                 "       server.listen              \"0.0.0.0:8080\"\n"
                 "       store.sqlite_path          a path that survives restarts (or "
                 "store.postgres_url\n"
                 "                                  for several replicas)\n"
                 "       store.encryption           keys: [{ id: \"1\", key: "
                 "\"${RISKBRIDGE_DATA_KEY}\" }]\n"
                 "                                  (a key from `openssl rand -base64 32`, kept "
                 "secret)\n"
                 "     ashby.api_base_url keeps its default (https://api.ashbyhq.com); "
                 "${VAR} values come\n"
                 "     from the environment, so no secret needs to be in the file.\n"
                 "  2. riskbridge check-config --config riskbridge.yaml\n"
                 "  3. riskbridge serve --config riskbridge.yaml\n"
                 "  4. In Ashby, add webhooks for applicationSubmit and candidateHire to\n"
                 "       https://<your host>/webhooks/ashby   with the secret token "
                 "ASHBY_WEBHOOK_SECRET.\n"
                 "     In RiskOS, point the webhook for evaluation_completed and "
                 "case_notes_added to\n"
                 "       https://<your host>/webhooks/riskos  with Bearer auth "
                 "RISKOS_WEBHOOK_TOKEN.\n"
                 "  Without real credentials yet: `riskbridge sim --config riskbridge.yaml` "
                 "runs these\n"
                 "  simulators on the ports of the config's api_base_url values.\n";
}

std::string finished_text(const row& r, std::size_t done, std::size_t total) {
    const std::string result = !r.dead_error.empty() ? "dead: " + r.dead_error
                               : r.decision.empty()  ? std::string("not run")
                                                     : decision_text(r);
    const auto took = r.finished_at ? *r.finished_at - r.sent_at : steady::duration{};
    return "[" + std::to_string(done) + "/" + std::to_string(total) + "] " + r.name + ": " +
           config::to_string(r.expect->flow) + " -> " + result + ", tags " +
           join_or(r.tags, ", ", "none") + " (" + seconds_text(took) + ")";
}

/// The width of the "Expected vs got" story column.
constexpr std::size_t story_width = 22;

bool print_report(const std::vector<row>& rows, const term& t, std::size_t name_width,
                  steady::duration elapsed) {
    std::cout << '\n' << t.bold("What riskbridge wrote to Ashby") << '\n';
    print_table(rows, t);
    std::cout << '\n' << t.bold("Expected vs got") << '\n';
    std::size_t passed = 0;
    for (const auto& rw : rows) {
        const verdict v = judge(rw);
        passed += v.ok ? 1 : 0;
        std::cout << "  " << (v.ok ? t.green("ok  ") : t.red("FAIL")) << "  "
                  << pad(rw.name, name_width) << "  " << pad(rw.expect->story, story_width) << "  "
                  << expectation_text(*rw.expect) << '\n';
        for (const auto& p : v.problems) {
            std::cout << "              " << t.red("got " + p) << '\n';
        }
    }
    const bool all_ok = passed == rows.size();
    const std::string summary = std::to_string(passed) + "/" + std::to_string(rows.size()) +
                                " outcomes as expected in " + seconds_text(elapsed);
    std::cout << "\n" << (all_ok ? t.green(summary) : t.red(summary)) << '\n';
    print_going_live(t);
    return all_ok;
}

}  // namespace riskbridge::app::demo
