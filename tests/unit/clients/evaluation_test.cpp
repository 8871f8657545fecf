// parse_evaluation against every recorded RiskOS sandbox response, the seed-003 webhook
// example, and malformed, truncated and mutated variants (errors, never crashes).

#include "riskbridge/clients/riskos/evaluation.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/paths.hpp"

namespace riskbridge::clients::riskos {
namespace {

using nlohmann::json;

struct expected_fixture {
    const char* file;
    int http_status;
    const char* decision;
    const char* eval_status;
    const char* status;
    std::vector<std::string> tags;
    const char* docv_token;  // "" when not a step-up
    const char* docv_url;
};

const std::vector<expected_fixture>& expectations() {
    static const std::vector<expected_fixture> all = {
        {"digital_intelligence__step_up_to_docv",
         201,
         "REVIEW",
         "evaluation_paused",
         "ON_HOLD",
         {"Digital Intel Step Up"},
         "150422a3-0358-43b0-a10f-b55b736195f6",
         "https://verify.socure.com/#/dv/150422a3-0358-43b0-a10f-b55b736195f6"},
        {"digital_intelligence_error__di_session_token_not_entered__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Digital Intelligence Error"},
         "",
         ""},
        {"emailrisk_error__email_not_entered__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Email Risk Error", "Socure Fraud Suite Error"},
         "",
         ""},
        {"happy_path__accept", 200, "ACCEPT", "evaluation_completed", "CLOSED", {}, "", ""},
        {"phonerisk_error__phone_not_entered__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Phone Risk Error", "Socure Fraud Suite Error"},
         "",
         ""},
        {"sigma_identity_fraud__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Sigma Identity Fraud Reject", "High Risk Individual"},
         "",
         ""},
        {"verify__address_is_invalid_or_does_not_exist__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Address is Invalid or Commercial or PO box or Prison - Reject", "Verify Reject"},
         "",
         ""},
        {"verify__dob_does_not_match__step_up_to_docv",
         201,
         "REVIEW",
         "evaluation_paused",
         "ON_HOLD",
         {"DOB Does Not Match Step Up"},
         "2f5717ad-f19f-4e0b-997d-e1d9317a75eb",
         "https://verify.socure.com/#/dv/2f5717ad-f19f-4e0b-997d-e1d9317a75eb"},
        {"verify__first__last_name_reversed__step_up_to_docv",
         201,
         "REVIEW",
         "evaluation_paused",
         "ON_HOLD",
         {"First and Last Name Possibly Reversed Step Up"},
         "4c3a2653-810c-404e-a2c8-620ceab26843",
         "https://verify.socure.com/#/dv/4c3a2653-810c-404e-a2c8-620ceab26843"},
        {"verify__name_does_not_match__step_up_to_docv",
         201,
         "REVIEW",
         "evaluation_paused",
         "ON_HOLD",
         {"First or Last Name Does Not Match Step Up", "Email Risk Step Up", "Phone Risk Step Up"},
         "28775cd3-f19a-426d-938d-6fc1981e0451",
         "https://verify.socure.com/#/dv/28775cd3-f19a-426d-938d-6fc1981e0451"},
        {"verify__ssn_does_not_match__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"SSN Does Not Match - Reject", "Verify Reject"},
         "",
         ""},
        {"verify_error__country_not_entered__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Verify Error", "Verify Reject"},
         "",
         ""},
        {"watchlist_hit__reject",
         200,
         "REJECT",
         "evaluation_completed",
         "CLOSED",
         {"Watchlist Review"},
         "",
         ""},
    };
    return all;
}

std::string fixture_path(const std::string& name) {
    return testing::fixtures_dir() + "/riskos/" + name + ".json";
}

/// The recorded body of a fixture, as the API sent it (re-serialised).
std::string fixture_body(const std::string& name, int* status = nullptr) {
    std::ifstream in(fixture_path(name));
    std::stringstream ss;
    ss << in.rdbuf();
    const json doc = json::parse(ss.str());
    if (status != nullptr) {
        *status = doc.at("status_code").get<int>();
    }
    return doc.at("body").dump();
}

evaluation parse_fixture(const std::string& name) {
    auto parsed = parse_evaluation(fixture_body(name));
    EXPECT_TRUE(parsed.has_value()) << name;
    return parsed ? *parsed : evaluation{};
}

