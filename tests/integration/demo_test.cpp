// `riskbridge demo`, the README's main command, run as a user runs it: the built binary with
// no configuration and no credentials. It must exit 0 with every expected outcome in its
// table, twice in a row (fresh temporary state each time), and its kept daemon log must hold
// none of the sample applicants' personal data.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "flow_outcomes.hpp"
#include "support/bytes.hpp"
#include "support/daemon_process.hpp"

namespace riskbridge::testing {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The directory named by the demo's "Kept <dir> (...)" line, or empty.
std::string kept_dir(const std::string& output) {
    const auto at = output.find("\nKept ");
    if (at == std::string::npos) {
        return {};
    }
    const auto start = at + 6;
    return output.substr(start, output.find(' ', start) - start);
}

/// The working directory the demo announces at its start ("  directory     /tmp/...").
std::string work_dir(const std::string& output) {
    const std::string label = "  directory     ";
    const auto at = output.find(label);
    if (at == std::string::npos) {
        return {};
    }
    const auto start = at + label.size();
    return output.substr(start, output.find_first_of(" \n", start) - start);
}

void expect_every_outcome(const std::string& output) {
    EXPECT_TRUE(contains(output, "8/8 outcomes as expected")) << output;
    EXPECT_FALSE(contains(output, "  FAIL  ")) << output;  // a verdict line
    for (const char* text :
         {"LOW_RISK_IDENTITY", "HIGH_RISK_IDENTITY", "NO_CONSENT", "DOCUMENT_VERIFICATION_PASSED",
          "DOCUMENT_VERIFICATION_FAILED", "not run: no consent", "not run: missing phone",
          "RiskOS document verification requested", "Session Expired\"",
          "RiskOS webhook: evaluation_completed",
          "https://riskos.socure.com/cases/detail/"
          "workforce_verification/",
          "https://riskos.socure.com/cases/detail/workforce_docv/", "[8/8]",
          // The reviewer's change: REVIEW -> ACCEPT with the tags swapped and a note.
          "a reviewer in RiskOS sets ACCEPT", "REVIEW \u2192 ACCEPT  ",
          "decision changed: REVIEW \u2192 ACCEPT"}) {
        EXPECT_TRUE(contains(output, text)) << text << "\n" << output;
    }
    // Instructive: the configuration it used and how to go live.
    for (const char* text : {"| server:", "consent:", "Going live", "check-config --config",
                             "serve --config", "/webhooks/ashby", "/webhooks/riskos"}) {
        EXPECT_TRUE(contains(output, text)) << text << "\n" << output;
    }
    // Piped output: no terminal escape codes.
    EXPECT_FALSE(contains(output, "\033[")) << output;
}

TEST(DemoTest, RunsGreenTwiceFromNothing) {
    const auto first = run_riskbridge({"demo"}, {}, 90s);
    EXPECT_EQ(first.exit_code, 0) << first.output;
    expect_every_outcome(first.output);
    // Cleaned up after itself.
    const std::string first_dir = work_dir(first.output);
    ASSERT_FALSE(first_dir.empty()) << first.output;
    EXPECT_FALSE(std::filesystem::exists(first_dir)) << first_dir;
    EXPECT_EQ(kept_dir(first.output), "") << first.output;

    // Again, keeping the directory this time: fresh state, the same outcomes.
    const auto second = run_riskbridge({"demo", "--keep", "--timeout-s", "45"}, {}, 90s);
    EXPECT_EQ(second.exit_code, 0) << second.output;
    expect_every_outcome(second.output);
    const std::string dir = kept_dir(second.output);
    ASSERT_FALSE(dir.empty()) << second.output;
    EXPECT_EQ(dir, work_dir(second.output));
    ASSERT_NE(dir, first_dir);
    const std::string log = read_file(std::filesystem::path(dir) / "riskbridge.log");
    EXPECT_TRUE(contains(log, "\"event\":\"ready\"")) << log;
    // The demo's applicants are the simulator's samples (sim/sample_data.cpp).
    sim::ashby_simulator samples_holder{sim::ashby_sim_options{}};
    auto needles = outcomes::personal_needles(sim::seed_sample_data(samples_holder));
    needles.push_back("example.com");
    expect_no_personal_data(log, needles, "the daemon log");
    expect_no_personal_data(read_file(std::filesystem::path(dir) / "simulators.log"), needles,
                            "the simulators' log");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

TEST(DemoTest, AnImpossibleDeadlineFailsWithTheLogAndKeepsTheDirectory) {
    // One second is not enough for the DocV captures: non-zero, FAIL lines, the log kept.
    const auto r = run_riskbridge({"demo", "--timeout-s", "1"}, {}, 60s);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "  FAIL  ")) << r.output;
    EXPECT_TRUE(contains(r.output, "timed out after 1 s")) << r.output;
    EXPECT_TRUE(contains(r.output, "Daemon log: ")) << r.output;
    const std::string dir = kept_dir(r.output);
    ASSERT_FALSE(dir.empty()) << r.output;
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "riskbridge.yaml"));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace riskbridge::testing
