// The case after the first answer, through the job queue with fake upstreams (queue_harness):
// a reviewer's change revises the decision once (revise.cpp), whatever the events and a crash
// do; a decision the API does not show changes nothing; a rerun is followed (rerun.cpp); a
// failed workflow ends dead with a note; an expired capture is reissued and a reminder written
// (reissue.cpp); the fraud status follows, and its feature being off fails no job.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "queue_harness.hpp"
#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/flows/revision.hpp"
#include "support/bytes.hpp"

namespace riskbridge::flows {
namespace {

using nlohmann::json;
using riskbridge::testing::contains;
using testing::fault;
using testing::fixture_body;
using workers::job_outcome;

constexpr const char* screening_eval = "eval-rb-screening-app-1";
constexpr const char* docv_eval = "eval-rb-document_verification-app-1";

/// A completed evaluation answer with `decision`.
json evaluation_with(const std::string& eval_id, const std::string& request_id,
                     const std::string& decision) {
    json e = fixture_body("happy_path__accept.json");
    e["eval_id"] = eval_id;
    e["id"] = request_id;
    e["decision"] = decision;
    e["eval_status"] = "evaluation_completed";
    e["workflow"] = "workforce_verification";
    return e;
}

/// A RiskOS event as the webhook handler stores it (reduced), under `type`.
std::string event(const std::string& type, const std::string& event_id, const json& data) {
    return json{{"event_type", type}, {"event_id", event_id}, {"data", data}}.dump();
}

class Lifecycle : public testing::QueueHarness {
protected:
    void SetUp() override {
        QueueHarness::SetUp();
        cfg_.ashby.status_custom_field = "cf-status";
    }

    /// Screens app-1, RiskOS answering `decision` at once.
    void screened(const std::string& decision) {
        world_.riskos_answer(200, evaluation_with("", "", decision));
        const auto id = add("screening",
                            json{{"source", "ashby"},
                                 {"action", "applicationSubmit"},
                                 {"flow", "screening"},
                                 {"application_id", "app-1"},
                                 {"candidate_id", "cand-1"}}
                                .dump(),
                            "screening:app-1");
        run_until_idle();
        ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
        ASSERT_EQ(evaluation(screening_eval)->state, store::evaluation_state::completed);
        ASSERT_EQ(evaluation(screening_eval)->decision, decision);
    }

    /// RiskOS's API now says `decision` for the screening evaluation.
    void reviewer_sets(const std::string& decision) {
        world_.riskos_get_answer(screening_eval, 200,
                                 evaluation_with(screening_eval, "rb-screening-app-1", decision));
    }

    json change_data(const std::string& decision) const {
        return {{"eval_id", screening_eval},
                {"id", "rb-screening-app-1"},
                {"workflow", "workforce_verification"},
                {"decision", decision},
                {"reviewer_id", "reviewer-7"}};
    }

    std::size_t notes_with(const std::string& text) const {
        std::size_t n = 0;
        for (const auto& note : world_.notes("cand-1")) {
            n += contains(note.content, text) ? 1 : 0;
        }
        return n;
    }

