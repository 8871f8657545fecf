// The RiskOS client against the fake RiskOS over real loopback sockets: auth, the decision
// rules, re-runs, DocV captures and their webhooks, faults and timeouts.

#include "riskbridge/sim/riskos_sim.hpp"

#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "receiver.hpp"
#include "riskbridge/clients/riskos/riskos_client.hpp"

namespace riskbridge::sim {
namespace {

using namespace std::chrono_literals;
using clients::failure_kind;
using clients::riskos::decision;
using clients::riskos::evaluation_request;
using clients::riskos::parse_evaluation;
using nlohmann::json;

constexpr const char* api_key = "test-riskos-key";
constexpr const char* bearer = "test-webhook-bearer";

evaluation_request request_for(const std::string& id, const std::string& email,
                               const std::string& workflow = "workforce_verification") {
    evaluation_request r;
    r.id = id;
    r.timestamp = "2026-02-01T10:00:00.000Z";
    r.workflow = workflow;
    r.ip_address = "203.0.113.10";
    r.individual.id = "cand-" + id;
    r.individual.given_name = "Ada";
    r.individual.family_name = "Lovelace";
    if (!email.empty()) {
        r.individual.email = email;
    }
    r.individual.phone_number = "+14155550101";
    r.individual.address =
        clients::riskos::address{"1 Market St", std::nullopt, "San Francisco", "CA", "94105", "US"};
    return r;
}

class RiskosSimTest : public ::testing::Test {
protected:
    void start(std::optional<milliseconds> auto_delay = std::nullopt, const clock* clk = nullptr) {
        riskos_sim_options o;
        o.clk = clk;
        o.api_key = api_key;
        o.webhook_url = target_.url("/webhooks/riskos");
        o.webhook_bearer = bearer;
        o.docv_auto_delay = auto_delay;
        o.docv_step_interval = 1ms;
        o.webhook_retry_delay = 10ms;
        o.seed = 5;
        sim_ = std::make_unique<riskos_simulator>(o);
        ASSERT_TRUE(sim_->start().has_value());
        clients::curl_options co;
        co.connect_timeout = 2s;
        co.total_timeout = 5s;
        http_ = clients::make_curl_client(co);
        client_ = make_client(api_key);
    }
    void SetUp() override { start(); }

    std::unique_ptr<clients::riskos::riskos_client> make_client(const std::string& key) {
        clients::riskos::riskos_options o;
        o.base_url = sim_->base_url();
        o.api_key = key;
        return std::make_unique<clients::riskos::riskos_client>(*http_, o);
    }

    std::vector<std::string> notes_received() {
        std::vector<std::string> out;
        for (const auto& r : target_.requests()) {
            const json j = json::parse(r.body);
            out.push_back(j["event_type"] == "case_notes_added"
                              ? j["data"]["notes"].get<std::string>()
                              : j["event_type"].get<std::string>());
        }
        return out;
    }

    /// The body of the webhook received with this event_id (the last one when repeated).
    json received(const std::string& event_id) {
        json found;
        for (const auto& r : target_.requests()) {
            json j = json::parse(r.body);
            if (j["event_id"] == event_id) {
                found = std::move(j);
            }
        }
        return found;
    }

    clients::riskos::evaluation read(const std::string& eval_id) {
        auto ev = client_->get_evaluation(eval_id);
        EXPECT_TRUE(ev.has_value()) << ev.error().message;
        return ev.has_value() ? *ev : clients::riskos::evaluation{};
    }

    clients::http_response post(const std::string& path, const json& body = json::object()) {
        clients::http_call c;
        c.url = sim_->base_url() + path;
        c.body = body.dump();
        auto r = http_->send(c);
        EXPECT_TRUE(r.has_value()) << r.error().message;
        return r.has_value() ? *r : clients::http_response{};
    }

