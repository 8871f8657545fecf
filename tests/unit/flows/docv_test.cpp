// The document verification flow and the RiskOS webhook events, run through a real SQLite
// store on a manual clock (queue_harness.hpp) against in-memory Ashby and RiskOS: requested,
// progress, decisions, Consent Declined / Session Expired, the DocV reference payloads verbatim,
// out-of-order and duplicate events, crashes, and no document data ever reaching Ashby.

#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "queue_harness.hpp"
#include "riskbridge/observability/log.hpp"
#include "support/bytes.hpp"

namespace riskbridge::flows {
namespace {

using nlohmann::json;
using riskbridge::testing::contains;
using testing::fake_world;
using testing::fault;
using testing::fixture_body;
using testing::webhook_fixture;
using workers::job_outcome;

constexpr const char* docv_eval = "eval-rb-document_verification-app-1";
constexpr const char* docv_request = "rb-document_verification-app-1";
constexpr const char* step_up_token = "150422a3-0358-43b0-a10f-b55b736195f6";

/// The seed's evaluation_completed data with another decision and DocV value.
json completed_data(const std::string& decision, const std::string& value) {
    json d = json::parse(webhook_fixture("evaluation_completed_accept.json"))["data"];
    d["decision"] = decision;
    for (auto& e : d["data_enrichments"]) {
        if (e["response"].contains("documentVerification")) {
            e["response"]["documentVerification"]["decision"]["value"] = value;
        }
    }
    return d;
}

/// An evaluation_completed webhook for `eval_id` (request id `request_id`).
std::string completed_event(const std::string& eval_id, const std::string& request_id,
                            const std::string& decision, const std::string& value,
                            const std::string& event_id) {
    json d = completed_data(decision, value);
    d["eval_id"] = eval_id;
    d["id"] = request_id;
    d["workflow"] = "workforce_docv";
    return json{{"event_type", "evaluation_completed"},
                {"event_id", event_id},
                {"event_at", "2025-07-17T01:20:01Z"},
                {"data", d}}
        .dump();
}

/// A case_notes_added webhook, shaped like the seed's.
std::string note_event(const std::string& eval_id, const std::string& notes,
                       const std::string& event_id, const std::string& reviewer = "Webhook") {
    json doc = json::parse(webhook_fixture("case_notes_added_app_opened.json"));
    doc["data"]["eval_id"] = eval_id;
    doc["data"]["id"] = docv_request;
    doc["data"]["notes"] = notes;
    doc["data"]["reviewer_id"] = reviewer;
    doc["event_id"] = event_id;
    return doc.dump();
}

class DocvFlow : public testing::QueueHarness {
protected:
    void SetUp() override {
        QueueHarness::SetUp();
        cfg_.ashby.status_custom_field = "cf-status";
        cfg_.riskos.reconcile_after = std::chrono::seconds(30);
        world_.riskos_answer(201, fixture_body("digital_intelligence__step_up_to_docv.json"));
        world_.add_candidate("cand-2", "Grace Hopper", "grace@example.com", "+1 415 555 0102");
        world_.add_candidate("cand-3", "Alan Turing", "alan@example.com", "+1 415 555 0103");
        world_.add_candidate("cand-4", "Edsger Dijkstra", "edsger@example.com", "+1 415 555 0104");
    }

    /// Hire and run: the DocV evaluation is requested and recorded.
    void requested() {
        const auto id = hire();
        run_until_idle();
        ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
        ASSERT_TRUE(evaluation(docv_eval).has_value());
        ASSERT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
    }

    /// An evaluation_completed webhook that RiskOS's API confirms: from now on
    /// GET /api/evaluation/{eval_id} answers the evaluation the webhook carries.
    std::string confirmed_event(const std::string& eval_id, const std::string& request_id,
                                const std::string& decision, const std::string& value,
                                const std::string& event_id) {
        std::string body = completed_event(eval_id, request_id, decision, value, event_id);
        world_.riskos_get_answer(eval_id, 200, json::parse(body)["data"]);
        return body;
    }

    std::vector<std::string> statuses(const std::string& cand = "cand-1") const {
        return world_.custom_value_history(cand);
    }

