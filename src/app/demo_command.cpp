// `riskbridge demo`: the simulators in this process, the daemon as a child process on a
// temporary directory (config, SQLite store, logs), signed webhooks for seven fictional
// applicants, a wait on observable state (the simulators' tags and notes, the store's jobs
// and evaluations) with a deadline, then a table, a verdict per applicant and how to go live.
//
// Applicant names are the simulators' made-up sample data: they are printed to the terminal,
// never logged.

#include "app/demo_command.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/core/wipe.hpp"
#include "riskbridge/flows/docv.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/aead.hpp"
#include "riskbridge/security/digest.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"

extern char** environ;

namespace riskbridge::app {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using steady = std::chrono::steady_clock;
using config::flow_kind;

// Demo credentials: written into the temporary config and given to the simulators. They open
// nothing outside this process and its child.
constexpr const char* demo_ashby_key = "demo-ashby-api-key";
constexpr const char* demo_webhook_secret = "demo-ashby-webhook-secret";
constexpr const char* demo_riskos_key = "demo-riskos-api-key";
constexpr const char* demo_riskos_token = "demo-riskos-webhook-token";
constexpr const char* demo_case_url_base = "https://riskos.socure.com/cases/detail";
constexpr const char* demo_consent_question = "I consent to a background and identity check";
constexpr const char* demo_consent_tag = "NO_CONSENT";

/// One applicant of the demo and what riskbridge must end up doing for it. The simulators'
/// rules (riskos_sim.hpp) give each sample applicant (sample_data.cpp) its outcome.
struct demo_case {
    const char* sample;  ///< sample_applicant::label
    const char* story;   ///< what the row shows, in words
    const char* action;  ///< the Ashby webhook sent
    flow_kind flow;
    const char* decision;  ///< the RiskOS decision; "" when RiskOS must not be called
    std::vector<std::string> tags;
    std::size_t notes;      ///< notes on the candidate at the end
    const char* note_text;  ///< appears in the last note
};

const std::vector<demo_case>& demo_cases() {
    using enum flow_kind;
    // clang-format off
    static const std::vector<demo_case> cases{
        {"accept", "accepted", "applicationSubmit", screening, "ACCEPT",
         {"LOW_RISK_IDENTITY"}, 1, "RiskOS identity screening: ACCEPT"},
        {"reject", "high risk", "applicationSubmit", screening, "REJECT",
         {"HIGH_RISK_IDENTITY"}, 1, "RiskOS identity screening: REJECT"},
        {"review", "review", "applicationSubmit", screening, "REVIEW",
         {"HIGH_RISK_IDENTITY"}, 1, "RiskOS identity screening: REVIEW"},
        {"no-consent", "no consent", "applicationSubmit", screening, "",
         {demo_consent_tag}, 1, "not run: no consent"},
        {"no-phone", "missing phone", "applicationSubmit", screening, "",
         {}, 1, "not run: missing phone"},
        {"docv", "hired, documents pass", "candidateHire", document_verification, "ACCEPT",
         {"DOCUMENT_VERIFICATION_PASSED"}, 2, "RiskOS document verification: ACCEPT"},
        {"docv-expire", "hired, capture expires", "candidateHire", document_verification,
         "REJECT", {"DOCUMENT_VERIFICATION_FAILED"}, 2, "Session Expired"},
    };
    // clang-format on
    return cases;
}

/// What happened to one applicant.
struct row {
    const demo_case* expect = nullptr;
    sim::sample_applicant sample;
    std::string name;
    std::string body;  ///< the webhook's payload
    long long job_id = 0;
    std::string send_error;  ///< the webhook was not accepted
    steady::time_point sent_at{};
    std::optional<steady::time_point> finished_at;
    std::string dead_error;  ///< the flow's job was dead-lettered
    std::string phase;       ///< while waiting, in words
    std::size_t notes_seen = 0;
    // Observed: the Ashby simulator (tags, notes), the RiskOS simulator, the store.
    std::string eval_id;
    std::string decision;
    std::vector<std::string> tags;
    std::vector<sim::sim_note> notes;