TEST(EvaluationFixtures, EveryFixtureFileIsCovered) {
    std::size_t files = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(testing::fixtures_dir() + "/riskos")) {
        if (entry.path().extension() == ".json") {
            ++files;
            const auto stem = entry.path().stem().string();
            const bool listed = std::any_of(expectations().begin(), expectations().end(),
                                            [&](const auto& e) { return stem == e.file; });
            EXPECT_TRUE(listed) << stem << " has no expectation";
        }
    }
    EXPECT_EQ(files, expectations().size());
}

TEST(EvaluationFixtures, EachParsesToItsRecordedOutcome) {
    for (const auto& want : expectations()) {
        SCOPED_TRACE(want.file);
        int status = 0;
        auto parsed = parse_evaluation(fixture_body(want.file, &status));
        ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
        const evaluation& ev = *parsed;
        EXPECT_EQ(status, want.http_status);
        EXPECT_EQ(ev.decision_text, want.decision);
        EXPECT_EQ(to_string(ev.decision), std::string(want.decision));
        EXPECT_EQ(ev.eval_status, want.eval_status);
        EXPECT_EQ(ev.status, want.status);
        EXPECT_EQ(ev.tags, want.tags);
        EXPECT_FALSE(ev.eval_id.empty());
        EXPECT_FALSE(ev.id.empty());
        EXPECT_EQ(ev.workflow, "consumer_onboarding");
        EXPECT_FALSE(ev.enrichments.empty());
        // Every field of the real responses is known: nothing to report.
        EXPECT_TRUE(ev.warnings.empty()) << ev.warnings.front();
        const bool step_up = std::string(want.docv_token).size() > 0;
        EXPECT_EQ(ev.paused(), step_up);
        EXPECT_EQ(ev.needs_documents(), step_up);
        if (step_up) {
            ASSERT_TRUE(ev.docv.has_value());
            EXPECT_EQ(ev.docv->token, want.docv_token);
            EXPECT_EQ(ev.docv->url, want.docv_url);
            EXPECT_TRUE(ev.docv->has_qr_code);
            EXPECT_EQ(ev.decision, decision::review);
            const enrichment* req = ev.find_by_provider("SocureDocRequest");
            ASSERT_NE(req, nullptr);
            EXPECT_EQ(req->name, "Socure Document Request - Default Flow");
        } else {
            EXPECT_FALSE(ev.docv.has_value());
            EXPECT_EQ(ev.find_by_provider("SocureDocRequest"), nullptr);
        }
        EXPECT_FALSE(ev.docv_outcome.has_value());
    }
}

TEST(EvaluationFixtures, ReasonCodesAndNamedScoresPerEnrichment) {
    const evaluation ev = parse_fixture("happy_path__accept");
    EXPECT_EQ(ev.decision, decision::accept);
    EXPECT_TRUE(ev.completed());
    ASSERT_TRUE(ev.score.has_value());
    EXPECT_DOUBLE_EQ(*ev.score, 11.0);

    const enrichment* email = ev.find_by_name("Socure Email Risk");
    ASSERT_NE(email, nullptr);
    EXPECT_EQ(email->provider, "Socure");
    EXPECT_EQ(email->status_code, 200);
    EXPECT_FALSE(email->failed());
    const module_result* risk = email->find_module("emailRisk");
    ASSERT_NE(risk, nullptr);
    EXPECT_EQ(risk->reason_codes, (std::vector<std::string>{"I520", "I553", "I555"}));
    ASSERT_EQ(risk->scores.size(), 1u);
    EXPECT_EQ(risk->scores[0].name, "RiskEmailUS.V11__Uniform.V1");
    EXPECT_EQ(risk->scores[0].version, "4.0");
    EXPECT_DOUBLE_EQ(risk->scores[0].score, 0.01);
    const module_result* corr = email->find_module("nameEmailCorrelation");
    ASSERT_NE(corr, nullptr);
    ASSERT_TRUE(corr->score.has_value());
    EXPECT_DOUBLE_EQ(*corr->score, 0.99);

    const enrichment* sigma = ev.find_by_name("socure graphintelligence + sigma fraud");
    ASSERT_NE(sigma, nullptr);
    ASSERT_NE(sigma->find_module("fraud"), nullptr);
    EXPECT_DOUBLE_EQ(sigma->find_module("fraud")->scores.at(0).score, 0.243);

    const auto all = ev.reason_codes();
    EXPECT_NE(std::find(all.begin(), all.end(), "I919"), all.end());  // kyc
    EXPECT_NE(std::find(all.begin(), all.end(), "I196"), all.end());  // watchlist
    EXPECT_EQ(std::count(all.begin(), all.end(), "I553"), 1);         // no repeats across modules
}

