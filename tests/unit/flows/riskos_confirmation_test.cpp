// A RiskOS webhook is authenticated by a static secret only, so its body is never trusted
// with a decision: the riskos_event handler reads the evaluation back with
// GET /api/evaluation/{eval_id} and the API's answer wins (riskos_event.cpp). Forged or
// contradicting completions change nothing in Ashby, a burst of events for one evaluation
// costs one read, and the reduced event the webhook handler now stores is read like the whole
// body that earlier versions stored.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "queue_harness.hpp"
#include "support/bytes.hpp"

namespace riskbridge::flows {
namespace {

using nlohmann::json;
using riskbridge::testing::contains;
using testing::fault;
using testing::fixture_body;
using testing::webhook_fixture;
using workers::job_outcome;

constexpr const char* docv_eval = "eval-rb-document_verification-app-1";
constexpr const char* docv_request = "rb-document_verification-app-1";

/// The recorded evaluation_completed data, for `eval_id`, with another decision and DocV value.
json completed_data(const std::string& eval_id, const std::string& decision,
                    const std::string& value) {
    json d = json::parse(webhook_fixture("evaluation_completed_accept.json"))["data"];
    d["eval_id"] = eval_id;
    d["id"] = docv_request;
    d["workflow"] = "workforce_docv";
    d["decision"] = decision;
    for (auto& e : d["data_enrichments"]) {
        if (e["response"].contains("documentVerification")) {
            e["response"]["documentVerification"]["decision"]["value"] = value;
        }
    }
    return d;
}

/// An evaluation_completed webhook, whole, as RiskOS sends it (and earlier versions stored it).
std::string completed_event(const std::string& eval_id, const std::string& decision,
                            const std::string& event_id) {
    return json{{"event_type", "evaluation_completed"},
                {"event_id", event_id},
                {"event_at", "2025-07-17T01:20:01Z"},
                {"data", completed_data(eval_id, decision, "accept")}}
        .dump();
}

/// An evaluation_completed webhook as the webhook handler now keeps it: ids and words only.
std::string reduced_completed_event(const std::string& eval_id, const std::string& decision,
                                    const std::string& event_id) {
    return json{{"event_type", "evaluation_completed"},
                {"event_id", event_id},
                {"event_at", "2025-07-17T01:20:01Z"},
                {"data",
                 {{"eval_id", eval_id},
                  {"id", docv_request},
                  {"workflow", "workforce_docv"},
                  {"decision", decision},
                  {"eval_status", "evaluation_completed"},
                  {"status", "CLOSED"}}}}
        .dump();
}

/// A case_notes_added webhook from DocV (reviewer "Webhook"), reduced as the handler keeps it.
std::string note_event(const std::string& eval_id, const std::string& notes,
                       const std::string& event_id) {
    return json{{"event_type", "case_notes_added"},
                {"event_id", event_id},
                {"data",
                 {{"eval_id", eval_id},
                  {"id", docv_request},
                  {"workflow", "workforce_docv"},
                  {"reviewer_id", "Webhook"},
                  {"notes", notes}}}}
        .dump();
}

class RiskosConfirmation : public testing::QueueHarness {
protected:
    void SetUp() override {
        QueueHarness::SetUp();
        cfg_.ashby.status_custom_field = "cf-status";
        cfg_.riskos.reconcile_after = std::chrono::seconds(30);
        // The DocV evaluation RiskOS starts is paused, waiting for the capture; its API
        // answers GET /api/evaluation/{eval_id} the same until a test says otherwise.
        world_.riskos_answer(201, fixture_body("digital_intelligence__step_up_to_docv.json"));
    }

    /// Hire and run: the DocV evaluation is requested and recorded, paused in RiskOS.
    void requested() {
        const auto id = add("document_verification",
                            json{{"source", "ashby"},
                                 {"action", "candidateHire"},
                                 {"flow", "document_verification"},
                                 {"application_id", "app-1"},
                                 {"candidate_id", "cand-1"},
                                 {"data", json::object()}}
                                .dump(),
                            "document_verification:app-1");
        run_until_idle();
        ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
        ASSERT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
        ASSERT_EQ(world_.notes("cand-1").size(), 1U);  // "document verification requested"
    }

