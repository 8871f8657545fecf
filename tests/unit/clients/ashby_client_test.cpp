// The Ashby client against a scripted http_client: what it sends, how it reads the
// envelope, and how it classifies failures. (Over real sockets: tests/unit/sim.)

#include "riskbridge/clients/ashby/ashby_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_http.hpp"

namespace riskbridge::clients::ashby {
namespace {

using nlohmann::json;
using testing::fake_http;

std::string ok(const json& results, const json& extra = json::object()) {
    json body{{"success", true}, {"results", results}};
    body.update(extra);
    return body.dump();
}

std::string failure(const std::string& code, const std::string& message) {
    return json{{"success", false},
                {"errorInfo", {{"code", code}, {"message", message}, {"requestId", "req-77"}}},
                {"errors", json::array({code})}}
        .dump();
}

const json full_candidate = json::parse(R"({
  "id": "cand-1", "name": "Ada Lovelace", "createdAt": "2026-01-01T00:00:00Z",
  "primaryEmailAddress": {"value": "ada@example.com", "type": "Personal", "isPrimary": true},
  "emailAddresses": [{"value": "ada.work@example.com", "type": "Work", "isPrimary": false},
                     {"value": "ada@example.com", "type": "Personal", "isPrimary": true}],
  "primaryPhoneNumber": {"value": "+1 415 555 0101", "type": "Mobile", "isPrimary": true},
  "phoneNumbers": [{"value": "+1 415 555 0101", "type": "Mobile", "isPrimary": true},
                   {"value": "+1 415 555 0199", "type": "Work", "isPrimary": false}],
  "socialLinks": [], "tags": [{"id": "t-1", "title": "VIP", "isArchived": false}],
  "customFields": [{"id": "cf-1", "title": "Postal Code", "value": "94105"},
                   {"id": "cf-2", "title": "Years", "value": 7},
                   {"id": "cf-3", "title": "Remote", "value": true},
                   {"id": "cf-4", "title": "Notes", "value": {"rich": 1}}],
  "location": {"id": "loc", "locationSummary": "San Francisco, California, United States",
               "locationComponents": [{"type": "Country", "name": "United States"},
                                      {"type": "Region", "name": "California"},
                                      {"type": "City", "name": "San Francisco"}]},
  "applicationIds": ["app-1", "app-2"], "profileUrl": "https://app.ashbyhq.com/c/cand-1",
  "someNewField": {"x": 1}})");

class AshbyClientTest : public ::testing::Test {
protected:
    fake_http http_;
    ashby_client client_{http_, ashby_options{"https://api.ashbyhq.com/", "key-123", {}, 2}};
};

TEST_F(AshbyClientTest, SendsBasicAuthVersionedAcceptAndJson) {
    http_.reply(200, ok(full_candidate));
    ASSERT_TRUE(client_.candidate_info("cand-1").has_value());
    ASSERT_EQ(http_.calls.size(), 1u);
    const http_call& c = http_.calls[0];
    EXPECT_EQ(c.method, http_method::post);
    EXPECT_EQ(c.url, "https://api.ashbyhq.com/candidate.info");
    // base64("key-123:")
    EXPECT_EQ(http_.header(0, "Authorization"), "Basic a2V5LTEyMzo=");
    EXPECT_EQ(http_.header(0, "Accept"), "application/json; version=1");
    EXPECT_EQ(http_.header(0, "Content-Type"), "application/json");
    EXPECT_EQ(json::parse(c.body), json({{"id", "cand-1"}}));
}

TEST_F(AshbyClientTest, CandidateInfoIsTyped) {
    http_.reply(200, ok(full_candidate));
    auto c = client_.candidate_info("cand-1");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->id, "cand-1");
    EXPECT_EQ(c->name, "Ada Lovelace");
    EXPECT_EQ(c->email, "ada@example.com");
    EXPECT_EQ(c->emails, (std::vector<std::string>{"ada.work@example.com", "ada@example.com"}));
    EXPECT_EQ(c->phone, "+1 415 555 0101");
    EXPECT_EQ(c->phones, (std::vector<std::string>{"+1 415 555 0101", "+1 415 555 0199"}));
    EXPECT_EQ(c->loc.country, "United States");
    EXPECT_EQ(c->loc.region, "California");
    EXPECT_EQ(c->loc.city, "San Francisco");
    EXPECT_EQ(c->loc.summary, "San Francisco, California, United States");
    ASSERT_EQ(c->custom_fields.size(), 4u);
    EXPECT_EQ(c->find_custom_field("postal code")->value_text, "94105");
    EXPECT_EQ(c->find_custom_field("cf-2")->value_text, "7");
    EXPECT_EQ(c->find_custom_field("Remote")->value_text, "true");
    EXPECT_FALSE(c->find_custom_field("Notes")->value_text.has_value());
    EXPECT_EQ(json::parse(c->find_custom_field("Notes")->value_json), json({{"rich", 1}}));
    ASSERT_EQ(c->tags.size(), 1u);
    EXPECT_EQ(c->tags[0].title, "VIP");
    EXPECT_TRUE(c->has_tag("t-1"));
    EXPECT_EQ(c->application_ids, (std::vector<std::string>{"app-1", "app-2"}));
    EXPECT_EQ(c->profile_url, "https://app.ashbyhq.com/c/cand-1");
}