    /// Runs the due jobs, letting stale reads and expired leases pass between rounds.
    void run_rounds(int rounds) {
        run_until_idle();
        for (int i = 1; i < rounds; ++i) {
            clock_.advance(std::chrono::seconds(61));
            run_until_idle();
        }
    }
};

TEST_F(Lifecycle, AReviewersChangeSwapsTheTagsAndWritesOneNoteForFiveEvents) {
    screened("REVIEW");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    reviewer_sets("ACCEPT");
    riskos_event(event("decision_update", "ev-1", change_data("ACCEPT")));
    riskos_event(event("decision_update", "ev-1b", change_data("ACCEPT")));
    riskos_event(event("case_decision_changed", "ev-2", change_data("ACCEPT")));
    riskos_event(event("case_status_changed", "ev-3", change_data("ACCEPT")));
    riskos_event(event("evaluation_completed", "ev-4", change_data("REVIEW")));
    run_rounds(3);

    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    EXPECT_EQ(notes_with("decision changed: REVIEW"), 1U);
    EXPECT_EQ(jobs_of_kind(revise_decision_kind).size(), 1U);
    EXPECT_EQ(evaluation(screening_eval)->decision, "ACCEPT");
    EXPECT_EQ(world_.calls("candidate.removeTag"), 1);
    // The change is in the evaluation's own trail, with the reviewer's id.
    EXPECT_TRUE(trail_has(audit_of(evaluation(screening_eval)->job),
                          "decision_change:applied:", "REVIEW -> ACCEPT by reviewer reviewer-7"));

    // And back: a second change, a second job, a second note.
    reviewer_sets("REVIEW");
    riskos_event(event("decision_update", "ev-5", change_data("REVIEW")));
    run_rounds(2);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    EXPECT_EQ(notes_with("decision changed: ACCEPT"), 1U);
    EXPECT_EQ(jobs_of_kind(revise_decision_kind).size(), 2U);
}

TEST_F(Lifecycle, ADecisionSharingItsTagKeepsItAndOnlyWritesTheNote) {
    screened("REVIEW");
    reviewer_sets("REJECT");  // both HIGH_RISK_IDENTITY
    riskos_event(event("decision_update", "ev-1", change_data("REJECT")));
    run_rounds(2);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    EXPECT_EQ(world_.calls("candidate.removeTag"), 0);
    EXPECT_EQ(notes_with("decision changed: REVIEW"), 1U);
}

TEST_F(Lifecycle, ACrashInTheMiddleOfAChangeNeitherRepeatsNorSkipsAWrite) {
    screened("REVIEW");
    reviewer_sets("ACCEPT");
    world_.fail_next("candidate.addTag", fault{fault::kind::crash_after});
    world_.fail_next("candidate.createNote", fault{fault::kind::crash_after});
    riskos_event(event("decision_update", "ev-1", change_data("ACCEPT")));
    run_rounds(4);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    EXPECT_EQ(notes_with("decision changed: REVIEW"), 1U);
    EXPECT_EQ(evaluation(screening_eval)->decision, "ACCEPT");
}

TEST_F(Lifecycle, AnEventTheApiDoesNotConfirmChangesNothing) {
    screened("REVIEW");
    // The event says ACCEPT; the API still says REVIEW.
    const auto id = riskos_event(event("decision_update", "ev-1", change_data("ACCEPT")));
    run_rounds(2);
    EXPECT_EQ(outcome(id).what, job_outcome::kind::done);
    EXPECT_TRUE(contains(outcome(id).detail, "no change")) << outcome(id).detail;
    EXPECT_TRUE(jobs_of_kind(revise_decision_kind).empty());
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    EXPECT_EQ(notes_with("decision changed"), 0U);
}

TEST_F(Lifecycle, EventsRiskbridgeDoesNotKnowAreAcknowledged) {
    cfg_.riskos.event_aliases["review_case_closed"] = "decision_update";
    screened("REVIEW");
    reviewer_sets("ACCEPT");
    const auto id = riskos_event(event("review_case_assigned", "ev-1", change_data("ACCEPT")));
    run_rounds(2);
    EXPECT_EQ(outcome(id).what, job_outcome::kind::done);
    EXPECT_TRUE(jobs_of_kind(revise_decision_kind).empty());
    // A configured alias makes another name count.
    riskos_event(event("review_case_closed", "ev-2", change_data("ACCEPT")));
    run_rounds(2);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
}

TEST_F(Lifecycle, ARerunTiedByTheRequestIdReplacesTheDecision) {
    screened("REVIEW");
    world_.riskos_get_answer("eval-rerun-1", 200,
                             evaluation_with("eval-rerun-1", "rb-screening-app-1", "ACCEPT"));
    riskos_event(event("reevaluation", "ev-r1",
                       {{"eval_id", "eval-rerun-1"},
                        {"id", "rb-screening-app-1"},
                        {"workflow", "workforce_verification"}}));
    run_rounds(2);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    EXPECT_EQ(evaluation("eval-rerun-1")->state, store::evaluation_state::completed);
    EXPECT_EQ(evaluation("eval-rerun-1")->decision, "ACCEPT");
    EXPECT_EQ(notes_with("ran the check again"), 1U);

    // Not tied to any evaluation of ours: acknowledged.
    const auto foreign = riskos_event(
        event("reevaluation", "ev-r2", {{"eval_id", "eval-x"}, {"id", "someone-else"}}));
    run_rounds(1);
    EXPECT_EQ(outcome(foreign).what, job_outcome::kind::done);
    EXPECT_FALSE(evaluation("eval-x").has_value());
}

class DocvLifecycle : public Lifecycle {
protected:
    void SetUp() override {
        Lifecycle::SetUp();
        world_.riskos_answer(201, fixture_body("digital_intelligence__step_up_to_docv.json"));
    }
    void requested(const std::string& eval_id = docv_eval) {
        hire();
        run_until_idle();
        ASSERT_TRUE(evaluation(eval_id).has_value());
        ASSERT_EQ(evaluation(eval_id)->state, store::evaluation_state::requested);
    }
    std::string note_event(const std::string& eval_id, const std::string& notes,
                           const std::string& event_id) {
        return event("case_notes_added", event_id,
                     {{"eval_id", eval_id},
                      {"id", "rb-document_verification-app-1"},
                      {"reviewer_id", "Webhook"},
                      {"notes", notes}});
    }
};

TEST_F(DocvLifecycle, AFailedWorkflowWritesANoteAndEndsDeadWithTheReason) {
    requested();
    riskos_event(event("workflow_execution_failed", "ev-f", {{"eval_id", docv_eval}}));
    run_rounds(2);
    const auto finish = jobs_of_kind(finish_evaluation_kind);
    ASSERT_EQ(finish.size(), 1U);
    EXPECT_EQ(outcome(finish[0].id).what, job_outcome::kind::permanent_failure);
    EXPECT_TRUE(contains(outcome(finish[0].id).detail, "workflow_execution_failed"));
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::failed);
    EXPECT_EQ(notes_with("could not run"), 1U);
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
}

TEST_F(DocvLifecycle, AnExpiredCaptureIsReissuedWithANewRequestIdThenEndsAsBefore) {
    cfg_.riskos.docv.reissue_on_expiry = 1;
    requested();
    riskos_event(note_event(docv_eval, "Session Expired", "ev-x1"));
    run_rounds(2);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::expired);
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    EXPECT_EQ(notes_with("new capture link sent"), 1U);
    const auto requests = world_.evaluation_requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[1]["id"], capture_request_id("app-1", 2));
    EXPECT_EQ(requests[1]["id"], "rb-docv-app-1-2");
    const std::string second = "eval-rb-docv-app-1-2";
    ASSERT_TRUE(evaluation(second).has_value());
    EXPECT_EQ(evaluation(second)->state, store::evaluation_state::requested);

    // The reissue is spent: the next expiry ends the flow with the REJECT tag.
    riskos_event(note_event(second, "Session Expired", "ev-x2"));
    run_rounds(2);
    EXPECT_EQ(evaluation(second)->state, store::evaluation_state::expired);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    EXPECT_EQ(world_.evaluation_requests().size(), 2U);
}

