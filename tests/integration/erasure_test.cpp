// Erasure end to end: the real daemon (build/riskbridge serve, store encrypted) with the Ashby
// and RiskOS simulators in this process. Two applicants are screened; one is hired (document
// verification waiting for the capture) and then deleted in Ashby: a signed candidateDelete
// webhook. Within 10 s of its 200, the database files (with the WAL) hold nothing that names
// the deleted candidate while the other's evaluation stays; the capture that completes later
// is acknowledged and writes nothing to Ashby. Then candidateMerge moves the other applicant
// to a surviving candidate id, and `riskbridge erase` erases that one on demand.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "sim_daemon_fixture.hpp"
#include "support/bytes.hpp"
#include "support/daemon_process.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* webhook_token = "t-erasure-0123456789";

struct applicant {
    std::string candidate_id, application_id, name, email;
};

const applicant deleted{"c0000000-0000-4000-8000-0000000000d1",
                        "a0000000-0000-4000-8000-0000000000d1", "Ottoline Brackenbury",
                        "accept.ottoline@erasure.test"};
const applicant kept{"c0000000-0000-4000-8000-0000000000d2", "a0000000-0000-4000-8000-0000000000d2",
                     "Peregrine Mallowby", "accept.peregrine@erasure.test"};
constexpr const char* survivor = "c0000000-0000-4000-8000-0000000000d3";

class ErasureTest : public sim_daemon_fixture {
protected:
    ErasureTest() : sim_daemon_fixture("erasure") {}

    void SetUp() override {
        sim_daemon_fixture::SetUp();
        ASSERT_FALSE(HasFatalFailure());
        for (const applicant* a : {&deleted, &kept}) {
            sim::candidate_seed c;
            c.id = a->candidate_id;
            c.name = a->name;
            c.emails = {a->email};
            c.phones = {"+1 415 555 0188"};
            c.city = "Wobbleton";
            c.region = "California";
            c.country = "United States";
            ashby_.add_candidate(c);
            sim::application_seed app;
            app.id = a->application_id;
            app.candidate_id = a->candidate_id;
            ashby_.add_application(app);
        }
        write_config(webhook_token, "2026-12");
    }

    /// Sends a signed webhook; returns the HTTP status and the body's "status".
    std::pair<int, std::string> post(const std::string& body) {
        auto r = ashby_.send_webhook(daemon_url("/webhooks/ashby"), body);
        EXPECT_TRUE(r.has_value());
        if (!r) {
            return {0, ""};
        }
        return {r->status, json::parse(r->body, nullptr, false).value("status", "")};
    }

    std::string send(const std::string& action, const applicant& a) {
        auto body = ashby_.webhook_body(action, a.application_id);
        EXPECT_TRUE(body.has_value());
        return body ? post(*body).second : std::string{};
    }

    bool has_tag(const applicant& a, const std::string& tag) const {
        const auto tags = ashby_.tags_of(a.candidate_id);
        return std::find(tags.begin(), tags.end(), tag) != tags.end();
    }
};