    /// Every Ashby request body, the store's job payloads and checkpoints, and the audit
    /// trail of every job: where document data must never end up.
    std::string everything_written() {
        std::string all;
        for (const auto& b : world_.ashby_bodies()) {
            all += b + "\n";
        }
        auto jobs = store_->list_jobs(std::nullopt, 1000);
        for (const auto& j : jobs ? *jobs : std::vector<store::job>{}) {
            if (j.kind != kind_riskos_event) {  // the stored webhook itself is the input
                all += j.payload + "\n" + j.checkpoint + "\n";
            }
            for (const auto& line : audit_of(j.id)) {
                all += line + "\n";
            }
        }
        for (const auto& line : audit_of(1000)) {
            all += line + "\n";
        }
        return all;
    }
};

// ---- the flow ------------------------------------------------------------------------------

TEST_F(DocvFlow, HireStartsADocvEvaluationRecordsItAndWritesTheRequestedNote) {
    cfg_.riskos.docv.use_case_key = "uc-hire";
    cfg_.riskos.docv.document_type = "license";
    cfg_.riskos.docv.redirect_url = "https://example.test/done";
    cfg_.riskos.docv.redirect_method = "POST";
    cfg_.riskos.docv.language = "fr";
    const time_point start = clock_.now();
    const auto id = hire();
    EXPECT_EQ(run_until_idle(), 1);
    ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    EXPECT_EQ(outcome(id).detail, "waiting: document verification requested");

    const auto requests = world_.evaluation_requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["id"], docv_request);
    EXPECT_EQ(requests[0]["workflow"], "workforce_docv");
    EXPECT_EQ(requests[0]["data"]["individual"]["given_name"], "Ada");
    EXPECT_EQ(requests[0]["data"]["individual"]["docv"]["config"],
              (json{{"send_message", true},
                    {"language", "fr"},
                    {"use_case_key", "uc-hire"},
                    {"document_type", "license"},
                    {"redirect", {{"url", "https://example.test/done"}, {"method", "POST"}}}}));

    const auto rec = evaluation(docv_eval);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->state, store::evaluation_state::requested);
    EXPECT_EQ(rec->flow, "document_verification");
    EXPECT_EQ(rec->application_id, "app-1");
    EXPECT_EQ(rec->candidate_id, "cand-1");
    EXPECT_EQ(rec->job, id);
    EXPECT_EQ(rec->docv_token, step_up_token);
    EXPECT_EQ(rec->expires_at, start + std::chrono::hours(24));

    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "document verification requested")) << notes[0].content;
    EXPECT_TRUE(
        contains(notes[0].content, "riskbridge:ref rb-document_verification-app-1/requested"));
    EXPECT_FALSE(contains(notes[0].content, "verify.socure.com")) << "link only when configured";
    EXPECT_TRUE(contains(notes[0].content, format_rfc3339(start + std::chrono::hours(24))));
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    EXPECT_EQ(statuses(), std::vector<std::string>{"\"requested\""});
}

TEST_F(DocvFlow, APausedEvaluationWithoutACaptureTokenStillGetsTheRequestedNote) {
    // The workflow paused before its document request step: no DocV token in the answer.
    json paused = fixture_body("digital_intelligence__step_up_to_docv.json");
    json kept = json::array();
    for (const auto& e : paused["data_enrichments"]) {
        if (e.value("enrichment_name", "").find("Document Request") == std::string::npos) {
            kept.push_back(e);
        }
    }
    paused["data_enrichments"] = kept;
    world_.riskos_answer(201, paused);
    const auto id = hire();
    run_until_idle();
    ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    const auto rec = evaluation(docv_eval);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->state, store::evaluation_state::requested);
    EXPECT_EQ(rec->docv_token, "");
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "document verification requested")) << notes[0].content;
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
}

TEST_F(DocvFlow, TheCaptureLinkGoesIntoTheNoteOnlyWhenConfigured) {
    cfg_.riskos.docv.link_in_note = true;
    requested();
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(
        contains(notes[0].content, std::string("https://verify.socure.com/#/dv/") + step_up_token))
        << notes[0].content;
}

