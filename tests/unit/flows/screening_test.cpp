// The screening flow against in-memory Ashby and RiskOS (fake_upstreams.hpp) and a real SQLite
// store: outcomes, tags, notes, checkpoints, retries and crashes at every side effect.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "fake_upstreams.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/paths.hpp"

namespace riskbridge::flows {
namespace {

using nlohmann::json;
using testing::fake_world;
using testing::fault;
using workers::job_outcome;

/// A job_context over a real store, as the pool would give a handler, for one attempt.
class test_context final : public workers::job_context {
public:
    test_context(store::job j, store::job_store& st, clock& clk)
        : job_(std::move(j)), store_(st), clock_(clk) {}

    const store::job& current() const override { return job_; }
    const std::string& checkpoint() const override { return job_.checkpoint; }
    result<void> save_checkpoint(std::string cp) override {
        if (fail_saves) {
            return make_error(errc::unavailable, "injected");
        }
        job_.checkpoint = std::move(cp);
        ++saves;
        return {};
    }
    void audit(std::string_view step, std::string_view outcome, std::string_view detail) override {
        audits.push_back(std::string(step) + ":" + std::string(outcome) + ":" +
                         std::string(detail));
    }
    store::evaluation_store& evaluations() override { return store_; }
    store::job_queue& queue() override { return store_; }
    store::audit_log& audit_trail() override { return store_; }
    clock& now_source() override { return clock_; }
    bool stopping() const override { return false; }

    std::vector<std::string> audits;
    int saves = 0;
    bool fail_saves = false;

private:
    store::job job_;
    store::job_store& store_;
    clock& clock_;
};

std::string payload(const std::string& application_id, const std::string& candidate_id,
                    const json& data = json::object()) {
    return json{{"source", "ashby"},
                {"action", "applicationSubmit"},
                {"flow", "screening"},
                {"application_id", application_id},
                {"candidate_id", candidate_id},
                {"data", data}}
        .dump();
}

class ScreeningFlow : public ::testing::Test {
protected:
    void SetUp() override {
        auto st = store::make_sqlite_store({dir_.file("flows.db")}, clock_);
        ASSERT_TRUE(st.has_value()) << st.error().message;
        store_ = std::move(st).value();
        cfg_.ashby.api_base_url = fake_world::ashby_base;
        cfg_.ashby.api_key = config::secret("k");
        cfg_.riskos.api_base_url = fake_world::riskos_base;
        cfg_.riskos.api_key = config::secret("r");
    }
    void TearDown() override {
        if (store_) {
            store_->shutdown();
        }
    }

    flow_service& service() {
        if (!service_) {
            service_ = std::make_unique<flow_service>(cfg_, clock_, testing::fake_factory(world_));
        }
        return *service_;
    }

    /// Runs one attempt of the job; the checkpoint carries over between attempts.
    job_outcome attempt(const std::string& app = "app-1", const std::string& cand = "cand-1",
                        const json& webhook_data = json::object()) {
        store::job j;
        j.id = 42;
        j.kind = "screening";
        j.payload = payload(app, cand, webhook_data);
        j.attempts = ++attempts_;
        j.checkpoint = checkpoint_;
        test_context ctx(j, *store_, clock_);
        ctx.fail_saves = fail_saves_;
        try {
            auto out = service().run_screening(ctx);
            checkpoint_ = ctx.checkpoint();
            audits_.insert(audits_.end(), ctx.audits.begin(), ctx.audits.end());
            return out;
        } catch (const testing::simulated_crash&) {
            checkpoint_ = ctx.checkpoint();  // what was durable before the "crash"
            throw;
        }
    }

    json checkpoint() const { return json::parse(checkpoint_); }

