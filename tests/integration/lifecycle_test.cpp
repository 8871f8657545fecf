// The case after the first answer, end to end: the real daemon (build/riskbridge serve) as a
// child process, the Ashby and RiskOS simulators in this process. A reviewer in RiskOS changes
// a decision (the simulator's review(), with its webhook sent again, under its other names,
// out of order and across a restart), reruns a case, a DocV capture link expires with
// riskos.docv.reissue_on_expiry, RiskOS fails a workflow, and ashby.fraud_status follows the
// decisions. Outcomes are read from the Ashby simulator (tags, notes, fraud status), the
// store and the daemon's log, awaited by polling with a deadline.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deployment_test.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/polling.hpp"
#include "support/prometheus.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* high = "HIGH_RISK_IDENTITY";
constexpr const char* low = "LOW_RISK_IDENTITY";
constexpr const char* changed = "decision changed: REVIEW";
constexpr const char* changed_back = "decision changed: ACCEPT";

bool has(const std::vector<std::string>& tags, const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

class LifecycleTest : public deployment_test {
protected:
    explicit LifecycleTest(sim::ashby_sim_options ashby = {}) : deployment_test(std::move(ashby)) {}

    void SetUp() override {
        deployment_test::SetUp();
        seed_samples();
        extra_needles_ = {"TST1234567", "1990-01-01", "verify.socure.com"};
    }

    void configure(const std::string& riskos_extra = {}, const std::string& ashby_extra = {}) {
        deployment_options o;
        o.ashby_extra = ashby_extra;
        o.riskos_extra =
            "  reconcile_after_ms: 2500\n  reconcile_interval_ms: 200\n" + riskos_extra;
        deployment_test::configure("lifecycle", o);
    }

    void start() { deployment_test::start(/*riskos_calls_back=*/true); }

    /// Restarts the daemon on the same store; RiskOS's webhooks go to the new one.
    void restart() {
        ASSERT_EQ(daemon_->terminate(20s), std::optional<int>(0)) << daemon_->logs();
        first_ = std::move(daemon_);
        daemon_ = start_daemon("daemon-restarted.log");  // its own log: its own "ready" line
        ASSERT_TRUE(daemon_->running());
        riskos_.set_webhook_target(url(*daemon_, "/webhooks/riskos"), riskos_token_);
    }

    std::size_t notes_with(const std::string& label, const std::string& text) const {
        std::size_t n = 0;
        for (const auto& note : notes_of(label)) {
            n += note.content.find(text) != std::string::npos ? 1 : 0;
        }
        return n;
    }

    std::size_t log_count(const std::string& event) const {
        const std::string needle = "\"event\":\"" + event + "\"";
        std::size_t n = 0;
        for (const auto* d : {first_.get(), daemon_.get()}) {
            if (d == nullptr) {
                continue;
            }
            const std::string logs = d->logs();
            for (auto at = logs.find(needle); at != std::string::npos;
                 at = logs.find(needle, at + 1)) {
                ++n;
            }
        }
        return n;
    }

    /// No job left to run apart from reconciliation's: whatever the events could make the
    /// daemon do, it has done.
    bool settled() {
        unsettled_.clear();
        for (const auto& j : stored_jobs()) {
            if (j.kind != "reconcile" && j.state != store::job_state::done &&
                j.state != store::job_state::dead && j.state != store::job_state::cancelled) {
                unsettled_ += j.kind + " " + store::to_string(j.state) + " " + j.last_error + "\n";
            }
        }
        return unsettled_.empty();
    }
    std::string unsettled_;  ///< what settled() found still to run

    /// Screens `label` and waits for its first decision's tag and note.
    std::string screened(const std::string& label, const std::string& tag) {
        EXPECT_EQ(
            send_action("applicationSubmit", sample(label).application_id).value("status", ""),
            "accepted");
        EXPECT_TRUE(eventually([&] {
            return has(tags_of(label), tag) && notes_with(label, "RiskOS identity screening") == 1;
        })) << daemon_->logs();
        const auto eval_id = riskos_.eval_id_for("rb-screening-" + sample(label).application_id);
        EXPECT_TRUE(eval_id.has_value());
        return eval_id.value_or("");
    }

    /// Hires `label` and waits for the DocV capture to be requested.
    std::string capture_requested(const std::string& label) {
        EXPECT_EQ(send_action("candidateHire", sample(label).application_id).value("status", ""),
                  "accepted");
        EXPECT_TRUE(eventually([&] {
            return notes_with(label, "document verification requested") == 1;
        })) << daemon_->logs();
        const auto eval_id =
            riskos_.eval_id_for("rb-document_verification-" + sample(label).application_id);
        EXPECT_TRUE(eval_id.has_value());
        return eval_id.value_or("");
    }
};

TEST_F(LifecycleTest, AReviewersAcceptSwapsTheTagsOnceWhateverTheEventsAndARestartDo) {
    configure();
    start();
    const std::string eval_id = screened("review", high);
    ASSERT_FALSE(eval_id.empty());
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{high});

    // The reviewer accepts: decision_update, then the same event again, the change under its
    // other name and the status change, and the first evaluation_completed, late.
    const auto first = riskos_.review(eval_id, "ACCEPT", "reviewer-42");
    ASSERT_TRUE(first && first->delivered()) << (first ? first->error : first.error().message);
    ASSERT_TRUE(riskos_.redeliver(first->event_id));
    ASSERT_TRUE(riskos_.send_event(eval_id, "case_decision_changed",
                                   {{"decision", "ACCEPT"}, {"reviewer_id", "reviewer-42"}}));
    // Across a restart: two more deliveries of the same change reach the new daemon.
    restart();
    ASSERT_TRUE(riskos_.redeliver(first->event_id));
    ASSERT_TRUE(riskos_.send_event(eval_id, "case_status_updated", {{"status", "CLOSED"}}));
    ASSERT_TRUE(riskos_.send_event(eval_id, "evaluation_completed", {{"decision", "REVIEW"}}));

    ASSERT_TRUE(eventually([&] { return has(tags_of("review"), low); }, 30s)) << daemon_->logs();
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{low});
    EXPECT_EQ(notes_with("review", changed), 1U);
    const auto notes = notes_of("review");
    const auto note = std::find_if(notes.begin(), notes.end(), [](const sim::sim_note& n) {
        return n.content.find(changed) != std::string::npos;
    });
    ASSERT_NE(note, notes.end());
    EXPECT_NE(note->content.find("REVIEW \u2192 ACCEPT"), std::string::npos) << note->content;
    EXPECT_NE(note->content.find("reviewer-42"), std::string::npos) << note->content;
    EXPECT_NE(note->content.find("/workforce_verification/" + eval_id), std::string::npos)
        << note->content;
    EXPECT_NE(note->content.find("Tag removed: <b>HIGH_RISK_IDENTITY</b>"), std::string::npos)
        << note->content;

    // A change back is a change too.
    ASSERT_TRUE(riskos_.review(eval_id, "REVIEW", "reviewer-43"));
    ASSERT_TRUE(eventually([&] { return has(tags_of("review"), high); }, 30s)) << daemon_->logs();
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{high});
    EXPECT_EQ(notes_with("review", changed), 1U);
    EXPECT_EQ(notes_with("review", changed_back), 1U);
    EXPECT_EQ(log_count("decision_changed"), 2U);

    // The history in `evaluations show`: both changes, ids only.
    const auto shown = run_riskbridge(
        {"evaluations", "show", "--db", db_path(), "--candidate", sample("review").candidate_id});
    EXPECT_EQ(shown.exit_code, 0) << shown.output;
    EXPECT_NE(shown.output.find("decision:    REVIEW"), std::string::npos) << shown.output;
    EXPECT_NE(shown.output.find("REVIEW -> ACCEPT by reviewer reviewer-42"), std::string::npos)
        << shown.output;
    EXPECT_NE(shown.output.find("ACCEPT -> REVIEW by reviewer reviewer-43"), std::string::npos)
        << shown.output;
    EXPECT_EQ(shown.output.find("Hopper"), std::string::npos) << shown.output;
}