TEST_F(DocvFlow, AnEvaluationThatCompletesAtOnceIsTaggedAtOnce) {
    world_.riskos_answer(200, completed_data("ACCEPT", "accept"));
    const auto id = hire();
    EXPECT_EQ(run_until_idle(), 1);  // no other job: the flow's own job decides
    ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    EXPECT_EQ(outcome(id).detail, "ACCEPT: DOCUMENT_VERIFICATION_PASSED");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "RiskOS document verification: ACCEPT"));
    EXPECT_TRUE(contains(notes[0].content, "Drivers License (USA, NY)")) << notes[0].content;
    EXPECT_TRUE(contains(notes[0].content, "<code>I831</code>"));
    const auto rec = evaluation(docv_eval);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->state, store::evaluation_state::completed);
    EXPECT_EQ(rec->decision, "ACCEPT");
    EXPECT_EQ(statuses(), std::vector<std::string>{"\"passed\""});
    EXPECT_TRUE(jobs_of_kind(finish_evaluation_kind).empty());
}

TEST_F(DocvFlow, NoConsentMeansNoRiskosCallAndANote) {
    cfg_.consent.required = true;
    world_.add_application("app-2", "cand-2", "false");
    const auto id = hire("app-2", "cand-2");
    run_until_idle();
    ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 0);
    const auto notes = world_.notes("cand-2");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "document verification was not started"))
        << notes[0].content;
    EXPECT_TRUE(contains(notes[0].content, "consent"));
}

TEST_F(DocvFlow, MissingFieldsMeanNoRiskosCallAndANoteNamingThem) {
    world_.add_candidate("cand-5", "Frances Allen", "frances@example.com", "");
    world_.add_application("app-5", "cand-5", "true");
    const auto id = hire("app-5", "cand-5");
    run_until_idle();
    ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 0);
    const auto notes = world_.notes("cand-5");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "missing phone")) << notes[0].content;
}

TEST_F(DocvFlow, ACrashAfterTheRequestedNoteDoesNotWriteItTwice) {
    world_.fail_next("candidate.createNote", fault(fault::kind::crash_after));
    const auto id = hire();
    run_until_idle();
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
    clock_.advance(std::chrono::seconds(61));  // the lease of the "dead" process expires
    run_until_idle();
    ASSERT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
    EXPECT_EQ(world_.calls("candidate.createNote"), 1);
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 1);  // resumed from the checkpoint
}

// ---- evaluation_completed ------------------------------------------------------------------

TEST_F(DocvFlow, EvaluationCompletedFinishesWithTheTagAndOneDecisionNote) {
    requested();
    const auto ev = riskos_event(confirmed_event(docv_eval, docv_request, "ACCEPT", "accept",
                                                 "8a3b2c1d-0000-4000-8000-000000000001"));
    EXPECT_EQ(run_until_idle(), 2);  // the event, then the finish job it queued
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_TRUE(contains(outcome(ev).detail, "finish queued")) << outcome(ev).detail;
    const auto finish = jobs_of_kind(finish_evaluation_kind);
    ASSERT_EQ(finish.size(), 1U);
    EXPECT_EQ(finish[0].unique_key, std::optional<std::string>(finish_job_key(docv_eval)));
    EXPECT_EQ(finish[0].state, store::job_state::done);

    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 2U);  // requested, decision
    const std::string& note = notes[1].content;
    EXPECT_TRUE(contains(note, "RiskOS document verification: ACCEPT")) << note;
    EXPECT_TRUE(contains(note, "Document verification result: accept")) << note;
    EXPECT_TRUE(contains(note, "Drivers License (USA, NY)")) << note;
    EXPECT_TRUE(contains(note, "<code>I831</code>") && contains(note, "<code>I836</code>"));
    EXPECT_TRUE(contains(
        note, "https://riskos.socure.com/cases/detail/workforce_docv/" + std::string(docv_eval)))
        << note;
    EXPECT_TRUE(contains(note, "riskbridge:ref rb-document_verification-app-1/decision"));
    const auto rec = evaluation(docv_eval);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->state, store::evaluation_state::completed);
    EXPECT_EQ(rec->decision, "ACCEPT");
    EXPECT_EQ(statuses(), (std::vector<std::string>{"\"requested\"", "\"passed\""}));

    // The evaluation's whole trail sits under the job that started it.
    const auto trail = audit_of(rec->job);
    EXPECT_TRUE(trail_has(trail, "evaluation_completed:finish_queued:", "[riskos_event job"))
        << ::testing::PrintToString(trail);
    EXPECT_TRUE(trail_has(trail, "decision:applied:", "ACCEPT DOCUMENT_VERIFICATION_PASSED"))
        << ::testing::PrintToString(trail);
}