    /// RiskOS's API says the evaluation completed with `decision`.
    void api_completed(const std::string& decision, const std::string& value) {
        world_.riskos_get_answer(docv_eval, 200, completed_data(docv_eval, decision, value));
    }

    /// Runs the due jobs, then again each time the read of RiskOS's API is stale, `rounds` times.
    void run_rounds(int rounds) {
        run_until_idle();
        for (int i = 1; i < rounds; ++i) {
            clock_.advance(service().reads().ttl());
            run_until_idle();
        }
    }

    std::size_t decision_notes() const {
        std::size_t n = 0;
        for (const auto& note : world_.notes("cand-1")) {
            n += contains(note.content, "RiskOS document verification:") ? 1 : 0;
        }
        return n;
    }

    /// Nothing reached Ashby beyond the "requested" note and status of requested().
    void expect_nothing_decided() {
        EXPECT_TRUE(world_.tags_of("cand-1").empty())
            << ::testing::PrintToString(world_.tags_of("cand-1"));
        EXPECT_EQ(world_.calls("candidate.addTag"), 0);
        EXPECT_EQ(decision_notes(), 0U);
        EXPECT_EQ(world_.notes("cand-1").size(), 1U);
        EXPECT_TRUE(jobs_of_kind(finish_evaluation_kind).empty());
        EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
        EXPECT_EQ(world_.custom_value_history("cand-1"), std::vector<std::string>{"\"requested\""});
    }
};

// ---- evaluation_completed --------------------------------------------------------------------

TEST_F(RiskosConfirmation, ACompletionTheApiConfirmsIsTaggedAndNotedAsBefore) {
    requested();
    api_completed("ACCEPT", "accept");
    const auto ev = riskos_event(reduced_completed_event(docv_eval, "ACCEPT", "ok-0001"));
    EXPECT_EQ(run_until_idle(), 2);  // the event, then the finish job
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_TRUE(contains(outcome(ev).detail, "finish queued")) << outcome(ev).detail;
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 1);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 2U);
    // The note's details come from the API's evaluation (the reduced event has none).
    EXPECT_TRUE(contains(notes[1].content, "RiskOS document verification: ACCEPT"));
    EXPECT_TRUE(contains(notes[1].content, "Drivers License (USA, NY)")) << notes[1].content;
    EXPECT_TRUE(contains(notes[1].content, "<code>I831</code>")) << notes[1].content;
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
    EXPECT_EQ(evaluation(docv_eval)->decision, "ACCEPT");
    const auto finish = jobs_of_kind(finish_evaluation_kind);
    ASSERT_EQ(finish.size(), 1U);
    const auto f = parse_finish_request(finish[0].payload);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->event_id, "ok-0001");
    EXPECT_EQ(f->source, "evaluation_completed");
    EXPECT_FALSE(trail_has(audit_of(ev), "evaluation_completed:decision_differs:"));
}

