// The RiskOS intake as a function from a request to a decision: no socket, store or thread.
// Each case checks the decision's contents: delivery key, job kind, subject, payload fields,
// quarantine reason, the refusal's answer.

#include "riskbridge/http/riskos_intake.hpp"

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/security/digest.hpp"
#include "webhook_requests.hpp"

namespace riskbridge::http {
namespace {

using nlohmann::json;
using testing::riskos_post;

class RiskosIntakeTest : public ::testing::Test {
protected:
    RiskosIntakeTest() : cfg_(testing::webhook_config("unused")), auth_(make_auth(cfg_)) {}

    static config::riskos_webhook_auth make_auth(config::config& cfg) {
        cfg.riskos.webhook_auth.basic = {{"riskos", config::secret("basic-pass")}};
        return cfg.riskos.webhook_auth;
    }

    intake_decision decide(const request& r) const { return riskos_intake(auth_, r, now_); }

    template <class T>
    T expect(const intake_decision& d) const {
        EXPECT_TRUE(std::holds_alternative<T>(d)) << "decision #" << d.index();
        return std::holds_alternative<T>(d) ? std::get<T>(d) : T{};
    }
    std::string quarantine_reason(const std::string& body) const {
        return expect<quarantine_decision>(decide(riskos_post(body))).reason;
    }

    config::config cfg_;
    security::webhook_authenticator auth_;
    time_point now_ = time_point{std::chrono::seconds{1'700'000'000}};
};

TEST_F(RiskosIntakeTest, AnEvaluationEventIsARiskosEventJobAboutItsEvaluation) {
    const json body = {{"event_type", "evaluation_completed"},
                       {"event_id", "ev-1"},
                       {"event_at", "2026-01-31T23:34:47Z"},
                       {"data",
                        {{"eval_id", "eval-1"},
                         {"id", "rb-screening-app-1"},
                         {"decision", "ACCEPT"},
                         {"individual", {{"given_name", "Stanley"}}}}}};
    const auto d = expect<enqueue_decision>(decide(riskos_post(body.dump())));
    EXPECT_EQ(d.request.delivery.source, "riskos");
    EXPECT_EQ(d.request.delivery.key, "ev-1");
    ASSERT_TRUE(d.request.job);
    EXPECT_EQ(d.request.job->kind, riskos_event_kind);
    EXPECT_EQ(d.request.job->correlation_id, "riskos:ev-1");
    EXPECT_FALSE(d.request.job->unique_key);
    EXPECT_EQ(d.request.job->subject, std::optional<std::string>("eval-1"));
    const json payload = json::parse(d.request.job->payload);
    EXPECT_EQ(payload["source"], "riskos");
    EXPECT_EQ(payload["event_type"], "evaluation_completed");
    EXPECT_EQ(payload["event_id"], "ev-1");
    EXPECT_EQ(payload["eval_id"], "eval-1");
    EXPECT_EQ(payload["request_id"], "req-riskos");
    EXPECT_EQ(payload["received_at"], format_rfc3339(now_));
    EXPECT_EQ(
        payload["event"],
        (json{{"event_type", "evaluation_completed"},
              {"event_id", "ev-1"},
              {"event_at", "2026-01-31T23:34:47Z"},
              {"data",
               {{"eval_id", "eval-1"}, {"id", "rb-screening-app-1"}, {"decision", "ACCEPT"}}}}));
    EXPECT_EQ(d.request.job->payload.find("Stanley"), std::string::npos);
    EXPECT_EQ(d.ids.source, "riskos");
    EXPECT_EQ(d.ids.action, "evaluation_completed");
    EXPECT_EQ(d.ids.delivery, "ev-1");
    EXPECT_EQ(d.ids.eval_id, "eval-1");
    EXPECT_EQ(d.ids.candidate_id, "");
}

TEST_F(RiskosIntakeTest, CaseNotesAreHandledAndAnImplausibleEvalIdIsDropped) {
    const auto d = expect<enqueue_decision>(decide(riskos_post(
        R"({"event_type":"case_notes_added","event_id":"n-1","data":{"eval_id":"has space"}})")));
    ASSERT_TRUE(d.request.job);
    EXPECT_FALSE(d.request.job->subject);
    EXPECT_EQ(json::parse(d.request.job->payload)["eval_id"], "");
    EXPECT_EQ(d.ids.eval_id, "");
}

TEST_F(RiskosIntakeTest, TheOlderDocvEnvelopeIsKeyedOnItsId) {
    const std::string body = R"({"id":"9fb17966","eventGroup":"DocvNotification",
        "customerUserId":"stanley.brown@example.com",
        "event":{"docVTransactionToken":"45ac9531","eventType":"WAITING_FOR_USER_TO_REDIRECT",
        "message":"Process Initiated","customerUserId":"cand-secret-1"}})";
    const auto d = expect<enqueue_decision>(decide(riskos_post(body)));
    EXPECT_EQ(d.request.delivery.key, "9fb17966");
    ASSERT_TRUE(d.request.job);
    EXPECT_EQ(d.request.job->kind, riskos_event_kind);
    EXPECT_FALSE(d.request.job->subject);
    const json payload = json::parse(d.request.job->payload);
    EXPECT_EQ(payload["event_type"], "DocvNotification");
    EXPECT_EQ(payload["event_id"], "9fb17966");
    EXPECT_EQ(payload["eval_id"], "");
    EXPECT_EQ(payload["event"], (json{{"id", "9fb17966"},
                                      {"eventGroup", "DocvNotification"},
                                      {"event",
                                       {{"docVTransactionToken", "45ac9531"},
                                        {"eventType", "WAITING_FOR_USER_TO_REDIRECT"},
                                        {"message", "Process Initiated"}}}}));
    EXPECT_EQ(d.request.job->payload.find("example.com"), std::string::npos);
    EXPECT_EQ(d.ids.action, "DocvNotification");

