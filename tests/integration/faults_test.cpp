// Upstream faults (issue 9): the real daemon (build/riskbridge serve, SQLite) against the Ashby
// and RiskOS simulators in this process, both injecting faults.
//
// 1. 30% 500s, 10% 429s with Retry-After, dropped connections, replies lost after the effect
//    (the dangerous case for candidate.createNote: the note is written, its answer never
//    arrives) and slow answers past the client's timeout, during 200 applications: every flow
//    completes within the retry budget with exactly one evaluation, one tag and one note.
// 2. Upstreams down for longer than the budget: every job ends dead with the reason
//    (`riskbridge jobs show`); once they are back, `riskbridge jobs retry --all-dead` finishes
//    each flow exactly once.
// 3. The same faults during document verifications, whose RiskOS webhooks can overtake the
//    flow: one DocV evaluation, each note step at most once, one decision note and one tag.
//
// Outcomes are awaited by polling the simulators and the store with a deadline.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deployment_test.hpp"
#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/daemon_process.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct worker_settings {
    int threads = 16;
    int max_attempts = 100;
    int backoff_base_ms = 10;
    int backoff_max_ms = 200;
    int request_timeout_ms = 5000;
};

class FaultsTest : public deployment_test {
protected:
    static sim::ashby_sim_options ashby_options() {
        sim::ashby_sim_options o;
        o.threads = 2;
        return o;
    }
    static sim::riskos_sim_options riskos_options() {
        sim::riskos_sim_options o;
        o.threads = 2;
        // DocV captures run by themselves (only DocV evaluations have one).
        o.docv_auto_delay = 300ms;
        return o;
    }

    FaultsTest() : deployment_test(ashby_options(), riskos_options()) {}

    /// 30% 500s, 10% 429s with Retry-After, dropped connections, replies lost after the
    /// effect and answers slower than the client's timeout, on both upstreams.
    void inject_storm(std::uint64_t ashby_seed, std::uint64_t riskos_seed) {
        sim::fault_settings f;
        f.error_rate = 0.30;
        f.rate_limit_rate = 0.10;
        f.retry_after_seconds = 1;  // a floor for the backoff, above backoff_max_ms
        f.drop_rate = 0.04;
        f.lost_reply_rate = 0.06;
        f.slow_rate = 0.05;
        f.slow_delay = 400ms;
        ashby_.faults().set(f);
        ashby_.faults().reseed(ashby_seed);
        riskos_.faults().set(f);
        riskos_.faults().reseed(riskos_seed);
    }

    void configure(const worker_settings& w) {
        deployment_options o;
        o.request_timeout_ms = w.request_timeout_ms;
        o.riskos_extra = "  reconcile_after_ms: 500\n  reconcile_interval_ms: 200\n";
        o.workers = "{ threads: " + std::to_string(w.threads) +
                    ", max_attempts: " + std::to_string(w.max_attempts) +
                    ", backoff_base_ms: " + std::to_string(w.backoff_base_ms) +
                    ", backoff_max_ms: " + std::to_string(w.backoff_max_ms) +
                    ", poll_interval_ms: 20 }";
        deployment_test::configure("faults", o);
    }

    void start() { deployment_test::start(/*riskos_calls_back=*/true); }

    /// Sends each applicant's signed `action` webhook; every one must be accepted.
    void submit_all(const std::vector<outcomes::applicant>& applicants,
                    const std::string& action = "applicationSubmit") {
        for (const auto& a : applicants) {
            auto body = ashby_.webhook_body(action, a.application_id);
            ASSERT_TRUE(body.has_value()) << a.application_id;
            auto r = send_ashby(*body);
            ASSERT_TRUE(r.has_value()) << a.application_id;
            ASSERT_EQ(r->status, 200) << r->body;
            ASSERT_EQ(json::parse(r->body, nullptr, false).value("status", ""), "accepted")
                << r->body;
        }
    }

    std::map<store::job_state, std::size_t> jobs_by_state() {
        std::map<store::job_state, std::size_t> out;
        for (const auto& j : stored_jobs()) {
            ++out[j.state];
        }
        return out;
    }

    /// Every job `done` (none queued, running, waiting to retry or dead) and `count` of them.
    bool all_done(std::size_t count) {
        const auto by_state = jobs_by_state();
        return by_state.size() == 1 && by_state.begin()->first == store::job_state::done &&
               by_state.begin()->second == count;
    }

    std::string state_summary() {
        std::string out;
        for (const auto& [state, n] : jobs_by_state()) {
            out += std::string(store::to_string(state)) + "=" + std::to_string(n) + " ";
        }
        return out;
    }