TEST_F(AshbyClientTest, ContactsFallBackToTheFirstAndOptionalFieldsMayBeMissing) {
    http_.reply(
        200,
        ok({{"id", "cand-2"},
            {"name", "Only Name"},
            {"emailAddresses", json::array({{{"value", "first@example.com"}, {"isPrimary", false}},
                                            {{"value", "second@example.com"}}})},
            {"phoneNumbers", "not a list"},
            {"location", nullptr},
            {"tags", json::array({1, {{"title", "no id"}}})}}));
    auto c = client_.candidate_info("cand-2");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->email, "first@example.com");
    EXPECT_FALSE(c->phone.has_value());
    EXPECT_TRUE(c->phones.empty());
    EXPECT_FALSE(c->loc.country.has_value());
    EXPECT_TRUE(c->tags.empty());
    EXPECT_TRUE(c->custom_fields.empty());
    EXPECT_TRUE(c->application_ids.empty());

    http_.reply(
        200,
        ok({{"id", "cand-3"},
            {"name", "Flagged"},
            {"emailAddresses", json::array({{{"value", "a@example.com"}},
                                            {{"value", "b@example.com"}, {"isPrimary", true}}})}}));
    auto flagged = client_.candidate_info("cand-3");
    ASSERT_TRUE(flagged.has_value());
    EXPECT_EQ(flagged->email, "b@example.com");
}

TEST_F(AshbyClientTest, ApplicationInfoExpandsAndFlattensFormAnswers) {
    const json app = json::parse(R"js({
      "id": "app-1", "status": "Active", "createdAt": "2026-01-01T00:00:00Z",
      "candidate": {"id": "cand-1", "name": "Ada Lovelace"},
      "currentInterviewStage": {"id": "st-1", "title": "Offer", "type": "Offer",
                                "orderInInterviewPlan": 4},
      "job": {"id": "job-1", "title": "Engineer", "locationId": "l"},
      "customFields": [{"id": "cf-9", "title": "Street Address", "value": "1 Market St"}],
      "submitterClientIp": "203.0.113.10",
      "applicationFormSubmissions": [{
        "formDefinition": {"sections": [{"fields": [
          {"isRequired": true, "field": {"id": "f1", "path": "_systemfield_consent",
            "title": "I consent to a background and identity check", "type": "Boolean"}},
          {"isRequired": true, "field": {"id": "f2", "path": "consent_select",
            "title": "Consent (select)", "type": "ValueSelect",
            "selectableValues": [{"label": "I Consent", "value": "I Consent"}]}},
          {"isRequired": false, "field": {"id": "f3", "path": "unanswered", "title": "Q3",
            "type": "String"}},
          {"isRequired": false, "field": {"id": "f4", "path": "nulled", "title": "Q4",
            "type": "String"}},
          {"field": {"id": "f5", "title": "no path"}}]}]},
        "submittedValues": {"_systemfield_consent": true, "consent_select": "I Consent",
                            "nulled": null}}]})js");
    http_.reply(200, ok(app));
    auto a = client_.application_info("app-1");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(json::parse(http_.calls[0].body),
              json({{"applicationId", "app-1"},
                    {"expand", json::array({"applicationFormSubmissions"})}}));
    EXPECT_EQ(http_.calls[0].url, "https://api.ashbyhq.com/application.info");
    EXPECT_EQ(a->id, "app-1");
    EXPECT_EQ(a->status, "Active");
    EXPECT_EQ(a->candidate_id, "cand-1");
    ASSERT_TRUE(a->current_stage.has_value());
    EXPECT_EQ(a->current_stage->title, "Offer");
    EXPECT_EQ(a->current_stage->type, "Offer");
    EXPECT_EQ(a->job_id, "job-1");
    EXPECT_EQ(a->job_title, "Engineer");
    EXPECT_EQ(a->submitter_client_ip, "203.0.113.10");
    EXPECT_EQ(a->find_custom_field("Street Address")->value_text, "1 Market St");
    ASSERT_EQ(a->form_answers.size(), 4u);
    const form_answer* consent = a->find_answer("I CONSENT to a background and identity check");
    ASSERT_NE(consent, nullptr);
    EXPECT_EQ(consent->type, "Boolean");
    EXPECT_EQ(consent->value_json, "true");
    EXPECT_TRUE(consent->answered());
    EXPECT_EQ(a->find_answer("consent_select")->value_json, "\"I Consent\"");
    EXPECT_FALSE(a->find_answer("unanswered")->answered());
    EXPECT_FALSE(a->find_answer("nulled")->answered());
    EXPECT_EQ(a->find_answer("missing"), nullptr);
}

