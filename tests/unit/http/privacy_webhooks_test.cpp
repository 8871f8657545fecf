// What the webhook handler keeps of an Ashby delivery (ids, and the submitter's IP address,
// never the candidate's name, email or phone), and the candidateDelete / candidateMerge
// webhooks: stored as erasure and merge jobs whatever the triggers, or quarantined (400) when
// the ids they need are missing.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handler_fixture.hpp"
#include "webhook_requests.hpp"

namespace riskbridge::http {
namespace {

using nlohmann::json;

constexpr const char* secret = "privacy-test-secret";

request signed_request(const std::string& body) {
    return testing::ashby_post(body, secret, "req-privacy");
}

class PrivacyWebhooksTest : public testing::handler_fixture {
protected:
    void SetUp() override {
        cfg_ = testing::webhook_config(secret);
        // Only the screening trigger: candidateDelete and candidateMerge are named by none.
        cfg_.triggers = {{"applicationSubmit", std::nullopt, config::flow_kind::screening}};
        start();
    }

    /// The stored job of an accepted answer.
    store::job job_of(const response& r) {
        const auto body = json::parse(r.body, nullptr, false);
        EXPECT_EQ(body.value("status", ""), "accepted") << r.body;
        auto j = store_->get_job(body.value("job_id", std::int64_t{0}));
        EXPECT_TRUE(j && j->has_value());
        return j && j->has_value() ? **j : store::job{};
    }

    std::size_t quarantined() {
        auto q = store_->list_quarantine(100);
        return q ? q->size() : 0;
    }
};

TEST_F(PrivacyWebhooksTest, AnApplicationJobKeepsIdsAndTheClientIpButNoPersonalValues) {
    const json body = {
        {"webhookActionId", "wa-1"},
        {"action", "applicationSubmit"},
        {"data",
         {{"application",
           {{"id", "app-1"},
            {"submitterClientIp", "203.0.113.9"},
            {"customFields", {{{"id", "cf"}, {"title", "Street"}, {"value", "1 Elm Row"}}}},
            {"candidate",
             {{"id", "cand-1"},
              {"name", "Ada Lovelace"},
              {"primaryEmailAddress", {{"value", "ada@example.test"}}},
              {"primaryPhoneNumber", {{"value", "+44 20 7946 0000"}}}}}}}}}};
    const auto r = call(signed_request(body.dump()));
    ASSERT_EQ(r.status, 200u) << r.body;
    const store::job j = job_of(r);
    for (const char* value : {"Ada", "Lovelace", "ada@example.test", "7946", "Elm Row"}) {
        EXPECT_EQ(j.payload.find(value), std::string::npos) << value << " in " << j.payload;
    }
    const auto payload = json::parse(j.payload);
    EXPECT_FALSE(payload.contains("data"));
    EXPECT_EQ(payload["application_id"], "app-1");
    EXPECT_EQ(payload["candidate_id"], "cand-1");
    EXPECT_EQ(payload["submitter_client_ip"], "203.0.113.9");
}

TEST_F(PrivacyWebhooksTest, CandidateDeleteIsStoredAsAnErasureJobWithoutATrigger) {
    const json body = {{"webhookActionId", "wa-del"},
                       {"action", "candidateDelete"},
                       {"data", {{"candidate", {{"id", "cand-9"}}}}}};
    const auto r = call(signed_request(body.dump()));
    ASSERT_EQ(r.status, 200u) << r.body;
    const store::job j = job_of(r);
    EXPECT_EQ(j.kind, store::erase_candidate_kind);
    EXPECT_EQ(json::parse(j.payload)["candidate_id"], "cand-9");
    // A replay is a duplicate of the same job, not a second erasure.
    const auto again = call(signed_request(body.dump()));
    EXPECT_EQ(json::parse(again.body)["status"], "duplicate");
    EXPECT_EQ(json::parse(again.body)["job_id"], j.id);
}

TEST_F(PrivacyWebhooksTest, CandidateMergeIsStoredWithBothIds) {
    const json body = {{"webhookActionId", "wa-merge"},
                       {"action", "candidateMerge"},
                       {"data",
                        {{"deletedCandidate", {{"id", "cand-old"}}},
                         {"mergedCandidate", {{"id", "cand-new"}, {"name", "Ada Lovelace"}}}}}};
    const auto r = call(signed_request(body.dump()));
    ASSERT_EQ(r.status, 200u) << r.body;
    const store::job j = job_of(r);
    EXPECT_EQ(j.kind, store::merge_candidates_kind);
    const auto payload = json::parse(j.payload);
    EXPECT_EQ(payload["deleted_candidate_id"], "cand-old");
    EXPECT_EQ(payload["merged_candidate_id"], "cand-new");
    EXPECT_EQ(j.payload.find("Lovelace"), std::string::npos);
}

TEST_F(PrivacyWebhooksTest, MissingOrImplausibleIdsAreQuarantinedNotLost) {
    const json bad[] = {
        {{"action", "candidateDelete"}, {"data", {{"candidate", json::object()}}}},
        {{"action", "candidateDelete"}, {"data", {{"candidate", {{"id", 42}}}}}},
        {{"action", "candidateDelete"}, {"data", {{"candidate", {{"id", "has space"}}}}}},
        {{"action", "candidateMerge"}, {"data", {{"deletedCandidate", {{"id", "c-1"}}}}}},
        {{"action", "candidateMerge"}, {"data", {{"mergedCandidate", {{"id", "c-2"}}}}}},
        {{"action", "candidateDelete"}, {"data", "not an object"}},
    };
    std::size_t n = 0;
    for (const auto& body : bad) {
        const auto r = call(signed_request(body.dump()));
        EXPECT_EQ(r.status, 400u) << body.dump() << " → " << r.body;
        EXPECT_EQ(quarantined(), ++n) << body.dump();
    }
    auto jobs = store_->list_jobs(std::nullopt, 10);
    ASSERT_TRUE(jobs);
    EXPECT_TRUE(jobs->empty());
}

TEST_F(PrivacyWebhooksTest, AnUnsignedDeleteIsRefused) {
    request r = signed_request(
        json{{"action", "candidateDelete"}, {"data", {{"candidate", {{"id", "c-1"}}}}}}.dump());
    r.headers.clear();
    EXPECT_EQ(call(std::move(r)).status, 401u);
    auto jobs = store_->list_jobs(std::nullopt, 10);
    ASSERT_TRUE(jobs);
    EXPECT_TRUE(jobs->empty());
}

}  // namespace
}  // namespace riskbridge::http