TEST_F(RiskosConfirmation, AForgedAcceptForAnEvaluationStillPausedChangesNothing) {
    requested();
    const auto ev = riskos_event(completed_event(docv_eval, "ACCEPT", "forged-0001"));
    run_until_idle();
    // RiskOS's API may lag a moment behind its webhook: asked again, a bounded number of times.
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry) << outcome(ev).detail;
    ASSERT_TRUE(outcome(ev).retry_after.has_value());
    EXPECT_GE(*outcome(ev).retry_after, service().reads().ttl());
    run_rounds(3);
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(outcome(ev).detail, "ignored: not confirmed by RiskOS (evaluation_paused)");
    EXPECT_EQ(job(ev)->attempts, 3);
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 3);  // once per attempt
    expect_nothing_decided();
    const auto trail = audit_of(ev);
    EXPECT_TRUE(trail_has(trail, "evaluation_completed:not_completed_yet:", "evaluation_paused"))
        << ::testing::PrintToString(trail);
    EXPECT_TRUE(trail_has(trail, "evaluation_completed:unconfirmed:", "evaluation_paused"))
        << ::testing::PrintToString(trail);
    // ... also in the evaluation's own trail.
    EXPECT_TRUE(trail_has(audit_of(evaluation(docv_eval)->job),
                          "evaluation_completed:unconfirmed:", "[riskos_event job"));

    // The genuine completion afterwards still finishes the evaluation.
    api_completed("REJECT", "reject");
    clock_.advance(std::chrono::milliseconds(1));
    const auto genuine = riskos_event(completed_event(docv_eval, "REJECT", "genuine-0001"));
    run_until_idle();
    ASSERT_EQ(outcome(genuine).what, job_outcome::kind::done) << outcome(genuine).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    EXPECT_EQ(decision_notes(), 1U);
}

TEST_F(RiskosConfirmation, AForgedAcceptForAnEvaluationTheApiDoesNotKnowChangesNothing) {
    requested();
    world_.riskos_get_answer(docv_eval, 404, json{{"error", "not found"}});
    const auto ev = riskos_event(completed_event(docv_eval, "ACCEPT", "forged-404"));
    EXPECT_EQ(run_until_idle(), 1);  // no retry, no finish job
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(outcome(ev).detail, "ignored: not confirmed by RiskOS (http_404)");
    expect_nothing_decided();
    EXPECT_TRUE(trail_has(audit_of(ev), "evaluation_completed:unconfirmed:", "http_404"));
}

TEST_F(RiskosConfirmation, ForbiddenReadsAreUnconfirmedToo) {
    requested();
    world_.riskos_get_answer(docv_eval, 403, json{{"error", "forbidden"}});
    const auto ev = riskos_event(completed_event(docv_eval, "ACCEPT", "forged-403"));
    run_until_idle();
    EXPECT_EQ(outcome(ev).detail, "ignored: not confirmed by RiskOS (http_403)");
    expect_nothing_decided();
}

TEST_F(RiskosConfirmation, TheApisDecisionWinsOverTheEventsAndTheDifferenceIsAudited) {
    requested();
    api_completed("REJECT", "reject");
    const auto ev = riskos_event(completed_event(docv_eval, "ACCEPT", "contradicts-0001"));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    ASSERT_EQ(decision_notes(), 1U);
    EXPECT_TRUE(
        contains(world_.notes("cand-1")[1].content, "RiskOS document verification: REJECT"));
    EXPECT_EQ(evaluation(docv_eval)->decision, "REJECT");
    const auto trail = audit_of(ev);
    EXPECT_TRUE(trail_has(
        trail, "evaluation_completed:decision_differs:", "event ACCEPT, RiskOS API REJECT"))
        << ::testing::PrintToString(trail);
    EXPECT_TRUE(trail_has(trail, "evaluation_completed:finish_queued:", "REJECT"));
}

TEST_F(RiskosConfirmation, AnApiThatLagsBehindItsWebhookIsAskedAgain) {
    requested();
    const auto ev = riskos_event(completed_event(docv_eval, "REVIEW", "lagging-0001"));
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry);
    api_completed("REVIEW", "review");  // RiskOS caught up
    run_rounds(2);
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_REVIEW"});
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 2);
}

TEST_F(RiskosConfirmation, TransientReadFailuresRetryLikeAnyCall) {
    requested();
    api_completed("ACCEPT", "accept");
    world_.fail_next("GET /api/evaluation", fault(fault::kind::status_before, 503), 1);
    world_.fail_next("GET /api/evaluation", fault(fault::kind::status_before, 429, "7"), 1);
    const auto ev = riskos_event(completed_event(docv_eval, "ACCEPT", "flaky-0001"));
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry) << outcome(ev).detail;
    clock_.advance(retry_delay);
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry) << outcome(ev).detail;
    EXPECT_EQ(outcome(ev).retry_after,
              std::optional<std::chrono::milliseconds>(std::chrono::seconds(7)));  // Retry-After
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    clock_.advance(std::chrono::seconds(7));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
}