TEST(EvaluationFixtures, HighScoreWithoutReasonCodes) {
    const evaluation ev = parse_fixture("sigma_identity_fraud__reject");
    const enrichment* sigma = ev.find_by_name("Socure GraphIntelligence + Sigma Fraud");
    ASSERT_NE(sigma, nullptr);
    const module_result* fraud = sigma->find_module("fraud");
    ASSERT_NE(fraud, nullptr);
    EXPECT_TRUE(fraud->reason_codes.empty());
    ASSERT_EQ(fraud->scores.size(), 1u);
    EXPECT_EQ(fraud->scores[0].name, "sigma");
    EXPECT_DOUBLE_EQ(fraud->scores[0].score, 0.99);
}

TEST(EvaluationFixtures, JsonInsideAStringIsDecoded) {
    for (const auto& [file, name] : std::vector<std::pair<std::string, std::string>>{
             {"emailrisk_error__email_not_entered__reject", "Socure Email Risk"},
             {"phonerisk_error__phone_not_entered__reject", "Socure Phone Risk"},
             {"digital_intelligence_error__di_session_token_not_entered__reject",
              "Socure Digital Intelligence"}}) {
        SCOPED_TRACE(file);
        const evaluation ev = parse_fixture(file);
        const enrichment* e = ev.find_by_name(name);
        ASSERT_NE(e, nullptr);
        EXPECT_TRUE(e->response_was_string);
        EXPECT_FALSE(e->response_unreadable);
        EXPECT_EQ(e->status_code, 400);
        EXPECT_TRUE(e->failed());
        EXPECT_TRUE(e->modules.empty());  // the decoded error has no module
    }
}

TEST(EvaluationFixtures, EnrichmentsAreFoundByNameNotPosition) {
    // Reverse the enrichments: every lookup still finds the same one.
    json body = json::parse(fixture_body("verify__dob_does_not_match__step_up_to_docv"));
    auto& list = body["data_enrichments"];
    std::reverse(list.begin(), list.end());
    auto parsed = parse_evaluation(body.dump());
    ASSERT_TRUE(parsed.has_value());
    ASSERT_TRUE(parsed->docv.has_value());
    EXPECT_EQ(parsed->docv->token, "2f5717ad-f19f-4e0b-997d-e1d9317a75eb");
    EXPECT_EQ(parsed->enrichments.front().provider, "SocureDocRequest");
    const enrichment* verify = parsed->find_by_name("Socure Verify");
    ASSERT_NE(verify, nullptr);
    EXPECT_EQ(verify->find_module("kyc")->reason_codes, std::vector<std::string>{"R922"});
}

// The evaluation_completed example of Socure's DocV webhook reference (data only), DocV result
// included.
constexpr const char* seed003_completed = R"({
  "eval_id": "11111111-2222-3333-4444-555555555555", "id": "client-transaction-12345",
  "workflow": "consumer_onboarding", "workflow_id": "5937a624-f298-452c-9169-ceeae9e66b74",
  "workflow_version": "1.0.0", "environment_name": "Sandbox", "eval_source": "API",
  "eval_start_time": "2025-07-17T01:18:27Z", "eval_end_time": "2025-07-17T01:20:01Z",
  "eval_status": "evaluation_completed", "decision": "ACCEPT",
  "decision_at": "2025-07-17T01:20:01Z", "status": "CLOSED", "sub_status": "Accept",
  "tags": [], "notes": "", "review_queues": ["Default Queue"],
  "data_enrichments": [
    {"enrichment_name": "Socure Document Request - Default Flow",
     "enrichment_endpoint": "https://service.socure.com/api/5.0/documents/request",
     "enrichment_provider": "SocureDocRequest", "status_code": 200,
     "response": {"referenceId": "ed6a5077-b272-4a75-8c21-b284e10927cd",
                  "status": "SESSION_COMPLETE",
                  "data": {"docvTransactionToken": "7d6ad42b-f804-4255-b25e-268b8a77c86f",
                           "url": "https://verify.socure.com/#/dv/7d6ad42b-f804-4255-b25e-268b8a77c86f"}}},
    {"enrichment_name": "Socure Document Verification",
     "enrichment_endpoint": "https://service.socure.com/api/5.0/documents/verify",
     "enrichment_provider": "Socure", "status_code": 200,
     "response": {"referenceId": "ed6a5077-b272-4a75-8c21-b284e10927c",
                  "documentVerification": {
                    "decision": {"name": "standard", "value": "accept"},
                    "reasonCodes": ["I831", "I836"],
                    "documentType": {"type": "Drivers License", "country": "USA", "state": "NY"},
                    "documentData": {"firstName": "Test", "surName": "User", "fullName": "Test User",
                                     "dob": "1990-01-01", "documentNumber": "TST1234567",
                                     "expirationDate": "2030-01-01"}}}}]})";