TEST_F(LifecycleTest, AnEventWhoseDecisionTheApiDoesNotShowChangesNothing) {
    configure();
    start();
    const std::string eval_id = screened("review", high);
    ASSERT_FALSE(eval_id.empty());
    for (const char* type : {"decision_update", "case_decision_changed", "evaluation_resumed"}) {
        const auto sent =
            riskos_.send_event(eval_id, type, {{"decision", "ACCEPT"}, {"reviewer_id", "r-1"}});
        ASSERT_TRUE(sent && sent->delivered()) << type;
    }
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    ASSERT_TRUE(eventually([&] { return log_count("riskos_event_no_change") == 3; }))
        << daemon_->logs();
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{high});
    EXPECT_EQ(notes_with("review", "decision changed"), 0U);
    EXPECT_EQ(log_count("decision_changed"), 0U);
}

TEST_F(LifecycleTest, ARerunIsFollowedLikeTheFirstAndItsDecisionReplacesTheOld) {
    configure();
    start();
    const std::string eval_id = screened("review", high);
    ASSERT_FALSE(eval_id.empty());
    const auto rerun = riskos_.rerun(eval_id, "ACCEPT");
    ASSERT_TRUE(rerun && rerun->delivery.delivered());
    ASSERT_NE(rerun->eval_id, eval_id);
    ASSERT_TRUE(eventually([&] { return has(tags_of("review"), low); }, 30s)) << daemon_->logs();
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{low});
    EXPECT_EQ(notes_with("review", "ran the check again"), 1U);
    EXPECT_EQ(notes_with("review", "/workforce_verification/" + rerun->eval_id), 1U);

    // A rerun of an evaluation riskbridge never started: acknowledged and logged.
    auto r = http_request(
        daemon_->port(), "POST", "/webhooks/riskos",
        json{{"event_id", "rerun-foreign-1"},
             {"event_type", "reevaluation"},
             {"data", {{"eval_id", "eval-foreign"}, {"id", "someone-else-1"}}}}
            .dump(),
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + riskos_token_}});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(eventually([&] { return log_count("riskos_rerun_unknown") == 1; }))
        << daemon_->logs();
}