TEST_F(AshbyClientTest, SuccessFalseIsAPermanentApiErrorWithoutTheMessage) {
    http_.reply(200, failure("not_found", "Candidate ada@example.com not found"));
    auto c = client_.candidate_info("cand-x");
    ASSERT_FALSE(c.has_value());
    const upstream_error& e = c.error();
    EXPECT_EQ(e.kind, failure_kind::api_error);
    EXPECT_EQ(e.code, "not_found");
    EXPECT_FALSE(e.transient);
    EXPECT_EQ(e.status, 200);
    EXPECT_NE(e.message.find("not_found"), std::string::npos);
    EXPECT_NE(e.message.find("req-77"), std::string::npos);
    EXPECT_EQ(e.message.find("ada@example.com"), std::string::npos);
}

TEST_F(AshbyClientTest, FreeTextInErrorsIsNotKeptAsTheCode) {
    // Older answers list messages in errors[]: they could echo the request's personal data,
    // and the code ends up in logs, the job's last error and the audit trail.
    http_.reply(200, json{{"success", false},
                          {"errors", json::array({"Candidate ada@example.com already exists"})}}
                         .dump());
    auto c = client_.candidate_info("cand-x");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().code, "unrecognised_error");
    EXPECT_EQ(c.error().message.find("ada@"), std::string::npos) << c.error().message;

    http_.reply(
        200, json{{"success", false}, {"errors", json::array({"rate_limit_exceeded: slow down"})}}
                 .dump());
    auto limited = client_.candidate_info("cand-x");
    ASSERT_FALSE(limited.has_value());
    EXPECT_EQ(limited.error().code, "unrecognised_error");
    EXPECT_TRUE(limited.error().transient);  // classified on the text before it is dropped

    http_.reply(200, json{{"success", false},
                          {"errorInfo", {{"code", "not_found"}, {"requestId", "Ada Lovelace"}}}}
                         .dump());
    auto odd_id = client_.candidate_info("cand-x");
    ASSERT_FALSE(odd_id.has_value());
    EXPECT_EQ(odd_id.error().code, "not_found");
    EXPECT_EQ(odd_id.error().message.find("Lovelace"), std::string::npos);
}

TEST_F(AshbyClientTest, SuccessFalseCodesAreClassified) {
    http_.reply(200, failure("rate_limit_exceeded", "slow down"));
    auto limited = client_.create_tag("X");
    ASSERT_FALSE(limited.has_value());
    EXPECT_TRUE(limited.error().transient);

    http_.reply(200, json{{"success", false}, {"errors", json::array({"internal_error"})}}.dump());
    auto internal = client_.create_tag("X");
    ASSERT_FALSE(internal.has_value());
    EXPECT_EQ(internal.error().code, "internal_error");
    EXPECT_TRUE(internal.error().transient);

    http_.reply(200, json{{"success", false}}.dump());
    auto bare = client_.create_tag("X");
    ASSERT_FALSE(bare.has_value());
    EXPECT_EQ(bare.error().code, "unknown");
    EXPECT_FALSE(bare.error().transient);

    for (const char* code : {"RATE_LIMITED", "too_many_requests", "service_unavailable",
                             "request_timeout", "internal_server_error"}) {
        EXPECT_TRUE(classify_ashby_code(code)) << code;
    }
    for (const char* code : {"not_found", "invalid_input", "missing_endpoint_permission",
                             "application_not_found", "", "forbidden"}) {
        EXPECT_FALSE(classify_ashby_code(code)) << code;
    }
}