    riskbridge::testing::temp_dir dir_;
    manual_clock clock_;
    std::unique_ptr<store::job_store> store_;
    config::config cfg_;
    fake_world world_;
    std::unique_ptr<flow_service> service_;
    std::string checkpoint_;
    std::vector<std::string> audits_;
    int attempts_ = 0;
    bool fail_saves_ = false;
};

TEST_F(ScreeningFlow, TheSubmitterIpComesFromTheWebhookWhenTheApiLeavesItOut) {
    world_.erase_application_field("app-1", "submitterClientIp");
    const json webhook_data = {
        {"application", {{"id", "app-1"}, {"submitterClientIp", "198.51.100.23"}}}};
    const auto out = attempt("app-1", "cand-1", webhook_data);
    ASSERT_EQ(out.what, job_outcome::kind::done) << out.detail;
    const auto requests = world_.evaluation_requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["data"]["ip_address"], "198.51.100.23");
}

TEST_F(ScreeningFlow, AcceptTagsLowRiskAndWritesANoteWithTheCaseLink) {
    const job_outcome out = attempt();
    ASSERT_EQ(out.what, job_outcome::kind::done) << out.detail;
    EXPECT_EQ(out.detail, "ACCEPT: LOW_RISK_IDENTITY");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    const std::string eval_id = "eval-rb-screening-app-1";
    EXPECT_NE(notes[0].content.find("https://riskos.socure.com/cases/detail/"
                                    "workforce_verification/" +
                                    eval_id),
              std::string::npos)
        << notes[0].content;
    EXPECT_NE(notes[0].content.find("ACCEPT"), std::string::npos);
    EXPECT_TRUE(has_note_marker(notes[0].content, "rb-screening-app-1/decision"));
    EXPECT_FALSE(notes[0].notify);
    EXPECT_EQ(world_.calls("candidate.listNotes"), 0);  // nothing uncertain: no look-up

    // The request RiskOS got.
    const auto requests = world_.evaluation_requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["id"], "rb-screening-app-1");
    EXPECT_EQ(requests[0]["workflow"], "workforce_verification");
    EXPECT_EQ(requests[0]["data"]["event_type"], "application_submitted");
    EXPECT_EQ(requests[0]["data"]["ip_address"], "203.0.113.7");
    EXPECT_EQ(requests[0]["data"]["individual"]["phone_number"], "+14155550101");
    EXPECT_EQ(requests[0]["data"]["individual"]["given_name"], "Ada");

    // The evaluation is recorded, completed.
    auto rec = store_->find_evaluation(eval_id);
    ASSERT_TRUE(rec.has_value());
    ASSERT_TRUE(rec->has_value());
    EXPECT_EQ((*rec)->state, store::evaluation_state::completed);
    EXPECT_EQ((*rec)->decision, "ACCEPT");
    EXPECT_EQ((*rec)->flow, "screening");
    EXPECT_EQ((*rec)->application_id, "app-1");
    EXPECT_EQ((*rec)->candidate_id, "cand-1");
    EXPECT_EQ((*rec)->job, 42);

    // The checkpoint and the audit trail: ids and outcomes only.
    const json cp = checkpoint();
    EXPECT_EQ(cp["step"], "evaluated");
    EXPECT_EQ(cp["eval_id"], eval_id);
    EXPECT_EQ(cp["notes"]["decision"], "done");
    EXPECT_EQ(cp["tags"]["decision"], "LOW_RISK_IDENTITY");
    std::string all_audit;
    for (const auto& a : audits_) {
        all_audit += a + "\n";
    }
    for (const char* step :
         {"read:ok", "consent:not_required", "mapping:complete", "evaluate:completed", "tag:added",
          "note:written", "decision:applied"}) {
        EXPECT_NE(all_audit.find(step), std::string::npos) << step << "\n" << all_audit;
    }
    for (const char* pii : {"Ada", "Lovelace", "accept.ada", "5550101"}) {
        EXPECT_EQ(all_audit.find(pii), std::string::npos) << pii;
        EXPECT_EQ(checkpoint_.find(pii), std::string::npos) << pii;
    }
}