    testing::receiver target_;
    manual_clock frozen_;  // outlives the simulator that may use it
    std::unique_ptr<riskos_simulator> sim_;
    std::unique_ptr<clients::http_client> http_;
    std::unique_ptr<clients::riskos::riskos_client> client_;
};

TEST_F(RiskosSimTest, AWrongOrMissingKeyIsAPermanent401) {
    auto ev = make_client("wrong")->evaluate(request_for("r-1", "accept@example.com"));
    ASSERT_FALSE(ev.has_value());
    EXPECT_EQ(ev.error().kind, failure_kind::http_status);
    EXPECT_EQ(ev.error().status, 401);
    EXPECT_FALSE(ev.error().transient);
    EXPECT_EQ(ev.error().to_error().code, errc::unauthorized);
    EXPECT_TRUE(sim_->eval_ids().empty());
    EXPECT_EQ(sim_->calls("POST /api/evaluation"), 1);
}

TEST_F(RiskosSimTest, DecisionsFollowTheEmailRules) {
    struct row {
        std::string email;
        decision want;
        long http_status;
        std::vector<std::string> tags;
    };
    for (const auto& r : std::vector<row>{
             {"accept.ada@example.com", decision::accept, 200, {}},
             {"review.grace@example.com", decision::review, 200, {"Email Risk Review"}},
             {"Reject.Alan@example.com",
              decision::reject,
              200,
              {"Sigma Identity Fraud Reject", "High Risk Individual"}},
             {"someone@example.com", decision::accept, 200, {}}}) {
        SCOPED_TRACE(r.email);
        auto ev = client_->evaluate(request_for("req-" + r.email, r.email));
        ASSERT_TRUE(ev.has_value()) << ev.error().message;
        EXPECT_EQ(ev->decision, r.want);
        EXPECT_EQ(ev->http_status, r.http_status);
        EXPECT_TRUE(ev->completed());
        EXPECT_FALSE(ev->docv.has_value());
        EXPECT_EQ(ev->tags, r.tags);
        EXPECT_EQ(ev->workflow, "workforce_verification");
        EXPECT_EQ(ev->id, "req-" + r.email);
        EXPECT_TRUE(ev->warnings.empty());
        ASSERT_NE(ev->find_by_name("Socure Email Risk"), nullptr);
        ASSERT_NE(ev->find_by_name("Socure GraphIntelligence + Sigma Fraud"), nullptr);
    }
    auto reject = client_->evaluate(request_for("sigma", "reject.x@example.com"));
    ASSERT_TRUE(reject.has_value());
    const auto* fraud =
        reject->find_by_name("Socure GraphIntelligence + Sigma Fraud")->find_module("fraud");
    ASSERT_NE(fraud, nullptr);
    EXPECT_DOUBLE_EQ(fraud->scores.at(0).score, 0.991);
    EXPECT_EQ(fraud->reason_codes.front(), "R207");
    auto review = client_->evaluate(request_for("emailrisk", "review.x@example.com"));
    ASSERT_TRUE(review.has_value());
    EXPECT_EQ(
        review->find_by_name("Socure Email Risk")->find_module("emailRisk")->reason_codes.front(),
        "R551");
}

TEST_F(RiskosSimTest, MissingEmailFailsTheEnrichmentLikeTheSandbox) {
    auto ev = client_->evaluate(request_for("no-email", ""));
    ASSERT_TRUE(ev.has_value()) << ev.error().message;
    EXPECT_EQ(ev->decision, decision::reject);
    EXPECT_EQ(ev->tags, (std::vector<std::string>{"Email Risk Error", "Socure Fraud Suite Error"}));
    const auto* email = ev->find_by_name("Socure Email Risk");
    ASSERT_NE(email, nullptr);
    EXPECT_EQ(email->status_code, 400);
    EXPECT_TRUE(email->response_was_string);
}

TEST_F(RiskosSimTest, DocvPausesWithACaptureRequestAndTheSameIdIsARerun) {
    auto first = client_->evaluate(request_for("job-9", "docv.katherine@example.com"));
    ASSERT_TRUE(first.has_value()) << first.error().message;
    EXPECT_EQ(first->http_status, 201);
    EXPECT_TRUE(first->paused());
    EXPECT_EQ(first->decision, decision::review);
    EXPECT_EQ(first->status, "ON_HOLD");
    ASSERT_TRUE(first->needs_documents());
    EXPECT_FALSE(first->docv->token.empty());
    EXPECT_EQ(first->docv->url, "https://verify.socure.com/#/dv/" + first->docv->token);
    EXPECT_TRUE(first->docv->has_qr_code);

    auto again = client_->evaluate(request_for("job-9", "docv.katherine@example.com"));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->eval_id, first->eval_id);
    EXPECT_EQ(again->docv->token, first->docv->token);
    EXPECT_EQ(sim_->eval_ids().size(), 1u);
    EXPECT_EQ(sim_->eval_id_for("job-9"), first->eval_id);
    EXPECT_EQ(sim_->calls("POST /api/evaluation"), 2);

    auto other = client_->evaluate(request_for("job-10", "docv.katherine@example.com"));
    ASSERT_TRUE(other.has_value());
    EXPECT_NE(other->eval_id, first->eval_id);

    // The request arrived with the workforce shape.
    const json sent = json::parse(*sim_->request_json(first->eval_id));
    EXPECT_EQ(sent["data"]["event_category"], "workforce_verification");
    EXPECT_EQ(sent["data"]["individual"]["address"]["postal_code"], "94105");

    auto read = client_->get_evaluation(first->eval_id);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->eval_id, first->eval_id);
    EXPECT_TRUE(read->paused());
    EXPECT_EQ(sim_->calls("GET /api/evaluation"), 1);
}

TEST_F(RiskosSimTest, EvalIdsAreReproducibleForASeed) {
    auto a = client_->evaluate(request_for("stable-id", "accept@example.com"));
    ASSERT_TRUE(a.has_value());
    sim_->stop();
    start();
    auto b = client_->evaluate(request_for("stable-id", "accept@example.com"));
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(a->eval_id, b->eval_id);
}

TEST_F(RiskosSimTest, UnknownEvaluationsAndBadRequestsArePermanent) {
    auto missing = client_->get_evaluation("00000000-0000-4000-8000-000000000000");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().status, 404);
    EXPECT_FALSE(missing.error().transient);

    for (const char* body : {"not json", R"({"id": "x"})", R"({"id": "x", "workflow": "w"})",
                             R"({"id": "x", "workflow": "w", "data": {"individual": 3}})"}) {
        auto bad = client_->evaluate_json(body);
        ASSERT_FALSE(bad.has_value()) << body;
        EXPECT_EQ(bad.error().status, 400);
        EXPECT_FALSE(bad.error().transient);
    }
}

