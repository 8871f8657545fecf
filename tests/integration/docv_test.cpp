// Document verification and RiskOS webhooks end to end: the real daemon (build/riskbridge
// serve) as a child process, the Ashby and RiskOS simulators in this process. A hire starts a
// DocV evaluation; the RiskOS simulator's capture (run_docv) sends case_notes_added progress
// and evaluation_completed to the daemon's /webhooks/riskos; the outcome shows up in the Ashby
// simulator as tags, notes and the status custom field. Everything is awaited by polling
// observable state (simulators, daemon log, store) with a deadline.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deployment_test.hpp"
#include "flow_outcomes.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/bytes.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* status_field = "cf-verification-status";

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string seed_payload(const std::string& name) {
    return read_file(fixtures_dir() + "/riskos_webhooks/" + name);
}

class DocvTest : public deployment_test {
protected:
    void SetUp() override {
        deployment_test::SetUp();
        seed_samples();
        // One more applicant, for the RESUBMIT outcome of the DocV capture.
        sim::candidate_seed c;
        c.id = "c0000000-0000-4000-8000-000000000099";
        c.name = "Rosalind Franklin";
        c.emails = {"resubmit.rosalind@example.com"};
        c.phones = {"+1 415 555 0199"};
        c.city = "San Francisco";
        c.region = "California";
        c.country = "United States";
        ashby_.add_candidate(c);
        sim::application_seed a;
        a.id = "a0000000-0000-4000-8000-000000000099";
        a.candidate_id = c.id;
        ashby_.add_application(a);
        samples_.push_back(
            {"resubmit", c.id, a.id, "DocV resubmit", c.name, c.emails[0], c.phones[0], "", ""});
        // The document's data (the simulator's DocV answer) and the capture link.
        extra_needles_ = {"TST1234567", "1990-01-01", "Test User", "verify.socure.com"};
    }

    void configure(long long reconcile_after_ms = 2500, int max_attempts = 40) {
        deployment_options o;
        o.ashby_extra = std::string("  status_custom_field: \"") + status_field + "\"\n";
        o.riskos_extra = "  reconcile_after_ms: " + std::to_string(reconcile_after_ms) +
                         "\n  reconcile_interval_ms: 200\n";
        o.workers = "{ threads: 2, max_attempts: " + std::to_string(max_attempts) +
                    ", backoff_base_ms: 50, backoff_max_ms: 200, poll_interval_ms: 50 }";
        deployment_test::configure("docv", o);
    }

    void start() { deployment_test::start(/*riskos_calls_back=*/true); }

    /// Sends the signed candidateHire webhook; returns the daemon's `status`.
    std::string hire(const std::string& label) {
        return send_action("candidateHire", sample(label).application_id).value("status", "");
    }

    /// POSTs a RiskOS webhook; returns the HTTP status and the daemon's `status`.
    std::pair<int, std::string> post_riskos(const std::string& body) {
        auto r = http_request(
            daemon_->port(), "POST", "/webhooks/riskos", body,
            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + riskos_token_}});
        EXPECT_TRUE(r.has_value());
        if (!r) {
            return {0, {}};
        }
        return {r->status, json::parse(r->body, nullptr, false).value("status", "")};
    }

    std::optional<std::string> eval_id_of(const std::string& label) const {
        return riskos_.eval_id_for("rb-document_verification-" + sample(label).application_id);
    }
    std::string status_of(const std::string& label) const {
        const auto values = ashby_.custom_values_of(sample(label).candidate_id);
        const auto it = values.find(status_field);
        return it == values.end() ? std::string{} : it->second;
    }
    std::size_t notes_with(const std::string& label, const std::string& text) const {
        std::size_t n = 0;
        for (const auto& note : notes_of(label)) {
            n += contains(note.content, text) ? 1 : 0;
        }
        return n;
    }
    std::size_t log_count(const std::string& event) const {
        return count_of(daemon_->logs(), "\"event\":\"" + event + "\"");
    }
    /// True once no job is left to run, apart from reconciliation's (queued again every
    /// window while an evaluation waits): every other stored job is done or dead, so whatever
    /// the events could make the daemon do, it has done.
    bool nothing_left_to_run() {
        for (const auto& j : stored_jobs()) {
            if (j.kind != "reconcile" && j.state != store::job_state::done &&
                j.state != store::job_state::dead) {
                return false;
            }
        }
        return true;
    }

    /// Hires and waits until the DocV capture is requested (its note is written).
    std::string requested(const std::string& label) {
        EXPECT_EQ(hire(label), "accepted") << label;
        EXPECT_TRUE(eventually([&] {
            return notes_with(label, "document verification requested") == 1 &&
                   status_of(label) == "\"requested\"";
        })) << label
            << "\n"
            << daemon_->logs();
        const auto eval_id = eval_id_of(label);
        EXPECT_TRUE(eval_id.has_value()) << label;
        return eval_id.value_or("");
    }
};