TEST_F(LifecycleTest, AWorkflowThatFailsWritesANoteAndEndsDeadWithTheReason) {
    configure();
    start();
    const std::string eval_id = capture_requested("accept");
    ASSERT_FALSE(eval_id.empty());
    ASSERT_TRUE(riskos_.fail_workflow(eval_id));
    ASSERT_TRUE(eventually([&] { return notes_with("accept", "could not run") == 1; }, 30s))
        << daemon_->logs();
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    EXPECT_TRUE(tags_of("accept").empty());
    const auto listed = run_riskbridge({"jobs", "list", "--db", db_path(), "--state", "dead"});
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_NE(listed.output.find("finish_evaluation"), std::string::npos) << listed.output;
    EXPECT_NE(listed.output.find("workflow_execution_failed"), std::string::npos) << listed.output;
    auto metrics = http_request(daemon_->port(), "GET", "/metrics");
    ASSERT_TRUE(metrics.has_value());
    EXPECT_GE(
        metric_sample(
            metrics->body,
            R"(riskbridge_job_duration_seconds_count{flow="finish_evaluation",result="dead"})"),
        1)
        << metrics->body;
}

TEST_F(LifecycleTest, AnExpiredLinkIsReissuedOnceAndTheSecondCapturePasses) {
    configure("  docv: { reissue_on_expiry: 1 }\n");
    start();
    const std::string app = sample("accept").application_id;
    const std::string first = capture_requested("accept");
    ASSERT_FALSE(first.empty());
    ASSERT_TRUE(riskos_.expire(first));
    ASSERT_TRUE(
        eventually([&] { return riskos_.eval_id_for("rb-docv-" + app + "-2").has_value(); }, 30s))
        << daemon_->logs();
    const std::string second = *riskos_.eval_id_for("rb-docv-" + app + "-2");
    ASSERT_NE(second, first);
    ASSERT_TRUE(eventually([&] { return notes_with("accept", "new capture link sent") == 1; }))
        << daemon_->logs();
    ASSERT_TRUE(eventually([&] {
        return notes_with("accept", "document verification requested") == 2;
    })) << daemon_->logs();
    EXPECT_TRUE(tags_of("accept").empty());

    const auto sent = riskos_.run_docv(second);
    ASSERT_FALSE(sent.empty());
    ASSERT_TRUE(
        eventually([&] { return has(tags_of("accept"), "DOCUMENT_VERIFICATION_PASSED"); }, 30s))
        << daemon_->logs();
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    EXPECT_EQ(tags_of("accept"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});

    // With the one reissue spent, the next expiry ends the flow as before.
    const std::string other = capture_requested("review");
    ASSERT_TRUE(riskos_.expire(other));
    ASSERT_TRUE(eventually(
        [&] {
            return riskos_.eval_id_for("rb-docv-" + sample("review").application_id + "-2")
                .has_value();
        },
        30s));
    const std::string other_second =
        *riskos_.eval_id_for("rb-docv-" + sample("review").application_id + "-2");
    ASSERT_TRUE(eventually([&] {
        return notes_with("review", "document verification requested") == 2;
    })) << daemon_->logs();
    ASSERT_TRUE(riskos_.expire(other_second));
    ASSERT_TRUE(
        eventually([&] { return has(tags_of("review"), "DOCUMENT_VERIFICATION_FAILED"); }, 30s))
        << daemon_->logs();
    EXPECT_FALSE(riskos_.eval_id_for("rb-docv-" + sample("review").application_id + "-3"));
}

