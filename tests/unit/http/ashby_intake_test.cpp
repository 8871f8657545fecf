// The Ashby intake as a function from a request to a decision: no socket, store or thread.
// Each case checks the decision's contents: delivery key, job kind, unique key, subject,
// payload fields, quarantine reason, the refusal's answer.

#include "riskbridge/http/ashby_intake.hpp"

#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/security/digest.hpp"
#include "webhook_requests.hpp"

namespace riskbridge::http {
namespace {

using nlohmann::json;
using testing::ashby_post;

constexpr const char* secret = "intake-test-secret";

json submit(const std::string& action_id, const std::string& app = "app-1") {
    return {{"webhookActionId", action_id},
            {"action", "applicationSubmit"},
            {"data",
             {{"application",
               {{"id", app}, {"candidate", {{"id", "cand-1"}, {"name", "Ada Lovelace"}}}}}}}};
}

class AshbyIntakeTest : public ::testing::Test {
protected:
    AshbyIntakeTest() : cfg_(testing::webhook_config(secret)) {
        cfg_.triggers = {{"applicationSubmit", std::nullopt, config::flow_kind::screening},
                         {"candidateStageChange", std::string("Offer"),
                          config::flow_kind::document_verification}};
    }

    intake_decision decide(const request& r) const { return ashby_intake(cfg_, r, now_); }
    intake_decision decide_signed(const std::string& body) const {
        return decide(ashby_post(body, secret));
    }

    /// The decision, which must be a `T`.
    template <class T>
    T expect(const intake_decision& d) const {
        EXPECT_TRUE(std::holds_alternative<T>(d)) << "decision #" << d.index();
        return std::holds_alternative<T>(d) ? std::get<T>(d) : T{};
    }
    std::string quarantine_reason(const std::string& body) const {
        return expect<quarantine_decision>(decide_signed(body)).reason;
    }