TEST_F(ScreeningFlow, RejectTagsHighRiskWithReasonCodesAndNotifies) {
    cfg_.notes.notify_on = {"REJECT", "REVIEW"};
    world_.riskos_answer(200, testing::fixture_body("sigma_identity_fraud__reject.json"));
    const job_outcome out = attempt();
    ASSERT_EQ(out.what, job_outcome::kind::done) << out.detail;
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_TRUE(notes[0].notify);
    EXPECT_NE(notes[0].content.find("REJECT"), std::string::npos);
    // A risk reason code comes with its module.
    EXPECT_NE(notes[0].content.find("<code>R"), std::string::npos) << notes[0].content;
    EXPECT_NE(notes[0].content.find("<code>R224</code> (synthetic, Socure Sigma Synthetic)"),
              std::string::npos)
        << notes[0].content;
}

TEST_F(ScreeningFlow, ReviewTagsHighRisk) {
    json body = testing::fixture_body("happy_path__accept.json");
    body["decision"] = "REVIEW";
    world_.riskos_answer(200, body);
    EXPECT_EQ(attempt().detail, "REVIEW: HIGH_RISK_IDENTITY");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    EXPECT_FALSE(world_.notes("cand-1").at(0).notify);  // notify_on is empty by default
}

TEST_F(ScreeningFlow, NoConsentMeansNoRiskosCallAndANote) {
    cfg_.consent.required = true;
    cfg_.consent.tag = "CONSENT_MISSING";
    world_.add_application("app-2", "cand-1", "false");
    const job_outcome out = attempt("app-2");
    ASSERT_EQ(out.what, job_outcome::kind::done);
    EXPECT_EQ(out.detail, "skipped: no consent");
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 0);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"CONSENT_MISSING"});
    const auto notes = world_.notes("cand-1");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_NE(notes[0].content.find("not run: no consent"), std::string::npos);
    EXPECT_TRUE(has_note_marker(notes[0].content, "rb-screening-app-2/consent"));

    // Consent given: the check runs.
    world_.add_application("app-3", "cand-1", "true");
    checkpoint_.clear();
    EXPECT_EQ(attempt("app-3").detail, "ACCEPT: LOW_RISK_IDENTITY");
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 1);
}

TEST_F(ScreeningFlow, UnansweredConsentIsNoConsent) {
    cfg_.consent.required = true;
    world_.add_application("app-2", "cand-1", "");
    EXPECT_EQ(attempt("app-2").detail, "skipped: no consent");
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 0);
    EXPECT_TRUE(world_.tags_of("cand-1").empty());  // no consent tag configured
}

TEST_F(ScreeningFlow, MissingPhoneMeansNoCallAndAClearNote) {
    world_.add_candidate("cand-2", "Frances Allen", "accept.frances@example.com", "");
    world_.add_application("app-2", "cand-2", "true");
    const job_outcome out = attempt("app-2", "cand-2");
    ASSERT_EQ(out.what, job_outcome::kind::done);
    EXPECT_EQ(out.detail, "skipped: missing phone");
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 0);
    const auto notes = world_.notes("cand-2");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_NE(notes[0].content.find("missing phone"), std::string::npos) << notes[0].content;
    EXPECT_TRUE(world_.tags_of("cand-2").empty());
}

TEST_F(ScreeningFlow, MissingEmailAndPhoneAreBothNamed) {
    world_.add_candidate("cand-2", "Frances Allen", "", "");
    world_.add_application("app-2", "cand-2", "true");
    EXPECT_EQ(attempt("app-2", "cand-2").detail, "skipped: missing email, phone");
}

TEST_F(ScreeningFlow, PausedEvaluationIsRecordedPendingAndWaits) {
    world_.riskos_answer(201, testing::fixture_body("digital_intelligence__step_up_to_docv.json"));
    const job_outcome out = attempt();
    ASSERT_EQ(out.what, job_outcome::kind::done) << out.detail;
    EXPECT_EQ(out.detail, "waiting: evaluation paused");
    EXPECT_TRUE(world_.tags_of("cand-1").empty());
    EXPECT_TRUE(world_.notes("cand-1").empty());
    auto rec = store_->find_evaluation("eval-rb-screening-app-1");
    ASSERT_TRUE(rec.has_value() && rec->has_value());
    EXPECT_EQ((*rec)->state, store::evaluation_state::pending);
    EXPECT_EQ((*rec)->flow, "screening");
    EXPECT_EQ((*rec)->application_id, "app-1");
    EXPECT_EQ((*rec)->candidate_id, "cand-1");
    EXPECT_EQ((*rec)->job, 42);
}