TEST_F(AshbyClientTest, HttpStatusesAreClassified) {
    struct row {
        long status;
        bool transient;
        std::map<std::string, std::string> headers;
        std::optional<milliseconds> retry_after;
    };
    for (const auto& r :
         std::vector<row>{{401, false, {}, {}},
                          {403, false, {}, {}},
                          {404, false, {}, {}},
                          {429, true, {{"retry-after", "7"}}, milliseconds{7000}},
                          {500, true, {}, {}},
                          {503, true, {{"retry-after", "2"}}, milliseconds{2000}}}) {
        http_.reply(r.status, R"({"success": false})", r.headers);
        auto c = client_.candidate_info("cand-1");
        ASSERT_FALSE(c.has_value());
        EXPECT_EQ(c.error().kind, failure_kind::http_status) << r.status;
        EXPECT_EQ(c.error().status, r.status);
        EXPECT_EQ(c.error().transient, r.transient) << r.status;
        EXPECT_EQ(c.error().retry_after, r.retry_after) << r.status;
    }
}

TEST_F(AshbyClientTest, AnHttpFailureCarriesTheCodeAshbyNamesInItsEnvelope) {
    http_.reply(403, R"({"success": false, "errorInfo": {"code": "missing_endpoint_permission",
                         "message": "The API key lacks candidates:read"}})");
    auto c = client_.candidate_info("cand-1");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().kind, failure_kind::http_status);
    EXPECT_EQ(c.error().status, 403);
    EXPECT_FALSE(c.error().transient);
    EXPECT_EQ(c.error().code, "missing_endpoint_permission");

    // Without a machine code (none, a sentence, not JSON) the status names it.
    for (const char* body : {R"({"success": false})", R"({"errors": ["Jane Doe is not allowed"]})",
                             "<html>Forbidden</html>"}) {
        http_.reply(403, body);
        auto other = client_.candidate_info("cand-1");
        ASSERT_FALSE(other.has_value()) << body;
        EXPECT_EQ(other.error().code, "http_403") << body;
    }
}

TEST_F(AshbyClientTest, BodiesThatAreNotTheEnvelopeAreProtocolErrors) {
    for (const char* body :
         {"", "<html>oops</html>", "[]", R"({"results": {}})", R"({"success": "yes"})",
          R"({"success": true, "results": {"id": 5}})"}) {
        http_.reply(200, body);
        auto c = client_.candidate_info("cand-1");
        ASSERT_FALSE(c.has_value()) << body;
        EXPECT_EQ(c.error().kind, failure_kind::protocol) << body;
        EXPECT_FALSE(c.error().transient);
    }
}

TEST_F(AshbyClientTest, TransportFailuresPassThrough) {
    upstream_error timeout;
    timeout.kind = failure_kind::timeout;
    timeout.transient = true;
    timeout.code = "timeout";
    http_.fail(timeout);
    auto c = client_.candidate_info("cand-1");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().kind, failure_kind::timeout);
    EXPECT_TRUE(c.error().transient);
}

TEST_F(AshbyClientTest, ListNotesFollowsTheCursorThroughEveryPage) {
    auto note_json = [](int i) {
        return json{{"id", "n" + std::to_string(i)},
                    {"content", "<p>note " + std::to_string(i) + "</p>"},
                    {"createdAt", "2026-01-0" + std::to_string(i) + "T00:00:00Z"}};
    };
    http_.reply(200, ok(json::array({note_json(1), note_json(2)}),
                        {{"moreDataAvailable", true}, {"nextCursor", "cur-a"}}));
    http_.reply(200, ok(json::array({note_json(3), note_json(4)}),
                        {{"moreDataAvailable", true}, {"nextCursor", "cur-b"}}));
    http_.reply(200, ok(json::array({note_json(5)}), {{"moreDataAvailable", false}}));
    auto notes = client_.list_notes("cand-1");
    ASSERT_TRUE(notes.has_value()) << notes.error().message;
    ASSERT_EQ(notes->size(), 5u);
    EXPECT_EQ((*notes)[4].id, "n5");
    EXPECT_EQ((*notes)[0].content, "<p>note 1</p>");
    EXPECT_EQ((*notes)[0].created_at, "2026-01-01T00:00:00Z");
    ASSERT_EQ(http_.calls.size(), 3u);
    EXPECT_EQ(json::parse(http_.calls[0].body), json({{"candidateId", "cand-1"}, {"limit", 2}}));
    EXPECT_EQ(json::parse(http_.calls[1].body)["cursor"], "cur-a");
    EXPECT_EQ(json::parse(http_.calls[2].body)["cursor"], "cur-b");
}