TEST_F(RiskosConfirmation, AttemptsSpentBeforeTheEvaluationWasRecordedDoNotCount) {
    // The webhook is faster than the flow job: tried several times before the record exists.
    const auto ev = riskos_event(completed_event(docv_eval, "ACCEPT", "early-0001"));
    for (int i = 0; i < 4; ++i) {
        run_until_idle();
        clock_.advance(retry_delay);
    }
    EXPECT_EQ(outcome(ev).detail, "evaluation not recorded yet");
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 0);
    requested();
    // RiskOS's API answers a moment behind its webhook: still paused for two reads.
    run_rounds(2);
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry) << outcome(ev).detail;
    EXPECT_GE(job(ev)->attempts, 6);
    api_completed("ACCEPT", "accept");
    run_rounds(2);
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
}

TEST_F(RiskosConfirmation, ABurstOfEventsForOneEvaluationReadsItOnce) {
    requested();
    api_completed("ACCEPT", "accept");
    // RiskOS's retries and duplicates under new event_ids, whole and reduced.
    std::vector<store::job_id> ids;
    for (int i = 0; i < 6; ++i) {
        const std::string event_id = "burst-" + std::to_string(i);
        ids.push_back(riskos_event(i % 2 == 0
                                       ? completed_event(docv_eval, "ACCEPT", event_id)
                                       : reduced_completed_event(docv_eval, "ACCEPT", event_id)));
    }
    run_until_idle();
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 1);
    const auto finish = jobs_of_kind(finish_evaluation_kind);
    ASSERT_EQ(finish.size(), 1U);
    for (const auto id : ids) {
        EXPECT_EQ(outcome(id).detail, "finish queued: job " + std::to_string(finish[0].id));
    }
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(decision_notes(), 1U);
}

TEST_F(RiskosConfirmation, ABurstOfForgedEventsReadsOncePerRound) {
    requested();
    std::vector<store::job_id> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(riskos_event(completed_event(docv_eval, "ACCEPT", "f-" + std::to_string(i))));
    }
    run_until_idle();
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 1);
    run_rounds(3);
    for (const auto id : ids) {
        EXPECT_EQ(outcome(id).detail, "ignored: not confirmed by RiskOS (evaluation_paused)");
    }
    EXPECT_LE(world_.calls("GET /api/evaluation"), 3);  // one read per round, not per event
    expect_nothing_decided();
}

TEST_F(RiskosConfirmation, AReadMadeBeforeAnEventArrivedIsNotUsedForIt) {
    requested();
    const auto forged = riskos_event(completed_event(docv_eval, "ACCEPT", "early-forged"));
    run_until_idle();  // reads: paused
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 1);
    // RiskOS completes, and its webhook arrives within the lifetime of that read.
    api_completed("ACCEPT", "accept");
    clock_.advance(std::chrono::milliseconds(1));
    const auto genuine = riskos_event(completed_event(docv_eval, "ACCEPT", "genuine-after"));
    run_until_idle();
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 2);
    ASSERT_EQ(outcome(genuine).what, job_outcome::kind::done) << outcome(genuine).detail;
    EXPECT_TRUE(contains(outcome(genuine).detail, "finish queued")) << outcome(genuine).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    (void)forged;
}