    /// Notes the hiring team wrote before riskbridge runs, through the Ashby API: the step's
    /// marker must be looked for over every page of candidate.listNotes.
    void add_team_notes(const std::vector<outcomes::applicant>& applicants, int per_candidate) {
        auto http = clients::make_curl_client({});
        clients::ashby::ashby_options o;
        o.base_url = ashby_.base_url();
        o.api_key = ashby_.options().api_key;
        clients::ashby::ashby_client client(*http, o);
        for (const auto& a : applicants) {
            for (int i = 0; i < per_candidate; ++i) {
                clients::ashby::note_request n;
                n.candidate_id = a.candidate_id;
                n.html = "<p>Phone screen " + std::to_string(i + 1) + ": strong</p>";
                ASSERT_TRUE(client.create_note(n).has_value()) << a.candidate_id;
            }
        }
    }

    std::uint64_t faulted(sim::fault_injector& f, sim::fault kind) {
        const auto counts = f.counts();
        const auto it = counts.find(kind);
        return it == counts.end() ? 0 : it->second;
    }
};

TEST_F(FaultsTest, EveryFlowCompletesOnceThroughErrorsRateLimitsDropsAndSlowAnswers) {
    constexpr int applications = 200;
    const auto applicants = seed(applications, 9);
    constexpr int team_notes = 3;  // with the simulator's 2 per page: the marker is on page 2
    add_team_notes(applicants, team_notes);
    const int team_note_calls = ashby_.calls("candidate.createNote");
    worker_settings w;
    // Slow answers come after the effect and past this timeout: like a lost reply.
    w.request_timeout_ms = 250;
    configure(w);

    inject_storm(91, 92);

    start();
    const auto started = std::chrono::steady_clock::now();
    submit_all(applicants);
    // About 15 s on an idle machine in a release build: the deadline leaves room for a
    // sanitized build on a loaded one.
    ASSERT_TRUE(eventually([&] { return all_done(applications); }, 240s))
        << state_summary() << "\n"
        << outcomes::with_decision_note(ashby_, applicants) << " decision notes";
    const auto took = std::chrono::steady_clock::now() - started;

    const auto wrong = outcomes::problems(ashby_, riskos_, applicants, team_notes);
    EXPECT_TRUE(wrong.empty()) << outcomes::joined(wrong);

    // The faults happened, on the calls that matter, and were retried.
    for (auto* injector : {&ashby_.faults(), &riskos_.faults()}) {
        EXPECT_GT(faulted(*injector, sim::fault::error_500), 0U);
        EXPECT_GT(faulted(*injector, sim::fault::rate_limited), 0U);
        EXPECT_GT(faulted(*injector, sim::fault::drop), 0U);
        EXPECT_GT(faulted(*injector, sim::fault::lost_reply), 0U);
    }
    EXPECT_GT(riskos_.calls("POST /api/evaluation"), applications);  // re-runs of the same id
    // Notes whose answer was lost or late are found by their marker, not written again.
    const int create_note_calls = ashby_.calls("candidate.createNote") - team_note_calls;
    EXPECT_GT(create_note_calls, applications);
    EXPECT_GT(ashby_.calls("candidate.listNotes"), 0);
    // One tag per title: create-or-get, cached.
    const auto tags = ashby_.all_tags();
    EXPECT_EQ(tags.size(), 2U);

    const auto jobs = stored_jobs();
    int max_attempts = 0;
    long long attempts = 0;
    for (const auto& j : jobs) {
        max_attempts = std::max(max_attempts, j.attempts);
        attempts += j.attempts;
    }

    // Retry-After is a floor for the backoff, above backoff_max_ms: after a 429 the next
    // attempt was put off by the second the upstream asked for. Read from the worker's own
    // job_retry lines, the delay it stored as the job's next_run_at. (Not from the gaps
    // between the attempts' finished_at: each is stamped once the store's write lock is had,
    // which on a loaded machine, or beside another process writing to the disk, can take
    // longer than any margin.) Ignoring Retry-After would leave the jitter, at most
    // backoff_max_ms.
    const std::string logs = daemon_->logs();
    int after_rate_limit = 0;
    std::vector<std::string> too_early;
    for (const auto& o : log_objects(logs)) {
        if (o.value("event", "") != "job_retry" ||
            o.value("error", "").find("HTTP 429 (retry after 1000 ms)") == std::string::npos) {
            continue;
        }
        ++after_rate_limit;
        const long long delay = o.value("delay_ms", -1LL);
        if (delay < 1000) {
            too_early.push_back("job " + o.value("job_id", "?") + " attempt " +
                                o.value("attempt", "?") + ": next after " + std::to_string(delay) +
                                " ms");
        }
    }
    EXPECT_GT(after_rate_limit, 0);
    EXPECT_TRUE(too_early.empty()) << outcomes::joined(too_early);

    EXPECT_EQ(logs.find("\"event\":\"job_dead\""), std::string::npos);
    std::printf(
        "[ faults ] %d flows done in %lld ms: %lld attempts (max %d per job), %d createNote "
        "calls, %d RiskOS POSTs; Ashby faults 500=%llu 429=%llu drop=%llu lost=%llu\n",
        applications,
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
        attempts, max_attempts, create_note_calls, riskos_.calls("POST /api/evaluation"),
        static_cast<unsigned long long>(faulted(ashby_.faults(), sim::fault::error_500)),
        static_cast<unsigned long long>(faulted(ashby_.faults(), sim::fault::rate_limited)),
        static_cast<unsigned long long>(faulted(ashby_.faults(), sim::fault::drop)),
        static_cast<unsigned long long>(faulted(ashby_.faults(), sim::fault::lost_reply)));
}