TEST_F(ErasureTest, CandidateDeleteLeavesNoTraceWithinTenSecondsAndLaterEventsWriteNothing) {
    start_daemon();
    ASSERT_FALSE(HasFatalFailure());
    riskos_.set_webhook_target(daemon_url("/webhooks/riskos"), webhook_token);

    // Both screened; the first one hired: document verification waits for the capture.
    for (const applicant* a : {&deleted, &kept}) {
        ASSERT_EQ(send("applicationSubmit", *a), "accepted");
    }
    ASSERT_TRUE(eventually([&] {
        return has_tag(deleted, "LOW_RISK_IDENTITY") && has_tag(kept, "LOW_RISK_IDENTITY");
    })) << daemon_->logs();
    ASSERT_EQ(send("candidateHire", deleted), "accepted");
    const std::string docv_request = "rb-document_verification-" + deleted.application_id;
    ASSERT_TRUE(eventually([&] {
        const auto notes = ashby_.notes_of(deleted.candidate_id);
        return riskos_.eval_id_for(docv_request).has_value() &&
               std::any_of(notes.begin(), notes.end(), [](const sim::sim_note& n) {
                   return contains(n.content, "document verification requested");
               });
    })) << daemon_->logs();
    const std::string docv_eval = *riskos_.eval_id_for(docv_request);
    {
        // The control: the store does hold the candidate before the erasure.
        const std::string before = database_bytes();
        ASSERT_TRUE(contains(before, deleted.candidate_id));
        ASSERT_TRUE(contains(before, deleted.application_id));
    }

    // Ashby deletes the candidate (no trigger is configured for it: handled all the same).
    const json del = {{"action", "candidateDelete"},
                      {"webhookActionId", "wa-erasure-1"},
                      {"data", {{"candidate", {{"id", deleted.candidate_id}}}}}};
    const auto answered_at = std::chrono::steady_clock::now();
    const auto [status, outcome] = post(del.dump());
    ASSERT_EQ(status, 200);
    EXPECT_EQ(outcome, "accepted");
    const bool erased = eventually(
        [&] {
            const std::string bytes = database_bytes();
            return !contains(bytes, deleted.candidate_id) &&
                   !contains(bytes, deleted.application_id);
        },
        10s, 50ms);
    const auto took = std::chrono::steady_clock::now() - answered_at;
    ASSERT_TRUE(erased) << "still in the store 10 s after the 200\n" << daemon_->logs();
    EXPECT_LT(took, 10s);
    const std::string after = database_bytes();
    EXPECT_TRUE(contains(after, kept.candidate_id)) << "the other candidate's data stays";
    EXPECT_TRUE(contains(daemon_->logs(), "\"event\":\"candidate_erased\"")) << daemon_->logs();

    // The capture completes after the erasure: RiskOS's events are acknowledged, and nothing
    // is written to Ashby for the erased candidate.
    const auto tags_before = ashby_.tags_of(deleted.candidate_id);
    const auto notes_before = ashby_.notes_of(deleted.candidate_id).size();
    const auto sent = riskos_.run_docv(docv_eval);
    ASSERT_FALSE(sent.empty());
    for (const auto& d : sent) {
        EXPECT_TRUE(d.delivered()) << d.event_type << " " << d.error;
    }
    ASSERT_TRUE(eventually([&] {
        return contains(daemon_->logs(), "\"event\":\"riskos_event_late\"") &&
               contains(daemon_->logs(), "\"event_type\":\"evaluation_completed\"");
    })) << daemon_->logs();
    // Every event job has ended: no job is queued or waiting any more.
    ASSERT_TRUE(eventually([&] {
        const auto listed =
            run_riskbridge({"jobs", "list", "--config", config_path_, "--state", "queued"}, env());
        const auto waiting = run_riskbridge(
            {"jobs", "list", "--config", config_path_, "--state", "retry_wait"}, env());
        return listed.exit_code == 0 && waiting.exit_code == 0 &&
               !contains(listed.output, "riskos_event") &&
               !contains(waiting.output, "riskos_event");
    })) << daemon_->logs();
    EXPECT_EQ(ashby_.tags_of(deleted.candidate_id), tags_before);
    EXPECT_EQ(ashby_.notes_of(deleted.candidate_id).size(), notes_before);
    EXPECT_FALSE(has_tag(deleted, "DOCUMENT_VERIFICATION_PASSED"));
    EXPECT_FALSE(contains(database_bytes(), deleted.candidate_id));
}

TEST_F(ErasureTest, CandidateMergeMovesTheRowsAndEraseOnDemandPrintsWhatItErased) {
    start_daemon();
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(send("applicationSubmit", kept), "accepted");
    ASSERT_TRUE(eventually([&] { return has_tag(kept, "LOW_RISK_IDENTITY"); })) << daemon_->logs();
    const auto eval = riskos_.eval_id_for("rb-screening-" + kept.application_id);
    ASSERT_TRUE(eval.has_value());

    // Ashby merges the screened candidate into another one.
    const json merge = {{"action", "candidateMerge"},
                        {"webhookActionId", "wa-merge-1"},
                        {"data",
                         {{"deletedCandidate", {{"id", kept.candidate_id}}},
                          {"mergedCandidate", {{"id", survivor}}}}}};
    ASSERT_EQ(post(merge.dump()), (std::pair<int, std::string>{200, "accepted"}));
    ASSERT_TRUE(eventually([&] {
        const auto shown = run_riskbridge(
            {"evaluations", "show", "--config", config_path_, "--candidate", survivor}, env());
        return shown.exit_code == 0 && contains(shown.output, *eval);
    })) << daemon_->logs();
    const auto old_id = run_riskbridge(
        {"evaluations", "show", "--config", config_path_, "--candidate", kept.candidate_id}, env());
    EXPECT_NE(old_id.exit_code, 0) << "nothing is held under the deleted id any more\n"
                                   << old_id.output;

    // An erasure request, on demand, while the daemon runs.
    const auto erased =
        run_riskbridge({"erase", "--candidate", survivor, "--config", config_path_}, env());
    EXPECT_EQ(erased.exit_code, 0) << erased.output;
    EXPECT_TRUE(contains(erased.output, "erased")) << erased.output;
    EXPECT_TRUE(contains(erased.output, "evaluations:        1")) << erased.output;
    EXPECT_FALSE(contains(erased.output, "jobs:               0 ")) << erased.output;
    const std::string bytes = database_bytes();
    EXPECT_FALSE(contains(bytes, survivor));
    EXPECT_FALSE(contains(bytes, kept.candidate_id));
    EXPECT_FALSE(contains(bytes, kept.application_id));

    // Again, and for someone never seen: nothing held, still exit 0.
    for (const std::string& id : {std::string(survivor), std::string("c-never-seen")}) {
        const auto again =
            run_riskbridge({"erase", "--candidate", id, "--config", config_path_}, env());
        EXPECT_EQ(again.exit_code, 0) << again.output;
        EXPECT_TRUE(contains(again.output, "nothing held")) << again.output;
    }
}

}  // namespace
}  // namespace riskbridge::testing