TEST(EvaluationWebhook, Seed003CompletedDocV) {
    auto parsed = parse_evaluation(seed003_completed);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    const evaluation& ev = *parsed;
    EXPECT_TRUE(ev.completed());
    EXPECT_FALSE(ev.needs_documents());
    EXPECT_EQ(ev.decision, decision::accept);
    ASSERT_TRUE(ev.docv.has_value());
    EXPECT_EQ(ev.docv->token, "7d6ad42b-f804-4255-b25e-268b8a77c86f");
    EXPECT_EQ(ev.docv->status, "SESSION_COMPLETE");
    EXPECT_FALSE(ev.docv->has_qr_code);
    ASSERT_TRUE(ev.docv_outcome.has_value());
    EXPECT_EQ(ev.docv_outcome->decision, decision::accept);
    EXPECT_EQ(ev.docv_outcome->decision_value, "accept");
    EXPECT_EQ(ev.docv_outcome->decision_name, "standard");
    EXPECT_EQ(ev.docv_outcome->reason_codes, (std::vector<std::string>{"I831", "I836"}));
    EXPECT_EQ(ev.docv_outcome->document.type, "Drivers License");
    EXPECT_EQ(ev.docv_outcome->document.country, "USA");
    EXPECT_EQ(ev.docv_outcome->document.state, "NY");
    EXPECT_TRUE(ev.warnings.empty());
    // The same through the json overload (a webhook's `data`).
    auto again = parse_evaluation(json::parse(seed003_completed));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->eval_id, ev.eval_id);
}

TEST(EvaluationWebhook, DocumentDecisionsMapToTheEnum) {
    for (const auto& [value, want] :
         std::vector<std::pair<std::string, decision>>{{"accept", decision::accept},
                                                       {"review", decision::review},
                                                       {"resubmit", decision::resubmit},
                                                       {"reject", decision::reject},
                                                       {"fraud_review", decision::unknown}}) {
        json doc = json::parse(seed003_completed);
        doc["data_enrichments"][1]["response"]["documentVerification"]["decision"]["value"] = value;
        auto parsed = parse_evaluation(doc);
        ASSERT_TRUE(parsed.has_value());
        ASSERT_TRUE(parsed->docv_outcome.has_value());
        EXPECT_EQ(parsed->docv_outcome->decision, want) << value;
    }
}

TEST(EvaluationTolerance, UnknownDecisionStatusAndFieldsAreReported) {
    json doc = json::parse(fixture_body("happy_path__accept"));
    doc["decision"] = "FRAUD_REVIEW";
    doc["eval_status"] = "evaluation_teleported";
    doc["brand_new_field"] = {{"x", 1}};
    auto parsed = parse_evaluation(doc.dump());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->decision, decision::unknown);
    EXPECT_EQ(parsed->decision_text, "FRAUD_REVIEW");
    EXPECT_EQ(parsed->state, eval_state::unknown);
    const auto& w = parsed->warnings;
    auto has = [&](const std::string& s) {
        return std::any_of(w.begin(), w.end(),
                           [&](const std::string& x) { return x.find(s) != std::string::npos; });
    };
    EXPECT_TRUE(has("unknown decision 'FRAUD_REVIEW'"));
    EXPECT_TRUE(has("unknown eval_status"));
    EXPECT_TRUE(has("unknown field 'brand_new_field'"));
}

