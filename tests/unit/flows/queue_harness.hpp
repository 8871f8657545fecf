#pragma once

// The flows' job handlers run as the worker pool would run them, but synchronously and on a
// manual clock: jobs are claimed from a real SQLite store, checkpoints and audit lines go to
// the store, outcomes are recorded (done, retry at now + retry_delay, dead). Used by the DocV,
// RiskOS event and reconciliation tests, where one job queues another (finish_evaluation).

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_upstreams.hpp"
#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/finish_request.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/reconcile.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/paths.hpp"

namespace riskbridge::flows::testing {

/// A job context over the store, holding the lease `owner` took.
class store_context final : public workers::job_context {
public:
    store_context(store::job j, store::job_store& st, clock& clk, std::string owner)
        : job_(std::move(j)), store_(st), clock_(clk), owner_(std::move(owner)) {}

    const store::job& current() const override { return job_; }
    const std::string& checkpoint() const override { return job_.checkpoint; }
    result<void> save_checkpoint(std::string cp) override {
        auto r = store_.save_checkpoint(job_.id, owner_, cp);
        if (r) {
            job_.checkpoint = std::move(cp);
        }
        return r;
    }
    void audit(std::string_view step, std::string_view outcome, std::string_view detail) override {
        store::audit_entry e;
        e.job = job_.id;
        e.at = clock_.now();
        e.step = std::string(step);
        e.outcome = std::string(outcome);
        e.detail = std::string(detail);
        (void)store_.append_audit(e);
    }
    store::evaluation_store& evaluations() override { return store_; }
    store::job_queue& queue() override { return store_; }
    store::audit_log& audit_trail() override { return store_; }
    clock& now_source() override { return clock_; }
    bool stopping() const override { return false; }

private:
    store::job job_;
    store::job_store& store_;
    clock& clock_;
    std::string owner_;
};

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A DocV webhook example payload (tests/fixtures/riskos_webhooks), as the text in the file.
inline std::string webhook_fixture(const std::string& name) {
    return read_text(riskbridge::testing::fixtures_dir() + "/riskos_webhooks/" + name);
}

class QueueHarness : public ::testing::Test {
protected:
    void SetUp() override {
        auto st = store::make_sqlite_store({dir_.file("flows.db")}, clock_);
        ASSERT_TRUE(st.has_value()) << st.error().message;
        store_ = std::move(st).value();
        cfg_.ashby.api_base_url = fake_world::ashby_base;
        cfg_.ashby.api_key = config::secret("k");
        cfg_.riskos.api_base_url = fake_world::riskos_base;
        cfg_.riskos.api_key = config::secret("r");
        cfg_.workers.max_attempts = 50;
    }
    void TearDown() override {
        if (store_) {
            store_->shutdown();
        }
    }

    flow_service& service() {
        if (!service_) {
            service_ = std::make_shared<flow_service>(cfg_, clock_, fake_factory(world_));
            register_flows(registry_, service_);
        }
        return *service_;
    }

    store::job_id add(const std::string& kind, const std::string& payload,
                      std::optional<std::string> unique_key = std::nullopt) {
        store::new_job j;
        j.kind = kind;
        j.payload = payload;
        j.correlation_id = kind;
        j.unique_key = std::move(unique_key);
        auto id = store_->add_job(j, clock_.now());
        EXPECT_TRUE(id.has_value());
        return id ? *id : 0;
    }

    /// A Candidate Hired job for the application, as the webhook handler stores it.
    store::job_id hire(const std::string& app = "app-1", const std::string& cand = "cand-1") {
        return add("document_verification",
                   nlohmann::json{{"source", "ashby"},
                                  {"action", "candidateHire"},
                                  {"flow", "document_verification"},
                                  {"application_id", app},
                                  {"candidate_id", cand},
                                  {"data", nlohmann::json::object()}}
                       .dump(),
                   "document_verification:" + app);
    }

    /// A RiskOS webhook body as the webhook handler stores it (riskos_event job).
    store::job_id riskos_event(const std::string& body) {
        const nlohmann::json doc = nlohmann::json::parse(body);
        std::string type = doc.value("event_type", "");
        std::string event_id = doc.value("event_id", "");
        std::string eval_id;
        if (doc.contains("data") && doc["data"].is_object()) {
            eval_id = doc["data"].value("eval_id", "");
        }
        if (type.empty()) {
            type = doc.value("eventGroup", "");
            event_id = doc.value("id", "");
        }
        return add(kind_riskos_event, nlohmann::json{{"source", "riskos"},
                                                     {"event_type", type},
                                                     {"event_id", event_id},
                                                     {"eval_id", eval_id},
                                                     {"request_id", "req-1"},
                                                     {"received_at", format_rfc3339(clock_.now())},
                                                     {"event", doc}}
                                          .dump());
    }