TEST_F(DocvTest, HireThenCaptureThenEachDecisionGivesItsTagAndOneNote) {
    configure();
    start();
    const std::vector<std::pair<std::string, std::string>> cases{
        {"accept", "DOCUMENT_VERIFICATION_PASSED"},
        {"review", "DOCUMENT_VERIFICATION_REVIEW"},
        {"reject", "DOCUMENT_VERIFICATION_FAILED"},
        {"resubmit", "DOCUMENT_VERIFICATION_REVIEW"}};
    std::map<std::string, std::string> evals;
    for (const auto& [label, tag] : cases) {
        evals[label] = requested(label);
        ASSERT_FALSE(evals[label].empty());
        EXPECT_TRUE(tags_of(label).empty()) << label;
    }
    // The request carried the DocV settings.
    const json request = json::parse(*riskos_.request_json(evals["accept"]));
    EXPECT_EQ(request["workflow"], "workforce_docv");
    EXPECT_EQ(request["data"]["individual"]["docv"]["config"]["send_message"], true);
    EXPECT_EQ(request["data"]["individual"]["docv"]["config"]["language"], "en");

    for (const auto& [label, tag] : cases) {
        const auto sent = riskos_.run_docv(evals[label]);
        ASSERT_EQ(sent.size(), 8U) << label;  // 7 progress notes and the completion
        for (const auto& d : sent) {
            EXPECT_TRUE(d.delivered()) << label << " " << d.event_type << " " << d.error;
        }
    }
    const std::map<std::string, std::string> decisions{
        {"accept", "ACCEPT"}, {"review", "REVIEW"}, {"reject", "REJECT"}, {"resubmit", "RESUBMIT"}};
    const std::map<std::string, std::string> statuses{{"accept", "\"passed\""},
                                                      {"review", "\"review\""},
                                                      {"reject", "\"failed\""},
                                                      {"resubmit", "\"review\""}};
    for (const auto& [label, tag] : cases) {
        ASSERT_TRUE(eventually([&, &label = label] {  // clang 14: no binding captures
            return tags_of(label).size() == 1 && status_of(label) == statuses.at(label);
        })) << label
            << "\n"
            << daemon_->logs();
        EXPECT_EQ(tags_of(label), std::vector<std::string>{tag}) << label;
        const auto notes = notes_of(label);
        ASSERT_EQ(notes.size(), 2U) << label;
        const std::string& decision_note = notes[1].content;
        EXPECT_TRUE(contains(decision_note, "RiskOS document verification: " + decisions.at(label)))
            << decision_note;
        EXPECT_TRUE(contains(decision_note, "Drivers License (USA, NY)")) << decision_note;
        EXPECT_TRUE(contains(decision_note, "/workforce_docv/" + evals[label])) << decision_note;
        for (const char* pii : {"1990-01-01", "2030-01-01", "Lovelace", "Hopper", "Turing"}) {
            EXPECT_FALSE(contains(decision_note, pii)) << pii;  // documentData
        }
    }
    EXPECT_FALSE(contains(notes_of("accept")[1].content, "SIM"));  // the document number

    // `evaluations show`: states and the progress in the audit trail, no personal data.
    const auto shown = run_riskbridge(
        {"evaluations", "show", "--db", db_path(), "--candidate", sample("accept").candidate_id});
    EXPECT_EQ(shown.exit_code, 0) << shown.output;
    EXPECT_TRUE(contains(shown.output, "evaluation " + evals["accept"])) << shown.output;
    EXPECT_TRUE(contains(shown.output, "state:       completed")) << shown.output;
    EXPECT_TRUE(contains(shown.output, "decision:    ACCEPT")) << shown.output;
    for (const char* step :
         {"docv_progress", "Capture App Opened", "Session Complete", "finish_queued", "decision"}) {
        EXPECT_TRUE(contains(shown.output, step)) << step << "\n" << shown.output;
    }
    for (const char* pii : {"Lovelace", "Ada", "example.com", "5550101", "Market"}) {
        EXPECT_FALSE(contains(shown.output, pii)) << pii << "\n" << shown.output;
    }
    const auto none = run_riskbridge(
        {"evaluations", "show", "--db", db_path(), "--candidate", "no-such-candidate"});
    EXPECT_EQ(none.exit_code, 1) << none.output;
}