TEST_F(FaultsTest, UpstreamDownLongerThanTheBudgetEndsDeadAndRetryAllDeadFinishesOnce) {
    constexpr int per_phase = 12;
    const auto riskos_down = seed(per_phase, 21);
    const auto both_down = seed(per_phase, 22);
    worker_settings w;
    w.threads = 4;
    w.max_attempts = 3;
    w.backoff_base_ms = 10;
    w.backoff_max_ms = 50;
    configure(w);
    start();

    // Phase A: RiskOS drops every connection; Ashby answers.
    sim::fault_settings down;
    down.drop_rate = 1.0;
    riskos_.faults().set(down);
    submit_all(riskos_down);
    const auto dead_count = [&] { return jobs_by_state()[store::job_state::dead]; };
    ASSERT_TRUE(eventually([&] { return dead_count() == per_phase; }, 60s)) << state_summary();

    // Phase B: Ashby answers 500 to everything as well.
    sim::fault_settings failing;
    failing.error_rate = 1.0;
    ashby_.faults().set(failing);
    submit_all(both_down);
    ASSERT_TRUE(eventually([&] { return dead_count() == 2 * per_phase; }, 60s)) << state_summary();
    EXPECT_EQ(riskos_.eval_ids().size(), 0U);
    EXPECT_EQ(ashby_.calls("candidate.createNote"), 0);

    // Each dead job says why, through the CLI.
    std::map<std::string, store::job_id> job_of;  // application id -> job
    for (const auto& j : stored_jobs()) {
        const auto p = json::parse(j.payload, nullptr, false);
        ASSERT_TRUE(p.is_object()) << j.id;
        job_of[p.value("application_id", std::string{})] = j.id;
        EXPECT_EQ(j.state, store::job_state::dead) << j.id;
        EXPECT_EQ(j.attempts, w.max_attempts) << j.id;
    }
    const auto show = [&](const outcomes::applicant& a) {
        const auto r = run_riskbridge(
            {"jobs", "show", std::to_string(job_of[a.application_id]), "--config", config_path_});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(r.output.find("state:       dead"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("attempts exhausted"), std::string::npos) << r.output;
        EXPECT_EQ(r.output.find("Testcase"), std::string::npos) << r.output;
        EXPECT_EQ(r.output.find("example.com"), std::string::npos) << r.output;
        return r.output;
    };
    for (const auto& a : riskos_down) {
        const std::string out = show(a);
        EXPECT_NE(out.find("riskos POST /api/evaluation"), std::string::npos) << out;
    }
    for (const auto& a : both_down) {
        const std::string out = show(a);
        EXPECT_NE(out.find("ashby application.info"), std::string::npos) << out;
        EXPECT_NE(out.find("500"), std::string::npos) << out;
    }
    const auto listed =
        run_riskbridge({"jobs", "list", "--state", "dead", "--config", config_path_});
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_NE(listed.output.find(std::to_string(2 * per_phase) + " job(s)"), std::string::npos)
        << listed.output;

    // Back up: one command replays every dead job, each flow finishes exactly once.
    ashby_.faults().clear();
    riskos_.faults().clear();
    const auto retried = run_riskbridge({"jobs", "retry", "--all-dead", "--config", config_path_});
    ASSERT_EQ(retried.exit_code, 0) << retried.output;
    EXPECT_NE(retried.output.find(std::to_string(2 * per_phase) + " job(s) queued again"),
              std::string::npos)
        << retried.output;
    ASSERT_TRUE(eventually([&] { return all_done(2 * per_phase); }, 60s)) << state_summary();

    std::vector<outcomes::applicant> all = riskos_down;
    all.insert(all.end(), both_down.begin(), both_down.end());
    const auto wrong = outcomes::problems(ashby_, riskos_, all);
    EXPECT_TRUE(wrong.empty()) << outcomes::joined(wrong);
    EXPECT_EQ(riskos_.calls("POST /api/evaluation"),
              per_phase * w.max_attempts + 2 * per_phase);  // phase A's tries, then one each
    EXPECT_EQ(ashby_.calls("candidate.createNote"), 2 * per_phase);

    // Nothing is dead any more, and a second replay finds nothing to do.
    const auto again = run_riskbridge({"jobs", "retry", "--all-dead", "--config", config_path_});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("0 job(s) queued again"), std::string::npos) << again.output;
}