TEST_F(RiskosConfirmation, ALateEventForACompletedEvaluationChangesNothingWhenTheApiAgrees) {
    requested();
    api_completed("ACCEPT", "accept");
    riskos_event(completed_event(docv_eval, "ACCEPT", "first"));
    run_until_idle();
    ASSERT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
    const int reads = world_.calls("GET /api/evaluation");
    clock_.advance(std::chrono::minutes(1));
    const auto late = riskos_event(completed_event(docv_eval, "REJECT", "late"));
    run_until_idle();
    // One read (a reviewer may have completed the case again); the API says what was written.
    EXPECT_EQ(outcome(late).detail, "no change: decision ACCEPT");
    EXPECT_EQ(world_.calls("GET /api/evaluation"), reads + 1);
    EXPECT_TRUE(jobs_of_kind(revise_decision_kind).empty());
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
}

// ---- Consent Declined / Session Expired ------------------------------------------------------

TEST_F(RiskosConfirmation, ATerminalNoteForAnEvaluationTheApiCompletedUsesTheApisDecision) {
    requested();
    api_completed("ACCEPT", "accept");
    const auto ev = riskos_event(note_event(docv_eval, "Consent Declined", "note-0001"));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_TRUE(contains(outcome(ev).detail, "finish queued")) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
    EXPECT_EQ(evaluation(docv_eval)->decision, "ACCEPT");
    ASSERT_EQ(decision_notes(), 1U);
    EXPECT_FALSE(contains(world_.notes("cand-1")[1].content, "declined the consent"));
}

TEST_F(RiskosConfirmation, ATerminalNoteForAPausedEvaluationEndsItAsBefore) {
    requested();
    const auto ev = riskos_event(note_event(docv_eval, "Session Expired", "note-0002"));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 1);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::expired);
    const auto f = parse_finish_request(jobs_of_kind(finish_evaluation_kind).at(0).payload);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->workflow, "workforce_docv");
    EXPECT_EQ(f->source, "case_notes_added");
}

TEST_F(RiskosConfirmation, ATerminalNoteForAnEvaluationTheApiDoesNotKnowChangesNothing) {
    requested();
    world_.riskos_get_answer(docv_eval, 404, json{{"error", "not found"}});
    const auto ev = riskos_event(note_event(docv_eval, "Consent Declined", "note-0003"));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(outcome(ev).detail, "ignored: not confirmed by RiskOS (http_404)");
    expect_nothing_decided();
    EXPECT_TRUE(trail_has(audit_of(ev), "Consent Declined:unconfirmed:", "http_404"));
}

// ---- what is stored of an event --------------------------------------------------------------

TEST_F(RiskosConfirmation, ReducedProgressNotesAreReadAsTheWholeBodyWas) {
    requested();
    const auto reduced = riskos_event(note_event(docv_eval, "Capture App Opened", "progress-1"));
    json whole = json::parse(webhook_fixture("case_notes_added_front_uploaded.json"));
    whole["data"]["eval_id"] = docv_eval;
    whole["data"]["id"] = docv_request;
    const auto full = riskos_event(whole.dump());
    run_until_idle();
    EXPECT_EQ(outcome(reduced).detail, "progress recorded: Capture App Opened");
    EXPECT_EQ(outcome(full).detail, "progress recorded: Document Front Uploaded");
    EXPECT_EQ(world_.calls("GET /api/evaluation"), 0);  // progress decides nothing
    EXPECT_EQ(world_.custom_value_history("cand-1").back(), "\"in progress\"");
}

TEST_F(RiskosConfirmation, TheOlderEnvelopeReducedStillEndsTheFlow) {
    requested();
    const json reduced{{"id", "older-0001"},
                       {"eventGroup", "DocvNotification"},
                       {"event",
                        {{"eventType", "CONSENT_DECLINED"},
                         {"message", "Consent Declined"},
                         {"docVTransactionToken", "150422a3-0358-43b0-a10f-b55b736195f6"}}}};
    const auto ev = riskos_event(reduced.dump());
    run_until_idle();
    EXPECT_TRUE(contains(outcome(ev).detail, "finish queued")) << outcome(ev).detail;
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::declined);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
}

}  // namespace
}  // namespace riskbridge::flows
