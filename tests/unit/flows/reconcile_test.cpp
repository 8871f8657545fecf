// Reconciliation: scheduling (one replica, one job per evaluation and window), reading a
// waiting evaluation back, a missed webhook, an expired capture link, and a webhook racing it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "queue_harness.hpp"

namespace riskbridge::flows {
namespace {

using nlohmann::json;
using testing::fixture_body;
using testing::webhook_fixture;
using workers::job_outcome;

constexpr const char* docv_eval = "eval-rb-document_verification-app-1";

json completed_doc(const std::string& eval_id, const std::string& decision,
                   const std::string& value) {
    json d = json::parse(webhook_fixture("evaluation_completed_accept.json"))["data"];
    d["eval_id"] = eval_id;
    d["id"] = "rb-document_verification-app-1";
    d["workflow"] = "workforce_docv";
    d["decision"] = decision;
    for (auto& e : d["data_enrichments"]) {
        if (e["response"].contains("documentVerification")) {
            e["response"]["documentVerification"]["decision"]["value"] = value;
        }
    }
    return d;
}

json paused_doc(const std::string& eval_id) {
    json d = fixture_body("digital_intelligence__step_up_to_docv.json");
    d["eval_id"] = eval_id;
    return d;
}

class Reconcile : public testing::QueueHarness {
protected:
    void SetUp() override {
        QueueHarness::SetUp();
        cfg_.riskos.reconcile_after = std::chrono::minutes(15);
        cfg_.riskos.reconcile_interval = std::chrono::minutes(1);
        world_.riskos_answer(201, fixture_body("digital_intelligence__step_up_to_docv.json"));
    }

    /// Hire: the DocV evaluation is requested and waits.
    void requested() {
        const auto id = hire();
        run_until_idle();
        ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
        ASSERT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
    }

    int schedule(const std::string& owner = "replica-a") {
        auto n = schedule_reconciliation(*store_, *store_, cfg_, owner, clock_.now());
        EXPECT_TRUE(n.has_value());
        return n ? *n : -1;
    }
};

TEST_F(Reconcile, OnlyEvaluationsWaitingLongerThanReconcileAfterAreScheduledOncePerWindow) {
    record("e-old-requested", "document_verification", "requested");
    record("e-old-pending", "screening", "pending");
    record("e-old-completed", "screening", "completed");
    record("e-old-deciding", "document_verification", "deciding");
    clock_.advance(std::chrono::minutes(20));
    record("e-new-requested", "document_verification", "requested");

    EXPECT_EQ(schedule(), 2);
    auto jobs = jobs_of_kind(reconcile_kind);
    ASSERT_EQ(jobs.size(), 2U);
    std::vector<std::string> evals;
    for (const auto& j : jobs) {
        evals.push_back(json::parse(j.payload)["eval_id"]);
    }
    std::sort(evals.begin(), evals.end());
    EXPECT_EQ(evals, (std::vector<std::string>{"e-old-pending", "e-old-requested"}));

    // Again in the same window (the next interval): no new jobs.
    clock_.advance(std::chrono::minutes(1));
    EXPECT_EQ(schedule(), 2);
    EXPECT_EQ(jobs_of_kind(reconcile_kind).size(), 2U);

    // Another replica while the lease is held: nothing.
    EXPECT_EQ(schedule("replica-b"), 0);

    // The next window: each is read back once more.
    clock_.advance(std::chrono::minutes(15));
    EXPECT_EQ(schedule(), 3);  // e-new-requested is old enough now
    EXPECT_EQ(jobs_of_kind(reconcile_kind).size(), 5U);
}

TEST_F(Reconcile, AnotherReplicaTakesOverOnceTheHolderStopsRenewing) {
    record("e-1", "document_verification", "requested");
    clock_.advance(std::chrono::minutes(20));
    EXPECT_EQ(schedule("replica-a"), 1);
    EXPECT_EQ(schedule("replica-b"), 0);
    clock_.advance(std::chrono::minutes(4));  // past the lease (3 intervals) without renewal
    EXPECT_EQ(schedule("replica-b"), 1);
    EXPECT_EQ(schedule("replica-a"), 0);
}

TEST_F(Reconcile, AMissedCompletionWebhookIsFinishedByReconciliation) {
    requested();
    world_.riskos_get_answer(docv_eval, 200, completed_doc(docv_eval, "REJECT", "reject"));
    clock_.advance(std::chrono::minutes(16));
    ASSERT_EQ(schedule(), 1);
    run_until_idle();
    const auto reconcile = jobs_of_kind(reconcile_kind);
    ASSERT_EQ(reconcile.size(), 1U);
    EXPECT_TRUE(outcome(reconcile[0].id).detail.find("finish queued") != std::string::npos)
        << outcome(reconcile[0].id).detail;
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 1);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 2U);
    EXPECT_NE(notes[1].content.find("RiskOS document verification: REJECT"), std::string::npos);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
    EXPECT_EQ(evaluation(docv_eval)->decision, "REJECT");

