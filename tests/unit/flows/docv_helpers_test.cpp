// The DocV helpers: progress notes, states, statuses, the finish request (never document
// data) and the DocV notes.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/finish_request.hpp"
#include "riskbridge/flows/notes.hpp"
#include "support/paths.hpp"

namespace riskbridge::flows {
namespace {

using nlohmann::json;

std::string seed_completed() {
    std::ifstream in(riskbridge::testing::fixtures_dir() +
                     "/riskos_webhooks/evaluation_completed_accept.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(CaseNotes, RiskosTextsAndTheOlderEventTypesAreRecognised) {
    EXPECT_EQ(parse_case_note("Process Initiated"), case_note::process_initiated);
    EXPECT_EQ(parse_case_note("WAITING_FOR_USER_TO_REDIRECT"), case_note::process_initiated);
    EXPECT_EQ(parse_case_note("Capture App Opened"), case_note::app_opened);
    EXPECT_EQ(parse_case_note("APP_OPENED"), case_note::app_opened);
    EXPECT_EQ(parse_case_note("Document Front Uploaded"), case_note::front_uploaded);
    EXPECT_EQ(parse_case_note("Document Back Uploaded"), case_note::back_uploaded);
    EXPECT_EQ(parse_case_note("Document Selfie Uploaded"), case_note::selfie_uploaded);
    EXPECT_EQ(parse_case_note("Documents Upload Successful"), case_note::upload_successful);
    EXPECT_EQ(parse_case_note("session complete"), case_note::session_complete);
    EXPECT_EQ(parse_case_note("Consent Declined"), case_note::consent_declined);
    EXPECT_EQ(parse_case_note("CONSENT_DECLINED"), case_note::consent_declined);
    EXPECT_EQ(parse_case_note("Session Expired"), case_note::session_expired);
    EXPECT_EQ(parse_case_note("SESSION_EXPIRED"), case_note::session_expired);
    EXPECT_EQ(parse_case_note("Looks fine to me, approving"), case_note::other);
    EXPECT_EQ(parse_case_note(""), case_note::other);
    EXPECT_TRUE(is_terminal_negative(case_note::consent_declined));
    EXPECT_TRUE(is_terminal_negative(case_note::session_expired));
    EXPECT_FALSE(is_terminal_negative(case_note::session_complete));
    EXPECT_FALSE(is_terminal_negative(case_note::upload_successful));
    EXPECT_STREQ(to_string(case_note::front_uploaded), "Document Front Uploaded");
}

TEST(States, WaitingAndFinalStates) {
    EXPECT_TRUE(is_waiting_state(store::evaluation_state::pending));
    EXPECT_TRUE(is_waiting_state(store::evaluation_state::requested));
    EXPECT_FALSE(is_waiting_state(store::evaluation_state::deciding));
    EXPECT_FALSE(is_waiting_state(store::evaluation_state::completed));
    for (auto s : {store::evaluation_state::completed, store::evaluation_state::declined,
                   store::evaluation_state::expired}) {
        EXPECT_TRUE(is_final_state(s)) << store::to_string(s);
    }
    EXPECT_FALSE(is_final_state(store::evaluation_state::deciding));
    EXPECT_FALSE(is_final_state(store::evaluation_state::requested));
    EXPECT_EQ(final_state_for(finish_outcome::declined), store::evaluation_state::declined);
    EXPECT_EQ(final_state_for(finish_outcome::expired), store::evaluation_state::expired);
    EXPECT_EQ(final_state_for(finish_outcome::decision), store::evaluation_state::completed);
}

TEST(Statuses, DecisionsAndRecordsMapToTheCandidateStatus) {
    EXPECT_EQ(status_for_decision("ACCEPT"), verification_status::passed);
    EXPECT_EQ(status_for_decision("REJECT"), verification_status::failed);
    EXPECT_EQ(status_for_decision("REVIEW"), verification_status::review);
    EXPECT_EQ(status_for_decision("RESUBMIT"), verification_status::review);
    EXPECT_STREQ(to_string(verification_status::in_progress), "in progress");
    store::evaluation_record r;
    r.state = store::evaluation_state::requested;
    EXPECT_EQ(status_for_record(r), verification_status::requested);
    r.state = store::evaluation_state::deciding;
    EXPECT_EQ(status_for_record(r), std::nullopt);
    r.state = store::evaluation_state::expired;
    EXPECT_EQ(status_for_record(r), verification_status::failed);
    r.state = store::evaluation_state::completed;
    r.decision = "ACCEPT";
    EXPECT_EQ(status_for_record(r), verification_status::passed);
    EXPECT_FALSE(is_final_status(verification_status::in_progress));
    EXPECT_TRUE(is_final_status(verification_status::review));
}

TEST(FinishRequest, FromTheSeedEvaluationKeepsTheResultAndNoDocumentData) {
    const json event = json::parse(seed_completed());
    auto eval = clients::riskos::parse_evaluation(event["data"]);
    ASSERT_TRUE(eval.has_value()) << eval.error().message;
    const finish_request f = finish_from_evaluation(*eval, "evaluation_completed");
    EXPECT_EQ(f.eval_id, "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(f.decision, "ACCEPT");
    EXPECT_EQ(f.workflow, "consumer_onboarding");
    ASSERT_TRUE(f.docv.has_value());
    EXPECT_EQ(f.docv->decision_value, "accept");
    EXPECT_EQ(f.docv->reason_codes, (std::vector<std::string>{"I831", "I836"}));
    EXPECT_EQ(f.docv->document.type, std::optional<std::string>("Drivers License"));

    const std::string text = to_json_text(f);
    for (const char* pii : {"TST1234567", "1990-01-01", "Test User", "2030-01-01", "203.0.113.10",
                            "documentData", "New York"}) {
        EXPECT_EQ(text.find(pii), std::string::npos) << pii;
    }
    const auto back = parse_finish_request(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->eval_id, f.eval_id);
    EXPECT_EQ(back->decision, "ACCEPT");
    EXPECT_EQ(back->outcome, finish_outcome::decision);
    EXPECT_EQ(back->source, "evaluation_completed");
    EXPECT_EQ(back->reasons, f.reasons);
    ASSERT_TRUE(back->docv.has_value());
    EXPECT_EQ(back->docv->decision, clients::riskos::decision::accept);
    EXPECT_EQ(back->docv->reason_codes, f.docv->reason_codes);
    EXPECT_EQ(back->docv->document.country, std::optional<std::string>("USA"));
    EXPECT_EQ(back->docv->document.state, std::optional<std::string>("NY"));

    EXPECT_EQ(finish_note_details(f, std::chrono::hours(24)),
              (std::vector<std::string>{"Document verification result: accept",
                                        "Document: Drivers License (USA, NY)"}));
}

TEST(FinishRequest, DeclinedAndExpiredSayWhy) {
    finish_request f;
    f.eval_id = "e";
    f.outcome = finish_outcome::declined;
    const auto d = finish_note_details(f, std::chrono::hours(24));
    ASSERT_EQ(d.size(), 1U);
    EXPECT_NE(d[0].find("Consent Declined"), std::string::npos);
    f.outcome = finish_outcome::expired;
    f.source = "link_expired";
    EXPECT_NE(finish_note_details(f, std::chrono::hours(48))[0].find("valid for 48 hours"),
              std::string::npos);
    f.source = "case_notes_added";
    EXPECT_NE(finish_note_details(f, std::chrono::hours(24))[0].find("Session Expired"),
              std::string::npos);
    const auto back = parse_finish_request(to_json_text(f));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->outcome, finish_outcome::expired);
    EXPECT_FALSE(back->docv.has_value());
}

TEST(FinishRequest, GarbageIsNotAFinishRequest) {
    EXPECT_FALSE(parse_finish_request("").has_value());
    EXPECT_FALSE(parse_finish_request("{\"outcome\":\"declined\"}").has_value());
    EXPECT_FALSE(parse_finish_request("[1,2]").has_value());
    EXPECT_FALSE(parse_finish_request("{\"eval_id\": 5}").has_value());
    EXPECT_EQ(finish_job_key("abc"), "finish:abc");
}

TEST(DocvNotes, TheRequestedNoteHasTheLinkOnlyWhenGivenAndEscapesIt) {
    const time_point expires{std::chrono::seconds(1'700'086'400)};
    const std::string without =
        render_docv_requested_note("e-1", "https://riskos.example/cases/wf/e-1", expires, true,
                                   std::nullopt, "rb-x/requested");
    EXPECT_NE(without.find("document verification requested"), std::string::npos);
    EXPECT_NE(without.find(format_rfc3339(expires)), std::string::npos);
    EXPECT_NE(without.find("riskbridge:ref rb-x/requested"), std::string::npos);
    EXPECT_EQ(without.find("verify.socure.com"), std::string::npos);
    const std::string with = render_docv_requested_note(
        "e-1", "", expires, false, std::string("https://verify.socure.com/#/dv/t\"<x>"), "r");
    EXPECT_NE(with.find("https://verify.socure.com/#/dv/t&quot;&lt;x&gt;"), std::string::npos)
        << with;
    EXPECT_EQ(with.find("<x>"), std::string::npos);
    const std::string skipped = render_docv_skipped_note("missing <phone>", "r");
    EXPECT_NE(skipped.find("missing &lt;phone&gt;"), std::string::npos);
}

}  // namespace
}  // namespace riskbridge::flows
