// `riskbridge demo`'s scenario: eight fictional applicants and their expected outcomes, the
// daemon's configuration, and observing and judging the flows.

#include "app/demo_scenario.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "app/demo_report.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::app::demo {

namespace fs = std::filesystem;
using config::flow_kind;

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
        {"review-accepted", "review, then a reviewer accepts", "applicationSubmit", screening,
         "REVIEW", {"LOW_RISK_IDENTITY"}, 2, "decision changed: REVIEW \u2192 ACCEPT", "ACCEPT"},
    };
    // clang-format on
    return cases;
}

// ---- the configuration ---------------------------------------------------------------------

namespace {

// The simulated candidate opens the capture link shortly after it is sent and goes through
// it at a pace a person can follow on the terminal.
constexpr auto docv_auto_delay = std::chrono::milliseconds{400};
constexpr auto docv_step_interval = std::chrono::milliseconds{120};
constexpr auto webhook_retry_delay = std::chrono::milliseconds{200};

}  // namespace

sim::ashby_sim_options demo_ashby_options() {
    sim::ashby_sim_options a;
    a.threads = 2;
    a.api_key = demo_ashby_key;
    a.webhook_secret = demo_webhook_secret;
    return a;
}

sim::riskos_sim_options demo_riskos_options() {
    sim::riskos_sim_options r;
    r.threads = 2;
    r.api_key = demo_riskos_key;
    r.webhook_bearer = demo_riskos_token;
    r.case_url_base = demo_case_url_base;
    r.docv_auto_delay = docv_auto_delay;
    r.docv_step_interval = docv_step_interval;
    r.webhook_retry_delay = webhook_retry_delay;
    return r;
}

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
                if (r.first_decision.empty()) {
                    r.first_decision = e.decision;
                }
            }
        }
    }
}

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
    const bool reviewed = *e.reviewer_decision != '\0';
    const std::string expected = reviewed ? e.reviewer_decision : e.decision;
    if (r.decision != expected) {
        problem("decision " + (r.decision.empty() ? std::string("none") : r.decision) +
                ", expected " + (riskos_expected ? expected : std::string("none")));
    }
    if (reviewed && r.first_decision != e.decision) {
        problem("first decision " + r.first_decision + ", expected " + e.decision);
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
    if (*e.reviewer_decision != '\0') {
        out += std::string(", a reviewer sets ") + e.reviewer_decision;
    }
    out += " -> " + join_or(e.tags, ", ", "no tag");
    out += ", " + std::to_string(e.notes) + (e.notes == 1 ? " note" : " notes");
    if (!decided || std::string_view(e.note_text).find(e.decision) == std::string_view::npos) {
        out += std::string(" \"") + e.note_text + "\"";
    }
    return out;
}

}  // namespace riskbridge::app::demo
