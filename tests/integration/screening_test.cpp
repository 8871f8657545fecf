// The screening flow end to end: the real daemon (build/riskbridge serve) as a child process,
// the Ashby and RiskOS simulators in this process, signed webhooks in, tags and notes out.
// Outcomes are awaited by polling the simulators' state (or the daemon's log) with a deadline.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deployment_test.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/daemon_process.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* case_base = "https://riskos.socure.com/cases/detail";

class ScreeningTest : public deployment_test {
protected:
    void SetUp() override {
        deployment_test::SetUp();
        seed_samples();
    }

    /// Writes the configuration; `sections` is appended (top-level sections).
    void configure(const std::string& sections = {},
                   const std::string& ashby_key = "sim-ashby-key") {
        deployment_options o;
        o.ashby_api_key = ashby_key;
        o.riskos_extra = std::string("  case_url_base: \"") + case_base + "\"\n";
        o.sample_address_fields = true;
        o.sections = sections;
        deployment_test::configure("screening", o);
    }

    /// Sends the webhook; returns the daemon's `status` ("accepted", "duplicate", ...).
    std::string send(const std::string& body, const daemon_process* d = nullptr) {
        return accepted_answer(body, d).value("status", "");
    }

    std::string submit(const std::string& label, const daemon_process* d = nullptr) {
        return send_action("applicationSubmit", sample(label).application_id, d)
            .value("status", "");
    }

    std::optional<std::string> eval_id_of(const std::string& label) const {
        return riskos_.eval_id_for("rb-screening-" + sample(label).application_id);
    }

    std::size_t jobs_done(const daemon_process& d) const {
        return count_of(d.logs(), "\"event\":\"job_done\"");
    }
};

TEST_F(ScreeningTest, DecisionsBecomeTagsAndNotesWithTheCaseLink) {
    configure("notes: { notify_on: [REJECT] }\n");
    start();
    for (const char* label : {"accept", "review", "reject"}) {
        EXPECT_EQ(submit(label), "accepted") << label;
    }
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 3; })) << daemon_->logs();

    EXPECT_EQ(tags_of("accept"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    EXPECT_EQ(tags_of("reject"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    for (const char* label : {"accept", "review", "reject"}) {
        const auto eval_id = eval_id_of(label);
        ASSERT_TRUE(eval_id.has_value()) << label;
        const auto notes = notes_of(label);
        ASSERT_EQ(notes.size(), 1U) << label;
        EXPECT_NE(
            notes[0].content.find(std::string(case_base) + "/workforce_verification/" + *eval_id),
            std::string::npos)
            << notes[0].content;
        EXPECT_EQ(notes[0].send_notifications, std::string(label) == "reject") << label;
    }
    EXPECT_NE(notes_of("accept")[0].content.find("ACCEPT"), std::string::npos);
    EXPECT_NE(notes_of("review")[0].content.find("REVIEW"), std::string::npos);
    const std::string reject_note = notes_of("reject")[0].content;
    EXPECT_NE(reject_note.find("REJECT"), std::string::npos);
    EXPECT_NE(reject_note.find("<code>R"), std::string::npos) << reject_note;

    // The mapped request: E.164 phone, split name, address from location and custom fields.
    const auto request = riskos_.request_json(*eval_id_of("accept"));
    ASSERT_TRUE(request.has_value());
    const json r = json::parse(*request);
    EXPECT_EQ(r["id"], "rb-screening-" + sample("accept").application_id);
    EXPECT_EQ(r["workflow"], "workforce_verification");
    EXPECT_EQ(r["data"]["event_type"], "application_submitted");
    EXPECT_EQ(r["data"]["event_category"], "workforce_verification");
    EXPECT_EQ(r["data"]["ip_address"], "203.0.113.11");
    const json& ind = r["data"]["individual"];
    EXPECT_EQ(ind["given_name"], "Ada");
    EXPECT_EQ(ind["family_name"], "Lovelace");
    EXPECT_EQ(ind["email"], "accept.ada@example.com");
    EXPECT_EQ(ind["phone_number"], "+14155550101");
    EXPECT_EQ(ind["address"]["line_1"], "101 Market St");
    EXPECT_EQ(ind["address"]["locality"], "San Francisco");
    EXPECT_EQ(ind["address"]["major_admin_division"], "CA");
    EXPECT_EQ(ind["address"]["postal_code"], "94105");
    EXPECT_EQ(ind["address"]["country"], "US");
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 3);
}

TEST_F(ScreeningTest, PausedEvaluationIsRecordedPendingForTheRiskosWebhook) {
    configure();
    start();
    EXPECT_EQ(submit("docv"), "accepted");  // the simulator pauses it for a DocV step-up
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 1; })) << daemon_->logs();
    EXPECT_TRUE(tags_of("docv").empty());
    EXPECT_TRUE(notes_of("docv").empty());
    const auto eval_id = eval_id_of("docv");
    ASSERT_TRUE(eval_id.has_value());
    ASSERT_EQ(daemon_->terminate(15s), std::optional<int>(0));
    auto st = store::make_sqlite_store({dir_.file("screening.db")}, system_clock());
    ASSERT_TRUE(st.has_value());
    auto rec = (*st)->find_evaluation(*eval_id);
    (*st)->shutdown();
    ASSERT_TRUE(rec.has_value() && rec->has_value());
    EXPECT_EQ((*rec)->state, store::evaluation_state::pending);
    EXPECT_EQ((*rec)->flow, "screening");
    EXPECT_EQ((*rec)->application_id, sample("docv").application_id);
    EXPECT_EQ((*rec)->candidate_id, sample("docv").candidate_id);
    EXPECT_NE((*rec)->job, 0);
}