TEST(EvaluationTolerance, WrongTypesAreAbsentNotFatal) {
    const char* text = R"({"eval_id": "e-1", "decision": 7, "tags": ["a", 3, null, "b"],
        "score": "high", "status": ["x"], "data_enrichments": [
          3, null, {"enrichment_name": 5, "enrichment_provider": "SocureDocRequest",
                    "status_code": "200", "response": {"data": {"docvTransactionToken": 9}}},
          {"enrichment_name": "s", "response": "not json at all"},
          {"enrichment_name": "t", "response": {"response": "{\"kyc\": {\"reasonCodes\": [\"R1\"]}}"}},
          {"enrichment_name": "u", "response": [1, 2]},
          {"enrichment_name": "v", "response": {"m": {"reasonCodes": "R1", "scores": [{"name": "n"}, 4,
                                                 {"name": "ok", "score": 0.5, "version": 4.1}]}}}]})";
    auto parsed = parse_evaluation(text);
    ASSERT_TRUE(parsed.has_value());
    const evaluation& ev = *parsed;
    EXPECT_EQ(ev.decision, decision::unknown);
    EXPECT_EQ(ev.tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(ev.score.has_value());
    EXPECT_TRUE(ev.status.empty());
    EXPECT_FALSE(ev.docv.has_value());
    ASSERT_EQ(ev.enrichments.size(), 5u);
    EXPECT_FALSE(ev.enrichments[0].status_code.has_value());
    EXPECT_TRUE(ev.find_by_name("s")->response_unreadable);
    EXPECT_TRUE(ev.find_by_name("t")->response_was_string);
    EXPECT_EQ(ev.find_by_name("t")->reason_codes(), std::vector<std::string>{"R1"});
    const module_result* m = ev.find_by_name("v")->find_module("m");
    ASSERT_NE(m, nullptr);
    EXPECT_TRUE(m->reason_codes.empty());
    ASSERT_EQ(m->scores.size(), 1u);
    EXPECT_EQ(m->scores[0].name, "ok");
    EXPECT_EQ(m->scores[0].version, "4.1");
    EXPECT_FALSE(ev.warnings.empty());
}

TEST(EvaluationErrors, MalformedDocumentsAreErrors) {
    for (const char* text :
         {"", "   ", "null", "[]", "42", "\"eval\"", "{", "{}", R"({"eval_id": 5})",
          R"({"eval_id": ""})", R"({"eval_id": "x",})", "{\"eval_id\": \"\xff\xfe\"",
          "\xef\xbb\xbf", R"({"eval_id": "x"} trailing)"}) {
        auto parsed = parse_evaluation(std::string_view{text});
        EXPECT_FALSE(parsed.has_value()) << text;
        if (!parsed) {
            EXPECT_EQ(parsed.error().code, errc::parse_error);
        }
    }
}

TEST(EvaluationErrors, EveryFixtureTruncatedIsAnError) {
    for (const auto& want : expectations()) {
        const std::string body = fixture_body(want.file);
        std::vector<std::size_t> cuts{0,
                                      1,
                                      2,
                                      body.size() / 4,
                                      body.size() / 2,
                                      body.size() * 3 / 4,
                                      body.size() - 2,
                                      body.size() - 1};
        for (std::size_t at = 7; at < body.size(); at += 1009) {
            cuts.push_back(at);
        }
        for (const auto cut : cuts) {
            auto parsed = parse_evaluation(std::string_view{body}.substr(0, cut));
            EXPECT_FALSE(parsed.has_value()) << want.file << " cut at " << cut;
        }
    }
}

TEST(EvaluationErrors, MutatedFixturesNeverCrash) {
    std::mt19937 rng(20260214);
    const std::string body = fixture_body("verify__name_does_not_match__step_up_to_docv");
    const std::string junk = "{}[]\",:0 \\\xff";
    int parsed_ok = 0;
    for (int round = 0; round < 300; ++round) {
        std::string mutated = body;
        for (int k = 0; k < 3; ++k) {
            const std::size_t at = rng() % mutated.size();
            mutated[at] = junk[rng() % junk.size()];
        }
        auto parsed = parse_evaluation(mutated);
        parsed_ok += parsed.has_value() ? 1 : 0;
    }
    // Some mutations land in string values and still parse; most break the JSON.
    EXPECT_LT(parsed_ok, 300);
}