TEST_F(ScreeningFlow, ApplyDecisionFinishesAPendingEvaluation) {
    // What the riskos_event handler does with evaluation_completed.
    world_.riskos_answer(201, testing::fixture_body("digital_intelligence__step_up_to_docv.json"));
    ASSERT_EQ(attempt().detail, "waiting: evaluation paused");

    store::job j;
    j.id = 77;
    j.kind = "riskos_event";
    test_context ctx(j, *store_, clock_);
    flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
    auto lease = service().clients().acquire();
    decision_input in;
    in.candidate_id = "cand-1";
    in.application_id = "app-1";
    in.eval_id = "eval-rb-screening-app-1";
    in.workflow = "workforce_verification";
    in.decision = "REJECT";
    in.reasons = {{"R201", "fraud", "Socure Sigma Identity Fraud"}};
    in.ref = "rb-screening-app-1/decision";
    const job_outcome out = service().apply_decision(ctx, cp, *lease, in);
    EXPECT_EQ(out.detail, "REJECT: HIGH_RISK_IDENTITY");
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"HIGH_RISK_IDENTITY"});
    ASSERT_EQ(world_.notes("cand-1").size(), 1U);
    auto rec = store_->find_evaluation("eval-rb-screening-app-1");
    ASSERT_TRUE(rec.has_value() && rec->has_value());
    EXPECT_EQ((*rec)->state, store::evaluation_state::completed);
    EXPECT_EQ((*rec)->decision, "REJECT");
    EXPECT_EQ((*rec)->job, 42);  // still the screening job that started it

    // A second delivery of the same event with the checkpoint it left: nothing more.
    const job_outcome again = service().apply_decision(ctx, cp, *lease, in);
    EXPECT_EQ(again.what, job_outcome::kind::done);
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
}

TEST_F(ScreeningFlow, TransientRiskosFailureRetriesWithRetryAfterAndReRunsTheSameId) {
    world_.fail_next("POST /api/evaluation", {fault::kind::status_before, 429, "7"});
    const job_outcome first = attempt();
    ASSERT_EQ(first.what, job_outcome::kind::retry);
    EXPECT_EQ(first.retry_after, std::optional<milliseconds>(milliseconds{7000}));
    EXPECT_NE(first.detail.find("429"), std::string::npos) << first.detail;

    world_.fail_next("POST /api/evaluation", {fault::kind::lost_reply});
    EXPECT_EQ(attempt().what, job_outcome::kind::retry);

    EXPECT_EQ(attempt().what, job_outcome::kind::done);
    const auto requests = world_.evaluation_requests();
    ASSERT_EQ(requests.size(), 2U);  // the 429 never reached it; the lost reply did
    EXPECT_EQ(requests[0]["id"], requests[1]["id"]);
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
}

TEST_F(ScreeningFlow, TransientAshbyFailuresRetryAtEveryStep) {
    for (const char* endpoint : {"application.info", "candidate.info", "candidateTag.create",
                                 "candidate.addTag", "candidate.createNote"}) {
        world_.fail_next(endpoint, {fault::kind::status_before, 503});
    }
    int retries = 0;
    job_outcome out;
    for (int i = 0; i < 10; ++i) {
        out = attempt();
        if (out.what != job_outcome::kind::retry) {
            break;
        }
        ++retries;
    }
    EXPECT_EQ(out.what, job_outcome::kind::done) << out.detail;
    EXPECT_EQ(retries, 5);
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
}