    /// Claims and runs due jobs until none is due (at most `max_runs`).
    int run_until_idle(int max_runs = 100) {
        service();
        int runs = 0;
        while (runs < max_runs) {
            auto claimed = store_->claim("test-owner", clock_.now(), std::chrono::seconds(60),
                                         registry_.kinds());
            EXPECT_TRUE(claimed.has_value());
            if (!claimed || !*claimed) {
                break;
            }
            ++runs;
            run_one(**claimed);
        }
        return runs;
    }

    workers::job_outcome outcome(store::job_id id) const {
        const auto it = outcomes_.find(id);
        return it == outcomes_.end() ? workers::job_outcome::fail("never ran") : it->second;
    }
    std::optional<store::job> job(store::job_id id) {
        auto j = store_->get_job(id);
        return j && *j ? std::optional<store::job>(**j) : std::nullopt;
    }
    std::vector<store::job> jobs_of_kind(const std::string& kind) {
        std::vector<store::job> out;
        auto all = store_->list_jobs(std::nullopt, 1000);
        for (const auto& j : all ? *all : std::vector<store::job>{}) {
            if (j.kind == kind) {
                out.push_back(j);
            }
        }
        return out;
    }
    std::optional<store::evaluation_record> evaluation(const std::string& eval_id) {
        auto e = store_->find_evaluation(eval_id);
        return e && *e ? std::optional<store::evaluation_record>(**e) : std::nullopt;
    }
    /// "step:outcome:detail" lines of a job's audit trail.
    std::vector<std::string> audit_of(store::job_id id) {
        std::vector<std::string> out;
        auto a = store_->audit_for_job(id);
        for (const auto& e : a ? *a : std::vector<store::audit_entry>{}) {
            out.push_back(e.step + ":" + e.outcome + ":" + e.detail);
        }
        return out;
    }
    /// True when a line of `trail` starts with `prefix` ("step:outcome:") and contains `part`.
    static bool trail_has(const std::vector<std::string>& trail, const std::string& prefix,
                          const std::string& part = {}) {
        return std::any_of(trail.begin(), trail.end(), [&](const std::string& l) {
            return l.rfind(prefix, 0) == 0 && l.find(part) != std::string::npos;
        });
    }
    /// Records an evaluation as a flow job would have (no job behind it: job id 1000+).
    void record(const std::string& eval_id, const std::string& flow, const std::string& state,
                const std::string& token = {}, const std::string& cand = "cand-1",
                const std::string& app = "app-1") {
        store::evaluation_record r;
        r.eval_id = eval_id;
        r.flow = flow;
        r.application_id = app;
        r.candidate_id = cand;
        r.job = 1000;
        r.state = store::parse_evaluation_state(state).value();
        r.docv_token = token;
        r.created_at = clock_.now();
        r.updated_at = clock_.now();
        ASSERT_TRUE(store_->upsert_evaluation(r).has_value());
    }

    static constexpr const char* kind_riskos_event = "riskos_event";
    std::chrono::milliseconds retry_delay{1000};

    riskbridge::testing::temp_dir dir_;
    manual_clock clock_;
    std::unique_ptr<store::job_store> store_;
    config::config cfg_;
    fake_world world_;
    std::shared_ptr<flow_service> service_;
    workers::handler_registry registry_;
    std::map<store::job_id, workers::job_outcome> outcomes_;

private:
    void run_one(const store::job& j) {
        store_context ctx(j, *store_, clock_, "test-owner");
        const workers::job_handler* h = registry_.find(j.kind);
        ASSERT_NE(h, nullptr) << j.kind;
        workers::job_outcome out;
        try {
            out = (*h)(ctx);
        } catch (const simulated_crash&) {
            // The "process" died: the lease stays until it expires, the checkpoint is what
            // was saved before.
            outcomes_.insert_or_assign(j.id, workers::job_outcome::retry("crashed"));
            return;
        }
        outcomes_.insert_or_assign(j.id, out);
        switch (out.what) {
            case workers::job_outcome::kind::done:
                ASSERT_TRUE(store_->mark_done(j.id, "test-owner", out.detail).has_value());
                break;
            case workers::job_outcome::kind::retry:
                ASSERT_TRUE(store_
                                ->mark_retry(j.id, "test-owner",
                                             clock_.now() + out.retry_after.value_or(retry_delay),
                                             out.detail)
                                .has_value());
                break;
            case workers::job_outcome::kind::permanent_failure:
                ASSERT_TRUE(store_->mark_dead(j.id, "test-owner", out.detail).has_value());
                break;
        }
    }
};

}  // namespace riskbridge::flows::testing