    bool finished() const { return finished_at.has_value() || !send_error.empty(); }
};

// ---- terminal ------------------------------------------------------------------------------

struct term {
    bool color = false;
    std::string paint(const std::string& text, const char* code) const {
        return color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
    }
    std::string bold(const std::string& t) const { return paint(t, "1"); }
    std::string green(const std::string& t) const { return paint(t, "32"); }
    std::string red(const std::string& t) const { return paint(t, "31"); }
    std::string dim(const std::string& t) const { return paint(t, "2"); }
};

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

/// The note's first bold text (its headline), as plain text; else its first 80 characters.
std::string headline(const std::string& html) {
    const auto open = html.find("<b>");
    const auto close = open == std::string::npos ? open : html.find("</b>", open);
    std::string text =
        close == std::string::npos ? html.substr(0, 80) : html.substr(open + 3, close - open - 3);
    return html_unescape(text);
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
         at != npos && (details.empty() || (details.size() == 1 && details[0].size() < 50));
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
    return out.size() > 100 ? out.substr(0, 97) + "..." : out;
}

std::string case_link_of(const row& r) {
    for (auto it = r.notes.rbegin(); it != r.notes.rend(); ++it) {
        if (auto link = case_link_in(it->content); !link.empty()) {
            return link;
        }
    }
    return {};
}

// ---- processes, ports, signals ------------------------------------------------------------

/// The port of the daemon's `ready` log line, once it has written it.
std::optional<std::uint16_t> ready_port(const fs::path& log_path) {
    std::ifstream in(log_path);
    for (std::string line; std::getline(in, line);) {
        if (line.find("\"event\":\"ready\"") == std::string::npos) {
            continue;
        }
        const auto o = nlohmann::json::parse(line, nullptr, false);
        if (o.is_object() && o.contains("port") && o["port"].is_number_unsigned()) {
            return o["port"].get<std::uint16_t>();
        }
    }
    return std::nullopt;
}
/// `<this binary> serve --config FILE`, stdout and stderr appended to `log_path`.
pid_t spawn_daemon(const std::string& binary, const std::string& config_path,
                   const std::string& log_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);  // this process blocks SIGINT and SIGTERM
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args{binary, "serve", "--config", config_path};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

/// True once the child has exited (reaped).
bool child_exited(pid_t pid, int& status) {
    return pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid;
}

/// Waits up to `timeout` for SIGINT or SIGTERM (blocked in this process): true when one came.
/// The demo's only pause, between two looks at observable state.
bool interrupted_within(const sigset_t& signals, std::chrono::milliseconds timeout) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
    return ::sigtimedwait(&signals, nullptr, &ts) > 0;
}