TEST_F(RiskosSimTest, ADocvCaptureSendsProgressThenTheDecision) {
    auto ev = client_->evaluate(request_for("job-docv", "docv.katherine@example.com"));
    ASSERT_TRUE(ev.has_value());
    const auto sent = sim_->run_docv(ev->eval_id);
    ASSERT_EQ(sent.size(), 8u);
    for (const auto& d : sent) {
        EXPECT_TRUE(d.delivered()) << d.event_type << " " << d.error;
        EXPECT_EQ(d.eval_id, ev->eval_id);
    }
    ASSERT_TRUE(target_.wait_for(8, 5s));
    EXPECT_EQ(notes_received(),
              (std::vector<std::string>{"Process Initiated", "Capture App Opened",
                                        "Document Front Uploaded", "Document Back Uploaded",
                                        "Document Selfie Uploaded", "Documents Upload Successful",
                                        "Session Complete", "evaluation_completed"}));
    const auto requests = target_.requests();
    for (const auto& r : requests) {
        EXPECT_EQ(r.path(), "/webhooks/riskos");
        EXPECT_EQ(r.header("Authorization"), std::string("Bearer ") + bearer);
    }
    const json progress = json::parse(requests.front().body);
    EXPECT_EQ(progress["data"]["reviewer_id"], "Webhook");
    EXPECT_EQ(progress["data"]["eval_id"], ev->eval_id);
    EXPECT_EQ(progress["data"]["id"], "job-docv");
    EXPECT_FALSE(progress["event_id"].get<std::string>().empty());

    const json completed = json::parse(requests.back().body);
    auto final_eval = parse_evaluation(completed["data"]);
    ASSERT_TRUE(final_eval.has_value()) << final_eval.error().message;
    EXPECT_EQ(final_eval->eval_id, ev->eval_id);
    EXPECT_TRUE(final_eval->completed());
    EXPECT_EQ(final_eval->decision, decision::accept);
    ASSERT_TRUE(final_eval->docv_outcome.has_value());
    EXPECT_EQ(final_eval->docv_outcome->decision, decision::accept);
    EXPECT_EQ(final_eval->docv_outcome->document.type, "Drivers License");
    EXPECT_EQ(final_eval->docv->status, "SESSION_COMPLETE");

    // Read back, the evaluation is now complete; nothing is left to send.
    auto read = client_->get_evaluation(ev->eval_id);
    ASSERT_TRUE(read.has_value());
    EXPECT_TRUE(read->completed());
    EXPECT_TRUE(sim_->run_docv(ev->eval_id).empty());
    // A re-run does not restart the capture.
    auto rerun = client_->evaluate(request_for("job-docv", "docv.katherine@example.com"));
    ASSERT_TRUE(rerun.has_value());
    EXPECT_EQ(rerun->http_status, 200);
    EXPECT_TRUE(rerun->completed());
}

TEST_F(RiskosSimTest, DocvOutcomesFollowTheKeywords) {
    EXPECT_EQ(docv_outcome_for("docv.expire.x@example.com"), docv_outcome::session_expired);
    EXPECT_EQ(docv_outcome_for("docv.decline@example.com"), docv_outcome::consent_declined);
    EXPECT_EQ(docv_outcome_for("reject.x@example.com"), docv_outcome::reject);
    EXPECT_EQ(docv_outcome_for("docv.resubmit@example.com"), docv_outcome::resubmit);
    EXPECT_EQ(docv_outcome_for("review@example.com"), docv_outcome::review);
    EXPECT_EQ(docv_outcome_for("accept@example.com"), docv_outcome::accept);
    EXPECT_EQ(docv_outcome_for(""), docv_outcome::accept);
}

TEST_F(RiskosSimTest, DeclinedAndExpiredCapturesNeverComplete) {
    auto declined = client_->evaluate(request_for("d", "docv.decline.e@example.com"));
    ASSERT_TRUE(declined.has_value());
    auto sent = sim_->run_docv(declined->eval_id);
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent.back().notes, "Consent Declined");
    EXPECT_EQ(sent.back().event_type, "case_notes_added");

    auto expired = client_->evaluate(request_for("e", "docv.expire.b@example.com"));
    ASSERT_TRUE(expired.has_value());
    sent = sim_->run_docv(expired->eval_id);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].notes, "Process Initiated");
    EXPECT_EQ(sent[1].notes, "Session Expired");
    ASSERT_TRUE(target_.wait_for(5, 5s));
    for (const auto& id : {declined->eval_id, expired->eval_id}) {
        auto read = client_->get_evaluation(id);
        ASSERT_TRUE(read.has_value());
        EXPECT_TRUE(read->paused());
    }
    EXPECT_FALSE(sim_->complete_silently(expired->eval_id));
}

TEST_F(RiskosSimTest, TheDocvWorkflowAlwaysAsksForDocuments) {
    auto ev = client_->evaluate(request_for("hire-1", "reject.alan@example.com", "workforce_docv"));
    ASSERT_TRUE(ev.has_value()) << ev.error().message;
    EXPECT_EQ(ev->http_status, 201);
    EXPECT_TRUE(ev->needs_documents());
    EXPECT_EQ(ev->workflow, "workforce_docv");
    const auto sent = sim_->run_docv(ev->eval_id);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.back().event_type, "evaluation_completed");
    auto read = client_->get_evaluation(ev->eval_id);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->decision, decision::reject);
    EXPECT_EQ(read->docv_outcome->decision, decision::reject);
    EXPECT_EQ(read->docv_outcome->reason_codes.front(), "R827");
}

