#pragma once

// `riskbridge demo`'s scenario: the demo credentials, the fictional applicants and what
// riskbridge must do for each, the daemon's configuration, and observing and judging the
// flows.
//
// Applicant names are the simulators' made-up sample data: they are printed to the terminal,
// never logged.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "riskbridge/config/config.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::app::demo {

using steady = std::chrono::steady_clock;

// Demo credentials: written into the temporary config and given to the simulators. They open
// nothing outside this process and its child.
inline constexpr const char* demo_ashby_key = "demo-ashby-api-key";
inline constexpr const char* demo_webhook_secret = "demo-ashby-webhook-secret";
inline constexpr const char* demo_riskos_key = "demo-riskos-api-key";
inline constexpr const char* demo_riskos_token = "demo-riskos-webhook-token";
inline constexpr const char* demo_case_url_base = "https://riskos.socure.com/cases/detail";
inline constexpr const char* demo_consent_question = "I consent to a background and identity check";
inline constexpr const char* demo_consent_tag = "NO_CONSENT";

/// The environment variable that hands the demo daemon its throw-away data key, so the key is
/// in neither the config file nor the demo's output.
inline constexpr const char* demo_data_key_variable = "RISKBRIDGE_DEMO_DATA_KEY";

/// One applicant of the demo and what riskbridge must end up doing for it. The simulators'
/// rules (riskos_sim.hpp) give each sample applicant (sample_data.cpp) its outcome.
struct demo_case {
    const char* sample;  ///< sample_applicant::label
    const char* story;   ///< what the row shows, in words
    const char* action;  ///< the Ashby webhook sent
    config::flow_kind flow;
    const char* decision;  ///< the RiskOS decision; "" when RiskOS must not be called
    std::vector<std::string> tags;
    std::size_t notes;      ///< notes on the candidate at the end
    const char* note_text;  ///< appears in the last note
    /// A reviewer in RiskOS changes the first decision to this one once it is written; ""
    /// for none. `decision` is then the first decision.
    const char* reviewer_decision = "";
};

/// The demo's applicants, in the order of the table.
const std::vector<demo_case>& demo_cases();

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
    std::string first_decision;  ///< the first decision seen (a reviewer may change it)
    bool reviewed = false;       ///< the reviewer's change was made in RiskOS
    std::vector<std::string> tags;
    std::vector<sim::sim_note> notes;

    bool finished() const { return finished_at.has_value() || !send_error.empty(); }
};

/// The daemon's configuration: the simulators at `ashby_url` and `riskos_url`, the store in
/// `dir`.
/// The simulators as the demo runs them: the demo's credentials; DocV captures that run by
/// themselves at a pace a person can follow.
sim::ashby_sim_options demo_ashby_options();
sim::riskos_sim_options demo_riskos_options();

std::string demo_config(const std::string& ashby_url, const std::string& riskos_url,
                        const std::filesystem::path& dir);

/// Reads what the simulators and the store hold for `r`: tags, notes, evaluation, decision.
void observe(row& r, const sim::ashby_simulator& ashby, const sim::riskos_simulator& riskos,
             store::job_store& st);

enum class progress { running, waiting, finished };

/// finished when the flow has nothing left to do: its job is done (or dead) and no
/// evaluation of the flow still waits for RiskOS; waiting when only RiskOS's answer is
/// missing. Sets r.phase while it is not finished, r.dead_error when the job died.
progress flow_progress(row& r, store::job_store& st);

struct verdict {
    bool ok = true;
    std::vector<std::string> problems;
};

/// `r` against its expected outcome.
verdict judge(const row& r);

/// The expected outcome, in words.
std::string expectation_text(const demo_case& e);

}  // namespace riskbridge::app::demo
