// The Ashby client against the fake Ashby over real loopback sockets: envelope, auth,
// paging, faults (retry classification, timeouts), inspection and signed webhooks.

#include "riskbridge/sim/ashby_sim.hpp"

#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "receiver.hpp"
#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/security/hmac.hpp"
#include "riskbridge/sim/sample_data.hpp"

namespace riskbridge::sim {
namespace {

using namespace std::chrono_literals;
using clients::failure_kind;
using nlohmann::json;

constexpr const char* api_key = "test-ashby-key";
constexpr const char* webhook_secret = "test-webhook-secret";

class AshbySimTest : public ::testing::Test {
protected:
    void SetUp() override {
        ashby_sim_options o;
        o.api_key = api_key;
        o.webhook_secret = webhook_secret;
        o.seed = 42;
        sim_ = std::make_unique<ashby_simulator>(o);
        ASSERT_TRUE(sim_->start().has_value());
        samples_ = seed_sample_data(*sim_);
        clients::curl_options co;
        co.connect_timeout = 2s;
        co.total_timeout = 5s;
        http_ = clients::make_curl_client(co);
        client_ = make_client(api_key);
    }

    std::unique_ptr<clients::ashby::ashby_client> make_client(const std::string& key,
                                                              int page_limit = 100) {
        clients::ashby::ashby_options o;
        o.base_url = sim_->base_url();
        o.api_key = key;
        o.page_limit = page_limit;
        return std::make_unique<clients::ashby::ashby_client>(*http_, o);
    }

    const sample_applicant& sample(const std::string& label) {
        for (const auto& s : samples_) {
            if (s.label == label) {
                return s;
            }
        }
        throw std::runtime_error("no sample " + label);
    }

    std::unique_ptr<ashby_simulator> sim_;
    std::vector<sample_applicant> samples_;
    std::unique_ptr<clients::http_client> http_;
    std::unique_ptr<clients::ashby::ashby_client> client_;
};

TEST_F(AshbySimTest, CandidateAndApplicationRoundTrip) {
    const auto& s = sample("accept");
    auto c = client_->candidate_info(s.candidate_id);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->name, "Ada Lovelace");
    EXPECT_EQ(c->email, "accept.ada@example.com");
    EXPECT_EQ(c->phone, "+1 415 555 0101");
    EXPECT_EQ(c->loc.country, "United States");
    EXPECT_EQ(c->loc.region, "California");
    EXPECT_EQ(c->loc.city, "San Francisco");
    EXPECT_EQ(c->find_custom_field("Postal Code")->value_text, "94105");
    EXPECT_EQ(c->application_ids, std::vector<std::string>{s.application_id});

    auto a = client_->application_info(s.application_id);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(a->candidate_id, s.candidate_id);
    EXPECT_EQ(a->submitter_client_ip, "203.0.113.11");
    ASSERT_TRUE(a->current_stage.has_value());
    const auto* consent = a->find_answer("I consent to a background and identity check");
    ASSERT_NE(consent, nullptr);
    EXPECT_EQ(consent->value_json, "true");

    auto review = client_->application_info(sample("review").application_id);
    ASSERT_TRUE(review.has_value());
    EXPECT_EQ(review->find_answer(sample_consent_path)->value_json, "\"I Consent\"");
    EXPECT_EQ(review->find_answer(sample_consent_path)->type, "ValueSelect");
    EXPECT_EQ(sim_->calls("candidate.info"), 1);
    EXPECT_EQ(sim_->calls("application.info"), 2);
}

TEST_F(AshbySimTest, UnknownIdsAreSuccessFalseNotFound) {
    auto c = client_->candidate_info("no-such-candidate");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().kind, failure_kind::api_error);
    EXPECT_EQ(c.error().code, "not_found");
    EXPECT_EQ(c.error().status, 200);
    EXPECT_FALSE(c.error().transient);
    auto n = client_->create_note({"no-such-candidate", "x", false, std::nullopt});
    ASSERT_FALSE(n.has_value());
    EXPECT_EQ(n.error().code, "not_found");
}