TEST_F(ScreeningFlow, LostNoteReplyIsFoundByItsMarkerNotWrittenAgain) {
    world_.fail_next("candidate.createNote", {fault::kind::lost_reply});
    ASSERT_EQ(attempt().what, job_outcome::kind::retry);
    EXPECT_EQ(checkpoint()["notes"]["decision"], "pending");
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);

    EXPECT_EQ(attempt().what, job_outcome::kind::done);
    EXPECT_EQ(world_.calls("candidate.listNotes"), 1);
    EXPECT_EQ(world_.calls("candidate.createNote"), 1);
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
    EXPECT_EQ(checkpoint()["note_ids"]["decision"], "note-1");
}

TEST_F(ScreeningFlow, CrashAtEverySideEffectStillGivesOneEvaluationOneTagOneNote) {
    for (const char* endpoint : {"POST /api/evaluation", "candidateTag.create", "candidate.addTag",
                                 "candidate.createNote"}) {
        world_.fail_next(endpoint, {fault::kind::crash_after});
    }
    int crashes = 0;
    job_outcome out;
    for (int i = 0; i < 10; ++i) {
        try {
            out = attempt();
            break;
        } catch (const testing::simulated_crash&) {
            ++crashes;
        }
    }
    EXPECT_EQ(crashes, 4);
    EXPECT_EQ(out.what, job_outcome::kind::done) << out.detail;
    const auto requests = world_.evaluation_requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[0]["id"], requests[1]["id"]);  // a re-run, one evaluation
    EXPECT_EQ(world_.tags_of("cand-1"), std::vector<std::string>{"LOW_RISK_IDENTITY"});
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
    EXPECT_EQ(world_.calls("candidate.createNote"), 1);
    EXPECT_GE(world_.calls("candidate.listNotes"), 1);
}

TEST_F(ScreeningFlow, AshbyWrongKeyIsPermanentWithTheReason) {
    world_.reject_ashby_key();
    const job_outcome out = attempt();
    ASSERT_EQ(out.what, job_outcome::kind::permanent_failure);
    EXPECT_NE(out.detail.find("403"), std::string::npos) << out.detail;
    EXPECT_NE(out.detail.find("application.info"), std::string::npos) << out.detail;
    EXPECT_EQ(world_.calls("POST /api/evaluation"), 0);
}

TEST_F(ScreeningFlow, RiskosBadRequestIsPermanent) {
    world_.riskos_answer(400, json{{"msg", "Invalid request"}});
    const job_outcome out = attempt();
    ASSERT_EQ(out.what, job_outcome::kind::permanent_failure);
    EXPECT_NE(out.detail.find("400"), std::string::npos) << out.detail;
    EXPECT_TRUE(world_.notes("cand-1").empty());
}

TEST_F(ScreeningFlow, UnknownApplicationIsPermanent) {
    EXPECT_EQ(attempt("app-404").what, job_outcome::kind::permanent_failure);
}

TEST_F(ScreeningFlow, PayloadWithoutApplicationFails) {
    store::job j;
    j.id = 1;
    j.payload = "not json";
    test_context ctx(j, *store_, clock_);
    EXPECT_EQ(service().run_screening(ctx).what, job_outcome::kind::permanent_failure);
}

TEST_F(ScreeningFlow, CheckpointThatCannotBeSavedRetriesBeforeAnyNote) {
    fail_saves_ = true;
    EXPECT_EQ(attempt().what, job_outcome::kind::retry);
    EXPECT_TRUE(world_.notes("cand-1").empty());
    fail_saves_ = false;
    EXPECT_EQ(attempt().what, job_outcome::kind::done);
    EXPECT_EQ(world_.notes("cand-1").size(), 1U);
}