TEST_F(DocvLifecycle, TheStatusFieldFollowsAReviewersChange) {
    requested();
    json done = fixture_body("happy_path__accept.json");
    done["eval_id"] = docv_eval;
    done["id"] = "rb-document_verification-app-1";
    done["workflow"] = "workforce_docv";
    done["eval_status"] = "evaluation_completed";
    done["decision"] = "ACCEPT";
    world_.riskos_get_answer(docv_eval, 200, done);
    riskos_event(
        event("evaluation_completed", "ev-c1", {{"eval_id", docv_eval}, {"decision", "ACCEPT"}}));
    run_rounds(2);
    ASSERT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    ASSERT_EQ(world_.custom_value_history("cand-1").back(), "\"passed\"");

    done["decision"] = "REJECT";
    world_.riskos_get_answer(docv_eval, 200, done);
    riskos_event(event("case_decision_changed", "ev-c2",
                       {{"eval_id", docv_eval}, {"decision", "REJECT"}, {"reviewer_id", "r-2"}}));
    run_rounds(2);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    EXPECT_EQ(world_.custom_value_history("cand-1").back(), "\"failed\"");
    EXPECT_EQ(notes_with("document verification decision changed: ACCEPT"), 1U);
}

TEST_F(DocvLifecycle, AReminderIsWrittenOnceWhenCaptureHasNotStarted) {
    cfg_.riskos.docv.remind_after = std::chrono::hours(2);
    cfg_.riskos.reconcile_after = std::chrono::minutes(15);
    requested();
    clock_.advance(std::chrono::hours(3));
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(schedule_reconciliation(*store_, *store_, cfg_, "test", clock_.now()));
        run_rounds(1);
        clock_.advance(std::chrono::minutes(20));
    }
    EXPECT_EQ(jobs_of_kind(docv_reminder_kind).size(), 1U);
    EXPECT_EQ(notes_with("capture not started"), 1U);
}

TEST_F(DocvLifecycle, NoReminderOnceCaptureStarted) {
    cfg_.riskos.docv.remind_after = std::chrono::hours(2);
    cfg_.riskos.reconcile_after = std::chrono::minutes(15);
    requested();
    riskos_event(note_event(docv_eval, "Capture App Opened", "ev-p1"));
    run_rounds(1);
    clock_.advance(std::chrono::hours(3));
    ASSERT_TRUE(schedule_reconciliation(*store_, *store_, cfg_, "test", clock_.now()));
    run_rounds(1);
    EXPECT_EQ(notes_with("capture not started"), 0U);
}

TEST_F(Lifecycle, TheFraudStatusFollowsTheDecisionAndItsChange) {
    cfg_.ashby.fraud_status = {
        {"ACCEPT", "NotFraudulent"}, {"REVIEW", "Unsure"}, {"REJECT", "Fraudulent"}};
    screened("REVIEW");
    EXPECT_EQ(world_.fraud_status_of("cand-1"), "Unsure");
    reviewer_sets("ACCEPT");
    riskos_event(event("decision_update", "ev-1", change_data("ACCEPT")));
    run_rounds(2);
    EXPECT_EQ(world_.fraud_status_of("cand-1"), "NotFraudulent");
}

TEST_F(Lifecycle, FraudDetectionOffIsLoggedOnceAndFailsNoJob) {
    cfg_.ashby.fraud_status = {{"REVIEW", "Unsure"}, {"ACCEPT", "NotFraudulent"}};
    world_.without_fraud_detection();
    screened("REVIEW");
    reviewer_sets("ACCEPT");
    riskos_event(event("decision_update", "ev-1", change_data("ACCEPT")));
    run_rounds(2);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    EXPECT_EQ(world_.calls("candidate.setFraudStatus"), 1);  // then off until restart
    for (const auto& j : jobs_of_kind(revise_decision_kind)) {
        EXPECT_EQ(outcome(j.id).what, job_outcome::kind::done);
    }
}

}  // namespace
}  // namespace riskbridge::flows