TEST_F(DocvFlow, DecisionsMapToTheDocumentVerificationTags) {
    struct expectation {
        std::string cand, decision, value, tag, status;
    };
    const std::vector<expectation> cases{
        {"cand-2", "REJECT", "reject", "DOCUMENT_VERIFICATION_FAILED", "\"failed\""},
        {"cand-3", "REVIEW", "review", "DOCUMENT_VERIFICATION_REVIEW", "\"review\""},
        {"cand-4", "RESUBMIT", "resubmit", "DOCUMENT_VERIFICATION_REVIEW", "\"review\""},
    };
    int n = 0;
    for (const auto& c : cases) {
        const std::string eval_id = "eval-" + c.cand;
        record(eval_id, "document_verification", "requested", "tok-" + c.cand, c.cand,
               "app-" + c.cand);
        riskos_event(confirmed_event(eval_id, "rb-document_verification-app-" + c.cand, c.decision,
                                     c.value, "ev-" + std::to_string(++n)));
    }
    run_until_idle();
    for (const auto& c : cases) {
        EXPECT_EQ(world_.tags_of(c.cand), std::vector<std::string>{c.tag}) << c.decision;
        const auto notes = world_.notes(c.cand);
        ASSERT_EQ(notes.size(), 1U) << c.decision;
        EXPECT_TRUE(contains(notes[0].content, "RiskOS document verification: " + c.decision));
        EXPECT_EQ(statuses(c.cand), std::vector<std::string>{c.status}) << c.decision;
        EXPECT_EQ(evaluation("eval-" + c.cand)->decision, c.decision);
    }
}

TEST_F(DocvFlow, DocumentDataNeverReachesAshbyNorTheStore) {
    requested();
    json d = completed_data("ACCEPT", "accept");
    d["eval_id"] = docv_eval;
    d["id"] = docv_request;
    for (auto& e : d["data_enrichments"]) {
        if (e["response"].contains("documentVerification")) {
            e["response"]["documentVerification"]["documentData"] = {
                {"firstName", "Zebulon"},
                {"surName", "Quixotevich"},
                {"fullName", "Zebulon Quixotevich"},
                {"dob", "1971-02-03"},
                {"documentNumber", "DOCNUM998877"},
                {"expirationDate", "2031-04-05"},
                {"address", "742 Evergreen Terrace, Springfield"},
                {"parsedAddress",
                 {{"physicalAddress", "742 Evergreen Terrace"},
                  {"city", "Springfield"},
                  {"zip", "49007"}}}};
        }
        e["request"] = {{"firstName", "Zebulon"}, {"dob", "1971-02-03"}};
    }
    world_.riskos_get_answer(docv_eval, 200, d);  // RiskOS's API answers the same
    riskos_event(json{
        {"event_type", "evaluation_completed"},
        {"event_id", "pii-event-0001"},
        {"data", d}}.dump());
    run_until_idle();
    ASSERT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    ASSERT_EQ(world_.notes("cand-1").size(), 2U);
    const std::string written = everything_written();
    for (const char* pii :
         {"Zebulon", "Quixotevich", "1971-02-03", "DOCNUM998877", "2031-04-05", "Evergreen",
          "Springfield", "49007", "203.0.113.10", "10.0.0.15", "Example ISP", "b90c8faddcd15cd5"}) {
        EXPECT_FALSE(contains(written, pii)) << pii << " was written somewhere";
    }
    EXPECT_TRUE(contains(world_.notes("cand-1")[1].content, "Drivers License"));
}