TEST(EvaluationRequest, FullRequestHasTheWorkforceShape) {
    evaluation_request r;
    r.id = "job-42-screening";
    r.timestamp = "2026-02-01T10:00:00.000Z";
    r.workflow = "workforce_verification";
    r.ip_address = "203.0.113.10";
    r.individual.id = "cand-1";
    r.individual.given_name = "Ada";
    r.individual.family_name = "Lovelace";
    r.individual.email = "ada@example.com";
    r.individual.phone_number = "+14155550101";
    r.individual.address = address{"1 Market St", "Suite 2", "San Francisco", "CA", "94105", "US"};
    docv_config d;
    d.use_case_key = "workforce";
    d.document_type = "license";
    d.redirect = docv_redirect{"https://example.com/done", "GET"};
    r.individual.docv = d;

    const json j = json::parse(to_json_text(r));
    EXPECT_EQ(j["id"], "job-42-screening");
    EXPECT_EQ(j["timestamp"], "2026-02-01T10:00:00.000Z");
    EXPECT_EQ(j["workflow"], "workforce_verification");
    EXPECT_EQ(j["data"]["event_type"], "application_submitted");
    EXPECT_EQ(j["data"]["event_category"], "workforce_verification");
    EXPECT_EQ(j["data"]["ip_address"], "203.0.113.10");
    const json& ind = j["data"]["individual"];
    EXPECT_EQ(ind["id"], "cand-1");
    EXPECT_EQ(ind["given_name"], "Ada");
    EXPECT_EQ(ind["family_name"], "Lovelace");
    EXPECT_EQ(ind["email"], "ada@example.com");
    EXPECT_EQ(ind["phone_number"], "+14155550101");
    EXPECT_EQ(ind["address"], json({{"line_1", "1 Market St"},
                                    {"line_2", "Suite 2"},
                                    {"locality", "San Francisco"},
                                    {"major_admin_division", "CA"},
                                    {"postal_code", "94105"},
                                    {"country", "US"}}));
    EXPECT_EQ(ind["docv"]["config"],
              json({{"send_message", true},
                    {"language", "en"},
                    {"use_case_key", "workforce"},
                    {"document_type", "license"},
                    {"redirect", {{"method", "GET"}, {"url", "https://example.com/done"}}}}));
    EXPECT_FALSE(ind.contains("di_session_token"));
}

TEST(EvaluationRequest, AbsentOptionalFieldsAreOmittedNotNull) {
    evaluation_request r;
    r.id = "job-1";
    r.timestamp = "2026-02-01T10:00:00.000Z";
    r.workflow = "w";
    r.individual.id = "c";
    r.individual.given_name = "A";
    r.individual.family_name = "B";
    r.individual.address = address{"1 Main St", std::nullopt, "Springfield", "IL", "62701", "US"};
    const json j = json::parse(to_json_text(r));
    EXPECT_FALSE(j["data"].contains("ip_address"));
    const json& ind = j["data"]["individual"];
    for (const char* key : {"email", "phone_number", "docv", "di_session_token"}) {
        EXPECT_FALSE(ind.contains(key)) << key;
    }
    EXPECT_FALSE(ind["address"].contains("line_2"));
    r.individual.address.reset();
    EXPECT_FALSE(json::parse(to_json_text(r))["data"]["individual"].contains("address"));
}

TEST(EvaluationRequest, NamesAreClippedTo240CharactersOnCharacterBoundaries) {
    std::string long_name;
    for (int i = 0; i < 300; ++i) {
        long_name += "\xc3\xa9";  // é, two bytes
    }
    evaluation_request r;
    r.individual.given_name = long_name;
    r.individual.family_name = "Short";
    const json j = json::parse(to_json_text(r));
    const std::string given = j["data"]["individual"]["given_name"];
    EXPECT_EQ(given.size(), 480u);
    EXPECT_EQ(j["data"]["individual"]["family_name"], "Short");
    EXPECT_EQ(clip_utf8("abc", 2), "ab");
    EXPECT_EQ(clip_utf8("abc", 5), "abc");
    EXPECT_EQ(clip_utf8("", 5), "");
}

TEST(EvaluationEnums, DecisionAndStateParsing) {
    EXPECT_EQ(parse_decision("ACCEPT"), decision::accept);
    EXPECT_EQ(parse_decision("accept"), decision::accept);
    EXPECT_EQ(parse_decision("Review"), decision::review);
    EXPECT_EQ(parse_decision("REJECT"), decision::reject);
    EXPECT_EQ(parse_decision("RESUBMIT"), decision::resubmit);
    EXPECT_EQ(parse_decision(""), decision::unknown);
    EXPECT_EQ(parse_decision("ACCEPTED"), decision::unknown);
    EXPECT_EQ(parse_eval_state("evaluation_in_progress"), eval_state::in_progress);
    EXPECT_EQ(parse_eval_state("evaluation_paused"), eval_state::paused);
    EXPECT_EQ(parse_eval_state("done"), eval_state::unknown);
}

}  // namespace
}  // namespace riskbridge::clients::riskos