TEST_F(ScreeningTest, NoConsentMeansNoRiskosCallAndANote) {
    configure("consent: { required: true, tag: NO_CONSENT }\n");
    start();
    EXPECT_EQ(submit("no-consent"), "accepted");
    EXPECT_EQ(submit("review"), "accepted");  // consent given as the select value "I Consent"
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 2; })) << daemon_->logs();
    EXPECT_FALSE(eval_id_of("no-consent").has_value());
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 1);
    EXPECT_EQ(tags_of("no-consent"), std::vector<std::string>{"NO_CONSENT"});
    const auto notes = notes_of("no-consent");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_NE(notes[0].content.find("not run: no consent"), std::string::npos) << notes[0].content;
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
}

TEST_F(ScreeningTest, MissingPhoneMeansNoCallAndAClearNote) {
    configure();
    start();
    EXPECT_EQ(submit("no-phone"), "accepted");
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 1; })) << daemon_->logs();
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 0);
    EXPECT_TRUE(tags_of("no-phone").empty());
    const auto notes = notes_of("no-phone");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_NE(notes[0].content.find("missing phone"), std::string::npos) << notes[0].content;
    ASSERT_EQ(daemon_->terminate(15s), std::optional<int>(0));
    const auto jobs = stored_jobs();
    ASSERT_EQ(jobs.size(), 1U);
    EXPECT_EQ(jobs[0].state, store::job_state::done);
}

TEST_F(ScreeningTest, DuplicatesAndAHiresRelatedWebhooksGiveOneEvaluation) {
    // Every action of a hire is a screening trigger here: still one evaluation.
    configure(
        "triggers:\n"
        "  - { action: applicationSubmit, flow: screening }\n"
        "  - { action: candidateHire, flow: screening }\n"
        "  - { action: applicationUpdate, flow: screening }\n"
        "  - { action: candidateStageChange, stage: hired, flow: screening }\n");
    start();
    const std::string app = sample("accept").application_id;
    const auto submit_body = ashby_.webhook_body("applicationSubmit", app);
    ASSERT_TRUE(submit_body);
    EXPECT_EQ(send(*submit_body), "accepted");
    EXPECT_EQ(send(*submit_body), "duplicate");  // Ashby's retry of the same delivery

    // The hire: candidateHire, candidateStageChange, applicationUpdate sharing one id.
    ASSERT_TRUE(ashby_.set_application_stage(app, "Hired", "Hired", "Hired"));
    const std::string action_id = "hire-0b9f6c1e-7a43-4c1d-9d1e-1a2b3c4d5e6f";
    for (const char* action : {"candidateHire", "candidateStageChange", "applicationUpdate"}) {
        auto body = ashby_.webhook_body(action, app);
        ASSERT_TRUE(body) << action;
        json j = json::parse(*body);
        j["webhookActionId"] = action_id;
        // A new delivery (another action), stored and joined to the flow's one job.
        EXPECT_EQ(send(j.dump()), "accepted") << action;
        EXPECT_EQ(send(j.dump()), "duplicate") << action;  // and its retry is a replay
    }
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 1; })) << daemon_->logs();
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 1);
    EXPECT_EQ(riskos_.eval_ids().size(), 1U);
    EXPECT_EQ(notes_of("accept").size(), 1U);
    EXPECT_EQ(stored_jobs().size(), 1U);
}