TEST_F(DocvFlow, DuplicateCompletionEventsFinishOnce) {
    requested();
    const auto a = riskos_event(
        confirmed_event(docv_eval, docv_request, "ACCEPT", "accept", "dup-event-0001"));
    const auto b = riskos_event(
        completed_event(docv_eval, docv_request, "ACCEPT", "accept", "dup-event-0002"));
    run_until_idle();
    ASSERT_EQ(jobs_of_kind(finish_evaluation_kind).size(), 1U);
    const std::string finish_id = std::to_string(jobs_of_kind(finish_evaluation_kind)[0].id);
    EXPECT_EQ(outcome(a).detail, "finish queued: job " + finish_id);
    EXPECT_EQ(outcome(b).detail, "finish queued: job " + finish_id);  // the same one
    // A third copy after the end changes nothing: the API still says what was written (a
    // reviewer's change would have shown there).
    const auto c = riskos_event(
        completed_event(docv_eval, docv_request, "REJECT", "reject", "dup-event-0003"));
    run_until_idle();
    EXPECT_EQ(outcome(c).what, job_outcome::kind::done);
    EXPECT_EQ(outcome(c).detail, "no change: decision ACCEPT");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
    EXPECT_EQ(world_.calls("candidate.addTag"), 1);
    EXPECT_EQ(evaluation(docv_eval)->decision, "ACCEPT");
}

TEST_F(DocvFlow, CompletionBeforeTheFlowRecordedTheEvaluationWaitsForIt) {
    // RiskOS is faster than the flow job: the webhook is handled before the evaluation is known.
    const auto ev = riskos_event(
        confirmed_event(docv_eval, docv_request, "REJECT", "reject", "early-event-0001"));
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry) << outcome(ev).detail;
    EXPECT_TRUE(jobs_of_kind(finish_evaluation_kind).empty());

    const auto h = hire();
    run_until_idle();
    ASSERT_EQ(outcome(h).what, job_outcome::kind::done) << outcome(h).detail;
    clock_.advance(retry_delay);
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
    EXPECT_EQ(evaluation(docv_eval)->decision, "REJECT");
}

TEST_F(DocvFlow, AnEventForAnEvaluationNeverRecordedIsAcknowledgedAfterTheWait) {
    const auto ev = riskos_event(completed_event("eval-rb-document_verification-app-9",
                                                 "rb-document_verification-app-9", "ACCEPT",
                                                 "accept", "lost-event-0001"));
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::retry);
    clock_.advance(cfg_.riskos.reconcile_after);
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::done);
    EXPECT_EQ(outcome(ev).detail, "ignored: unknown evaluation");
    EXPECT_EQ(job(ev)->state, store::job_state::done);
    EXPECT_TRUE(world_.ashby_bodies().empty());
}

TEST_F(DocvFlow, AnEventForAnEvaluationStartedElsewhereIsAcknowledgedAtOnce) {
    // The seed's example, verbatim: its request id is not one of riskbridge's.
    const auto ev = riskos_event(webhook_fixture("evaluation_completed_accept.json"));
    EXPECT_EQ(run_until_idle(), 1);
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::done);
    EXPECT_EQ(outcome(ev).detail, "ignored: unknown evaluation");
    EXPECT_TRUE(world_.ashby_bodies().empty());
}

TEST_F(DocvFlow, UnknownEventTypesAreAcknowledged) {
    const auto ev = riskos_event(json{{"event_type", "review_case_assigned"},
                                      {"event_id", "other-0001"},
                                      {"data", {{"eval_id", docv_eval}, {"status", "CLOSED"}}}}
                                     .dump());
    run_until_idle();
    EXPECT_EQ(outcome(ev).what, job_outcome::kind::done);
    EXPECT_EQ(outcome(ev).detail, "ignored: event type not handled");
}

// ---- case_notes_added ----------------------------------------------------------------------

TEST_F(DocvFlow, ProgressNotesGoToTheAuditTrailAndTheStatus) {
    requested();
    const auto a = riskos_event(note_event(docv_eval, "Process Initiated", "p-0001"));
    const auto b = riskos_event(note_event(docv_eval, "Capture App Opened", "p-0002"));
    const auto c = riskos_event(note_event(docv_eval, "Document Front Uploaded", "p-0003"));
    run_until_idle();
    for (const auto id : {a, b, c}) {
        EXPECT_EQ(outcome(id).what, job_outcome::kind::done) << outcome(id).detail;
    }
    EXPECT_EQ(outcome(b).detail, "progress recorded: Capture App Opened");
    const auto trail = audit_of(evaluation(docv_eval)->job);
    for (const auto& [step, event_id] :
         {std::pair{"docv_progress:Process Initiated:", "p-0001"},
          std::pair{"docv_progress:Capture App Opened:", "p-0002"},
          std::pair{"docv_progress:Document Front Uploaded:", "p-0003"}}) {
        EXPECT_TRUE(trail_has(trail, step, event_id))
            << step << " in " << ::testing::PrintToString(trail);
    }
    EXPECT_EQ(evaluation(docv_eval)->state,
              store::evaluation_state::requested);  // progress never writes the record
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    const auto s = statuses();
    ASSERT_GE(s.size(), 2U);
    EXPECT_EQ(s.front(), "\"requested\"");
    EXPECT_EQ(s.back(), "\"in progress\"");
}