TEST_F(AshbySimTest, WrongKeyIs403AndMissingKeyIs401BothPermanent) {
    auto wrong = make_client("not-the-key")->candidate_info(sample("accept").candidate_id);
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().kind, failure_kind::http_status);
    EXPECT_EQ(wrong.error().status, 403);
    EXPECT_FALSE(wrong.error().transient);

    clients::http_call raw;
    raw.url = sim_->base_url() + "/candidate.info";
    raw.headers = {{"Accept", "application/json; version=1"}};
    raw.body = R"({"id": "x"})";
    auto r = http_->send(raw);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 401);
    EXPECT_FALSE(clients::is_transient_status(r->status));
}

TEST_F(AshbySimTest, TagsAreCreatedOrGotAndPagedThrough) {
    auto first = client_->create_tag("LOW_RISK_IDENTITY");
    ASSERT_TRUE(first.has_value()) << first.error().message;
    auto again = client_->create_tag("LOW_RISK_IDENTITY");
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(first->id, again->id);
    for (const char* t : {"A", "B", "C", "D"}) {
        ASSERT_TRUE(client_->create_tag(t).has_value());
    }
    sim_->add_tag("ARCHIVED", true);
    auto all = client_->list_tags();
    ASSERT_TRUE(all.has_value()) << all.error().message;
    EXPECT_EQ(all->size(), 5u);                      // the archived one is not listed
    EXPECT_EQ(sim_->calls("candidateTag.list"), 3);  // pages of 2

    const auto& s = sample("accept");
    ASSERT_TRUE(client_->add_tag(s.candidate_id, first->id).has_value());
    ASSERT_TRUE(client_->add_tag(s.candidate_id, first->id).has_value());  // no duplicate
    EXPECT_EQ(sim_->tags_of(s.candidate_id), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    auto c = client_->candidate_info(s.candidate_id);
    ASSERT_TRUE(c.has_value());
    EXPECT_TRUE(c->has_tag(first->id));
    auto bad = client_->add_tag(s.candidate_id, "no-such-tag");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "not_found");
}