TEST_F(ScreeningTest, TransientFailuresRetryAndCompleteWithOneNote) {
    configure();
    sim::fault_settings ashby_faults;
    ashby_faults.error_rate = 0.15;
    ashby_faults.rate_limit_rate = 0.05;
    ashby_faults.retry_after_seconds = 0;
    ashby_faults.lost_reply_rate = 0.1;
    ashby_.faults().set(ashby_faults);
    ashby_.faults().reseed(11);
    sim::fault_settings riskos_faults;
    riskos_faults.error_rate = 0.2;
    riskos_faults.lost_reply_rate = 0.15;
    riskos_.faults().set(riskos_faults);
    riskos_.faults().reseed(12);
    start();
    for (const char* label : {"accept", "review", "reject"}) {
        EXPECT_EQ(submit(label), "accepted");
    }
    const auto finished = [&] {
        return jobs_done(*daemon_) + count_of(daemon_->logs(), "\"event\":\"job_dead\"");
    };
    ASSERT_TRUE(eventually([&] { return finished() >= 3; }, 30s)) << daemon_->logs();
    ASSERT_EQ(jobs_done(*daemon_), 3U) << daemon_->logs();
    for (const char* label : {"accept", "review", "reject"}) {
        EXPECT_EQ(notes_of(label).size(), 1U) << label;
        EXPECT_EQ(tags_of(label).size(), 1U) << label;
    }
    EXPECT_EQ(riskos_.eval_ids().size(), 3U);
    const std::string logs = daemon_->logs();
    EXPECT_GT(count_of(logs, "\"event\":\"job_retry\""), 0U);
    const auto counts = ashby_.faults().counts();
    const auto faulted = [&](sim::fault f) {
        const auto it = counts.find(f);
        return it == counts.end() ? std::uint64_t{0} : it->second;
    };
    EXPECT_GT(faulted(sim::fault::lost_reply) + faulted(sim::fault::error_500), 0U);
}

TEST_F(ScreeningTest, LostNoteReplyIsFoundNotWrittenTwice) {
    configure();
    // application.info, candidate.info, candidateTag.create, candidate.addTag answer normally;
    // candidate.createNote writes the note and its answer is lost.
    ashby_.faults().force_next({sim::fault::none, 0ms}, 4);
    ashby_.faults().force_next({sim::fault::lost_reply, 0ms}, 1);
    start();
    EXPECT_EQ(submit("accept"), "accepted");
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 1; })) << daemon_->logs();
    EXPECT_EQ(notes_of("accept").size(), 1U);
    EXPECT_EQ(ashby_.calls("candidate.createNote"), 1);
    EXPECT_GE(ashby_.calls("candidate.listNotes"), 1);
}

TEST_F(ScreeningTest, AshbyRejectingTheKeyKillsTheJobWithTheReason) {
    configure({}, "not-the-right-key");
    start();
    EXPECT_EQ(submit("accept"), "accepted");
    ASSERT_TRUE(eventually([&] {
        return count_of(daemon_->logs(), "\"event\":\"job_dead\"") >= 1;
    })) << daemon_->logs();
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 0);
    EXPECT_EQ(ashby_.calls("application.info"), 1);  // no retry of a permanent failure
    ASSERT_EQ(daemon_->terminate(15s), std::optional<int>(0));
    const auto jobs = stored_jobs();
    ASSERT_EQ(jobs.size(), 1U);
    EXPECT_EQ(jobs[0].state, store::job_state::dead);
    EXPECT_NE(jobs[0].last_error.find("403"), std::string::npos) << jobs[0].last_error;
    EXPECT_NE(jobs[0].last_error.find("missing_endpoint_permission"), std::string::npos)
        << jobs[0].last_error;
    EXPECT_NE(jobs[0].last_error.find("application.info"), std::string::npos) << jobs[0].last_error;
}