    // An event_id wins over the id; without either, the body's hash is the key.
    const auto with_event_id = expect<enqueue_decision>(
        decide(riskos_post(R"({"event_id":"e-2","id":"i-2","eventGroup":"Other","event":{}})")));
    EXPECT_EQ(with_event_id.request.delivery.key, "e-2");
    EXPECT_FALSE(with_event_id.request.job);
    const std::string no_id = R"({"eventGroup":"DocvNotification","event":{}})";
    EXPECT_EQ(expect<enqueue_decision>(decide(riskos_post(no_id))).request.delivery.key,
              "sha256:" + security::sha256_hex(no_id));
}

TEST_F(RiskosIntakeTest, AnUnknownEventTypeIsStoredAsADeliveryOnly) {
    const auto d = expect<enqueue_decision>(
        decide(riskos_post(R"({"event_type":"case_updated","event_id":"u-1","data":{}})")));
    EXPECT_EQ(d.request.delivery.key, "u-1");
    EXPECT_FALSE(d.request.job.has_value());
    EXPECT_EQ(d.ids.action, "case_updated");
    // An event type that is no plausible id is logged as a placeholder.
    const auto odd = expect<enqueue_decision>(
        decide(riskos_post(R"({"event_type":"a b","event_id":"u-2","data":{}})")));
    EXPECT_EQ(odd.ids.action, "?");
    EXPECT_FALSE(odd.request.job);
}

TEST_F(RiskosIntakeTest, CredentialsThatAreNotValidAreRefused) {
    const std::string body = R"({"event_type":"case_notes_added","event_id":"x","data":{}})";
    for (const auto& [authorization, reason] :
         {std::pair<std::string, std::string>{"", "missing"},
          {"Bearer wrong", "rejected"},
          {"Token bearer-1", "unsupported"},
          {"Basic " + base64_encode("riskos:wrong"), "rejected"}}) {
        const request r = riskos_post(body, authorization);
        const auto d = expect<refuse_decision>(decide(r));
        EXPECT_EQ(d.source, "riskos") << authorization;
        EXPECT_EQ(d.reason, reason) << authorization;
        EXPECT_EQ(d.answer.status, 401u);
        EXPECT_EQ(json::parse(d.answer.body),
                  (json{{"error", "unauthorized"}, {"message", "missing or invalid credentials"}}));
        EXPECT_EQ(testing::header_of(d.answer, "WWW-Authenticate"),
                  "Bearer, Basic realm=\"riskbridge\"");
        // The same refusal on the headers alone.
        const auto early = check_riskos_credentials(auth_, r);
        ASSERT_TRUE(early.has_value());
        EXPECT_EQ(early->reason, reason);
    }
    // Valid ones, either scheme, whatever the scheme's letter case.
    for (const std::string& authorization :
         {std::string("Bearer bearer-1"), std::string("bearer bearer-1"),
          "Basic " + base64_encode("riskos:basic-pass")}) {
        EXPECT_FALSE(check_riskos_credentials(auth_, riskos_post(body, authorization)))
            << authorization;
        expect<enqueue_decision>(decide(riskos_post(body, authorization)));
    }
}

TEST_F(RiskosIntakeTest, MalformedEventsAreQuarantinedWithTheirReason) {
    EXPECT_EQ(quarantine_reason("junk"), "body is not valid JSON");
    EXPECT_EQ(quarantine_reason(std::string(70, '{')), "JSON nested too deeply");
    EXPECT_EQ(quarantine_reason("[1,2]"), "not a RiskOS event envelope");
    EXPECT_EQ(quarantine_reason(R"({"event_id":"e"})"),
              "not a RiskOS event envelope (event_type or eventGroup required)");
    EXPECT_EQ(quarantine_reason(R"({"event_type":"evaluation_completed","data":[]})"),
              "event_type given but data is not an object");
    EXPECT_EQ(quarantine_reason(R"({"eventGroup":"DocvNotification","event":"x"})"),
              "eventGroup given but event is not an object");
    EXPECT_EQ(quarantine_reason(R"({"event_type":"case_notes_added","event_id":"a b","data":{}})"),
              "event_id is not a plausible id");
    const json long_id = {{"event_type", "case_notes_added"},
                          {"event_id", std::string(max_peer_id_chars + 1, 'e')},
                          {"data", json::object()}};
    EXPECT_EQ(quarantine_reason(long_id.dump()), "event_id is not a plausible id");
}

TEST_F(RiskosIntakeTest, OnlyShortStringsOfTheEventAreKept) {
    const json body = {{"event_type", "evaluation_completed"},
                       {"event_id", "long-1"},
                       {"data",
                        {{"eval_id", "eval-1"},
                         {"decision", std::string(300, 'A')},
                         {"workflow", {{"nested", "object"}}},
                         {"status", 42}}}};
    const auto d = expect<enqueue_decision>(decide(riskos_post(body.dump())));
    ASSERT_TRUE(d.request.job);
    EXPECT_EQ(json::parse(d.request.job->payload)["event"]["data"], (json{{"eval_id", "eval-1"}}));
}

TEST_F(RiskosIntakeTest, ReviewerEventsAreJobsUnderTheirCanonicalKindWhicheverNameTheyCameUnder) {
    const std::map<std::string, std::string> aliases{
        {"case_management_notification_case_closure", "case_status_updated"}};
    const std::vector<std::pair<std::string, std::string>> names{
        {"decision_update", "decision_update"},
        {"case_decision_changed", "decision_update"},
        {"case_status_updated", "case_status_updated"},
        {"case_status_changed", "case_status_updated"},
        {"case_management_notification_case_closure", "case_status_updated"},
        {"evaluation_resumed", "evaluation_resumed"},
        {"reevaluation", "reevaluation"},
        {"workflow_execution_failed", "workflow_execution_failed"},
    };
    int n = 0;
    for (const auto& [name, kind] : names) {
        // Unknown fields in data are tolerated and not kept.
        const json body = {{"event_type", name},
                           {"event_id", "rv-" + std::to_string(++n)},
                           {"data",
                            {{"eval_id", "eval-9"},
                             {"id", "rb-screening-app-9"},
                             {"decision", "ACCEPT"},
                             {"reviewer_id", "reviewer-7"},
                             {"previous_eval_id", "eval-8"},
                             {"reviewer_name", "Grace Hopper"},
                             {"something_new", {{"nested", true}}}}}};
        const auto d =
            expect<enqueue_decision>(riskos_intake(auth_, riskos_post(body.dump()), now_, aliases));
        ASSERT_TRUE(d.request.job) << name;
        const json payload = json::parse(d.request.job->payload);
        EXPECT_EQ(payload["event_type"], name);
        EXPECT_EQ(payload["event_kind"], kind) << name;
        EXPECT_EQ(payload["eval_id"], "eval-9");
        const json& data = payload["event"]["data"];
        EXPECT_EQ(data["decision"], "ACCEPT");
        EXPECT_EQ(data["reviewer_id"], "reviewer-7");
        EXPECT_EQ(data["previous_eval_id"], "eval-8");
        EXPECT_FALSE(data.contains("reviewer_name")) << name;
        EXPECT_FALSE(data.contains("something_new")) << name;
    }
}

TEST_F(RiskosIntakeTest, EventsRiskbridgeDoesNotActOnAreDeliveriesOnly) {
    // A configured alias only counts through the map given; without it the name is unknown.
    for (const std::string name : {"evaluation_paused", "review_case_assigned",
                                   "case_management_notification_case_closure"}) {
        const json body = {
            {"event_type", name}, {"event_id", "x-" + name}, {"data", json::object()}};
        const auto d = expect<enqueue_decision>(decide(riskos_post(body.dump())));
        EXPECT_FALSE(d.request.job.has_value()) << name;
        EXPECT_EQ(d.request.delivery.key, "x-" + name);
    }
}

}  // namespace
}  // namespace riskbridge::http