TEST_F(AshbySimTest, TagsAreRemovedAndAbsentTagsAreNoError) {
    const auto& s = sample("accept");
    auto low = client_->create_tag("LOW_RISK_IDENTITY");
    auto high = client_->create_tag("HIGH_RISK_IDENTITY");
    ASSERT_TRUE(low.has_value() && high.has_value());
    ASSERT_TRUE(client_->add_tag(s.candidate_id, low->id).has_value());
    ASSERT_TRUE(client_->add_tag(s.candidate_id, high->id).has_value());

    auto removed = client_->remove_tag(s.candidate_id, low->id);
    ASSERT_TRUE(removed.has_value()) << removed.error().message;
    EXPECT_EQ(sim_->tags_of(s.candidate_id), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    auto c = client_->candidate_info(s.candidate_id);
    ASSERT_TRUE(c.has_value());
    EXPECT_FALSE(c->has_tag(low->id));
    EXPECT_TRUE(c->has_tag(high->id));

    // A tag the candidate does not have: success, and the candidate comes back unchanged.
    const json body{{"candidateId", s.candidate_id}, {"tagId", low->id}};
    auto again = client_->call("candidate.removeTag", body.dump());
    ASSERT_TRUE(again.has_value()) << again.error().message;
    const json unchanged = json::parse(*again);
    EXPECT_EQ(unchanged["id"], s.candidate_id);
    ASSERT_EQ(unchanged["tags"].size(), 1u);
    EXPECT_EQ(unchanged["tags"][0]["id"], high->id);
    EXPECT_EQ(sim_->tags_of(s.candidate_id), std::vector<std::string>{"HIGH_RISK_IDENTITY"});

    auto unknown_tag = client_->remove_tag(s.candidate_id, "no-such-tag");
    ASSERT_FALSE(unknown_tag.has_value());
    EXPECT_EQ(unknown_tag.error().code, "not_found");
    auto unknown_candidate = client_->remove_tag("no-such-candidate", high->id);
    ASSERT_FALSE(unknown_candidate.has_value());
    EXPECT_EQ(unknown_candidate.error().code, "not_found");
    auto no_tag =
        client_->call("candidate.removeTag", json{{"candidateId", s.candidate_id}}.dump());
    ASSERT_FALSE(no_tag.has_value());
    EXPECT_EQ(no_tag.error().code, "invalid_input");
    EXPECT_EQ(sim_->calls("candidate.removeTag"), 5);
}

TEST_F(AshbySimTest, FraudStatusIsValidatedStoredAndShown) {
    const auto& s = sample("reject");
    auto before = client_->call("candidate.info", json{{"id", s.candidate_id}}.dump());
    ASSERT_TRUE(before.has_value());
    const json shown = json::parse(*before);
    ASSERT_TRUE(shown.contains("fraudStatus"));
    EXPECT_TRUE(shown["fraudStatus"].is_null());
    EXPECT_FALSE(sim_->fraud_status_of(s.candidate_id).has_value());

    auto set = client_->set_fraud_status(s.candidate_id, "Fraudulent");
    ASSERT_TRUE(set.has_value()) << set.error().message;
    EXPECT_EQ(sim_->fraud_status_of(s.candidate_id), "Fraudulent");
    auto c = client_->candidate_info(s.candidate_id);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->fraud_status, "Fraudulent");
    ASSERT_TRUE(client_->set_fraud_status(s.candidate_id, "Unsure").has_value());
    ASSERT_TRUE(client_->set_fraud_status(s.candidate_id, "NotFraudulent").has_value());
    EXPECT_EQ(client_->candidate_info(s.candidate_id)->fraud_status, "NotFraudulent");

    // Only the three values a caller may set; what Ashby sets by itself is refused.
    for (const char* value : {"Unreviewed", "PassedFraudCheck", "fraudulent", ""}) {
        auto bad = client_->set_fraud_status(s.candidate_id, value);
        ASSERT_FALSE(bad.has_value()) << value;
        EXPECT_EQ(bad.error().code, "invalid_input") << value;
    }
    EXPECT_EQ(sim_->fraud_status_of(s.candidate_id), "NotFraudulent");
    auto unknown = client_->set_fraud_status("no-such-candidate", "Fraudulent");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, "not_found");

    bool found = false;
    const json state = json::parse(sim_->state_json());
    for (const auto& cand : state["candidates"]) {
        if (cand["id"] == s.candidate_id) {
            found = true;
            EXPECT_EQ(cand["fraud_status"], "NotFraudulent");
        } else {
            EXPECT_TRUE(cand["fraud_status"].is_null());
        }
    }
    EXPECT_TRUE(found);

    candidate_seed seeded;
    seeded.id = "cand-seeded-fraud";
    seeded.name = "Seeded Status";
    seeded.fraud_status = "PassedFraudCheck";
    sim_->add_candidate(seeded);
    EXPECT_EQ(client_->candidate_info("cand-seeded-fraud")->fraud_status, "PassedFraudCheck");
}

TEST_F(AshbySimTest, WithoutFraudDetectionSetFraudStatusFails) {
    ashby_sim_options o;
    o.api_key = api_key;
    o.fraud_detection = false;
    ashby_simulator off(o);
    ASSERT_TRUE(off.start().has_value());
    const auto samples = seed_sample_data(off);
    const std::string cid = samples.front().candidate_id;

    clients::http_call raw;
    raw.url = off.base_url() + "/candidate.setFraudStatus";
    raw.headers = {{"Authorization", "Basic dGVzdC1hc2hieS1rZXk6"},  // test-ashby-key:
                   {"Accept", "application/json; version=1"}};
    raw.body = json{{"candidateId", cid}, {"fraudStatus", "Fraudulent"}}.dump();
    auto r = http_->send(raw);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body),
              json({{"success", false},
                    {"errorInfo",
                     {{"code", "fraud_detection_not_enabled"},
                      {"message", "Fraud Detection is not enabled for this organization"}}}}));

    clients::ashby::ashby_options co;
    co.base_url = off.base_url();
    co.api_key = api_key;
    clients::ashby::ashby_client client(*http_, co);
    auto set = client.set_fraud_status(cid, "Fraudulent");
    ASSERT_FALSE(set.has_value());
    EXPECT_EQ(set.error().kind, failure_kind::api_error);
    EXPECT_EQ(set.error().code, "fraud_detection_not_enabled");
    EXPECT_FALSE(set.error().transient);
    EXPECT_FALSE(off.fraud_status_of(cid).has_value());
    auto c = client.candidate_info(cid);
    ASSERT_TRUE(c.has_value());
    EXPECT_FALSE(c->fraud_status.has_value());
}