TEST_F(AshbyClientTest, APagingLoopIsStoppedNotFollowedForever) {
    for (int i = 0; i < 3; ++i) {
        http_.reply(200, ok(json::array(), {{"moreDataAvailable", true}, {"nextCursor", "same"}}));
    }
    auto tags = client_.list_tags();
    ASSERT_FALSE(tags.has_value());
    EXPECT_EQ(tags.error().code, "bad_cursor");
    EXPECT_EQ(http_.calls.size(), 2u);

    http_.answers.clear();
    http_.reply(200, ok(json::array(), {{"moreDataAvailable", true}}));
    auto no_cursor = client_.list_tags();
    ASSERT_FALSE(no_cursor.has_value());
    EXPECT_EQ(no_cursor.error().kind, failure_kind::protocol);
}

TEST_F(AshbyClientTest, WritesSendTheDocumentedBodies) {
    http_.reply(200, ok({{"id", "t-9"}, {"title", "LOW_RISK_IDENTITY"}, {"isArchived", false}}));
    auto t = client_.create_tag("LOW_RISK_IDENTITY");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->id, "t-9");
    EXPECT_EQ(json::parse(http_.calls.back().body), json({{"title", "LOW_RISK_IDENTITY"}}));
    EXPECT_EQ(http_.calls.back().url, "https://api.ashbyhq.com/candidateTag.create");

    http_.reply(200, ok(full_candidate));
    ASSERT_TRUE(client_.add_tag("cand-1", "t-9").has_value());
    EXPECT_EQ(json::parse(http_.calls.back().body),
              json({{"candidateId", "cand-1"}, {"tagId", "t-9"}}));

    http_.reply(200, ok({{"id", "note-1"}, {"content", "<b>x</b>"}}));
    auto n = client_.create_note({"cand-1", "<b>ACCEPT</b>", false, std::nullopt});
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, "note-1");
    EXPECT_EQ(json::parse(http_.calls.back().body),
              json({{"candidateId", "cand-1"},
                    {"note", {{"type", "text/html"}, {"value", "<b>ACCEPT</b>"}}},
                    {"sendNotifications", false}}));
    http_.reply(200, ok({{"id", "note-2"}}));
    ASSERT_TRUE(client_.create_note({"cand-1", "x", true, true}).has_value());
    EXPECT_EQ(json::parse(http_.calls.back().body)["isPrivate"], true);
    EXPECT_EQ(json::parse(http_.calls.back().body)["sendNotifications"], true);
    // A success without the note's id is still a written note (a retry would write it twice).
    http_.reply(200, ok(json::object()));
    auto no_id = client_.create_note({"cand-1", "x", false, std::nullopt});
    ASSERT_TRUE(no_id.has_value());
    EXPECT_EQ(*no_id, "");

    http_.reply(200, ok({{"objectId", "cand-1"}}));
    ASSERT_TRUE(client_
                    .set_custom_field_values("cand-1", "Candidate",
                                             {{"cf-status", "\"passed\""}, {"cf-flag", "true"}})
                    .has_value());
    EXPECT_EQ(json::parse(http_.calls.back().body),
              json({{"objectId", "cand-1"},
                    {"objectType", "Candidate"},
                    {"values",
                     {{{"fieldId", "cf-status"}, {"fieldValue", "passed"}},
                      {{"fieldId", "cf-flag"}, {"fieldValue", true}}}}}));

    const auto sent = http_.calls.size();
    auto bad = client_.set_custom_field_values("cand-1", "Candidate", {{"cf", "not json"}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "invalid_argument");
    EXPECT_EQ(http_.calls.size(), sent);  // refused before sending
}

TEST_F(AshbyClientTest, FraudStatusIsReadWhenItIsAString) {
    json flagged = full_candidate;
    flagged["fraudStatus"] = "Unreviewed";
    http_.reply(200, ok(flagged));
    auto c = client_.candidate_info("cand-1");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->fraud_status, "Unreviewed");

    for (const json& value : {json(nullptr), json(3), json::object()}) {
        json odd = full_candidate;
        odd["fraudStatus"] = value;
        http_.reply(200, ok(odd));
        auto read = client_.candidate_info("cand-1");
        ASSERT_TRUE(read.has_value()) << value.dump();
        EXPECT_FALSE(read->fraud_status.has_value()) << value.dump();
    }
    http_.reply(200, ok(full_candidate));  // no fraudStatus at all
    auto absent = client_.candidate_info("cand-1");
    ASSERT_TRUE(absent.has_value());
    EXPECT_FALSE(absent->fraud_status.has_value());
}