TEST_F(FaultsTest, DocumentVerificationsThroughFaultsWriteEachStepOnce) {
    // Hires start DocV evaluations; the RiskOS simulator's capture runs by itself and sends
    // its webhooks. When the evaluation's answer is lost, the webhooks may come before the flow
    // recorded the evaluation: reconciliation then reads it back. Each candidate ends with one
    // DocV evaluation, the "requested" note once, the decision note once and one tag.
    constexpr int hires = 30;
    const auto applicants = seed(hires, 31);
    worker_settings w;
    w.threads = 8;
    w.request_timeout_ms = 250;
    configure(w);
    inject_storm(311, 312);
    start();
    submit_all(applicants, "candidateHire");

    const auto marker = [](const outcomes::applicant& a, const char* step) {
        return "riskbridge:ref rb-document_verification-" + a.application_id + "/" + step;
    };
    const auto count_notes = [&](const outcomes::applicant& a, const char* step) {
        int n = 0;
        for (const auto& note : ashby_.notes_of(a.candidate_id)) {
            n += note.content.find(marker(a, step)) != std::string::npos ? 1 : 0;
        }
        return n;
    };
    const auto decided = [&] {
        for (const auto& a : applicants) {
            if (count_notes(a, "decision") == 0) {
                return false;
            }
        }
        return true;
    };
    const auto no_job_left = [&] {
        const auto by_state = jobs_by_state();
        return by_state.size() == 1 && by_state.begin()->first == store::job_state::done;
    };
    // About 10 s on an idle machine in a release build: room for a sanitized, loaded one.
    ASSERT_TRUE(eventually([&] { return decided() && no_job_left(); }, 180s))
        << state_summary() << "\n"
        << daemon_->logs().substr(0, 4000);

    std::map<std::string, int> cases_by_request_id;
    for (const auto& eval_id : riskos_.eval_ids()) {
        const auto r = json::parse(riskos_.request_json(eval_id).value_or(""), nullptr, false);
        ASSERT_TRUE(r.is_object()) << eval_id;
        EXPECT_EQ(r.value("workflow", ""), "workforce_docv") << eval_id;
        ++cases_by_request_id[r.value("id", "")];
    }
    EXPECT_EQ(riskos_.eval_ids().size(), static_cast<std::size_t>(hires));
    auto st = store::make_sqlite_store({db_path()}, system_clock());
    ASSERT_TRUE(st.has_value());
    int with_requested = 0;
    for (const auto& a : applicants) {
        const std::string expected_tag = a.rule == "review"   ? "DOCUMENT_VERIFICATION_REVIEW"
                                         : a.rule == "reject" ? "DOCUMENT_VERIFICATION_FAILED"
                                                              : "DOCUMENT_VERIFICATION_PASSED";
        EXPECT_EQ(cases_by_request_id["rb-document_verification-" + a.application_id], 1)
            << a.application_id;
        // The "requested" note is left out when the decision came first (the capture can be
        // over before a retried flow gets there); never written twice.
        const int requested = count_notes(a, "requested");
        with_requested += requested;
        EXPECT_LE(requested, 1) << a.application_id;
        EXPECT_EQ(count_notes(a, "decision"), 1) << a.application_id;
        EXPECT_EQ(ashby_.notes_of(a.candidate_id).size(), static_cast<std::size_t>(1 + requested))
            << a.application_id;
        EXPECT_EQ(ashby_.tags_of(a.candidate_id), std::vector<std::string>{expected_tag})
            << a.application_id;
        auto evals = (*st)->evaluations_for_candidate(a.candidate_id);
        ASSERT_TRUE(evals) << evals.error().message;
        ASSERT_EQ(evals->size(), 1U) << a.candidate_id;
        EXPECT_EQ((*evals)[0].state, store::evaluation_state::completed) << a.candidate_id;
        EXPECT_EQ((*evals)[0].decision, a.expected_decision) << a.candidate_id;
    }
    (*st)->shutdown();
    EXPECT_GT(with_requested, 0);
    const std::string logs = daemon_->logs();
    EXPECT_EQ(logs.find("\"event\":\"job_dead\""), std::string::npos);
    std::printf(
        "[ faults ] %d DocV verifications done (%d with the requested note); %zu RiskOS "
        "webhooks sent, %zu finished by reconciliation\n",
        hires, with_requested, riskos_.deliveries().size(),
        count_of(logs, "\"event\":\"reconcile_finish_queued\""));
}

}  // namespace
}  // namespace riskbridge::testing