TEST_F(AshbySimTest, TheNewEndpointsNeedTheKeyLikeEveryOther) {
    const auto& s = sample("accept");
    auto wrong = make_client("not-the-key");
    auto removed = wrong->remove_tag(s.candidate_id, sim_->add_tag("X"));
    ASSERT_FALSE(removed.has_value());
    EXPECT_EQ(removed.error().status, 403);
    EXPECT_EQ(removed.error().code, "missing_endpoint_permission");
    auto set = wrong->set_fraud_status(s.candidate_id, "Fraudulent");
    ASSERT_FALSE(set.has_value());
    EXPECT_EQ(set.error().status, 403);
    EXPECT_EQ(set.error().code, "missing_endpoint_permission");
    EXPECT_FALSE(sim_->fraud_status_of(s.candidate_id).has_value());
}

TEST_F(AshbySimTest, NotesAreWrittenAndListedAcrossPages) {
    const auto& s = sample("review");
    for (int i = 1; i <= 5; ++i) {
        auto id = client_->create_note(
            {s.candidate_id, "<p>note " + std::to_string(i) + "</p>", false, std::nullopt});
        ASSERT_TRUE(id.has_value()) << id.error().message;
    }
    auto notes = client_->list_notes(s.candidate_id);
    ASSERT_TRUE(notes.has_value()) << notes.error().message;
    ASSERT_EQ(notes->size(), 5u);
    EXPECT_EQ(notes->front().content, "<p>note 1</p>");
    EXPECT_EQ(notes->back().content, "<p>note 5</p>");
    EXPECT_EQ(sim_->calls("candidate.listNotes"), 3);

    // The client's own limit is honoured when smaller than the simulator's page.
    auto one_by_one = make_client(api_key, 1)->list_notes(s.candidate_id);
    ASSERT_TRUE(one_by_one.has_value());
    EXPECT_EQ(one_by_one->size(), 5u);
    EXPECT_EQ(sim_->calls("candidate.listNotes"), 3 + 5);

    const auto written = sim_->notes_of(s.candidate_id);
    ASSERT_EQ(written.size(), 5u);
    EXPECT_FALSE(written[0].send_notifications);
    ASSERT_TRUE(client_->create_note({s.candidate_id, "private", true, true}).has_value());
    EXPECT_TRUE(sim_->notes_of(s.candidate_id).back().send_notifications);
    EXPECT_TRUE(sim_->notes_of(s.candidate_id).back().is_private);
}

TEST_F(AshbySimTest, CustomFieldValuesAreStored) {
    const auto& s = sample("accept");
    ASSERT_TRUE(client_
                    ->set_custom_field_values(s.candidate_id, "Candidate",
                                              {{"cf-verification", "\"passed\""}})
                    .has_value());
    EXPECT_EQ(sim_->custom_values_of(s.candidate_id).at("cf-verification"), "\"passed\"");
    auto c = client_->candidate_info(s.candidate_id);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->find_custom_field("cf-verification")->value_text, "passed");
    auto bad = client_->set_custom_field_values(s.candidate_id, "Planet", {{"f", "1"}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "invalid_input");
}