TEST_F(RiskosSimTest, CompletingSilentlyLeavesOnlyTheApiToTell) {
    auto ev = client_->evaluate(request_for("quiet", "docv.review@example.com"));
    ASSERT_TRUE(ev.has_value());
    EXPECT_TRUE(sim_->complete_silently(ev->eval_id));
    EXPECT_FALSE(sim_->complete_silently(ev->eval_id));
    EXPECT_TRUE(sim_->deliveries().empty());
    auto read = client_->get_evaluation(ev->eval_id);
    ASSERT_TRUE(read.has_value());
    EXPECT_TRUE(read->completed());
    EXPECT_EQ(read->decision, decision::review);
    EXPECT_TRUE(target_.requests().empty());
}

TEST_F(RiskosSimTest, AutomaticCapturesRetryAFailedWebhook) {
    sim_->stop();
    start(0ms);
    target_.answer_with({503});  // the first delivery fails once
    auto ev = client_->evaluate(request_for("auto", "docv.a@example.com"));
    ASSERT_TRUE(ev.has_value());
    ASSERT_TRUE(sim_->wait_for_deliveries(8, 10s));
    const auto d = sim_->deliveries();
    ASSERT_EQ(d.size(), 8u);
    EXPECT_EQ(d.front().attempts, 2);
    for (const auto& one : d) {
        EXPECT_TRUE(one.delivered());
    }
    EXPECT_EQ(d.back().event_type, "evaluation_completed");
    ASSERT_TRUE(target_.wait_for(9, 5s));  // 8 events + 1 refused attempt
    auto read = client_->get_evaluation(ev->eval_id);
    ASSERT_TRUE(read.has_value());
    EXPECT_TRUE(read->completed());
}