TEST_F(LifecycleTest, TheFraudStatusFollowsTheFirstDecisionAndTheChange) {
    configure({},
              "  fraud_status: { REJECT: Fraudulent, REVIEW: Unsure, ACCEPT: NotFraudulent }\n");
    start();
    const std::string eval_id = screened("review", high);
    ASSERT_TRUE(eventually([&] {
        return ashby_.fraud_status_of(sample("review").candidate_id) ==
               std::optional<std::string>("Unsure");
    })) << daemon_->logs();
    ASSERT_TRUE(riskos_.review(eval_id, "ACCEPT", "reviewer-9"));
    ASSERT_TRUE(eventually(
        [&] {
            return ashby_.fraud_status_of(sample("review").candidate_id) ==
                   std::optional<std::string>("NotFraudulent");
        },
        30s))
        << daemon_->logs();
    screened("reject", high);
    ASSERT_TRUE(eventually([&] {
        return ashby_.fraud_status_of(sample("reject").candidate_id) ==
               std::optional<std::string>("Fraudulent");
    })) << daemon_->logs();
}

sim::ashby_sim_options without_fraud_detection() {
    sim::ashby_sim_options o;
    o.fraud_detection = false;
    return o;
}

class LifecycleWithoutFraudDetectionTest : public LifecycleTest {
protected:
    LifecycleWithoutFraudDetectionTest() : LifecycleTest(without_fraud_detection()) {}
};

TEST_F(LifecycleWithoutFraudDetectionTest, TheFeatureOffIsLoggedOnceAndNoJobFails) {
    configure({},
              "  fraud_status: { REJECT: Fraudulent, REVIEW: Unsure, ACCEPT: NotFraudulent }\n");
    start();
    screened("review", high);
    screened("reject", high);
    screened("accept", low);
    ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << unsettled_;
    EXPECT_EQ(log_count("fraud_status_disabled"), 1U) << daemon_->logs();
    for (const auto& j : stored_jobs()) {
        EXPECT_NE(j.state, store::job_state::dead) << j.kind << " " << j.last_error;
    }
    EXPECT_FALSE(ashby_.fraud_status_of(sample("reject").candidate_id).has_value());
}

}  // namespace
}  // namespace riskbridge::testing