    config::config cfg_;
    time_point now_ = time_point{std::chrono::seconds{1'700'000'000}};
};

TEST_F(AshbyIntakeTest, ATriggeredActionIsAFlowJobWithIdsOnly) {
    json body = submit("w-1");
    body["data"]["application"]["submitterClientIp"] = "203.0.113.9";
    const auto d = expect<enqueue_decision>(decide(ashby_post(body.dump(), secret, "req-7")));
    EXPECT_EQ(d.request.delivery.source, "ashby");
    EXPECT_EQ(d.request.delivery.key, "w-1:applicationSubmit");
    ASSERT_TRUE(d.request.job.has_value());
    const store::new_job& job = *d.request.job;
    EXPECT_EQ(job.kind, "screening");
    EXPECT_EQ(job.correlation_id, "ashby:w-1:applicationSubmit");
    EXPECT_EQ(job.unique_key, std::optional<std::string>("screening:app-1"));
    EXPECT_EQ(job.subject, std::optional<std::string>("cand-1"));
    const json payload = json::parse(job.payload);
    EXPECT_EQ(payload, (json{{"source", "ashby"},
                             {"action", "applicationSubmit"},
                             {"webhook_action_id", "w-1"},
                             {"delivery", "w-1:applicationSubmit"},
                             {"flow", "screening"},
                             {"application_id", "app-1"},
                             {"candidate_id", "cand-1"},
                             {"request_id", "req-7"},
                             {"received_at", format_rfc3339(now_)},
                             {"submitter_client_ip", "203.0.113.9"}}));
    EXPECT_EQ(job.payload.find("Lovelace"), std::string::npos);
    EXPECT_EQ(d.ids.source, "ashby");
    EXPECT_EQ(d.ids.action, "applicationSubmit");
    EXPECT_EQ(d.ids.delivery, "w-1:applicationSubmit");
    EXPECT_EQ(d.ids.application_id, "app-1");
    EXPECT_EQ(d.ids.candidate_id, "cand-1");
    EXPECT_EQ(d.ids.eval_id, "");
}

TEST_F(AshbyIntakeTest, WithoutAWebhookActionIdTheDeliveryIsTheBodysHash) {
    json body = submit("x");
    body.erase("webhookActionId");
    const std::string text = body.dump();
    const auto d = expect<enqueue_decision>(decide_signed(text));
    EXPECT_EQ(d.request.delivery.key, "sha256:" + security::sha256_hex(text));
    ASSERT_TRUE(d.request.job);
    EXPECT_EQ(json::parse(d.request.job->payload)["webhook_action_id"], "");
}

TEST_F(AshbyIntakeTest, TheSubmitterIpIsKeptOnlyWhenItIsShortAndNotEmpty) {
    for (const auto& [ip, kept] : {std::pair<std::string, bool>{"", false},
                                   {std::string(max_ip_address_text, '1'), true},
                                   {std::string(max_ip_address_text + 1, '1'), false}}) {
        json body = submit("w-ip");
        body["data"]["application"]["submitterClientIp"] = ip;
        const auto d = expect<enqueue_decision>(decide_signed(body.dump()));
        ASSERT_TRUE(d.request.job);
        EXPECT_EQ(json::parse(d.request.job->payload).contains("submitter_client_ip"), kept)
            << ip.size();
    }
}

TEST_F(AshbyIntakeTest, AnActionNoTriggerNamesIsIgnored) {
    const auto d = expect<ignore_decision>(
        decide_signed(R"({"webhookActionId":"w-2","action":"jobCreate","data":[1,2]})"));
    EXPECT_EQ(d.source, "ashby");
    EXPECT_EQ(d.action, "jobCreate");
    EXPECT_EQ(d.log_action, "jobCreate");
    EXPECT_EQ(d.log_delivery, "w-2:jobCreate");
    EXPECT_EQ(d.answer.status, 200u);
    EXPECT_EQ(json::parse(d.answer.body), (json{{"status", "ignored"}}));

    // What is logged of an odd action or id is a placeholder.
    const auto odd =
        expect<ignore_decision>(decide_signed(R"({"webhookActionId":"a b","action":"no such"})"));
    EXPECT_EQ(odd.action, "no such");
    EXPECT_EQ(odd.log_action, "?");
    EXPECT_EQ(odd.log_delivery, "?");
    EXPECT_EQ(expect<ignore_decision>(decide_signed(R"({"action":"surveySubmit"})")).log_delivery,
              "?");
}

TEST_F(AshbyIntakeTest, AStageTriggerNeedsItsStage) {
    const auto change = [](const std::string& id, const json& stage) {
        json application = {{"id", "app-s" + id}, {"candidate", {{"id", "c"}}}};
        if (!stage.is_null()) {
            application["currentInterviewStage"] = stage;
        }
        return json{{"webhookActionId", id},
                    {"action", "candidateStageChange"},
                    {"data", {{"application", application}}}}
            .dump();
    };
    const auto by_title = expect<enqueue_decision>(
        decide_signed(change("1", {{"title", "offer"}, {"type", "Active"}})));
    ASSERT_TRUE(by_title.request.job);
    EXPECT_EQ(by_title.request.job->kind, "document_verification");
    EXPECT_EQ(by_title.request.job->unique_key,
              std::optional<std::string>("document_verification:app-s1"));
    expect<enqueue_decision>(decide_signed(change("2", {{"title", "Final"}, {"type", "OFFER"}})));
    const auto other = expect<ignore_decision>(
        decide_signed(change("3", {{"title", "Onsite"}, {"type", "Active"}})));
    EXPECT_EQ(other.log_delivery, "3:candidateStageChange");
    expect<ignore_decision>(decide_signed(change("4", nullptr)));
}

TEST_F(AshbyIntakeTest, ABadSignatureIsRefused) {
    request tampered = ashby_post(submit("w-3").dump(), secret);
    tampered.body += " ";
    const auto mismatch = expect<refuse_decision>(decide(tampered));
    EXPECT_EQ(mismatch.source, "ashby");
    EXPECT_EQ(mismatch.reason, "mismatch");
    EXPECT_EQ(mismatch.answer.status, 401u);
    EXPECT_EQ(json::parse(mismatch.answer.body),
              (json{{"error", "invalid_signature"},
                    {"message", "Ashby-Signature does not match the body"}}));

    EXPECT_EQ(
        expect<refuse_decision>(decide(ashby_post(submit("w-3").dump(), "another secret"))).reason,
        "mismatch");
    request malformed = ashby_post("not json", "");
    malformed.headers.emplace_back("Ashby-Signature", "sha256=zz");
    EXPECT_EQ(expect<refuse_decision>(decide(malformed)).reason, "malformed");
}

TEST_F(AshbyIntakeTest, AMissingSignatureIsRefusedUnlessTheBodyIsASmallPing) {
    for (const std::string& body : {submit("w-4").dump(), std::string("not json")}) {
        const auto d = expect<refuse_decision>(decide(ashby_post(body, "")));
        EXPECT_EQ(d.reason, "missing");
        EXPECT_EQ(d.answer.status, 401u);
        EXPECT_EQ(json::parse(d.answer.body)["message"], "missing Ashby-Signature header");
    }
    request empty_header = ashby_post(submit("w-4").dump(), "");
    empty_header.headers.emplace_back("Ashby-Signature", "");
    EXPECT_EQ(expect<refuse_decision>(decide(empty_header)).reason, "missing");

    const auto ping = expect<ping_decision>(
        decide(ashby_post(R"({"action":"ping","data":{"webhookActionType":"ping"}})", "")));
    EXPECT_FALSE(ping.is_signed);
    EXPECT_EQ(ping.answer.status, 200u);
    EXPECT_EQ(json::parse(ping.answer.body), (json{{"status", "ok"}}));

    // A ping bigger than any real one is not parsed unauthenticated.
    json big = {{"action", "ping"}, {"data", std::string(max_unsigned_ping_bytes, 'x')}};
    EXPECT_EQ(expect<refuse_decision>(decide(ashby_post(big.dump(), ""))).reason, "missing");
}

TEST_F(AshbyIntakeTest, ASignedPingIsAnsweredWhateverItsData) {
    const auto d = expect<ping_decision>(decide_signed(R"({"action":"ping","data":[1]})"));
    EXPECT_TRUE(d.is_signed);
    EXPECT_EQ(d.answer.status, 200u);
}

TEST_F(AshbyIntakeTest, SignedButMalformedIsQuarantinedWithItsReason) {
    EXPECT_EQ(quarantine_reason("not json"), "body is not valid JSON");
    EXPECT_EQ(quarantine_reason(std::string(100, '[') + std::string(100, ']')),
              "JSON nested too deeply");
    const std::string not_an_envelope = "not an Ashby webhook envelope (action and data required)";
    EXPECT_EQ(quarantine_reason(R"({"action": 5})"), not_an_envelope);
    EXPECT_EQ(quarantine_reason(R"({"action": ""})"), not_an_envelope);
    EXPECT_EQ(quarantine_reason(R"(["applicationSubmit"])"), not_an_envelope);
    // A triggered action needs its data.
    EXPECT_EQ(quarantine_reason(R"({"webhookActionId":"w-5","action":"applicationSubmit"})"),
              not_an_envelope);
    EXPECT_EQ(quarantine_reason(R"({"action":"applicationSubmit","data":[]})"), not_an_envelope);

    json odd_id = submit("has space");
    EXPECT_EQ(quarantine_reason(odd_id.dump()), "webhookActionId is not a plausible id");
    const std::string ids_required =
        "data.application.id and data.application.candidate.id are required for action "
        "applicationSubmit";
    json no_candidate = submit("w-6");
    no_candidate["data"]["application"].erase("candidate");
    EXPECT_EQ(quarantine_reason(no_candidate.dump()), ids_required);
    EXPECT_EQ(quarantine_reason(submit("w-7", std::string(max_peer_id_chars + 1, 'a')).dump()),
              ids_required);
    // 200 characters is still an id.
    expect<enqueue_decision>(
        decide_signed(submit("w-8", std::string(max_peer_id_chars, 'a')).dump()));
}

TEST_F(AshbyIntakeTest, CandidateDeleteIsAnErasureJobWhateverTheTriggers) {
    const auto d = expect<enqueue_decision>(
        decide_signed(R"({"webhookActionId":"wa-del","action":"candidateDelete",)"
                      R"("data":{"candidate":{"id":"cand-9","name":"Ada"}}})"));
    EXPECT_EQ(d.request.delivery.key, "wa-del:candidateDelete");
    ASSERT_TRUE(d.request.job);
    EXPECT_EQ(d.request.job->kind, store::erase_candidate_kind);
    EXPECT_EQ(d.request.job->correlation_id, "ashby:wa-del:candidateDelete");
    EXPECT_FALSE(d.request.job->unique_key);
    EXPECT_FALSE(d.request.job->subject);
    EXPECT_EQ(json::parse(d.request.job->payload), (json{{"source", "ashby"},
                                                         {"action", "candidateDelete"},
                                                         {"webhook_action_id", "wa-del"},
                                                         {"delivery", "wa-del:candidateDelete"},
                                                         {"request_id", "req-1"},
                                                         {"received_at", format_rfc3339(now_)},
                                                         {"candidate_id", "cand-9"}}));
    EXPECT_EQ(d.ids.candidate_id, "cand-9");
    EXPECT_EQ(d.ids.action, "candidateDelete");
}

TEST_F(AshbyIntakeTest, CandidateMergeIsAMergeJobWithBothIds) {
    const auto d = expect<enqueue_decision>(
        decide_signed(R"({"action":"candidateMerge","data":{"deletedCandidate":{"id":"c-old"},)"
                      R"("mergedCandidate":{"id":"c-new","name":"Ada Lovelace"}}})"));
    EXPECT_EQ(d.request.delivery.key.rfind("sha256:", 0), 0u);
    ASSERT_TRUE(d.request.job);
    EXPECT_EQ(d.request.job->kind, store::merge_candidates_kind);
    const json payload = json::parse(d.request.job->payload);
    EXPECT_EQ(payload["deleted_candidate_id"], "c-old");
    EXPECT_EQ(payload["merged_candidate_id"], "c-new");
    EXPECT_FALSE(payload.contains("candidate_id"));
    EXPECT_EQ(d.request.job->payload.find("Lovelace"), std::string::npos);
    EXPECT_EQ(d.ids.candidate_id, "c-old");
}

TEST_F(AshbyIntakeTest, CandidateChangesWithoutTheirIdsAreQuarantined) {
    const std::string delete_reason = "data.candidate.id is required for action candidateDelete";
    const std::string merge_reason =
        "data.deletedCandidate.id and data.mergedCandidate.id are required for action "
        "candidateMerge";
    EXPECT_EQ(quarantine_reason(R"({"action":"candidateDelete","data":{"candidate":{}}})"),
              delete_reason);
    EXPECT_EQ(quarantine_reason(R"({"action":"candidateDelete","data":{"candidate":{"id":42}}})"),
              delete_reason);
    EXPECT_EQ(quarantine_reason(R"({"action":"candidateDelete","data":"not an object"})"),
              delete_reason);
    EXPECT_EQ(quarantine_reason(
                  R"({"action":"candidateMerge","data":{"deletedCandidate":{"id":"c-1"}}})"),
              merge_reason);
    EXPECT_EQ(
        quarantine_reason(R"({"action":"candidateMerge","data":{"mergedCandidate":{"id":"c-2"}}})"),
        merge_reason);
    EXPECT_EQ(quarantine_reason(R"({"webhookActionId":"a b","action":"candidateDelete",)"
                                R"("data":{"candidate":{"id":"c-1"}}})"),
              "webhookActionId is not a plausible id");
}

// The intake builds only the members it reads (http/webhook_json.hpp); whatever else a body
// holds, in whatever order, cannot change the decision, and the whole body must still be JSON.
TEST_F(AshbyIntakeTest, MembersItDoesNotReadNeitherChangeTheDecisionNorEscapeTheJsonCheck) {
    const std::string plain = R"({"webhookActionId": "w-9", "action": "applicationSubmit",
        "data": {"application": {"id": "app-9", "candidate": {"id": "cand-9"}}}})";
    // The same delivery, its members reordered, with personal data and decoys that repeat the
    // names the intake reads at other places: ids inside arrays and unrelated objects.
    const std::string noisy = R"({
        "data": {
            "candidate": {"id": "decoy-1"},
            "application": {
                "candidate": {"name": "Zoë Ångström", "id": "cand-9",
                              "emailAddresses": [{"value": "zoe@example.com", "id": "decoy-2"}]},
                "answers": [{"application": {"id": "decoy-3"}}],
                "id": "app-9",
                "job": {"id": "decoy-4", "application": {"id": "decoy-5"}}
            }
        },
        "meta": {"action": "candidateDelete", "webhookActionId": "decoy-6"},
        "action": "applicationSubmit",
        "webhookActionId": "w-9"
    })";
    const auto a = expect<enqueue_decision>(decide(ashby_post(plain, secret, "req-1")));
    const auto b = expect<enqueue_decision>(decide(ashby_post(noisy, secret, "req-1")));
    ASSERT_TRUE(a.request.job && b.request.job);
    EXPECT_EQ(b.request.delivery.key, "w-9:applicationSubmit");
    EXPECT_EQ(b.request.job->unique_key, std::optional<std::string>("screening:app-9"));
    EXPECT_EQ(b.request.job->subject, std::optional<std::string>("cand-9"));
    EXPECT_EQ(b.request.job->payload, a.request.job->payload);
    for (const char* absent : {"decoy", "Zo", "zoe@"}) {
        EXPECT_EQ(b.request.job->payload.find(absent), std::string::npos) << absent;
    }

    // Broken JSON in a member the intake never reads is still broken JSON.
    EXPECT_EQ(quarantine_reason(R"({"action": "applicationSubmit", "webhookActionId": "w-1",
        "data": {"application": {"id": "a", "candidate": {"id": "c"}}},
        "unread": [1, 2,, 3]})"),
              "body is not valid JSON");
    // "data" that is not an object is no envelope, whatever its elements hold.
    EXPECT_EQ(quarantine_reason(R"({"action": "applicationSubmit", "webhookActionId": "w-1",
        "data": [{"application": {"id": "a", "candidate": {"id": "c"}}}]})"),
              "not an Ashby webhook envelope (action and data required)");
}

}  // namespace
}  // namespace riskbridge::http
