// The request handler as a function of the request: no sockets, a real SQLite store in a
// temporary directory, and a store that refuses for the 503 rows.

#include "riskbridge/http/webhook_handler.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handler_fixture.hpp"
#include "webhook_requests.hpp"

namespace riskbridge::http {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* secret = "handler-test-secret";

config::config test_config() {
    config::config cfg = testing::webhook_config(secret);
    cfg.ashby.webhook_secrets.insert(cfg.ashby.webhook_secrets.begin(),
                                     config::secret("rotated-out"));
    cfg.triggers.push_back(
        {"candidateStageChange", std::string("Offer"), config::flow_kind::document_verification});
    return cfg;
}

request ashby_request(const std::string& body, bool sign = true) {
    return testing::ashby_post(body, sign ? secret : "");
}

std::string submit(const std::string& action_id, const std::string& app = "app-1") {
    return json{{"webhookActionId", action_id},
                {"action", "applicationSubmit"},
                {"data",
                 {{"application",
                   {{"id", app}, {"candidate", {{"id", "cand-1"}, {"name", "Ada Lovelace"}}}}}}}}
        .dump();
}

class HandlerTest : public testing::handler_fixture {
protected:
    void SetUp() override {
        cfg_ = test_config();
        start();
    }
};

TEST_F(HandlerTest, AcceptsThenReportsDuplicateWithTheSameJob) {
    auto first = call(ashby_request(submit("w-1")));
    ASSERT_EQ(first.status, 200u);
    auto j = json::parse(first.body);
    EXPECT_EQ(j["status"], "accepted");
    auto second = call(ashby_request(submit("w-1")));
    EXPECT_EQ(json::parse(second.body)["status"], "duplicate");
    EXPECT_EQ(json::parse(second.body)["job_id"], j["job_id"]);

    auto job = store_->get_job(j["job_id"].get<std::int64_t>());
    ASSERT_TRUE(job && job->has_value());
    const auto payload = json::parse((*job)->payload);
    EXPECT_EQ(payload["flow"], "screening");
    EXPECT_EQ(payload["application_id"], "app-1");
    EXPECT_EQ(payload["candidate_id"], "cand-1");
    EXPECT_EQ(payload["delivery"], "w-1:applicationSubmit");
    EXPECT_EQ((*job)->unique_key, std::optional<std::string>("screening:app-1"));
    EXPECT_NE(
        metrics_.serialize().find(
            R"(riskbridge_webhooks_total{action="applicationSubmit",outcome="accepted",source="ashby"} 1)"),
        std::string::npos)
        << metrics_.serialize();
}

// Found by ThreadSanitizer (heap-use-after-free): after answering, the store's writer thread
// went back into the handler to run the on_job_stored callback, so a caller that destroyed the
// handler once answered (a test's TearDown, a server shutting down) freed it under the writer.
TEST_F(HandlerTest, TheHandlerMayBeDestroyedAsSoonAsItHasAnswered) {
    std::promise<std::string> woke;
    handler_->on_job_stored([&woke](std::string_view kind) { woke.set_value(std::string(kind)); });
    std::promise<response> answered;
    handler_->handle(ashby_request(submit("w-gone")), [this, &answered](response r) {
        handler_.reset();
        answered.set_value(std::move(r));
    });
    auto f = answered.get_future();
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(f.get().status, 200u);
    // The callback still runs, from its own copy, told the stored job's kind (the daemon wakes
    // the pool that runs it).
    auto kind = woke.get_future();
    ASSERT_EQ(kind.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(kind.get(), "screening");
}

TEST_F(HandlerTest, MissingWebhookActionIdFallsBackToTheBodyHash) {
    const std::string body =
        R"({"action":"applicationSubmit","data":{"application":{"id":"a9","candidate":{"id":"c9"}}}})";
    auto first = call(ashby_request(body));
    EXPECT_EQ(json::parse(first.body)["status"], "accepted");
    auto job = store_->get_job(json::parse(first.body)["job_id"].get<std::int64_t>());
    ASSERT_TRUE(job && job->has_value());
    EXPECT_EQ(json::parse((*job)->payload)["delivery"].get<std::string>().rfind("sha256:", 0), 0u);
    EXPECT_EQ(json::parse(call(ashby_request(body)).body)["status"], "duplicate");
}

TEST_F(HandlerTest, SignatureIsCheckedBeforeAnythingElse) {
    auto unsigned_req = call(ashby_request(submit("w-2"), false));
    EXPECT_EQ(unsigned_req.status, 401u);
    auto tampered = ashby_request(submit("w-2"));
    tampered.body += " ";
    EXPECT_EQ(call(tampered).status, 401u);
    // Not even a malformed body is quarantined when unsigned.
    auto junk = ashby_request("not json", false);
    EXPECT_EQ(call(junk).status, 401u);
    auto q = store_->list_quarantine(10);
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->empty());
}

TEST_F(HandlerTest, RiskosCredentialsAreCheckedOnTheHeadersBeforeTheBody) {
    request r;
    r.method = "POST";
    r.target = "/webhooks/riskos";
    r.request_id = "req-h";
    r.remote_address = "192.0.2.7";
    // No credentials, a wrong token, another scheme: refused on the headers alone.
    for (const char* authorization : {"", "Bearer wrong", "Token bearer-1"}) {
        request bad = r;
        if (*authorization != '\0') {
            bad.headers.emplace_back("Authorization", authorization);
        }
        const auto refused = handler_->check_headers(bad);
        ASSERT_TRUE(refused.has_value()) << authorization;
        EXPECT_EQ(refused->status, 401u);
        EXPECT_EQ(json::parse(refused->body)["error"], "unauthorized");
        bool challenge = false;
        for (const auto& [k, v] : refused->headers) {
            challenge = challenge || k == "WWW-Authenticate";
        }
        EXPECT_TRUE(challenge);
    }
    // Valid credentials: the body is to be read.
    request good = r;
    good.headers.emplace_back("authorization", "bearer bearer-1");
    EXPECT_FALSE(handler_->check_headers(good).has_value());
    // Ashby's signature covers the body, and other routes are decided on the whole request.
    EXPECT_FALSE(handler_->check_headers(ashby_request("")).has_value());
    request get = r;
    get.method = "GET";  // 405 comes from handle(), with its Allow header
    EXPECT_FALSE(handler_->check_headers(get).has_value());
    request health;
    health.method = "GET";
    health.target = "/healthz";
    EXPECT_FALSE(handler_->check_headers(health).has_value());
    // The server's adapter carries the check.
    const request_handler adapter = handler_->as_request_handler();
    ASSERT_TRUE(adapter.on_headers);
    EXPECT_TRUE(adapter.on_headers(r).has_value());
    // Nothing was stored or quarantined for any of them.
    auto q = store_->list_quarantine(10);
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->empty());
}