    // Finished: later windows leave it alone.
    clock_.advance(std::chrono::minutes(16));
    EXPECT_EQ(schedule(), 0);
}

TEST_F(Reconcile, AStillPausedRequestWaitsUntilItsLinkExpiredPlusTheGrace) {
    cfg_.riskos.docv.expiry_grace = std::chrono::hours(1);
    requested();
    world_.riskos_get_answer(docv_eval, 201, paused_doc(docv_eval));

    clock_.advance(std::chrono::hours(24) + std::chrono::minutes(30));  // expired, within grace
    ASSERT_EQ(schedule(), 1);
    run_until_idle();
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    const auto first = jobs_of_kind(reconcile_kind);
    ASSERT_EQ(first.size(), 1U);
    EXPECT_EQ(outcome(first[0].id).detail, "still waiting: evaluation_paused");

    clock_.advance(std::chrono::minutes(31));  // past the grace
    ASSERT_EQ(schedule(), 1);
    run_until_idle();
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::expired);
    EXPECT_EQ(evaluation(docv_eval)->decision, "REJECT");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 2U);
    EXPECT_NE(notes[1].content.find("capture link expired (valid for 24 hours)"), std::string::npos)
        << notes[1].content;
}

TEST_F(Reconcile, ACompletedCaptureSessionIsNotExpiredWhileRiskosDecides) {
    requested();
    json doc = paused_doc(docv_eval);
    for (auto& e : doc["data_enrichments"]) {
        if (e["enrichment_provider"] == "SocureDocRequest") {
            e["response"]["status"] = "SESSION_COMPLETE";
        }
    }
    world_.riskos_get_answer(docv_eval, 201, doc);
    clock_.advance(std::chrono::hours(30));
    ASSERT_EQ(schedule(), 1);
    run_until_idle();
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
    EXPECT_TRUE(jobs_of_kind(finish_evaluation_kind).empty());
}

TEST_F(Reconcile, AScreeningStepUpWaitingForDocumentsExpiresAfterTheLinkLifetime) {
    record("eval-screen-step-up", "screening", "pending");
    world_.riskos_get_answer("eval-screen-step-up", 201, paused_doc("eval-screen-step-up"));
    clock_.advance(std::chrono::hours(2));
    ASSERT_EQ(schedule(), 1);
    run_until_idle();
    EXPECT_EQ(evaluation("eval-screen-step-up")->state, store::evaluation_state::pending);
    clock_.advance(std::chrono::hours(24));
    ASSERT_EQ(schedule(), 1);
    run_until_idle();
    EXPECT_EQ(evaluation("eval-screen-step-up")->state, store::evaluation_state::expired);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    ASSERT_EQ(world_.notes("cand-1").size(), 1U);
    EXPECT_NE(world_.notes("cand-1")[0].content.find("capture link expired"), std::string::npos);
}

TEST_F(Reconcile, AWebhookAndReconciliationRacingFinishOnce) {
    requested();
    world_.riskos_get_answer(docv_eval, 200, completed_doc(docv_eval, "ACCEPT", "accept"));
    clock_.advance(std::chrono::minutes(16));
    ASSERT_EQ(schedule(), 1);
    // The webhook arrives as reconciliation reads the evaluation back.
    riskos_event(json{{"event_type", "evaluation_completed"},
                      {"event_id", "race-webhook-0001"},
                      {"data", completed_doc(docv_eval, "ACCEPT", "accept")}}
                     .dump());
    run_until_idle();
    ASSERT_EQ(jobs_of_kind(finish_evaluation_kind).size(), 1U);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
    EXPECT_EQ(world_.calls("candidate.addTag"), 1);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
}

TEST_F(Reconcile, ReadFailuresRetryWhenTransientAndAreLeftForTheNextWindowOtherwise) {
    requested();
    clock_.advance(std::chrono::minutes(16));
    ASSERT_EQ(schedule(), 1);
    world_.riskos_get_answer(docv_eval, 503, json{{"error", "busy"}});
    run_until_idle();
    const auto job_id = jobs_of_kind(reconcile_kind)[0].id;
    EXPECT_EQ(outcome(job_id).what, job_outcome::kind::retry);
    world_.riskos_get_answer(docv_eval, 404, json{{"error", "not found"}});
    clock_.advance(retry_delay);
    run_until_idle();
    EXPECT_EQ(outcome(job_id).what, job_outcome::kind::done) << outcome(job_id).detail;
    EXPECT_EQ(job(job_id)->state, store::job_state::done);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
}

}  // namespace
}  // namespace riskbridge::flows