TEST_F(AshbySimTest, InjectedFaultsAreClassifiedForRetry) {
    const std::string cid = sample("accept").candidate_id;
    sim_->faults().set({.rate_limit_rate = 1.0, .retry_after_seconds = 7});
    auto limited = client_->candidate_info(cid);
    ASSERT_FALSE(limited.has_value());
    EXPECT_EQ(limited.error().status, 429);
    EXPECT_TRUE(limited.error().transient);
    EXPECT_EQ(limited.error().retry_after, milliseconds{7'000});

    sim_->faults().set({.error_rate = 1.0});
    auto failed = client_->candidate_info(cid);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().status, 500);
    EXPECT_TRUE(failed.error().transient);
    EXPECT_FALSE(failed.error().retry_after.has_value());

    sim_->faults().set({.drop_rate = 1.0});
    auto dropped = client_->candidate_info(cid);
    ASSERT_FALSE(dropped.has_value());
    EXPECT_EQ(dropped.error().kind, riskbridge::clients::failure_kind::network);
    EXPECT_TRUE(dropped.error().transient);

    sim_->faults().clear();
    EXPECT_TRUE(client_->candidate_info(cid).has_value());
    const auto counts = sim_->faults().counts();
    EXPECT_EQ(counts.at(fault::rate_limited), 1u);
    EXPECT_EQ(counts.at(fault::error_500), 1u);
    // libcurl resends once by itself when a reused connection dies before any answer, so a
    // drop on a kept-alive connection is seen twice before the client reports it.
    EXPECT_GE(counts.at(fault::drop), 1u);
    EXPECT_LE(counts.at(fault::drop), 2u);
    EXPECT_EQ(sim_->calls("candidate.info"), 3 + static_cast<int>(counts.at(fault::drop)));
}

TEST_F(AshbySimTest, ALostReplyStillWroteTheNote) {
    // What a note's idempotency check must cope with: the write happened, the answer did not.
    const std::string cid = sample("reject").candidate_id;
    // A kept-alive connection first: libcurl would resend a request on it by itself if it
    // died, which must not happen to a note (createNote uses a fresh connection).
    ASSERT_TRUE(client_->candidate_info(cid).has_value());
    sim_->faults().force_next({fault::lost_reply, {}});
    auto n = client_->create_note({cid, "<p>step 3</p>", false, std::nullopt});
    ASSERT_FALSE(n.has_value());
    EXPECT_TRUE(n.error().transient);
    auto notes = client_->list_notes(cid);
    ASSERT_TRUE(notes.has_value());
    ASSERT_EQ(notes->size(), 1u);
    EXPECT_EQ(notes->front().content, "<p>step 3</p>");
}

TEST_F(AshbySimTest, ASlowAnswerTimesOutWellBeforeTheDelay) {
    clients::curl_options co;
    co.connect_timeout = 1s;
    co.total_timeout = 300ms;
    auto impatient_http = clients::make_curl_client(co);
    clients::ashby::ashby_options o;
    o.base_url = sim_->base_url();
    o.api_key = api_key;
    clients::ashby::ashby_client impatient(*impatient_http, o);

    sim_->faults().force_next({fault::none, 5s});
    const auto started = std::chrono::steady_clock::now();
    auto c = impatient.candidate_info(sample("accept").candidate_id);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().kind, failure_kind::timeout);
    EXPECT_TRUE(c.error().transient);
    // Well before the 5 s answer (which a client without the limit would wait for), with
    // room for a loaded or sanitized machine; never before the limit itself.
    EXPECT_LT(elapsed, 4s);
    EXPECT_GE(elapsed, 250ms);
    // A per-call override is honoured too (the client default here is 5 s).
    o.timeout = 200ms;
    clients::ashby::ashby_client quick(*http_, o);
    sim_->faults().force_next({fault::none, 5s});
    const auto again = std::chrono::steady_clock::now();
    auto q = quick.candidate_info(sample("accept").candidate_id);
    ASSERT_FALSE(q.has_value());
    EXPECT_EQ(q.error().kind, failure_kind::timeout);
    // Below both the 5 s answer and the client's 5 s default: the override cut it.
    EXPECT_LT(std::chrono::steady_clock::now() - again, 4s);
}