TEST_F(DocvFlow, ConsentDeclinedEndsTheFlowWithTheRejectTagAndANoteSayingSo) {
    requested();
    riskos_event(note_event(docv_eval, "Capture App Opened", "cd-0001"));
    riskos_event(note_event(docv_eval, "Consent Declined", "cd-0002"));
    run_until_idle();
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 2U);
    EXPECT_TRUE(contains(notes[1].content, "RiskOS document verification: REJECT"));
    EXPECT_TRUE(contains(notes[1].content, "declined the consent")) << notes[1].content;
    EXPECT_TRUE(contains(notes[1].content, "Consent Declined"));
    const auto rec = evaluation(docv_eval);
    EXPECT_EQ(rec->state, store::evaluation_state::declined);
    EXPECT_EQ(rec->decision, "REJECT");
    EXPECT_EQ(statuses().back(), "\"failed\"");
}

TEST_F(DocvFlow, SessionExpiredEndsTheFlowWithTheRejectTagAndANoteSayingSo) {
    requested();
    riskos_event(note_event(docv_eval, "Session Expired", "se-0001"));
    run_until_idle();
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 2U);
    EXPECT_TRUE(contains(notes[1].content, "Session Expired")) << notes[1].content;
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::expired);
    EXPECT_EQ(statuses().back(), "\"failed\"");
}

TEST_F(DocvFlow, NotesWrittenByPeopleAreIgnored) {
    requested();
    const auto ev =
        riskos_event(note_event(docv_eval, "Consent Declined", "human-0001", "reviewer-42"));
    run_until_idle();
    EXPECT_EQ(outcome(ev).detail, "ignored: a note written by a person");
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::requested);
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    EXPECT_TRUE(jobs_of_kind(finish_evaluation_kind).empty());
}

TEST_F(DocvFlow, TheFirstOutcomeWinsWhateverTheOrder) {
    requested();
    // Consent Declined, then (out of order, or a racing reviewer) a completion with ACCEPT
    // that RiskOS's API does not confirm yet (the evaluation is still paused there).
    riskos_event(note_event(docv_eval, "Consent Declined", "race-0001"));
    const auto late =
        riskos_event(completed_event(docv_eval, docv_request, "ACCEPT", "accept", "race-0002"));
    run_until_idle();
    EXPECT_EQ(outcome(late).what, job_outcome::kind::retry) << outcome(late).detail;
    clock_.advance(service().reads().ttl());  // its next attempt, once the evaluation is declined
    run_until_idle();
    ASSERT_EQ(jobs_of_kind(finish_evaluation_kind).size(), 1U);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::declined);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
    EXPECT_EQ(outcome(late).what, job_outcome::kind::done);
    EXPECT_EQ(outcome(late).detail, "no change: evaluation already declined");
    // Progress that arrives after the end is recorded but changes nothing.
    const auto after = riskos_event(note_event(docv_eval, "Session Complete", "race-0003"));
    run_until_idle();
    EXPECT_EQ(outcome(after).detail,
              "progress recorded: Session Complete (evaluation already declined)");
    EXPECT_EQ(statuses().back(), "\"failed\"");
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
}