TEST_F(ScreeningFlow, OddCheckpointsDoNotStopTheFlow) {
    checkpoint_ = "not json at all";  // unreadable: starts over
    EXPECT_EQ(attempt().detail, "ACCEPT: LOW_RISK_IDENTITY");

    // Wrongly typed members are replaced, not thrown over.
    checkpoint_ = R"({"step":"evaluated","eval_id":"eval-x","eval_state":"completed",)"
                  R"("decision":"REJECT","workflow":"w","tags":"junk","notes":5,"reasons":7})";
    const job_outcome out = attempt();
    EXPECT_EQ(out.what, job_outcome::kind::done) << out.detail;
    EXPECT_EQ(out.detail, "REJECT: HIGH_RISK_IDENTITY");

    checkpoint_ = R"({"step":"somewhere else"})";
    EXPECT_EQ(attempt().what, job_outcome::kind::permanent_failure);
}

TEST_F(ScreeningFlow, TagIdsAreCreatedOncePerTitle) {
    world_.add_candidate("cand-2", "Grace Hopper", "accept.grace@example.com", "+1 415 555 0102");
    world_.add_application("app-2", "cand-2", "true");
    ASSERT_EQ(attempt().what, job_outcome::kind::done);
    checkpoint_.clear();
    ASSERT_EQ(attempt("app-2", "cand-2").what, job_outcome::kind::done);
    EXPECT_EQ(world_.calls("candidateTag.create"), 1);
    EXPECT_EQ(world_.calls("candidate.addTag"), 2);
    EXPECT_EQ(service().tags().cached("LOW_RISK_IDENTITY"), "tag-1");
}

TEST(TagFor, EveryDecisionOfBothFlows) {
    const config::tags_config tags;
    using config::flow_kind;
    EXPECT_EQ(tag_for(tags, flow_kind::screening, "ACCEPT"), "LOW_RISK_IDENTITY");
    EXPECT_EQ(tag_for(tags, flow_kind::screening, "REVIEW"), "HIGH_RISK_IDENTITY");
    EXPECT_EQ(tag_for(tags, flow_kind::screening, "REJECT"), "HIGH_RISK_IDENTITY");
    EXPECT_EQ(tag_for(tags, flow_kind::screening, "RESUBMIT"), std::nullopt);
    EXPECT_EQ(tag_for(tags, flow_kind::screening, "UNKNOWN"), std::nullopt);
    EXPECT_EQ(tag_for(tags, flow_kind::document_verification, "ACCEPT"),
              "DOCUMENT_VERIFICATION_PASSED");
    EXPECT_EQ(tag_for(tags, flow_kind::document_verification, "REVIEW"),
              "DOCUMENT_VERIFICATION_REVIEW");
    EXPECT_EQ(tag_for(tags, flow_kind::document_verification, "RESUBMIT"),
              "DOCUMENT_VERIFICATION_REVIEW");
    EXPECT_EQ(tag_for(tags, flow_kind::document_verification, "REJECT"),
              "DOCUMENT_VERIFICATION_FAILED");
    config::tags_config custom;
    custom.screening = {{"ACCEPT", "CLEAR"}};
    EXPECT_EQ(tag_for(custom, flow_kind::screening, "ACCEPT"), "CLEAR");
    EXPECT_EQ(tag_for(custom, flow_kind::screening, "REJECT"), std::nullopt);
}

TEST(ClientPool, ConcurrentCallersNeverShareClients) {
    config::config cfg;
    manual_clock clk;
    fake_world world;
    client_pool pool(cfg, clk, testing::fake_factory(world));
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        EXPECT_NE(&*a, &*b);
        EXPECT_NE(a->ashby_http.get(), b->ashby_http.get());
        EXPECT_NE(a->ashby_http.get(), a->riskos_http.get());
    }
    EXPECT_EQ(pool.created(), 2U);
    {
        auto c = pool.acquire();  // reused, not made again
    }
    EXPECT_EQ(pool.created(), 2U);

    std::vector<std::thread> threads;
    std::atomic<int> overlaps{0};
    std::mutex m;
    std::set<const flow_clients*> in_use;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto l = pool.acquire();
                {
                    std::lock_guard lock(m);
                    if (!in_use.insert(&*l).second) {
                        ++overlaps;
                    }
                }
                std::lock_guard lock(m);
                in_use.erase(&*l);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_LE(pool.created(), 8U);
}

}  // namespace
}  // namespace riskbridge::flows