TEST_F(AshbySimTest, TlsToAPlainServerIsATlsFailure) {
    clients::ashby::ashby_options o;
    o.base_url = "https://127.0.0.1:" + std::to_string(sim_->port());
    o.api_key = api_key;
    clients::ashby::ashby_client tls(*http_, o);
    auto c = tls.candidate_info("x");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().kind, failure_kind::tls);
}

TEST_F(AshbySimTest, AnOversizedAnswerIsRefused) {
    clients::curl_options co;
    co.max_response_bytes = 64;  // candidate.info answers are larger
    auto small_http = clients::make_curl_client(co);
    clients::ashby::ashby_options o;
    o.base_url = sim_->base_url();
    o.api_key = api_key;
    clients::ashby::ashby_client small(*small_http, o);
    auto c = small.candidate_info(sample("accept").candidate_id);
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().kind, failure_kind::protocol);
    EXPECT_EQ(c.error().code, "response_too_large");
    EXPECT_FALSE(c.error().transient);
}

TEST_F(AshbySimTest, TheVersionedAcceptHeaderIsRequired) {
    clients::http_call raw;
    raw.url = sim_->base_url() + "/candidate.info";
    raw.headers = {{"Authorization", "Basic dGVzdC1hc2hieS1rZXk6"},  // test-ashby-key:
                   {"Accept", "application/json"}};
    raw.body = json{{"id", sample("accept").candidate_id}}.dump();
    auto r = http_->send(raw);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    const json body = json::parse(r->body);
    EXPECT_EQ(body["success"], false);
    EXPECT_EQ(body["errorInfo"]["code"], "invalid_api_version");
}

TEST_F(AshbySimTest, FaultRatesAreDeterministicForASeed) {
    auto sequence = [](std::uint64_t seed) {
        fault_injector f(seed);
        f.set({.error_rate = 0.3,
               .rate_limit_rate = 0.2,
               .slow_rate = 0.5,
               .slow_delay = milliseconds{10}});
        std::vector<std::pair<fault, long long>> out;
        for (int i = 0; i < 200; ++i) {
            const auto d = f.next();
            out.emplace_back(d.kind, d.delay.count());
        }
        return out;
    };
    const auto a = sequence(7);
    EXPECT_EQ(a, sequence(7));
    EXPECT_NE(a, sequence(8));
    const auto errors = std::count_if(a.begin(), a.end(),
                                      [](const auto& p) { return p.first == fault::error_500; });
    EXPECT_GT(errors, 30);  // about 60 of 200
    EXPECT_LT(errors, 90);
}

TEST_F(AshbySimTest, FaultsAndStateOverHttp) {
    auto post = [&](const std::string& path, const std::string& body) {
        clients::http_call c;
        c.url = sim_->base_url() + path;
        c.body = body;
        return http_->send(c);
    };
    auto set = post("/_sim/faults", R"({"error_rate": 1, "seed": 3})");
    ASSERT_TRUE(set.has_value());
    EXPECT_EQ(set->status, 200);
    EXPECT_DOUBLE_EQ(sim_->faults().settings().error_rate, 1.0);
    EXPECT_FALSE(client_->candidate_info(sample("accept").candidate_id).has_value());
    auto bad = post("/_sim/faults", R"({"error_rate": 2})");
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->status, 400);
    auto unknown = post("/_sim/faults", R"({"explode": true})");
    ASSERT_TRUE(unknown.has_value());
    EXPECT_EQ(unknown->status, 400);
    ASSERT_TRUE(post("/_sim/faults", R"({"error_rate": 0})").has_value());

    const auto& s = sample("accept");
    auto tag = client_->create_tag("LOW_RISK_IDENTITY");
    ASSERT_TRUE(tag.has_value());
    ASSERT_TRUE(client_->add_tag(s.candidate_id, tag->id).has_value());
    ASSERT_TRUE(client_->create_note({s.candidate_id, "<b>ACCEPT</b>", false, {}}).has_value());

    clients::http_call get;
    get.method = clients::http_method::get;
    get.url = sim_->base_url() + "/_sim/state";
    auto state = http_->send(get);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->status, 200);
    const json j = json::parse(state->body);
    bool found = false;
    for (const auto& c : j["candidates"]) {
        if (c["id"] == s.candidate_id) {
            found = true;
            EXPECT_EQ(c["tags"], json::array({"LOW_RISK_IDENTITY"}));
            ASSERT_EQ(c["notes"].size(), 1u);
            EXPECT_EQ(c["notes"][0]["content"], "<b>ACCEPT</b>");
        }
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(j["calls"]["candidate.createNote"], 1);
    EXPECT_EQ(json::parse(sim_->state_json())["tags"].size(), 1u);
}