TEST_F(AshbyClientTest, RemoveTagSendsTheDocumentedBodyAndMapsFailuresLikeAddTag) {
    http_.reply(200, ok(full_candidate));
    auto removed = client_.remove_tag("cand-1", "t-9");
    ASSERT_TRUE(removed.has_value()) << removed.error().message;
    EXPECT_EQ(http_.calls.back().url, "https://api.ashbyhq.com/candidate.removeTag");
    EXPECT_EQ(http_.calls.back().method, http_method::post);
    EXPECT_EQ(json::parse(http_.calls.back().body),
              json({{"candidateId", "cand-1"}, {"tagId", "t-9"}}));
    EXPECT_EQ(http_.header(http_.calls.size() - 1, "Authorization"), "Basic a2V5LTEyMzo=");

    http_.reply(200, failure("not_found", "no tag t-9"));
    auto missing = client_.remove_tag("cand-1", "t-9");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().kind, failure_kind::api_error);
    EXPECT_EQ(missing.error().code, "not_found");
    EXPECT_FALSE(missing.error().transient);

    http_.reply(403, R"({"success": false, "errorInfo": {"code": "missing_endpoint_permission"}})");
    auto forbidden = client_.remove_tag("cand-1", "t-9");
    ASSERT_FALSE(forbidden.has_value());
    EXPECT_EQ(forbidden.error().kind, failure_kind::http_status);
    EXPECT_EQ(forbidden.error().status, 403);
    EXPECT_EQ(forbidden.error().code, "missing_endpoint_permission");
    EXPECT_FALSE(forbidden.error().transient);
}

TEST_F(AshbyClientTest, SetFraudStatusSendsTheDocumentedBodyAndMapsFailuresLikeAddTag) {
    json marked = full_candidate;
    marked["fraudStatus"] = "Fraudulent";
    http_.reply(200, ok(marked));
    auto set = client_.set_fraud_status("cand-1", "Fraudulent");
    ASSERT_TRUE(set.has_value()) << set.error().message;
    EXPECT_EQ(http_.calls.back().url, "https://api.ashbyhq.com/candidate.setFraudStatus");
    EXPECT_EQ(http_.calls.back().method, http_method::post);
    EXPECT_EQ(json::parse(http_.calls.back().body),
              json({{"candidateId", "cand-1"}, {"fraudStatus", "Fraudulent"}}));

    // An organisation without Fraud Detection: the code is whatever Ashby names.
    http_.reply(200, failure("fraud_detection_not_enabled", "Fraud Detection is not enabled"));
    auto off = client_.set_fraud_status("cand-1", "Unsure");
    ASSERT_FALSE(off.has_value());
    EXPECT_EQ(off.error().kind, failure_kind::api_error);
    EXPECT_EQ(off.error().code, "fraud_detection_not_enabled");
    EXPECT_FALSE(off.error().transient);
    EXPECT_EQ(off.error().message.find("not enabled"), std::string::npos);

    http_.reply(403, R"({"success": false})");
    auto forbidden = client_.set_fraud_status("cand-1", "NotFraudulent");
    ASSERT_FALSE(forbidden.has_value());
    EXPECT_EQ(forbidden.error().kind, failure_kind::http_status);
    EXPECT_EQ(forbidden.error().status, 403);
    EXPECT_EQ(forbidden.error().code, "http_403");
    EXPECT_FALSE(forbidden.error().transient);
}

TEST_F(AshbyClientTest, ListTagsCollectsEveryPage) {
    http_.reply(200, ok(json::array({{{"id", "a"}, {"title", "A"}}, {{"id", "b"}, {"title", "B"}}}),
                        {{"moreDataAvailable", true}, {"nextCursor", "c2"}}));
    http_.reply(200, ok(json::array({{{"id", "c"}, {"title", "C"}, {"isArchived", true}}})));
    auto tags = client_.list_tags();
    ASSERT_TRUE(tags.has_value());
    ASSERT_EQ(tags->size(), 3u);
    EXPECT_TRUE((*tags)[2].is_archived);
}

}  // namespace
}  // namespace riskbridge::clients::ashby