TEST_F(HandlerTest, SignedJunkIsQuarantinedWithItsReason) {
    auto r = call(ashby_request("{\"action\": 5}"));
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(json::parse(r.body)["error"], "malformed_payload");
    auto q = store_->list_quarantine(10);
    ASSERT_TRUE(q);
    ASSERT_EQ(q->size(), 1u);
    EXPECT_EQ((*q)[0].source, "ashby");
    EXPECT_EQ((*q)[0].request_id, "req-1");
    EXPECT_FALSE((*q)[0].reason.empty());
}

TEST_F(HandlerTest, ActionsNoTriggerStartsAreIgnoredWhateverTheirData) {
    // Unknown actions must be acknowledged and ignored (Ashby retries a 400).
    for (const char* body : {R"({"webhookActionId":"w-1","action":"someFutureAction"})",
                             R"({"webhookActionId":"w-2","action":"jobCreate","data":[1,2]})",
                             R"({"webhookActionId":"w-3","action":"offerUpdate","data":null})",
                             R"({"action":"surveySubmit","data":{"survey":{}}})"}) {
        const auto r = call(ashby_request(body));
        EXPECT_EQ(r.status, 200u) << body;
        EXPECT_EQ(json::parse(r.body)["status"], "ignored") << body;
    }
    auto q = store_->list_quarantine(10);
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->empty());
    auto jobs = store_->list_jobs(std::nullopt, 10);
    ASSERT_TRUE(jobs);
    EXPECT_TRUE(jobs->empty());

    // A triggered action still needs its data: kept in quarantine and answered 400.
    const auto bad =
        call(ashby_request(R"({"webhookActionId":"w-4","action":"applicationSubmit"})"));
    EXPECT_EQ(bad.status, 400u);
    q = store_->list_quarantine(10);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->size(), 1u);
}