TEST_F(AshbySimTest, WebhooksAreSignedWithTheSecret) {
    testing::receiver target;
    const auto& s = sample("docv");
    auto body = sim_->webhook_body("applicationSubmit", s.application_id);
    ASSERT_TRUE(body.has_value());
    auto sent = sim_->send_webhook(target.url("/webhooks/ashby"), *body);
    ASSERT_TRUE(sent.has_value()) << sent.error().message;
    EXPECT_EQ(sent->status, 200);
    ASSERT_TRUE(target.wait_for(1, 5s));
    const auto req = target.requests().at(0);
    EXPECT_EQ(req.path(), "/webhooks/ashby");
    EXPECT_EQ(req.body, *body);
    const auto signature = req.header("Ashby-Signature");
    ASSERT_TRUE(signature.has_value());
    EXPECT_EQ(
        security::verify_ashby_signature(*signature, req.body, {config::secret(webhook_secret)}),
        security::signature_status::valid);
    EXPECT_EQ(
        security::verify_ashby_signature(*signature, req.body, {config::secret("another-secret")}),
        security::signature_status::mismatch);

    const json env = json::parse(req.body);
    EXPECT_EQ(env["action"], "applicationSubmit");
    EXPECT_FALSE(env["webhookActionId"].get<std::string>().empty());
    EXPECT_EQ(env["data"]["application"]["id"], s.application_id);
    EXPECT_EQ(env["data"]["application"]["candidate"]["id"], s.candidate_id);
    EXPECT_EQ(env["data"]["application"]["candidate"]["name"], "Katherine Johnson");

    auto hire = sim_->webhook_body("candidateHire", s.application_id);
    ASSERT_TRUE(hire.has_value());
    const json h = json::parse(*hire);
    EXPECT_EQ(h["data"]["application"]["status"], "Hired");
    EXPECT_EQ(h["data"]["offer"]["applicationId"], s.application_id);
    EXPECT_NE(h["webhookActionId"], env["webhookActionId"]);
    EXPECT_EQ(json::parse(*sim_->webhook_body("ping", ""))["data"]["webhookActionType"], "ping");
    EXPECT_FALSE(sim_->webhook_body("applicationSubmit", "no-such-app").has_value());
}

TEST_F(AshbySimTest, AWebhookCanBeTriggeredOverHttp) {
    testing::receiver target;
    clients::http_call c;
    c.url = sim_->base_url() + "/_sim/webhook";
    c.body = json{{"action", "candidateHire"},
                  {"application_id", sample("accept").application_id},
                  {"target", target.url("/webhooks/ashby")}}
                 .dump();
    auto r = http_->send(c);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body)["status"], 200);
    ASSERT_TRUE(target.wait_for(1, 5s));
    const auto req = target.requests().at(0);
    EXPECT_EQ(security::verify_ashby_signature(*req.header("Ashby-Signature"), req.body,
                                               {config::secret(webhook_secret)}),
              security::signature_status::valid);
    EXPECT_EQ(json::parse(req.body)["action"], "candidateHire");
}

TEST_F(AshbySimTest, AnUnreachableWebhookTargetIsATransientFailure) {
    auto body = sim_->webhook_body("ping", "");
    ASSERT_TRUE(body.has_value());
    auto sent = sim_->send_webhook("http://127.0.0.1:1/webhooks/ashby", *body);
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().kind, failure_kind::network);
    EXPECT_TRUE(sent.error().transient);
}

}  // namespace
}  // namespace riskbridge::sim