TEST_F(RiskosSimTest, ACaptureCanBeStartedOverHttp) {
    auto ev = client_->evaluate(request_for("http-docv", "docv.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    clients::http_call c;
    c.url = sim_->base_url() + "/_sim/docv/" + ev->eval_id;
    auto r = http_->send(c);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 202);
    ASSERT_TRUE(sim_->wait_for_deliveries(8, 10s));
    c.url = sim_->base_url() + "/_sim/docv/unknown";
    auto unknown = http_->send(c);
    ASSERT_TRUE(unknown.has_value());
    EXPECT_EQ(unknown->status, 404);

    clients::http_call state;
    state.method = clients::http_method::get;
    state.url = sim_->base_url() + "/_sim/state";
    auto s = http_->send(state);
    ASSERT_TRUE(s.has_value());
    const json j = json::parse(s->body);
    EXPECT_EQ(j["evaluations"][0]["eval_id"], ev->eval_id);
    EXPECT_EQ(j["evaluations"][0]["eval_status"], "evaluation_completed");
    EXPECT_EQ(j["webhooks"].size(), 8u);
    EXPECT_EQ(s->body.find("Lovelace"), std::string::npos);  // no personal data
    EXPECT_EQ(s->body.find("docv.x@"), std::string::npos);
}

TEST_F(RiskosSimTest, FaultsAndTimeoutsAreClassified) {
    sim_->faults().force_next({fault::rate_limited, {}});
    sim_->faults().set({.retry_after_seconds = 4});
    auto limited = client_->evaluate(request_for("f-1", "accept@example.com"));
    ASSERT_FALSE(limited.has_value());
    EXPECT_EQ(limited.error().status, 429);
    EXPECT_TRUE(limited.error().transient);
    EXPECT_EQ(limited.error().retry_after, milliseconds{4'000});
    EXPECT_TRUE(sim_->eval_ids().empty());  // refused before any effect

    sim_->faults().force_next({fault::error_500, {}});
    auto failed = client_->evaluate(request_for("f-1", "accept@example.com"));
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().status, 500);
    EXPECT_TRUE(failed.error().transient);

    // A lost reply: retrying the same id is a re-run, not a second case. (On a kept-alive
    // connection libcurl may resend by itself once; either way there is one evaluation.)
    sim_->faults().force_next({fault::lost_reply, {}});
    auto lost = client_->evaluate(request_for("f-2", "accept@example.com"));
    if (!lost.has_value()) {
        EXPECT_TRUE(lost.error().transient);
    }
    auto retried = client_->evaluate(request_for("f-2", "accept@example.com"));
    ASSERT_TRUE(retried.has_value());
    EXPECT_EQ(sim_->eval_ids().size(), 1u);
    EXPECT_EQ(sim_->eval_id_for("f-2"), retried->eval_id);

    clients::riskos::riskos_options o;
    o.base_url = sim_->base_url();
    o.api_key = api_key;
    o.timeout = 250ms;
    clients::riskos::riskos_client impatient(*http_, o);
    sim_->faults().force_next({fault::none, 5s});
    const auto started = std::chrono::steady_clock::now();
    auto slow = impatient.evaluate(request_for("f-3", "accept@example.com"));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(slow.has_value());
    EXPECT_EQ(slow.error().kind, failure_kind::timeout);
    EXPECT_TRUE(slow.error().transient);
    // Below both the 5 s answer and the HTTP client's own 5 s limit, so the 250 ms per-call
    // timeout is what ended it, with room for a loaded or sanitized machine.
    EXPECT_LT(elapsed, 4s);
}

TEST_F(RiskosSimTest, AReviewerDecisionIsReadBackThenSent) {
    auto ev = client_->evaluate(request_for("rb-screen-app-1", "review.grace@example.com"));
    ASSERT_TRUE(ev.has_value()) << ev.error().message;
    EXPECT_EQ(ev->status, "ON_HOLD");
    ASSERT_TRUE(ev->decision_at.has_value());

    auto d = sim_->review(ev->eval_id, "REJECT", "reviewer-7");
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_TRUE(d->delivered()) << d->error;
    EXPECT_EQ(d->event_type, "decision_update");
    EXPECT_EQ(d->eval_id, ev->eval_id);
    EXPECT_FALSE(d->event_id.empty());

    const auto after = read(ev->eval_id);
    EXPECT_TRUE(after.completed());
    EXPECT_EQ(after.eval_status, "evaluation_completed");
    EXPECT_EQ(after.decision, decision::reject);
    EXPECT_EQ(after.status, "CLOSED");
    EXPECT_EQ(after.sub_status, "Reject");
    ASSERT_TRUE(after.decision_at.has_value());
    EXPECT_GT(*after.decision_at, *ev->decision_at);  // same RFC 3339 form: text order is time

    ASSERT_TRUE(target_.wait_for(1, 5s));
    const json body = received(d->event_id);
    EXPECT_EQ(body["event_type"], "decision_update");
    EXPECT_FALSE(body["event_at"].get<std::string>().empty());
    EXPECT_EQ(body["data"], json({{"eval_id", ev->eval_id},
                                  {"id", "rb-screen-app-1"},
                                  {"workflow", "workforce_verification"},
                                  {"decision", "REJECT"},
                                  {"reviewer_id", "reviewer-7"},
                                  {"status", "CLOSED"}}));
    const auto req = target_.requests().back();
    EXPECT_EQ(req.path(), "/webhooks/riskos");
    EXPECT_EQ(req.header("Authorization"), std::string("Bearer ") + bearer);
    ASSERT_EQ(sim_->deliveries().size(), 1u);
    EXPECT_EQ(sim_->deliveries().back().event_type, "decision_update");
}

TEST_F(RiskosSimTest, ReviewsUseTheEventNameAskedForOrSendNothing) {
    auto ev = client_->evaluate(request_for("names", "review.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    for (const char* type : {"case_decision_changed", "case_status_updated"}) {
        auto d = sim_->review(ev->eval_id, "ACCEPT", "reviewer-1", type);
        ASSERT_TRUE(d.has_value()) << type;
        EXPECT_EQ(d->event_type, type);
        const json body = received(d->event_id);
        EXPECT_EQ(body["event_type"], type);
        EXPECT_EQ(body["data"]["decision"], "ACCEPT");
        EXPECT_EQ(body["data"]["status"], "CLOSED");
        EXPECT_EQ(body["data"]["id"], "names");
    }
    // evaluation_completed carries the whole evaluation, as RiskOS sends it.
    auto done = sim_->review(ev->eval_id, "REJECT", "reviewer-2", "evaluation_completed");
    ASSERT_TRUE(done.has_value());
    const json body = received(done->event_id);
    EXPECT_EQ(body["event_type"], "evaluation_completed");
    EXPECT_EQ(body["data"]["reviewer_id"], "reviewer-2");
    auto parsed = parse_evaluation(body["data"]);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->eval_id, ev->eval_id);
    EXPECT_TRUE(parsed->completed());
    EXPECT_EQ(parsed->decision, decision::reject);
    EXPECT_EQ(parsed->status, "CLOSED");
    EXPECT_NE(parsed->find_by_name("Socure Email Risk"), nullptr);

    // Decided without a webhook: only the API tells.
    const auto sent = target_.requests().size();
    auto quiet = sim_->review(ev->eval_id, "ACCEPT", "reviewer-3", "decision_update", false);
    ASSERT_TRUE(quiet.has_value());
    EXPECT_FALSE(quiet->delivered());
    EXPECT_EQ(quiet->attempts, 0);
    EXPECT_TRUE(quiet->event_id.empty());
    EXPECT_EQ(read(ev->eval_id).decision, decision::accept);
    EXPECT_EQ(sim_->deliveries().size(), 3u);
    EXPECT_EQ(target_.requests().size(), sent);
}

TEST_F(RiskosSimTest, EachDecisionAtIsLaterThanTheOneBefore) {
    manual_clock& frozen = frozen_;
    sim_->stop();
    start(std::nullopt, &frozen);
    auto ev = client_->evaluate(request_for("frozen", "review.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(*ev->decision_at, format_rfc3339(frozen.now()));
    std::string last = *ev->decision_at;
    for (const char* decision_text : {"ACCEPT", "REJECT", "ACCEPT"}) {
        ASSERT_TRUE(sim_->review(ev->eval_id, decision_text, "r", "decision_update", false));
        const std::string now = *read(ev->eval_id).decision_at;
        EXPECT_GT(now, last) << decision_text;
        last = now;
    }
    EXPECT_EQ(last, format_rfc3339(frozen.now() + milliseconds{3}));
    frozen.advance(std::chrono::hours{1});
    ASSERT_TRUE(sim_->review(ev->eval_id, "REJECT", "r", "decision_update", false));
    EXPECT_EQ(*read(ev->eval_id).decision_at, format_rfc3339(frozen.now()));
}

TEST_F(RiskosSimTest, AnyEventCanBeSentWithoutChangingTheEvaluation) {
    auto ev = client_->evaluate(request_for("contradicted", "review.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    const std::string before = *sim_->evaluation_json(ev->eval_id);

    // An event the API contradicts: it says ACCEPT, the evaluation stays REVIEW.
    auto d = sim_->send_event(ev->eval_id, "decision_update",
                              {{"decision", "ACCEPT"}, {"reviewer_id", "someone"}});
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_TRUE(d->delivered());
    EXPECT_EQ(received(d->event_id)["data"], json({{"eval_id", ev->eval_id},
                                                   {"id", "contradicted"},
                                                   {"workflow", "workforce_verification"},
                                                   {"decision", "ACCEPT"},
                                                   {"reviewer_id", "someone"}}));
    // An unknown event type, and overrides that replace (or null) the ids.
    auto odd =
        sim_->send_event(ev->eval_id, "case_assigned_to_unicorn",
                         {{"eval_id", "00000000-0000-4000-8000-000000000000"}, {"id", nullptr}});
    ASSERT_TRUE(odd.has_value());
    const json odd_body = received(odd->event_id);
    EXPECT_EQ(odd_body["event_type"], "case_assigned_to_unicorn");
    EXPECT_EQ(odd_body["data"]["eval_id"], "00000000-0000-4000-8000-000000000000");
    EXPECT_TRUE(odd_body["data"]["id"].is_null());
    EXPECT_EQ(odd->eval_id, ev->eval_id);  // recorded against the evaluation it was sent for
    auto plain = sim_->send_event(ev->eval_id, "evaluation_resumed");
    ASSERT_TRUE(plain.has_value());
    EXPECT_EQ(received(plain->event_id)["data"].size(), 3u);

    EXPECT_EQ(*sim_->evaluation_json(ev->eval_id), before);
    EXPECT_EQ(read(ev->eval_id).decision, decision::review);
    const auto all = sim_->deliveries();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].event_type, "decision_update");
    EXPECT_EQ(all[1].event_type, "case_assigned_to_unicorn");
    EXPECT_EQ(all[2].event_type, "evaluation_resumed");
}

TEST_F(RiskosSimTest, ARedeliveryRepeatsTheEventExactly) {
    auto ev = client_->evaluate(request_for("twice", "review.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    auto first = sim_->review(ev->eval_id, "ACCEPT", "reviewer-1");
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(target_.wait_for(1, 5s));
    auto again = sim_->redeliver(first->event_id);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_TRUE(again->delivered());
    EXPECT_EQ(again->event_id, first->event_id);
    EXPECT_EQ(again->event_type, "decision_update");
    EXPECT_EQ(again->eval_id, ev->eval_id);
    ASSERT_TRUE(target_.wait_for(2, 5s));
    const auto requests = target_.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].body, requests[1].body);
    EXPECT_EQ(*sim_->delivery_body(first->event_id), requests[0].body);
    ASSERT_EQ(sim_->deliveries().size(), 2u);
    EXPECT_EQ(sim_->deliveries()[1].event_id, first->event_id);

    // A DocV capture's events can be repeated too.
    auto docv = client_->evaluate(request_for("twice-docv", "docv.x@example.com"));
    ASSERT_TRUE(docv.has_value());
    const auto capture = sim_->run_docv(docv->eval_id);
    ASSERT_FALSE(capture.empty());
    auto completion = sim_->redeliver(capture.back().event_id);
    ASSERT_TRUE(completion.has_value());
    EXPECT_EQ(completion->event_type, "evaluation_completed");
    EXPECT_EQ(*sim_->delivery_body(capture.back().event_id), target_.requests().back().body);

    auto unknown = sim_->redeliver("no-such-event");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, errc::not_found);
    EXPECT_FALSE(sim_->delivery_body("no-such-event").has_value());
}

TEST_F(RiskosSimTest, ARerunIsANewEvaluationOfTheSameRequest) {
    auto ev = client_->evaluate(request_for("rb-screen-app-9", "review.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    auto r = sim_->rerun(ev->eval_id, "ACCEPT");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_NE(r->eval_id, ev->eval_id);
    EXPECT_TRUE(r->delivery.delivered());
    EXPECT_EQ(r->delivery.event_type, "reevaluation");
    EXPECT_EQ(r->delivery.eval_id, r->eval_id);

    const json body = received(r->delivery.event_id);
    EXPECT_EQ(body["event_type"], "reevaluation");
    EXPECT_EQ(body["data"], json({{"eval_id", r->eval_id},
                                  {"id", "rb-screen-app-9"},
                                  {"workflow", "workforce_verification"},
                                  {"previous_eval_id", ev->eval_id}}));

    const auto rerun = read(r->eval_id);
    EXPECT_EQ(rerun.eval_id, r->eval_id);
    EXPECT_EQ(rerun.id, "rb-screen-app-9");
    EXPECT_EQ(rerun.workflow, "workforce_verification");
    EXPECT_TRUE(rerun.completed());
    EXPECT_EQ(rerun.decision, decision::accept);
    EXPECT_EQ(rerun.status, "CLOSED");
    EXPECT_GT(*rerun.decision_at, *ev->decision_at);
    // The first evaluation is left as it was.
    const auto first = read(ev->eval_id);
    EXPECT_EQ(first.decision, decision::review);
    EXPECT_EQ(first.status, "ON_HOLD");

    // The request id still names its first evaluation; every run is listed.
    EXPECT_EQ(sim_->eval_id_for("rb-screen-app-9"), ev->eval_id);
    EXPECT_EQ(sim_->eval_ids_for("rb-screen-app-9"),
              (std::vector<std::string>{ev->eval_id, r->eval_id}));
    auto again = client_->evaluate(request_for("rb-screen-app-9", "review.x@example.com"));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->eval_id, ev->eval_id);

    // A rerun of the rerun is a third evaluation.
    auto third = sim_->rerun(r->eval_id, "REJECT");
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(received(third->delivery.event_id)["data"]["previous_eval_id"], r->eval_id);
    EXPECT_EQ(sim_->eval_ids_for("rb-screen-app-9").size(), 3u);
    EXPECT_EQ(json::parse(sim_->state_json())["evaluations"][2]["rerun_of"], r->eval_id);
}

TEST_F(RiskosSimTest, AnExpiredCaptureLinkStaysPausedAndSaysSo) {
    auto ev = client_->evaluate(request_for("rb-docv-app-3", "docv.a@example.com"));
    ASSERT_TRUE(ev.has_value());
    ASSERT_TRUE(ev->needs_documents());
    auto d = sim_->expire(ev->eval_id);
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_TRUE(d->delivered());
    EXPECT_EQ(d->event_type, "case_notes_added");
    EXPECT_EQ(d->notes, "Session Expired");
    const json body = received(d->event_id);
    EXPECT_EQ(body["event_type"], "case_notes_added");
    EXPECT_EQ(body["data"]["reviewer_id"], "Webhook");
    EXPECT_EQ(body["data"]["notes"], "Session Expired");
    EXPECT_EQ(body["data"]["eval_id"], ev->eval_id);
    EXPECT_EQ(body["data"]["id"], "rb-docv-app-3");

    const auto after = read(ev->eval_id);
    EXPECT_TRUE(after.paused());
    EXPECT_EQ(after.eval_status, "evaluation_paused");
    ASSERT_TRUE(after.docv.has_value());
    EXPECT_EQ(after.docv->token, ev->docv->token);
    EXPECT_TRUE(sim_->run_docv(ev->eval_id).empty());  // nothing more comes from that link
    EXPECT_FALSE(sim_->complete_silently(ev->eval_id));

    auto screening = client_->evaluate(request_for("not-docv", "accept@example.com"));
    ASSERT_TRUE(screening.has_value());
    auto refused = sim_->expire(screening->eval_id);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, errc::conflict);
}

TEST_F(RiskosSimTest, AFailedWorkflowLeavesTheEvaluationUnfinished) {
    auto ev = client_->evaluate(request_for("rb-docv-app-4", "docv.b@example.com"));
    ASSERT_TRUE(ev.has_value());
    auto d = sim_->fail_workflow(ev->eval_id);
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_TRUE(d->delivered());
    EXPECT_EQ(d->event_type, "workflow_execution_failed");
    EXPECT_EQ(received(d->event_id)["data"], json({{"eval_id", ev->eval_id},
                                                   {"id", "rb-docv-app-4"},
                                                   {"workflow", "workforce_verification"}}));
    const auto after = read(ev->eval_id);
    EXPECT_FALSE(after.completed());
    EXPECT_EQ(after.eval_status, "evaluation_in_progress");
    EXPECT_EQ(after.decision, decision::review);  // unchanged
    EXPECT_TRUE(sim_->run_docv(ev->eval_id).empty());
}

TEST_F(RiskosSimTest, ASecondDocvRequestIsANewEvaluationWithANewLink) {
    auto first =
        client_->evaluate(request_for("rb-docv-app-5", "docv.c@example.com", "workforce_docv"));
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(sim_->expire(first->eval_id).has_value());
    auto second =
        client_->evaluate(request_for("rb-docv-app-5-2", "docv.c@example.com", "workforce_docv"));
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->http_status, 201);
    EXPECT_NE(second->eval_id, first->eval_id);
    ASSERT_TRUE(second->needs_documents());
    EXPECT_NE(second->docv->token, first->docv->token);
    EXPECT_NE(second->docv->url, first->docv->url);
    EXPECT_EQ(sim_->eval_id_for("rb-docv-app-5-2"), second->eval_id);
    // Its capture is its own: it runs to the end though the first link expired.
    const auto sent = sim_->run_docv(second->eval_id);
    ASSERT_EQ(sent.size(), 8u);
    EXPECT_EQ(sent.back().event_type, "evaluation_completed");
    EXPECT_TRUE(read(second->eval_id).completed());
    EXPECT_TRUE(read(first->eval_id).paused());
}

TEST_F(RiskosSimTest, ReviewerActionsCanBeDrivenOverHttp) {
    auto ev = client_->evaluate(request_for("http-review", "review.x@example.com"));
    ASSERT_TRUE(ev.has_value());
    auto reviewed = post("/_sim/review/" + ev->eval_id, {{"decision", "REJECT"},
                                                         {"reviewer_id", "ops-1"},
                                                         {"event_type", "case_decision_changed"}});
    EXPECT_EQ(reviewed.status, 200) << reviewed.body;
    const json delivery = json::parse(reviewed.body)["delivery"];
    EXPECT_EQ(delivery["event_type"], "case_decision_changed");
    EXPECT_EQ(delivery["http_status"], 200);
    const std::string event_id = delivery["event_id"];
    EXPECT_EQ(received(event_id)["data"]["reviewer_id"], "ops-1");
    EXPECT_EQ(read(ev->eval_id).decision, decision::reject);

    auto quiet = post("/_sim/review/" + ev->eval_id, {{"decision", "ACCEPT"}, {"send", false}});
    EXPECT_EQ(quiet.status, 200);
    EXPECT_EQ(json::parse(quiet.body)["delivery"]["attempts"], 0);
    EXPECT_EQ(read(ev->eval_id).decision, decision::accept);

    auto event = post("/_sim/event/" + ev->eval_id,
                      {{"event_type", "case_status_changed"}, {"data", {{"status", "OPEN"}}}});
    EXPECT_EQ(event.status, 200);
    EXPECT_EQ(received(json::parse(event.body)["delivery"]["event_id"])["data"]["status"], "OPEN");

    auto again = post("/_sim/redeliver/" + event_id);
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(json::parse(again.body)["delivery"]["event_id"], event_id);

    auto rerun = post("/_sim/rerun/" + ev->eval_id, {{"decision", "ACCEPT"}});
    EXPECT_EQ(rerun.status, 200);
    const std::string new_id = json::parse(rerun.body)["eval_id"];
    EXPECT_EQ(sim_->eval_ids_for("http-review"), (std::vector<std::string>{ev->eval_id, new_id}));

    auto docv = client_->evaluate(request_for("http-docv", "docv.y@example.com"));
    ASSERT_TRUE(docv.has_value());
    auto expired = post("/_sim/expire/" + docv->eval_id);
    EXPECT_EQ(expired.status, 200);
    EXPECT_EQ(json::parse(expired.body)["delivery"]["notes"], "Session Expired");
    auto failed = post("/_sim/fail/" + docv->eval_id);
    EXPECT_EQ(failed.status, 200);
    EXPECT_EQ(json::parse(failed.body)["delivery"]["event_type"], "workflow_execution_failed");
    EXPECT_EQ(read(docv->eval_id).eval_status, "evaluation_in_progress");

    // Refusals: unknown ids 404, an action that does not fit 409, a bad body 400.
    EXPECT_EQ(post("/_sim/review/unknown", {{"decision", "ACCEPT"}}).status, 404);
    EXPECT_EQ(post("/_sim/redeliver/unknown").status, 404);
    EXPECT_EQ(post("/_sim/expire/" + ev->eval_id).status, 409);
    EXPECT_EQ(post("/_sim/review/" + ev->eval_id, json::object()).status, 400);
    EXPECT_EQ(post("/_sim/event/" + ev->eval_id, {{"event_type", "x"}, {"data", 3}}).status, 400);
    clients::http_call not_json;
    not_json.url = sim_->base_url() + "/_sim/rerun/" + ev->eval_id;
    not_json.body = "not json";
    EXPECT_EQ(http_->send(not_json)->status, 400);
    EXPECT_EQ(post("/_sim/unknown/" + ev->eval_id).status, 404);

    const json state = json::parse(sim_->state_json());
    EXPECT_EQ(state["webhooks"].size(), sim_->deliveries().size());
    EXPECT_EQ(state["webhooks"][0]["event_type"], "case_decision_changed");
}

TEST_F(RiskosSimTest, ReviewerActionsRefuseWhatDoesNotExist) {
    const std::string unknown = "00000000-0000-4000-8000-000000000000";
    EXPECT_EQ(sim_->review(unknown, "ACCEPT", "r").error().code, errc::not_found);
    EXPECT_EQ(sim_->send_event(unknown, "decision_update").error().code, errc::not_found);
    EXPECT_EQ(sim_->rerun(unknown, "ACCEPT").error().code, errc::not_found);
    EXPECT_EQ(sim_->expire(unknown).error().code, errc::not_found);
    EXPECT_EQ(sim_->fail_workflow(unknown).error().code, errc::not_found);
    auto ev = client_->evaluate(request_for("bad-input", "accept@example.com"));
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(sim_->review(ev->eval_id, "", "r").error().code, errc::invalid_argument);
    EXPECT_EQ(sim_->send_event(ev->eval_id, "").error().code, errc::invalid_argument);
    EXPECT_EQ(sim_->send_event(ev->eval_id, "x", json::array()).error().code,
              errc::invalid_argument);
    EXPECT_EQ(sim_->rerun(ev->eval_id, "").error().code, errc::invalid_argument);
    EXPECT_TRUE(sim_->deliveries().empty());
    EXPECT_EQ(sim_->eval_ids().size(), 1u);
}

}  // namespace
}  // namespace riskbridge::sim