TEST_F(HandlerTest, DeeplyNestedJsonIsRefusedWithoutParsing) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto r = call(ashby_request(deep));
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(json::parse(r.body)["message"].get<std::string>().find("nested"), std::string::npos);
}

TEST_F(HandlerTest, StageTriggersNeedTheStage) {
    auto change = [](const std::string& id, const std::string& stage) {
        return json{{"webhookActionId", id},
                    {"action", "candidateStageChange"},
                    {"data",
                     {{"application",
                       {{"id", "app-s" + id},
                        {"candidate", {{"id", "c"}}},
                        {"currentInterviewStage", {{"title", stage}, {"type", "Active"}}}}}}}}
            .dump();
    };
    EXPECT_EQ(json::parse(call(ashby_request(change("1", "offer"))).body)["status"], "accepted");
    EXPECT_EQ(json::parse(call(ashby_request(change("2", "Onsite"))).body)["status"], "ignored");
    const std::string no_stage =
        R"({"webhookActionId":"3","action":"candidateStageChange","data":{"application":{"id":"x","candidate":{"id":"c"}}}})";
    EXPECT_EQ(json::parse(call(ashby_request(no_stage)).body)["status"], "ignored");
}

TEST_F(HandlerTest, RiskosOlderDocvEnvelopeIsAcceptedAndDedupedOnItsId) {
    const std::string body = R"({"id":"9fb17966-c07d-4e33-80d0-6f0a08907c3a","origId":"45ac9531",
        "eventGroup":"DocvNotification","reason":"WAITING_FOR_USER_TO_REDIRECT",
        "environmentName":"Production","event":{"created":"2024-08-07T21:13:10.406Z",
        "docVTransactionToken":"45ac9531-60ae-4bc7-805e-f7823e4e5545",
        "eventType":"WAITING_FOR_USER_TO_REDIRECT","message":"Process Initiated"}})";
    const request r = testing::riskos_post(body);
    auto first = call(r);
    EXPECT_EQ(first.status, 200u);
    EXPECT_EQ(json::parse(first.body)["status"], "accepted");
    EXPECT_EQ(json::parse(call(r).body)["status"], "duplicate");
}

TEST_F(HandlerTest, ReadinessFollowsTheStoreAndTheWorkers) {
    bool workers = true;
    webhook_handler h(cfg_, *store_, [&workers] { return workers; });
    auto get = [&h](const char* path) {
        request r;
        r.method = "GET";
        r.target = path;
        std::promise<response> p;
        h.handle(r, [&p](response resp) { p.set_value(std::move(resp)); });
        return p.get_future().get();
    };
    EXPECT_EQ(get("/readyz").status, 200u);
    workers = false;
    EXPECT_EQ(get("/readyz").status, 503u);
    EXPECT_EQ(get("/healthz").status, 200u);  // liveness does not depend on the workers
    workers = true;
    store_->shutdown();
    EXPECT_EQ(get("/readyz").status, 503u);
}

TEST_F(HandlerTest, StoreThatCannotTakeTheEventAnswers503WithRetryAfter) {
    store_->shutdown();  // later enqueues answer `unavailable`
    auto r = call(ashby_request(submit("w-9")));
    EXPECT_EQ(r.status, 503u);
    bool has_retry_after = false;
    for (const auto& [k, v] : r.headers) {
        has_retry_after = has_retry_after || (k == "Retry-After" && !v.empty());
    }
    EXPECT_TRUE(has_retry_after);
    // A malformed body that cannot be quarantined is not answered 400 (it would be lost).
    EXPECT_EQ(call(ashby_request("junk")).status, 503u);
}

// ---- what is kept of a RiskOS event ------------------------------------------------------------

/// A RiskOS webhook POSTed with valid credentials.
request riskos_request(const std::string& body) {
    return testing::riskos_post(body);
}