TEST_F(DocvTest, ConsentDeclinedAndSessionExpiredEndWithTheRejectTag) {
    configure();
    start();
    for (const char* label : {"docv-decline", "docv-expire"}) {
        const std::string eval_id = requested(label);
        const auto sent = riskos_.run_docv(eval_id);
        ASSERT_FALSE(sent.empty());
        EXPECT_EQ(sent.back().event_type, "case_notes_added");  // no completion follows
    }
    for (const auto& [label, why] : {std::pair{"docv-decline", "Consent Declined"},
                                     std::pair{"docv-expire", "Session Expired"}}) {
        ASSERT_TRUE(eventually([&, &label = label] {  // clang 14: no binding captures
            return tags_of(label).size() == 1 && status_of(label) == "\"failed\"";
        })) << label
            << "\n"
            << daemon_->logs();
        EXPECT_EQ(tags_of(label), std::vector<std::string>{"DOCUMENT_VERIFICATION_FAILED"});
        const auto notes = notes_of(label);
        ASSERT_EQ(notes.size(), 2U) << label;
        EXPECT_TRUE(contains(notes[1].content, "RiskOS document verification: REJECT"));
        EXPECT_TRUE(contains(notes[1].content, why)) << notes[1].content;
    }
}

TEST_F(DocvTest, DuplicateAndLateEventsChangeNothing) {
    configure();
    start();
    const std::string eval_id = requested("accept");
    const auto sent = riskos_.run_docv(eval_id);
    ASSERT_EQ(sent.size(), 8U);
    ASSERT_TRUE(eventually([&] { return status_of("accept") == "\"passed\""; })) << daemon_->logs();

    // RiskOS retries the completion (same event_id): the store deduplicates it.
    const json final_doc = json::parse(*riskos_.evaluation_json(eval_id));
    const std::string completion_id = sent.back().event_id;
    const auto again = post_riskos(json{
        {"event_type", "evaluation_completed"},
        {"event_id", completion_id},
        {"event_at", "2025-07-17T01:20:01Z"},
        {"data", final_doc}}.dump());
    EXPECT_EQ(again, (std::pair<int, std::string>{200, "duplicate"}));
    // The same completion under a new event_id, a contradicting one, and late progress.
    json contradicting = final_doc;
    contradicting["decision"] = "REJECT";
    const std::size_t late_before = log_count("riskos_event_late");
    const std::size_t unchanged_before = log_count("riskos_event_no_change");
    const std::size_t progress_before = log_count("docv_progress");
    EXPECT_EQ(post_riskos(json{
                  {"event_type", "evaluation_completed"},
                  {"event_id", "9c0e1c7e-0000-4000-8000-0000000000a1"},
                  {"data",
                   final_doc}}.dump()),
              (std::pair<int, std::string>{200, "accepted"}));
    EXPECT_EQ(post_riskos(json{{"event_type", "evaluation_completed"},
                               {"event_id", "9c0e1c7e-0000-4000-8000-0000000000a2"},
                               {"data", contradicting}}
                              .dump()),
              (std::pair<int, std::string>{200, "accepted"}));
    EXPECT_EQ(
        post_riskos(json{{"event_type", "case_notes_added"},
                         {"event_id", "9c0e1c7e-0000-4000-8000-0000000000a3"},
                         {"data",
                          {{"eval_id", eval_id},
                           {"id", "rb-document_verification-" + sample("accept").application_id},
                           {"notes", "Session Expired"},
                           {"reviewer_id", "Webhook"}}}}
                        .dump()),
        (std::pair<int, std::string>{200, "accepted"}));
    EXPECT_EQ(
        post_riskos(json{{"event_type", "case_notes_added"},
                         {"event_id", "9c0e1c7e-0000-4000-8000-0000000000a4"},
                         {"data",
                          {{"eval_id", eval_id},
                           {"id", "rb-document_verification-" + sample("accept").application_id},
                           {"notes", "Session Complete"},
                           {"reviewer_id", "Webhook"}}}}
                        .dump()),
        (std::pair<int, std::string>{200, "accepted"}));
    ASSERT_TRUE(eventually([&] {
        // The completions read the API (a reviewer may have changed the decision): no change;
        // the late Session Expired changes nothing without a read.
        return log_count("riskos_event_no_change") >= unchanged_before + 2 &&
               log_count("riskos_event_late") >= late_before + 1 &&
               log_count("docv_progress") >= progress_before + 1 && nothing_left_to_run();
    })) << daemon_->logs();
    EXPECT_EQ(tags_of("accept"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(notes_of("accept").size(), 2U);
    EXPECT_EQ(status_of("accept"), "\"passed\"");
    EXPECT_EQ(ashby_.calls("candidate.addTag"), 1);
    EXPECT_EQ(ashby_.calls("candidate.removeTag"), 0);
    EXPECT_EQ(log_count("finish_queued"), 1U);
    EXPECT_EQ(log_count("revision_queued"), 0U);
}

TEST_F(DocvTest, AForgedCompletionChangesNothingWhileRiskosStillWaitsForTheCapture) {
    configure();
    start();
    const std::string eval_id = requested("accept");
    ASSERT_FALSE(eval_id.empty());
    // Whoever holds the webhook credentials claims the evaluation passed: a well-formed
    // completion of the right evaluation, while RiskOS still waits for the capture.
    json forged = json::parse(*riskos_.evaluation_json(eval_id));
    ASSERT_EQ(forged.value("eval_status", ""), "evaluation_paused");
    forged["eval_status"] = "evaluation_completed";
    forged["decision"] = "ACCEPT";
    forged["status"] = "CLOSED";
    EXPECT_EQ(post_riskos(json{
                  {"event_type", "evaluation_completed"},
                  {"event_id", "f0f0f0f0-0000-4000-8000-0000000000c1"},
                  {"event_at", "2026-01-31T23:34:47Z"},
                  {"data",
                   forged}}.dump()),
              (std::pair<int, std::string>{200, "accepted"}));
    // The event is read back from RiskOS's API, which still says paused: after its bounded
    // retries the event ends unconfirmed.
    ASSERT_TRUE(eventually([&] {
        return log_count("riskos_event_unconfirmed") >= 1 && nothing_left_to_run();
    })) << daemon_->logs();
    EXPECT_TRUE(tags_of("accept").empty());
    EXPECT_EQ(ashby_.calls("candidate.addTag"), 0);
    EXPECT_EQ(notes_with("accept", "RiskOS document verification:"), 0U);  // no decision
    EXPECT_EQ(notes_of("accept").size(), 1U);  // "document verification requested" only
    EXPECT_EQ(status_of("accept"), "\"requested\"");
    EXPECT_EQ(log_count("finish_queued"), 0U);
    EXPECT_GE(riskos_.calls("GET /api/evaluation"), 1);
    bool logged = false;
    for (const auto& line : log_objects(daemon_->logs())) {
        if (line.value("event", "") == "riskos_event_unconfirmed") {
            logged = true;
            EXPECT_EQ(line.value("eval_id", ""), eval_id) << line.dump();
            EXPECT_EQ(line.value("event_id", ""), "f0f0f0f0-0000-4000-8000-0000000000c1");
            EXPECT_EQ(line.value("eval_status", ""), "evaluation_paused") << line.dump();
        }
    }
    EXPECT_TRUE(logged);

    // The genuine capture and completion still finish the evaluation, once.
    const auto sent = riskos_.run_docv(eval_id);
    ASSERT_EQ(sent.size(), 8U);
    for (const auto& d : sent) {
        EXPECT_TRUE(d.delivered()) << d.event_type << " " << d.error;
    }
    ASSERT_TRUE(eventually([&] {
        return tags_of("accept").size() == 1 && status_of("accept") == "\"passed\"";
    })) << daemon_->logs();
    EXPECT_EQ(tags_of("accept"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(notes_with("accept", "RiskOS document verification: ACCEPT"), 1U);
    EXPECT_EQ(notes_of("accept").size(), 2U);
    EXPECT_EQ(log_count("finish_queued"), 1U);
}

TEST_F(DocvTest, EventsBeforeTheFlowRecordedTheEvaluationAreNotLost) {
    // How long an early event may wait (reconcile_after, and the attempts it is retried for):
    // far longer than the test takes, so when the flow records the evaluation is up to the
    // test alone.
    configure(/*reconcile_after_ms=*/120'000, /*max_attempts=*/1000);
    // RiskOS starts the evaluation but its answer to the daemon is held back for a while: the
    // capture and its webhooks all reach the daemon, and are tried, before the flow knows the
    // eval_id. The API stays up meanwhile, so once the held answer (paused) is let go and the
    // flow has recorded the evaluation, the early completion is read back and confirmed.
    riskos_.faults().force_next({sim::fault::none, 10s}, 1);
    start();
    EXPECT_EQ(hire("review"), "accepted");
    ASSERT_TRUE(eventually([&] { return eval_id_of("review").has_value(); })) << daemon_->logs();
    const auto sent = riskos_.run_docv(*eval_id_of("review"));
    ASSERT_EQ(sent.size(), 8U);
    for (const auto& d : sent) {
        EXPECT_TRUE(d.delivered()) << d.error;
    }
    ASSERT_TRUE(eventually([&] {
        return count_of(daemon_->logs(), "evaluation not recorded yet") > 0;
    })) << daemon_->logs();
    ASSERT_TRUE(eventually([&] { return status_of("review") == "\"review\""; })) << daemon_->logs();
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{"DOCUMENT_VERIFICATION_REVIEW"});
    EXPECT_EQ(notes_with("review", "RiskOS document verification: REVIEW"), 1U);
    EXPECT_LE(notes_with("review", "document verification requested"), 1U);
    EXPECT_EQ(log_count("finish_queued"), 1U);
    EXPECT_GE(riskos_.calls("GET /api/evaluation"), 1);
}

TEST_F(DocvTest, AMissedWebhookIsFinishedByReconciliation) {
    configure(/*reconcile_after_ms=*/800);
    start();
    const std::string eval_id = requested("accept");
    ASSERT_TRUE(riskos_.complete_silently(eval_id));  // completed; the webhook never comes
    ASSERT_TRUE(eventually([&] {
        return tags_of("accept").size() == 1 && status_of("accept") == "\"passed\"";
    })) << daemon_->logs();
    EXPECT_EQ(tags_of("accept"), std::vector<std::string>{"DOCUMENT_VERIFICATION_PASSED"});
    EXPECT_EQ(notes_of("accept").size(), 2U);
    EXPECT_GE(riskos_.calls("GET /api/evaluation"), 1);
    EXPECT_GE(log_count("reconcile_finish_queued"), 1U);
    EXPECT_TRUE(riskos_.deliveries().empty());
}

TEST_F(DocvTest, UnknownEvaluationsAndEventTypesAreAcknowledged) {
    configure(/*reconcile_after_ms=*/800);
    start();
    const auto unknown = post_riskos(json{
        {"event_type", "evaluation_completed"},
        {"event_id", "5d1e7a52-0000-4000-8000-0000000000b1"},
        {"data",
         {{"eval_id", "0f0f0f0f-0000-4000-8000-000000000001"},
          {"id", "rb-document_verification-a0000000-0000-4000-8000-999999999999"},
          {"decision", "ACCEPT"},
          {"eval_status",
           "evaluation_completed"}}}}.dump());
    EXPECT_EQ(unknown, (std::pair<int, std::string>{200, "accepted"}));
    const auto other_type = post_riskos(json{
        {"event_type", "decision_update"},
        {"event_id", "5d1e7a52-0000-4000-8000-0000000000b2"},
        {"data", {{"eval_id", "x"}}}}.dump());
    EXPECT_EQ(other_type.first, 200);
    ASSERT_TRUE(eventually([&] {
        return log_count("riskos_event_unknown_evaluation") >= 1 && nothing_left_to_run();
    })) << daemon_->logs();
    EXPECT_EQ(ashby_.calls("candidate.createNote"), 0);
    EXPECT_EQ(ashby_.calls("candidate.addTag"), 0);
    EXPECT_EQ(log_count("job_dead"), 0U);
    for (const auto& j : stored_jobs()) {
        EXPECT_NE(j.state, store::job_state::dead) << j.kind << " " << j.last_error;
    }
}

TEST_F(DocvTest, TheSeedPayloadsArriveVerbatimAndAreHandled) {
    configure();
    // The evaluations the seed's examples speak of, as if riskbridge had started them
    // (written as the daemon writes them: the DocV token as a keyed digest).
    {
        auto st = open_daemon_store();
        ASSERT_TRUE(st != nullptr);
        const auto put = [&](const std::string& eval_id, const std::string& token,
                             const std::string& label, store::job_id job) {
            store::evaluation_record r;
            r.eval_id = eval_id;
            r.flow = "document_verification";
            r.application_id = sample(label).application_id;
            r.candidate_id = sample(label).candidate_id;
            r.job = job;
            r.state = store::evaluation_state::requested;
            r.docv_token = token;
            ASSERT_TRUE(st->upsert_evaluation(r).has_value());
        };
        put("11111111-2222-3333-4444-555555555555", "7d6ad42b-f804-4255-b25e-268b8a77c86f",
            "accept", 9001);
        put("6c81b2ee-4f7e-4ea1-9696-160ecb5b341a", "aa11bb22-0000-4000-8000-000000000001",
            "review", 9002);
        put("0e0e0e0e-0000-4000-8000-000000000003", "45ac9531-60ae-4bc7-805e-f7823e4e5545",
            "reject", 9003);
        st->shutdown();
    }
    start();
    for (const char* f :
         {"docv_notification_process_initiated.json", "case_notes_added_app_opened.json",
          "case_notes_added_front_uploaded.json", "case_notes_added_upload_successful.json",
          "evaluation_completed_accept.json"}) {
        EXPECT_EQ(post_riskos(seed_payload(f)), (std::pair<int, std::string>{200, "accepted"}))
            << f;
    }
    // The example completion is read back from RiskOS's API before anything is written, and
    // the API (the simulator) never started that evaluation: nothing is decided on the
    // webhook's word alone.
    ASSERT_TRUE(eventually([&] {
        return log_count("riskos_event_unconfirmed") >= 1 &&
               status_of("review") == "\"in progress\"" && log_count("docv_progress") >= 4 &&
               nothing_left_to_run();
    })) << daemon_->logs();
    EXPECT_GE(riskos_.calls("GET /api/evaluation"), 1);
    EXPECT_TRUE(tags_of("accept").empty());
    EXPECT_TRUE(notes_of("accept").empty());
    EXPECT_TRUE(notes_of("review").empty());
    EXPECT_TRUE(tags_of("reject").empty());

    const auto shown = run_riskbridge(
        {"evaluations", "show", "--db", db_path(), "--candidate", sample("review").candidate_id});
    EXPECT_EQ(shown.exit_code, 0) << shown.output;
    for (const char* line : {"Capture App Opened", "Document Front Uploaded",
                             "Documents Upload Successful", "state:       requested"}) {
        EXPECT_TRUE(contains(shown.output, line)) << line << "\n" << shown.output;
    }
    const auto older = run_riskbridge(
        {"evaluations", "show", "--db", db_path(), "--candidate", sample("reject").candidate_id});
    EXPECT_TRUE(contains(older.output, "Process Initiated")) << older.output;
}

}  // namespace
}  // namespace riskbridge::testing