TEST_F(DocvFlow, AProgressStatusRacingTheFinishNeverHidesTheFinalStatus) {
    requested();
    // While the progress job writes "in progress", the finish job completes (its own
    // "passed" already written): the progress job must put the final status back.
    world_.on_ashby_call([this](const std::string& endpoint, const json& body) {
        if (endpoint == "customField.setValues" &&
            body["values"][0]["fieldValue"] == "in progress") {
            auto rec = *evaluation(docv_eval);
            rec.state = store::evaluation_state::completed;
            rec.decision = "ACCEPT";
            ASSERT_TRUE(store_->upsert_evaluation(rec).has_value());
        }
    });
    const auto ev = riskos_event(note_event(docv_eval, "Capture App Opened", "sr-0001"));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(statuses(),
              (std::vector<std::string>{"\"requested\"", "\"in progress\"", "\"passed\""}));
    const auto trail = audit_of(ev);
    EXPECT_TRUE(std::find(trail.begin(), trail.end(), "status:corrected:passed") != trail.end())
        << ::testing::PrintToString(trail);
}

TEST_F(DocvFlow, AFinishJobThatCrashesAfterItsNoteResumesWithoutASecondNote) {
    requested();
    world_.fail_next("candidate.createNote", fault(fault::kind::crash_after));
    riskos_event(confirmed_event(docv_eval, docv_request, "REVIEW", "review", "crash-0001"));
    run_until_idle();
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::deciding);
    clock_.advance(std::chrono::seconds(61));
    run_until_idle();
    EXPECT_EQ(world_.notes("cand-1").size(), 2U);
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::completed);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_REVIEW"});
    EXPECT_EQ(statuses().back(), "\"review\"");
}

// ---- the DocV reference payloads, verbatim -----------------------------------------------

TEST_F(DocvFlow, TheSeedPayloadsAreParsedAndHandledVerbatim) {
    // The evaluations the examples speak of, as if riskbridge had started them.
    record("6c81b2ee-4f7e-4ea1-9696-160ecb5b341a", "document_verification", "requested", "tok-a",
           "cand-2", "app-2");
    record("11111111-2222-3333-4444-555555555555", "document_verification", "requested",
           "7d6ad42b-f804-4255-b25e-268b8a77c86f", "cand-3", "app-3");
    record("aaaaaaaa-0000-4000-8000-000000000001", "document_verification", "requested",
           "45ac9531-60ae-4bc7-805e-f7823e4e5545", "cand-4", "app-4");
    // RiskOS's API knows the completed one as its webhook says.
    world_.riskos_get_answer(
        "11111111-2222-3333-4444-555555555555", 200,
        json::parse(webhook_fixture("evaluation_completed_accept.json"))["data"]);
    std::vector<store::job_id> ids;
    for (const char* f :
         {"docv_notification_process_initiated.json", "case_notes_added_app_opened.json",
          "case_notes_added_front_uploaded.json", "case_notes_added_upload_successful.json",
          "evaluation_completed_accept.json"}) {
        ids.push_back(riskos_event(webhook_fixture(f)));
    }
    run_until_idle();
    for (const auto id : ids) {
        EXPECT_EQ(outcome(id).what, job_outcome::kind::done) << id << " " << outcome(id).detail;
    }
    EXPECT_EQ(outcome(ids[0]).detail, "progress recorded: Process Initiated");
    EXPECT_EQ(outcome(ids[1]).detail, "progress recorded: Capture App Opened");
    EXPECT_EQ(outcome(ids[2]).detail, "progress recorded: Document Front Uploaded");
    EXPECT_EQ(outcome(ids[3]).detail, "progress recorded: Documents Upload Successful");
    EXPECT_TRUE(contains(outcome(ids[4]).detail, "finish queued")) << outcome(ids[4]).detail;

    const auto trail = audit_of(1000);
    for (const auto& [step, event_id] :
         {std::pair{"docv_progress:Process Initiated:", "9fb17966-c07d-4e33-80d0-6f0a08907c3a"},
          std::pair{"docv_progress:Capture App Opened:", "6414942b-b3ac-4bec-ad00-da6ea23380d3"},
          std::pair{"docv_progress:Document Front Uploaded:",
                    "903584c5-8771-4759-b23e-9fc9d9b80b11"},
          std::pair{"docv_progress:Documents Upload Successful:",
                    "d70203eb-9d14-4a16-ad5b-fc45e6be7ed5"}}) {
        EXPECT_TRUE(trail_has(trail, step, event_id)) << step << ::testing::PrintToString(trail);
    }
    EXPECT_EQ(statuses("cand-2").back(), "\"in progress\"");
    EXPECT_EQ(world_.tags_of("cand-3"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    const auto notes = world_.notes("cand-3");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "Drivers License (USA, NY)")) << notes[0].content;
    EXPECT_TRUE(contains(notes[0].content,
                         "consumer_onboarding/11111111-2222-3333-4444-"
                         "555555555555"));
    EXPECT_EQ(evaluation("11111111-2222-3333-4444-555555555555")->decision, "ACCEPT");
    const std::string written = everything_written();
    for (const char* pii : {"TST1234567", "1990-01-01", "Test User", "2030-01-01", "203.0.113.10",
                            "New York", "Example Org"}) {
        EXPECT_FALSE(contains(written, pii)) << pii;
    }
    EXPECT_TRUE(world_.notes("cand-2").empty());
    EXPECT_TRUE(world_.notes("cand-4").empty());
}