/// Every string value and every key of a JSON document.
void strings_of(const json& doc, std::vector<std::string>& values, std::vector<std::string>& keys) {
    if (doc.is_string()) {
        values.push_back(doc.get<std::string>());
    } else if (doc.is_object()) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            keys.push_back(it.key());
            strings_of(*it, values, keys);
        }
    } else if (doc.is_array()) {
        for (const auto& v : doc) {
            strings_of(v, values, keys);
        }
    }
}

class RiskosEventStored : public HandlerTest {
protected:
    /// POSTs the event; the payload of the job it stored.
    json stored(const std::string& body) {
        const auto r = call(riskos_request(body));
        EXPECT_EQ(r.status, 200u) << r.body;
        const json answer = json::parse(r.body, nullptr, false);
        EXPECT_EQ(answer.value("status", ""), "accepted") << r.body;
        auto j = store_->get_job(answer.value("job_id", store::job_id{0}));
        EXPECT_TRUE(j && *j);
        if (!j || !*j) {
            return json{};
        }
        EXPECT_EQ((*j)->kind, riskos_event_kind);
        return json::parse((*j)->payload, nullptr, false);
    }

    static json fixture(const std::string& name) {
        std::ifstream in(riskbridge::testing::fixtures_dir() + "/riskos/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return json::parse(ss.str())["body"];
    }
};

TEST_F(RiskosEventStored, ACompletedEvaluationIsStoredWithoutItsPersonalDataOrEnrichments) {
    // A whole evaluation, as RiskOS sends it in evaluation_completed: the enrichments' requests
    // carry the applicant's name, date of birth, national id, email, phone and address.
    json data = fixture("happy_path__accept.json");
    data["individual"] = {{"given_name", "Stanley"},
                          {"family_name", "Brown"},
                          {"email", "stanley.brown.1753@example.com"},
                          {"phone_number", "+5012345677"},
                          {"address", {{"line_1", "6383 Brown Avenue"}, {"postal_code", "10552"}}}};
    data["data_enrichments"][0]["response"]["documentVerification"] = {
        {"decision", {{"name", "standard"}, {"value", "accept"}}},
        {"documentData",
         {{"firstName", "Stanley"}, {"dob", "1944-03-30"}, {"documentNumber", "DOC-998877"}}}};
    const json body{{"event_type", "evaluation_completed"},
                    {"event_id", "3b31289c-2d4a-4107-80bc-dda63031d5a0"},
                    {"event_at", "2026-01-31T23:34:47Z"},
                    {"data", data}};
    const json payload = stored(body.dump());
    ASSERT_TRUE(payload.is_object());
    const json& event = payload["event"];
    ASSERT_TRUE(event.is_object()) << payload.dump();

    // What the riskos_event job reads is there ...
    EXPECT_EQ(event["event_type"], "evaluation_completed");
    EXPECT_EQ(event["event_id"], "3b31289c-2d4a-4107-80bc-dda63031d5a0");
    EXPECT_EQ(event["data"]["eval_id"], data["eval_id"]);
    EXPECT_EQ(event["data"]["id"], data["id"]);
    EXPECT_EQ(event["data"]["decision"], "ACCEPT");
    EXPECT_EQ(event["data"]["eval_status"], "evaluation_completed");
    EXPECT_EQ(event["data"]["workflow"], "consumer_onboarding");
    EXPECT_EQ(payload["eval_id"], data["eval_id"]);

    // ... and nothing else: no personal value, no enrichment, no document data.
    const std::string text = payload.dump();
    std::vector<std::string> personal;
    std::vector<std::string> unused;
    for (const auto& e : data["data_enrichments"]) {
        if (e.contains("request")) {
            strings_of(e["request"], personal, unused);
        }
    }
    strings_of(data["individual"], personal, unused);
    ASSERT_GT(personal.size(), 10U);
    for (const auto& value : personal) {
        if (value.size() < 4 || value == data["workflow"] || value == data["eval_id"] ||
            value == data["id"]) {
            continue;  // country and state codes, and the ids the event is about
        }
        EXPECT_EQ(text.find(value), std::string::npos) << value << " was stored";
    }
    for (const char* needle :
         {"data_enrichments", "documentData", "documentVerification", "individual", "request",
          "response", "reasonCodes", "DOC-998877", "1944-03-30", "Stanley", "Brown", "example.com",
          "5012345677", "10552", "Springfield", "score", "tags", "review_queues"}) {
        EXPECT_EQ(event.dump().find(needle), std::string::npos) << needle << " was stored";
    }
    std::vector<std::string> keys;
    std::vector<std::string> values;
    strings_of(event, values, keys);
    for (const auto& k : keys) {
        EXPECT_TRUE(k == "event_type" || k == "event_id" || k == "event_at" || k == "data" ||
                    k == "eval_id" || k == "id" || k == "workflow" || k == "decision" ||
                    k == "eval_status" || k == "status" || k == "reviewer_id" ||
                    k == "previous_eval_id" || k == "notes")
            << k;
    }
}

TEST_F(RiskosEventStored, OnlyDocvsOwnNotesAreKept) {
    const auto note = [](const std::string& event_id, const std::string& reviewer,
                         const std::string& notes) {
        return json{{"event_type", "case_notes_added"},
                    {"event_id", event_id},
                    {"data",
                     {{"eval_id", "eval-1"},
                      {"id", "rb-document_verification-app-1"},
                      {"notes", notes},
                      {"reviewer_id", reviewer},
                      {"attachments", {{"name", "passport.jpg"}}},
                      {"environment_name", "Sandbox"}}}}
            .dump();
    };
    const json docv = stored(note("n-1", "Webhook", "Capture App Opened"))["event"];
    EXPECT_EQ(docv["data"]["notes"], "Capture App Opened");
    EXPECT_EQ(docv["data"]["reviewer_id"], "Webhook");
    EXPECT_FALSE(docv["data"].contains("attachments"));
    EXPECT_FALSE(docv["data"].contains("environment_name"));

    const json person =
        stored(note("n-2", "reviewer-42", "Called Stanley Brown on +5012345677"))["event"];
    EXPECT_EQ(person["data"]["reviewer_id"], "reviewer-42");
    EXPECT_EQ(person["data"]["eval_id"], "eval-1");
    EXPECT_FALSE(person["data"].contains("notes")) << person.dump();
}

TEST_F(RiskosEventStored, OnlyShortStringsAreKept) {
    const json body{{"event_type", "evaluation_completed"},
                    {"event_id", "long-0001"},
                    {"data",
                     {{"eval_id", "eval-1"},
                      {"decision", std::string(300, 'A')},
                      {"workflow", {{"nested", "object"}}},
                      {"status", 42},
                      {"eval_status", "evaluation_completed"}}}};
    const json data = stored(body.dump())["event"]["data"];
    EXPECT_EQ(data["eval_id"], "eval-1");
    EXPECT_EQ(data["eval_status"], "evaluation_completed");
    EXPECT_FALSE(data.contains("decision"));
    EXPECT_FALSE(data.contains("workflow"));
    EXPECT_FALSE(data.contains("status"));
}

TEST_F(RiskosEventStored, TheOlderDocvEnvelopeKeepsItsTokenTypeAndMessageOnly) {
    const std::string body = R"({"id":"9fb17966-c07d-4e33-80d0-6f0a08907c3a","origId":"45ac9531",
        "eventGroup":"DocvNotification","reason":"WAITING_FOR_USER_TO_REDIRECT",
        "environmentName":"Production","customerUserId":"stanley.brown@example.com",
        "event":{"created":"2024-08-07T21:13:10.406Z","customerUserId":"cand-secret-1",
        "docVTransactionToken":"45ac9531-60ae-4bc7-805e-f7823e4e5545",
        "eventType":"WAITING_FOR_USER_TO_REDIRECT","message":"Process Initiated"}})";
    const json payload = stored(body);
    const json& event = payload["event"];
    EXPECT_EQ(event, (json{{"id", "9fb17966-c07d-4e33-80d0-6f0a08907c3a"},
                           {"eventGroup", "DocvNotification"},
                           {"event",
                            {{"docVTransactionToken", "45ac9531-60ae-4bc7-805e-f7823e4e5545"},
                             {"eventType", "WAITING_FOR_USER_TO_REDIRECT"},
                             {"message", "Process Initiated"}}}}))
        << event.dump();
    EXPECT_EQ(payload["event_type"], "DocvNotification");
    EXPECT_EQ(payload["event_id"], "9fb17966-c07d-4e33-80d0-6f0a08907c3a");
}

}  // namespace
}  // namespace riskbridge::http