TEST_F(ScreeningTest, KillNineAfterTheNoteIsWrittenGivesOneEvaluationAndOneNote) {
    configure();
    // The note is written, then its answer is held back: the daemon is killed while waiting.
    ashby_.faults().force_next({sim::fault::none, 0ms}, 4);
    ashby_.faults().force_next({sim::fault::none, 60s}, 1);
    first_ = start_daemon("first.log");
    EXPECT_EQ(submit("reject", first_.get()), "accepted");
    ASSERT_TRUE(eventually([&] { return notes_of("reject").size() == 1; })) << first_->logs();
    ASSERT_EQ(ashby_.calls("candidate.createNote"), 1);
    first_->send_signal(SIGKILL);
    ASSERT_EQ(first_->wait_exit(10s), std::optional<int>(128 + SIGKILL));

    daemon_ = start_daemon("second.log");
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 1; })) << daemon_->logs();
    EXPECT_EQ(notes_of("reject").size(), 1U);
    EXPECT_EQ(ashby_.calls("candidate.createNote"), 1);  // found by its marker
    EXPECT_GE(ashby_.calls("candidate.listNotes"), 1);
    EXPECT_EQ(riskos_.eval_ids().size(), 1U);
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 1);  // the checkpoint had the evaluation
    EXPECT_EQ(tags_of("reject"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
}

TEST_F(ScreeningTest, KillNineWhileRiskosAnswersReRunsTheSameEvaluation) {
    configure();
    // RiskOS starts the evaluation and holds its answer back; the daemon is killed meanwhile.
    riskos_.faults().force_next({sim::fault::none, 60s}, 1);
    first_ = start_daemon("first.log");
    EXPECT_EQ(submit("review", first_.get()), "accepted");
    ASSERT_TRUE(eventually([&] { return riskos_.eval_ids().size() == 1; })) << first_->logs();
    first_->send_signal(SIGKILL);
    ASSERT_EQ(first_->wait_exit(10s), std::optional<int>(128 + SIGKILL));
    EXPECT_TRUE(notes_of("review").empty());

    daemon_ = start_daemon("second.log");
    ASSERT_TRUE(eventually([&] { return jobs_done(*daemon_) >= 1; })) << daemon_->logs();
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 2);  // the same id again: a re-run
    EXPECT_EQ(riskos_.eval_ids().size(), 1U);
    EXPECT_EQ(notes_of("review").size(), 1U);
    EXPECT_EQ(tags_of("review"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
}

TEST_F(ScreeningTest, PreviewPrintsTheMaskedRequestAndTheConsentResult) {
    configure("consent: { required: true }\n");
    const auto ok = run_riskbridge(
        {"preview", "--config", config_path_, "--application", sample("accept").application_id});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("consent:     given"), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("missing:     none"), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("\"a***@example.com\""), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("\"A**\""), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("\"workforce_verification\""), std::string::npos) << ok.output;
    for (const char* pii : {"Lovelace", "accept.ada", "5550101", "Market", "94105"}) {
        EXPECT_EQ(ok.output.find(pii), std::string::npos) << pii << "\n" << ok.output;
    }

    const auto blocked = run_riskbridge(
        {"preview", "--config", config_path_, "--application", sample("no-phone").application_id});
    EXPECT_EQ(blocked.exit_code, 3) << blocked.output;
    EXPECT_NE(blocked.output.find("missing:     phone (phone_number)"), std::string::npos)
        << blocked.output;
    const auto no_consent = run_riskbridge({"preview", "--config", config_path_, "--application",
                                            sample("no-consent").application_id});
    EXPECT_EQ(no_consent.exit_code, 3) << no_consent.output;
    EXPECT_NE(no_consent.output.find("consent:     refused"), std::string::npos)
        << no_consent.output;
    const auto unknown =
        run_riskbridge({"preview", "--config", config_path_, "--application", "nope"});
    EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"), 0);
}

}  // namespace
}  // namespace riskbridge::testing