TEST_F(DocvFlow, TheOlderEnvelopeEndsTheFlowOnSessionExpired) {
    requested();
    json doc = json::parse(webhook_fixture("docv_notification_process_initiated.json"));
    doc["id"] = "older-expired-0001";
    doc["reason"] = "SESSION_EXPIRED";
    doc["event"]["docVTransactionToken"] = step_up_token;
    doc["event"]["eventType"] = "SESSION_EXPIRED";
    doc["event"]["message"] = "Session Expired";
    const auto ev = riskos_event(doc.dump());
    run_until_idle();
    EXPECT_TRUE(contains(outcome(ev).detail, "finish queued")) << outcome(ev).detail;
    EXPECT_EQ(evaluation(docv_eval)->state, store::evaluation_state::expired);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
}

// ---- a paused screening evaluation -----------------------------------------------------------

TEST_F(DocvFlow, APausedScreeningIsFinishedWithTheScreeningTags) {
    record("eval-screen-1", "screening", "pending");
    const auto ev = riskos_event(
        confirmed_event("eval-screen-1", "rb-screening-app-1", "REJECT", "reject", "screen-0001"));
    run_until_idle();
    ASSERT_EQ(outcome(ev).what, job_outcome::kind::done) << outcome(ev).detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(contains(notes[0].content, "riskbridge:ref rb-screening-app-1/decision"));
    EXPECT_TRUE(contains(notes[0].content, "identity screening: REJECT"));
    EXPECT_TRUE(statuses().empty());  // the status field belongs to document verification
    EXPECT_EQ(evaluation("eval-screen-1")->state, store::evaluation_state::completed);
}

// ---- logs ------------------------------------------------------------------------------------

TEST_F(DocvFlow, EveryLogLineOfTheFlowsJobsCarriesTheCandidateApplicationAndEvaluation) {
    std::ostringstream out;
    log::init_to_stream(out, log::level::info);
    requested();
    riskos_event(confirmed_event(docv_eval, docv_request, "ACCEPT", "accept", "log-event-0001"));
    EXPECT_EQ(run_until_idle(), 2);  // the event, then the finish job it queued
    log::init(log::level::off);      // detach from `out`

    std::istringstream in(out.str());
    std::set<std::string> events;
    for (std::string line; std::getline(in, line);) {
        auto o = json::parse(line, nullptr, false);
        ASSERT_TRUE(o.is_object()) << line;
        const std::string event = o.value("event", "");
        if (event.rfind("store_", 0) == 0) {
            continue;  // the store's own lines, not a job's
        }
        events.insert(event);
        SCOPED_TRACE(line);
        EXPECT_EQ(o.value("candidate_id", ""), "cand-1");
        EXPECT_EQ(o.value("application_id", ""), "app-1");
        EXPECT_EQ(o.value("eval_id", ""), docv_eval);
        for (const char* personal : {"Ada", "Lovelace", "example.com", "5550101", "555 0101"}) {
            EXPECT_EQ(line.find(personal), std::string::npos) << personal;
        }
    }
    // The DocV job, the RiskOS event job and the finish job all logged.
    for (const char* event : {"docv_evaluated", "finish_queued", "flow_decision_applied"}) {
        EXPECT_TRUE(events.count(event)) << event;
    }
}

}  // namespace
}  // namespace riskbridge::flows