/// SIGTERM, then waits for the daemon to drain (SIGKILL after 15 s). Its exit code.
int stop_daemon(pid_t pid, const sigset_t& signals) {
    int status = 0;
    if (child_exited(pid, status)) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    ::kill(pid, SIGTERM);
    const auto deadline = steady::now() + std::chrono::seconds(15);
    while (!child_exited(pid, status)) {
        if (steady::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        interrupted_within(signals, std::chrono::milliseconds(20));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string tail_lines(const std::string& text, std::size_t n) {
    std::size_t at = text.size();
    if (at > 0 && text[at - 1] == '\n') {
        --at;
    }
    for (std::size_t i = 0; i < n && at > 0; ++i) {
        const auto nl = text.rfind('\n', at - 1);
        at = nl == std::string::npos ? 0 : nl;
        if (at == 0) {
            break;
        }
    }
    return text.substr(at == 0 ? 0 : at + 1);
}

std::string indent(const std::string& text, const std::string& prefix) {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        out += prefix + line + "\n";
    }
    return out;
}

// ---- the configuration ---------------------------------------------------------------------

/// The environment variable that hands the demo daemon its throw-away data key, so the key is
/// in neither the config file nor the demo's output.
constexpr const char* demo_data_key_variable = "RISKBRIDGE_DEMO_DATA_KEY";

std::string demo_config(const std::string& ashby_url, const std::string& riskos_url,
                        const fs::path& dir) {
    std::string y =
        "# Written by `riskbridge demo`. Every secret below is a demo value known to the\n"
        "# embedded simulators only; real deployments take them from the environment.\n";
    const auto line = [&y](const std::string& text, const char* comment = nullptr) {
        y += comment == nullptr ? text : pad(text + "  ", 52) + "# " + comment;
        y += '\n';
    };
    const auto quoted = [](const std::string& v) { return "\"" + v + "\""; };
    line("server:");
    line("  listen: " + quoted("127.0.0.1:0"), "a free loopback port, chosen at bind");
    line("  threads: 2");
    line("ashby:");
    line("  api_base_url: " + quoted(ashby_url), "the embedded Ashby simulator");
    line("  api_key: " + quoted(demo_ashby_key));
    line("  webhook_secrets: [" + quoted(demo_webhook_secret) + "]", "Ashby-Signature key");
    line("riskos:");
    line("  api_base_url: " + quoted(riskos_url), "the embedded RiskOS simulator");
    line("  api_key: " + quoted(demo_riskos_key));
    line("  case_url_base: " + quoted(demo_case_url_base));
    line("  webhook_auth: { bearer_tokens: [" + quoted(demo_riskos_token) + "] }",
         "RiskOS calls back with it");
    line(
        "  workflows: { screening: workforce_verification, document_verification: "
        "workforce_docv }");
    line("  reconcile_after_ms: 15000", "a missed RiskOS webhook: read back after");
    line("  reconcile_interval_ms: 1000");
    line("triggers:");
    line("  - { action: applicationSubmit, flow: screening }");
    line("  - { action: candidateHire, flow: document_verification }");
    line("consent:");
    line("  required: true", "no RiskOS call without consent");
    line("  question: " + quoted(demo_consent_question));
    line("  accepted: [true, \"I Consent\"]");
    line(std::string("  tag: ") + demo_consent_tag);
    line("tags:");
    line(
        "  screening: { ACCEPT: LOW_RISK_IDENTITY, REVIEW: HIGH_RISK_IDENTITY, "
        "REJECT: HIGH_RISK_IDENTITY }");
    line(
        "  document_verification: { ACCEPT: DOCUMENT_VERIFICATION_PASSED, "
        "REVIEW: DOCUMENT_VERIFICATION_REVIEW,");
    line(
        "                           RESUBMIT: DOCUMENT_VERIFICATION_REVIEW, "
        "REJECT: DOCUMENT_VERIFICATION_FAILED }");
    line("mapping:");
    line("  custom_fields:", "street and postal code from custom fields");
    line("    - { ashby_field: \"Street Address\", riskos_field: address.line_1 }");
    line("    - { ashby_field: " + quoted(sim::sample_postal_field_id) +
         ", riskos_field: address.postal_code }");
    line("store:");
    line("  sqlite_path: " + quoted((dir / "riskbridge.db").string()));
    line("  encryption: { keys: [{ id: demo, key: \"${" + std::string(demo_data_key_variable) +
             "}\" }] }",
         "a throw-away key made for this run");
    line(
        "workers: { threads: 4, max_attempts: 10, backoff_base_ms: 100, backoff_max_ms: 2000, "
        "poll_interval_ms: 50 }");
    line("logging: { level: info, format: json }",
         "stdout, which the demo sends to riskbridge.log");
    return y;
}

// ---- observing the flows -------------------------------------------------------------------

void observe(row& r, const sim::ashby_simulator& ashby, const sim::riskos_simulator& riskos,
             store::job_store& st) {
    r.tags = ashby.tags_of(r.sample.candidate_id);
    r.notes = ashby.notes_of(r.sample.candidate_id);
    if (r.eval_id.empty()) {
        if (auto e = riskos.eval_id_for(
                flows::evaluation_request_id(r.expect->flow, r.sample.application_id))) {
            r.eval_id = *e;
        }
    }
    if (auto evals = st.evaluations_for_candidate(r.sample.candidate_id); evals) {
        for (const auto& e : *evals) {
            if (e.flow == config::to_string(r.expect->flow)) {
                r.decision = e.decision;
            }
        }
    }
}

enum class progress { running, waiting, finished };

/// finished when the flow has nothing left to do: its job is done (or dead) and no
/// evaluation of the flow still waits for RiskOS; waiting when only RiskOS's answer is
/// missing. Sets r.phase while it is not finished, r.dead_error when the job died.
progress flow_progress(row& r, store::job_store& st) {
    auto found = st.get_job(r.job_id);
    if (!found || !found->has_value()) {
        r.phase = "queued";
        return progress::running;
    }
    const store::job& j = **found;
    if (j.state == store::job_state::dead) {
        r.dead_error = j.last_error.empty() ? std::string("dead") : j.last_error;
        return progress::finished;
    }
    if (j.state != store::job_state::done) {
        r.phase = j.state == store::job_state::retry_wait ? "retrying" : "running";
        return progress::running;
    }
    auto evals = st.evaluations_for_candidate(r.sample.candidate_id);
    if (!evals) {
        return progress::running;
    }
    for (const auto& e : *evals) {
        if (e.flow == config::to_string(r.expect->flow) && !flows::is_final_state(e.state)) {
            r.phase = r.expect->flow == flow_kind::document_verification
                          ? "DocV capture in progress"
                          : "waiting for RiskOS";
            return progress::waiting;
        }
    }
    return progress::finished;
}

struct verdict {
    bool ok = true;
    std::vector<std::string> problems;
};

verdict judge(const row& r) {
    verdict v;
    const demo_case& e = *r.expect;
    const auto problem = [&](std::string what) {
        v.ok = false;
        v.problems.push_back(std::move(what));
    };
    if (!r.send_error.empty()) {
        problem("webhook not accepted: " + r.send_error);
        return v;
    }
    if (!r.finished_at) {
        problem("not finished in time (" + r.phase + ")");
    }
    if (!r.dead_error.empty()) {
        problem("job dead-lettered: " + r.dead_error);
    }
    const bool riskos_expected = *e.decision != '\0';
    if (riskos_expected && r.eval_id.empty()) {
        problem("RiskOS was not called");
    }
    if (!riskos_expected && !r.eval_id.empty()) {
        problem("RiskOS was called");
    }
    if (r.decision != e.decision) {
        problem("decision " + (r.decision.empty() ? std::string("none") : r.decision) +
                ", expected " + (riskos_expected ? std::string(e.decision) : "none"));
    }
    if (r.tags != e.tags) {
        problem("tags " + join_or(r.tags, ", ", "none") + ", expected " +
                join_or(e.tags, ", ", "none"));
    }
    if (r.notes.size() != e.notes) {
        problem(std::to_string(r.notes.size()) + " note(s), expected " + std::to_string(e.notes));
    } else if (!r.notes.empty() && r.notes.back().content.find(e.note_text) == std::string::npos) {
        problem(std::string("last note lacks \"") + e.note_text + "\"");
    }
    if (riskos_expected && case_link_of(r).empty()) {
        problem("no case link in the notes");
    }
    return v;
}

std::string expectation_text(const demo_case& e) {
    const bool decided = *e.decision != '\0';
    std::string out = decided ? std::string(e.decision) : "no RiskOS call";
    out += " -> " + join_or(e.tags, ", ", "no tag");
    out += ", " + std::to_string(e.notes) + (e.notes == 1 ? " note" : " notes");
    if (!decided || std::string_view(e.note_text).find(e.decision) == std::string_view::npos) {
        out += std::string(" \"") + e.note_text + "\"";
    }
    return out;
}

// ---- output --------------------------------------------------------------------------------

void print_table(const std::vector<row>& rows, const term& t) {
    std::size_t w_name = 9;
    std::size_t w_event = 5;
    std::size_t w_tags = 4;
    for (const auto& r : rows) {
        w_name = std::max(w_name, r.name.size());
        w_event = std::max(w_event, std::string(r.expect->action).size());
        w_tags = std::max(w_tags, join_or(r.tags, ", ", "-").size());
    }
    const std::string header = "  " + pad("APPLICANT", w_name) + "  " + pad("EVENT", w_event) +
                               "  " + pad("DECISION", 8) + "  " + pad("TAGS", w_tags) +
                               "  NOTES  TIME";
    std::cout << t.bold(header) << '\n';
    for (const auto& r : rows) {
        const std::string decision = !r.decision.empty() ? r.decision
                                     : r.eval_id.empty() ? std::string("not run")
                                                         : std::string("pending");
        const std::string time =
            r.finished_at ? seconds_text(*r.finished_at - r.sent_at) : std::string("-");
        std::cout << "  " << pad(r.name, w_name) << "  " << pad(r.expect->action, w_event) << "  "
                  << pad(decision, 8) << "  " << pad(join_or(r.tags, ", ", "-"), w_tags) << "  "
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

/// One run of the demo: its directory, simulators, daemon and applicants. Each stage returns
/// false (after saying why) when the run cannot go on; finish() always cleans up.
class demo_run {
public:
    explicit demo_run(const demo_command_options& options)
        : options_(options), t_(make_term()), keep_(options.keep) {
        // SIGINT and SIGTERM are taken with sigtimedwait between looks at the flows, so an
        // interrupted demo still stops its daemon and removes its directory. Blocked before
        // any thread starts, so every thread inherits the mask.
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
        ::signal(SIGPIPE, SIG_IGN);
    }

    ~demo_run() { pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr); }
    demo_run(const demo_run&) = delete;
    demo_run& operator=(const demo_run&) = delete;

    int run() {
        if (!make_directory()) {
            return 2;
        }
        std::cout << t_.bold("riskbridge demo")
                  << ": the Ashby and RiskOS simulators, the daemon and " << demo_cases().size()
                  << " fictional applicants\n\n";
        if (!start_simulators() || !start_daemon() || !open_store() || !prepare_rows()) {
            return finish(interrupted_ ? 130 : 2);
        }
        send_webhooks();
        if (!wait_for_flows()) {
            return finish(130);
        }
        return finish(report() ? 0 : 1);
    }

private:
    bool make_directory() {
        std::error_code ec;
        fs::path base = fs::temp_directory_path(ec);
        if (ec) {
            base = "/tmp";
        }
        std::string dir_template = (base / "riskbridge-demo-XXXXXX").string();
        if (::mkdtemp(dir_template.data()) == nullptr) {
            std::cerr << "riskbridge demo: cannot create a directory under " << base << '\n';
            return false;
        }
        dir_ = dir_template;
        // The simulators log (ids only) to a file of their own, out of the way of the table.
        sim_log_.open(sim_log_path());
        log::init_to_stream(sim_log_, options_.verbose ? log::level::info : log::level::warn);
        return true;
    }

    fs::path config_path() const { return dir_ / "riskbridge.yaml"; }
    fs::path daemon_log() const { return dir_ / "riskbridge.log"; }
    fs::path sim_log_path() const { return dir_ / "simulators.log"; }
    fs::path db_path() const { return dir_ / "riskbridge.db"; }
    std::string daemon_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    bool start_simulators() {
        sim::ashby_sim_options a;
        a.threads = 2;
        a.api_key = demo_ashby_key;
        a.webhook_secret = demo_webhook_secret;
        sim::riskos_sim_options r;
        r.threads = 2;
        r.api_key = demo_riskos_key;
        r.webhook_bearer = demo_riskos_token;
        r.case_url_base = demo_case_url_base;
        // The simulated candidate opens the capture link shortly after it is sent and goes
        // through it at a pace a person can follow on the terminal.
        r.docv_auto_delay = std::chrono::milliseconds(400);
        r.docv_step_interval = std::chrono::milliseconds(120);
        r.webhook_retry_delay = std::chrono::milliseconds(200);
        ashby_ = std::make_unique<sim::ashby_simulator>(a);
        riskos_ = std::make_unique<sim::riskos_simulator>(r);
        if (auto s = ashby_->start(); !s) {
            std::cerr << "riskbridge demo: Ashby simulator: " << s.error().message << '\n';
            return false;
        }
        if (auto s = riskos_->start(); !s) {
            std::cerr << "riskbridge demo: RiskOS simulator: " << s.error().message << '\n';
            return false;
        }
        samples_ = sim::seed_sample_data(*ashby_, demo_consent_question);
        return true;
    }

    /// `riskbridge serve` on a free loopback port (it binds port 0 and logs the port it got
    /// in its `ready` line), until GET /readyz answers 200.
    bool start_daemon() {
        std::error_code ec;
        std::string binary = fs::read_symlink("/proc/self/exe", ec).string();
        if (ec || binary.empty()) {
            binary = "/proc/self/exe";
        }
        clients::curl_options co;
        co.connect_timeout = std::chrono::milliseconds(500);
        co.total_timeout = std::chrono::milliseconds(2000);
        auto http = clients::make_curl_client(co);
        std::ofstream(config_path()) << demo_config(ashby_->base_url(), riskos_->base_url(), dir_);
        // The store is encrypted as in production, under a key that lives as long as this run
        // (64 hex digits from the system's randomness); the child inherits it.
        std::string key = security::random_hex(security::data_key_bytes);
        ::setenv(demo_data_key_variable, key.c_str(), 1);
        wipe(key);
        daemon_pid_ = spawn_daemon(binary, config_path().string(), daemon_log().string());
        if (daemon_pid_ <= 0) {
            std::cerr << "riskbridge demo: cannot start " << binary << '\n';
            return false;
        }
        bool ready = false;
        const auto deadline = steady::now() + std::chrono::seconds(20);
        while (!ready && steady::now() < deadline) {
            if (int status = 0; child_exited(daemon_pid_, status)) {
                daemon_pid_ = -1;
                break;
            }
            if (port_ == 0) {
                port_ = ready_port(daemon_log()).value_or(0);
            }
            if (port_ != 0) {
                clients::http_call call;
                call.method = clients::http_method::get;
                call.url = daemon_url() + "/readyz";
                auto resp = http->send(call);
                ready = resp && resp->status == 200;
            }
            if (!ready && pause(std::chrono::milliseconds(50))) {
                return false;
            }
        }
        if (!ready) {
            std::cout << t_.red("the daemon did not become ready") << '\n';
            return false;
        }
        riskos_->set_webhook_target(daemon_url() + "/webhooks/riskos", demo_riskos_token);
        std::cout << "  fake Ashby    " << ashby_->base_url() << '\n'
                  << "  fake RiskOS   " << riskos_->base_url() << '\n'
                  << "  riskbridge    " << daemon_url() << "   (`riskbridge serve`, pid "
                  << daemon_pid_ << ")\n"
                  << "  directory     " << dir_.string() << "   (config, SQLite store, logs)\n\n"
                  << t_.bold("The configuration it runs on") << " (" << config_path().string()
                  << "; the secrets are demo values):\n"
                  << indent(read_text(config_path()), "  | ") << '\n';
        return true;
    }

    /// The daemon's store, read beside it (WAL): jobs and evaluations.
    bool open_store() {
        auto opened = store::make_sqlite_store({db_path().string()}, system_clock());
        if (!opened) {
            std::cout << t_.red("cannot read the store: " + opened.error().message) << '\n';
            return false;
        }
        store_ = std::move(*opened);
        return true;
    }

    bool prepare_rows() {
        for (const auto& c : demo_cases()) {
            const auto s = std::find_if(samples_.begin(), samples_.end(),
                                        [&](const auto& x) { return x.label == c.sample; });
            if (s == samples_.end()) {
                std::cerr << "riskbridge demo: no sample applicant " << c.sample << '\n';
                return false;
            }
            row rw;
            rw.expect = &c;
            rw.sample = *s;
            // The payload Ashby would send (docs/external-apis.md), with the applicant's
            // name in it.
            if (auto body = ashby_->webhook_body(c.action, s->application_id)) {
                rw.body = std::move(*body);
            } else {
                rw.send_error = "no payload";
            }
            rw.name = s->name;
            w_name_ = std::max(w_name_, rw.name.size());
            rows_.push_back(std::move(rw));
        }
        return true;
    }

    void send_webhooks() {
        std::cout << t_.bold("Sending signed Ashby webhooks") << " to " << daemon_url()
                  << "/webhooks/ashby\n"
                  << "  (Ashby-Signature: sha256=<HMAC-SHA256 of the raw body, keyed with the "
                     "webhook secret>)\n";
        for (auto& rw : rows_) {
            if (!rw.send_error.empty()) {
                continue;
            }
            rw.sent_at = steady::now();
            auto resp = ashby_->send_webhook(daemon_url() + "/webhooks/ashby", rw.body);
            std::string answer;
            if (!resp) {
                rw.send_error = resp.error().message;
                answer = t_.red("failed: " + rw.send_error);
            } else {
                const json reply = json::parse(resp->body, nullptr, false);
                const std::string status =
                    reply.is_object() ? reply.value("status", std::string{}) : std::string{};
                if (resp->status == 200 && status == "accepted" && reply.contains("job_id") &&
                    reply["job_id"].is_number_integer()) {
                    rw.job_id = reply["job_id"].get<long long>();
                    answer = "HTTP 200, accepted as job " + std::to_string(rw.job_id);
                } else {
                    rw.send_error = "HTTP " + std::to_string(resp->status) + " " + status;
                    answer = t_.red(rw.send_error);
                }
            }
            std::cout << "  " << pad(rw.name, w_name_) << "  " << pad(rw.expect->action, 17)
                      << "  -> " << answer << '\n';
        }
        std::cout << '\n'
                  << t_.bold("Waiting for every flow") << " (RiskOS callbacks included; at most "
                  << options_.timeout_s << " s)\n";
        std::cout.flush();
    }

    /// Looks at the flows every 50 ms until each has finished, the deadline passes or the
    /// daemon exits, printing each change. False when interrupted.
    bool wait_for_flows() {
        const auto deadline = steady::now() + std::chrono::seconds(std::max(1, options_.timeout_s));
        last_print_ = steady::now();
        while (
            !std::all_of(rows_.begin(), rows_.end(), [](const row& r) { return r.finished(); })) {
            print_riskos_webhooks();
            look_at_flows();
            if (std::all_of(rows_.begin(), rows_.end(),
                            [](const row& r) { return r.finished(); })) {
                break;
            }
            if (steady::now() >= deadline) {
                std::cout << t_.red("  timed out after " + std::to_string(options_.timeout_s) +
                                    " s")
                          << '\n';
                break;
            }
            if (int status = 0; daemon_pid_ > 0 && child_exited(daemon_pid_, status)) {
                daemon_pid_ = -1;
                std::cout << "  " << t_.red("the daemon exited before every flow finished") << '\n';
                break;
            }
            if (steady::now() - last_print_ >= std::chrono::seconds(3)) {
                std::vector<std::string> waiting;
                for (const auto& rw : rows_) {
                    if (!rw.finished()) {
                        waiting.push_back(rw.name + " (" + rw.phase + ")");
                    }
                }
                std::cout << "  "
                          << t_.dim("... waiting for " + std::to_string(waiting.size()) +
                                    " flow(s): " + join(waiting, ", "))
                          << '\n';
                last_print_ = steady::now();
            }
            std::cout.flush();
            if (pause(std::chrono::milliseconds(50))) {
                return false;
            }
        }
        for (auto& rw : rows_) {
            if (rw.send_error.empty()) {
                observe(rw, *ashby_, *riskos_, *store_);
            }
        }
        return true;
    }

    /// RiskOS's webhooks to the daemon since the last look (DocV progress and completion).
    void print_riskos_webhooks() {
        for (auto& rw : rows_) {  // whose evaluation is whose, to name them
            if (!rw.finished() && rw.eval_id.empty()) {
                if (auto e = riskos_->eval_id_for(
                        flows::evaluation_request_id(rw.expect->flow, rw.sample.application_id))) {
                    rw.eval_id = *e;
                }
            }
        }
        const auto deliveries = riskos_->deliveries();
        for (; deliveries_seen_ < deliveries.size(); ++deliveries_seen_) {
            const auto& d = deliveries[deliveries_seen_];
            std::string who = d.eval_id;
            for (const auto& rw : rows_) {
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
                                           ? t_.red(std::to_string(d.http_status))
                                           : t_.red(d.error.empty() ? "not delivered" : d.error);
            std::cout << "  " << pad(who, w_name_) << "  RiskOS webhook: " << what << " -> "
                      << result << '\n';
            last_print_ = steady::now();
        }
    }

    /// Each unfinished flow: the job first (once it is finished, its tags and notes are
    /// written), then what the Ashby simulator holds.
    void look_at_flows() {
        for (auto& rw : rows_) {
            if (rw.finished()) {
                continue;
            }
            const progress p = flow_progress(rw, *store_);
            observe(rw, *ashby_, *riskos_, *store_);
            if (p == progress::finished) {
                rw.finished_at = steady::now();
                ++done_;
                const std::string line = "[" + std::to_string(done_) + "/" +
                                         std::to_string(rows_.size()) + "] " + rw.name + ": " +
                                         config::to_string(rw.expect->flow) + " -> " +
                                         (!rw.dead_error.empty() ? "dead: " + rw.dead_error
                                          : rw.decision.empty()  ? std::string("not run")
                                                                 : rw.decision) +
                                         ", tags " + join_or(rw.tags, ", ", "none") + " (" +
                                         seconds_text(*rw.finished_at - rw.sent_at) + ")";
                std::cout << "  " << (judge(rw).ok ? t_.green(line) : t_.red(line)) << '\n';
                rw.notes_seen = rw.notes.size();
                last_print_ = steady::now();
            } else if (p == progress::waiting) {
                // Notes written before RiskOS's answer (DocV: "requested").
                for (; rw.notes_seen < rw.notes.size(); ++rw.notes_seen) {
                    std::cout << "  " << pad(rw.name, w_name_) << "  note written: \""
                              << headline(rw.notes[rw.notes_seen].content) << "\"\n";
                    last_print_ = steady::now();
                }
            }
        }
    }

    /// The table, the verdicts and how to go live. True when every outcome matched.
    bool report() {
        std::cout << '\n' << t_.bold("What riskbridge wrote to Ashby") << '\n';
        print_table(rows_, t_);
        std::cout << '\n' << t_.bold("Expected vs got") << '\n';
        std::size_t passed = 0;
        for (const auto& rw : rows_) {
            const verdict v = judge(rw);
            passed += v.ok ? 1 : 0;
            std::cout << "  " << (v.ok ? t_.green("ok  ") : t_.red("FAIL")) << "  "
                      << pad(rw.name, w_name_) << "  " << pad(rw.expect->story, 22) << "  "
                      << expectation_text(*rw.expect) << '\n';
            for (const auto& p : v.problems) {
                std::cout << "              " << t_.red("got " + p) << '\n';
            }
        }
        const bool all_ok = passed == rows_.size();
        const std::string summary = std::to_string(passed) + "/" + std::to_string(rows_.size()) +
                                    " outcomes as expected in " +
                                    seconds_text(steady::now() - started_);
        std::cout << "\n" << (all_ok ? t_.green(summary) : t_.red(summary)) << '\n';
        print_going_live(t_);
        return all_ok;
    }

    /// Stops everything; keeps the directory when asked or when the demo failed.
    int finish(int code) {
        if (store_) {
            store_->shutdown();
            store_.reset();
        }
        if (daemon_pid_ > 0) {
            const int daemon_exit = stop_daemon(daemon_pid_, signals_);
            daemon_pid_ = -1;
            if (code == 0 && daemon_exit != 0) {
                std::cout << t_.red("the daemon exited with code " + std::to_string(daemon_exit))
                          << '\n';
                code = 1;
            }
        }
        if (riskos_) {
            riskos_->stop();
            riskos_.reset();
        }
        if (ashby_) {
            ashby_->stop();
            ashby_.reset();
        }
        log::flush();
        log::init(log::level::warn);  // off the file before it closes
        sim_log_.close();
        if (code == 130) {
            std::cout << "\ninterrupted\n";
        } else if (code != 0) {
            keep_ = true;
            std::cout << "\nDaemon log: " << daemon_log().string() << "\nLast lines:\n"
                      << indent(tail_lines(read_text(daemon_log()), 15), "  ");
        } else if (options_.verbose) {
            std::cout << "\nDaemon log (" << daemon_log().string() << "), last lines:\n"
                      << indent(tail_lines(read_text(daemon_log()), 15), "  ")
                      << "Simulator log: " << sim_log_path().string() << '\n';
        }
        if (keep_) {
            std::cout << "\nKept " << dir_.string()
                      << " (riskbridge.yaml, riskbridge.db, riskbridge.log, simulators.log)\n";
        } else {
            std::error_code ec;
            fs::remove_all(dir_, ec);
        }
        std::cout.flush();
        return code;
    }

    /// The demo's only pause, between two looks at observable state. True when SIGINT or
    /// SIGTERM came.
    bool pause(std::chrono::milliseconds d) {
        interrupted_ = interrupted_ || interrupted_within(signals_, d);
        return interrupted_;
    }

    const demo_command_options options_;
    const term t_;
    const steady::time_point started_ = steady::now();
    sigset_t signals_{};
    sigset_t previous_mask_{};
    bool interrupted_ = false;
    bool keep_ = false;
    fs::path dir_;
    std::ofstream sim_log_;
    std::unique_ptr<sim::ashby_simulator> ashby_;
    std::unique_ptr<sim::riskos_simulator> riskos_;
    std::vector<sim::sample_applicant> samples_;
    std::uint16_t port_ = 0;
    pid_t daemon_pid_ = -1;
    std::unique_ptr<store::job_store> store_;
    std::vector<row> rows_;
    std::size_t w_name_ = 0;
    std::size_t deliveries_seen_ = 0;
    std::size_t done_ = 0;
    steady::time_point last_print_{};
};

}  // namespace

int run_demo(const demo_command_options& options) {
    demo_run demo(options);
    return demo.run();
}

}  // namespace riskbridge::app
