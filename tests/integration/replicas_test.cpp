// Two replicas behind a load balancer: two daemons on one PostgreSQL database, signed webhooks
// spread over both, one replica kill -9-ed in the middle. Every delivery that was answered 2xx
// is stored exactly once, with the job id it was answered with, and a copy sent to the other
// replica is answered duplicate. Skipped unless RISKBRIDGE_TEST_POSTGRES_URL names a database
// (./scripts/with-postgres.sh sets it); the test works in a schema of its own, dropped after.
//
// The second test runs the flows: both replicas on the Ashby and RiskOS simulators, a few
// dozen applications spread over both, one replica kill -9-ed right after one of its jobs wrote
// a note and before it recorded it (its jobs are taken over by claim() once their leases
// expire: release_leases("") is never called with PostgreSQL) and started again; some upstream
// answers lost; DocV step-ups finish through RiskOS webhooks sent to the replicas in turn, or
// through reconciliation when the webhook never comes. Every acknowledged application ends with
// exactly one RiskOS evaluation (one request id, one case), one tag and one decision note, read
// from the simulators' state, and one completed evaluation record in the store.

#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "flow_outcomes.hpp"
#include "riskbridge/config/loader.hpp"
#include "riskbridge/security/hmac.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "unit/store/pg_scratch.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* secret = "replicas-test-secret";

/// The same file for both replicas; the database URL (with its password) comes from the
/// environment, not the file.
std::string write_config(const temp_dir& dir) {
    daemon_config c;
    c.webhook_secret = secret;
    c.store = "{ postgres_url: \"${RB_REPLICA_PG_URL}\", postgres_pool_size: 3, lease_ms: 2000 }";
    return c.write(dir, "replica");
}

std::string delivery_body(int client, int i) {
    const std::string id = std::to_string(client) + "-" + std::to_string(i);
    return json{
        {"webhookActionId", "replica-" + id},
        {"action", "applicationSubmit"},
        {"data", {{"application", {{"id", "app-" + id}, {"candidate", {{"id", "cand-" + id}}}}}}}}
        .dump();
}

std::string delivery_key(int client, int i) {
    return "replica-" + std::to_string(client) + "-" + std::to_string(i) + ":applicationSubmit";
}

header_list signed_headers(const std::string& body) {
    return {{"Ashby-Signature", "sha256=" + security::hmac_sha256_hex(secret, body)}};
}

/// status ("accepted" / "duplicate" / ...) and job id of a 200 answer; nullopt otherwise.
std::optional<std::pair<std::string, std::int64_t>> answer(const std::optional<http_reply>& r) {
    if (!r || r->status != 200) {
        return std::nullopt;
    }
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    const std::int64_t id = j.contains("job_id") && j["job_id"].is_number_integer()
                                ? j["job_id"].get<std::int64_t>()
                                : 0;
    return std::pair{j.value("status", std::string{}), id};
}

struct acknowledged_delivery {
    std::int64_t job_id = 0;
    int replica = 0;  ///< which replica answered
    int client = 0;
    int index = 0;
};

TEST(ReplicasTest, AcknowledgedDeliveriesAreStoredOnceAcrossReplicasWhenOneIsKilled) {
    const auto admin_url = store::testing::postgres_test_url();
    if (!admin_url) {
        GTEST_SKIP() << "RISKBRIDGE_TEST_POSTGRES_URL is not set: the multi-replica test needs "
                        "PostgreSQL (./scripts/with-postgres.sh CMD runs CMD with a private "
                        "cluster)";
    }
    store::testing::pg_scratch_schema schema(*admin_url, "rb_replicas");
    ASSERT_TRUE(schema.ok()) << schema.error();
    temp_dir dir;
    const std::string config = write_config(dir);
    const std::map<std::string, std::string> env{{"RB_REPLICA_PG_URL", schema.url()}};

    // Both start at once on the empty schema: one migrates, the other finds it done.
    std::array<std::unique_ptr<daemon_process>, 2> replicas{
        std::make_unique<daemon_process>(std::vector<std::string>{"serve", "--config", config}, env,
                                         dir.file("a.log")),
        std::make_unique<daemon_process>(std::vector<std::string>{"serve", "--config", config}, env,
                                         dir.file("b.log"))};
    ASSERT_TRUE(replicas[0]->wait_ready()) << replicas[0]->logs();
    ASSERT_TRUE(replicas[1]->wait_ready()) << replicas[1]->logs();
    const std::array<std::uint16_t, 2> ports{replicas[0]->port(), replicas[1]->port()};
    for (const auto& r : replicas) {
        EXPECT_EQ(r->logs().find(schema.url()), std::string::npos) << "the URL was logged";
    }

    constexpr int clients = 4;
    constexpr int per_client = 500;
    constexpr std::size_t kill_after = 600;  // acknowledged deliveries before replica 0 dies
    std::mutex mutex;
    std::unordered_map<std::string, acknowledged_delivery> acknowledged;  // key -> answer
    std::atomic<std::size_t> acked{0};
    std::atomic<int> copies_checked{0};
    std::atomic<int> copies_wrong{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            std::array<http_connection, 2> conns;
            std::array<bool, 2> reachable{true, true};
            // Sends to the replica the "load balancer" picked, or to the other one when that
            // replica is gone (as a balancer's health check would): nullopt when neither
            // answers 200.
            auto send = [&](int replica, const std::string& body)
                -> std::optional<std::pair<int, std::pair<std::string, std::int64_t>>> {
                for (int tries = 0; tries < 2; ++tries, replica = 1 - replica) {
                    auto& conn = conns[static_cast<std::size_t>(replica)];
                    if (!reachable[static_cast<std::size_t>(replica)]) {
                        continue;
                    }
                    if (!conn.is_open() &&
                        !conn.connect(ports[static_cast<std::size_t>(replica)])) {
                        reachable[static_cast<std::size_t>(replica)] = false;
                        continue;
                    }
                    auto a = answer(
                        conn.request("POST", "/webhooks/ashby", body, signed_headers(body), 10s));
                    if (!a) {
                        conn.close();  // died mid-request, or 503: the next try goes elsewhere
                        continue;
                    }
                    return std::pair{replica, *a};
                }
                return std::nullopt;
            };
            for (int i = 0; i < per_client; ++i) {
                const std::string body = delivery_body(c, i);
                auto got = send((c + i) % 2, body);
                if (!got) {
                    continue;
                }
                const auto& [replica, status] = *got;
                if (status.first != "accepted" && status.first != "duplicate") {
                    continue;  // e.g. "ignored": not a delivery this test makes
                }
                {
                    std::lock_guard lock(mutex);
                    acknowledged[delivery_key(c, i)] = {status.second, replica, c, i};
                }
                ++acked;
                // Every fifth: the same delivery again through the other replica (Ashby
                // retrying after a timeout, the balancer picking the other one).
                if (i % 5 == 0 && reachable[static_cast<std::size_t>(1 - replica)]) {
                    auto copy = send(1 - replica, body);
                    if (copy && copy->first == 1 - replica) {
                        ++copies_checked;
                        if (copy->second.first != "duplicate" ||
                            copy->second.second != status.second) {
                            ++copies_wrong;
                        }
                    }
                }
            }
        });
    }
    // Kill replica 0 once enough deliveries were acknowledged (or the clients finished).
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (acked.load() < kill_after && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);  // polling a counter the clients update
    }
    replicas[0]->send_signal(SIGKILL);
    ASSERT_EQ(replicas[0]->wait_exit(10s), std::optional<int>(128 + SIGKILL));
    for (auto& t : threads) {
        t.join();
    }
    ASSERT_GE(acknowledged.size(), kill_after);
    EXPECT_GT(copies_checked.load(), 0);
    EXPECT_EQ(copies_wrong.load(), 0) << "a copy sent to the other replica was not a duplicate "
                                         "of the same job";
    std::array<int, 2> by_replica{0, 0};
    for (const auto& [key, a] : acknowledged) {
        ++by_replica[static_cast<std::size_t>(a.replica)];
    }
    EXPECT_GT(by_replica[0], 0) << "the load was not spread";
    EXPECT_GT(by_replica[1], 0) << "the load was not spread";
    std::printf(
        "[ replicas ] %zu deliveries acknowledged (%d by the killed replica, %d by the "
        "survivor), %d copies answered by the other replica\n",
        acknowledged.size(), by_replica[0], by_replica[1], copies_checked.load());

    // Every acknowledged delivery is stored exactly once, with the job id it was answered.
    {
        store::postgres_options opts;
        opts.url = schema.url();
        opts.pool_size = 1;
        auto st = store::make_postgres_store(opts, system_clock());
        ASSERT_TRUE(st) << st.error().message;
        auto jobs = (*st)->list_jobs(std::nullopt, 1'000'000);
        ASSERT_TRUE(jobs) << jobs.error().message;
        std::unordered_map<std::string, int> copies;
        std::unordered_map<std::string, std::int64_t> ids;
        for (const auto& j : *jobs) {
            ++copies[j.correlation_id];
            ids[j.correlation_id] = j.id;
        }
        for (const auto& [key, a] : acknowledged) {
            EXPECT_EQ(copies["ashby:" + key], 1) << key;
            if (a.job_id != 0) {
                EXPECT_EQ(ids["ashby:" + key], a.job_id) << key;
            }
        }
        auto stats = (*st)->stats();
        ASSERT_TRUE(stats);
        EXPECT_EQ(stats->deliveries, static_cast<std::int64_t>(jobs->size()))
            << "every job came with its delivery, in one transaction";
        (*st)->shutdown();
    }
    store::testing::pg_raw raw(schema.url());
    EXPECT_EQ(raw.column("SELECT version FROM schema_version ORDER BY version"),
              (std::vector<std::string>{"1", "2", "3", "4"}))
        << "the replicas applied each migration once";

    // What the killed replica acknowledged is a duplicate for the survivor, same job.
    int replayed = 0;
    for (const auto& [key, a] : acknowledged) {
        if (a.replica != 0 || replayed >= 100) {
            continue;
        }
        ++replayed;
        const std::string body = delivery_body(a.client, a.index);
        auto r =
            answer(http_request(ports[1], "POST", "/webhooks/ashby", body, signed_headers(body)));
        ASSERT_TRUE(r) << key;
        EXPECT_EQ(r->first, "duplicate") << key;
        EXPECT_EQ(r->second, a.job_id) << key;
    }
    EXPECT_GT(replayed, 0);

    replicas[1]->send_signal(SIGTERM);
    EXPECT_EQ(replicas[1]->wait_exit(20s), std::optional<int>(0)) << replicas[1]->logs();
}

/// Both replicas on the simulators; the database URL comes from the environment.
std::string write_sim_config(const temp_dir& dir, const sim::ashby_simulator& ashby,
                             const sim::riskos_simulator& riskos) {
    const std::string path = dir.file("replica-sim.yaml");
    std::ofstream(path) << "server: { listen: \"127.0.0.1:0\", threads: 2 }\n"
                        << "ashby:\n  api_base_url: \"" << ashby.base_url() << "\"\n  api_key: \""
                        << ashby.options().api_key << "\"\n  webhook_secrets: [\""
                        << ashby.options().webhook_secret << "\"]\n  request_timeout_ms: 10000\n"
                        << "riskos:\n  api_base_url: \"" << riskos.base_url() << "\"\n  api_key: \""
                        << riskos.options().api_key << "\"\n  request_timeout_ms: 10000\n"
                        << "  reconcile_after_ms: 300\n  reconcile_interval_ms: 100\n"
                        << "  webhook_auth: { bearer_tokens: [\"" << riskos.options().webhook_bearer
                        << "\"] }\n"
                        << "store: "
                        << with_throwaway_encryption(
                               "{ postgres_url: \"${RB_REPLICA_PG_URL}\", postgres_pool_size: 4, "
                               "lease_ms: 2000 }")
                        << "\n"
                        << "workers: { threads: 4, max_attempts: 40, backoff_base_ms: 20, "
                           "backoff_max_ms: 200, poll_interval_ms: 20 }\n"
                        << "logging: { level: info, format: json }\n";
    return path;
}

sim::ashby_sim_options ashby_options() {
    sim::ashby_sim_options o;
    o.threads = 2;
    return o;
}

sim::riskos_sim_options riskos_options() {
    sim::riskos_sim_options o;
    o.threads = 2;
    return o;
}

TEST(ReplicasTest, FlowsFinishOnceAcrossReplicasWhenOneIsKilledMidFlight) {
    const auto admin_url = store::testing::postgres_test_url();
    if (!admin_url) {
        GTEST_SKIP() << "RISKBRIDGE_TEST_POSTGRES_URL is not set: the multi-replica test needs "
                        "PostgreSQL (./scripts/with-postgres.sh CMD runs CMD with a private "
                        "cluster)";
    }
    store::testing::pg_scratch_schema schema(*admin_url, "rb_replica_flows");
    ASSERT_TRUE(schema.ok()) << schema.error();
    sim::ashby_simulator ashby(ashby_options());
    sim::riskos_simulator riskos(riskos_options());
    ASSERT_TRUE(ashby.start());
    ASSERT_TRUE(riskos.start());
    constexpr int applications = 40;  // every fifth paused for a DocV step-up
    const auto applicants = outcomes::seed_applicants(ashby, applications, 8, true);
    // Every Ashby answer takes a while: whenever the kill comes, both replicas have flows in
    // flight (reading, tagging, writing notes). A few answers are lost after the effect, on
    // both upstreams, as they would be around a network hiccup.
    sim::fault_settings ashby_faults;
    ashby_faults.slow_rate = 1.0;
    ashby_faults.slow_delay = 150ms;
    ashby_faults.lost_reply_rate = 0.05;
    ashby.faults().set(ashby_faults);
    ashby.faults().reseed(81);
    sim::fault_settings riskos_faults;
    riskos_faults.lost_reply_rate = 0.1;
    riskos_faults.error_rate = 0.05;
    riskos.faults().set(riskos_faults);
    riskos.faults().reseed(82);

    temp_dir dir;
    const std::string config = write_sim_config(dir, ashby, riskos);
    const std::map<std::string, std::string> env{{"RB_REPLICA_PG_URL", schema.url()}};
    const auto start_replica = [&](const std::string& log) {
        return std::make_unique<daemon_process>(
            std::vector<std::string>{"serve", "--config", config}, env, dir.file(log));
    };
    std::array<std::unique_ptr<daemon_process>, 2> replicas{start_replica("a.log"),
                                                            start_replica("b.log")};
    ASSERT_TRUE(replicas[0]->wait_ready()) << replicas[0]->logs();
    ASSERT_TRUE(replicas[1]->wait_ready()) << replicas[1]->logs();
    const auto url = [&](int replica, const char* path) {
        return "http://127.0.0.1:" +
               std::to_string(replicas[static_cast<std::size_t>(replica)]->port()) + path;
    };

    // The shared store as the replicas open it, with their key: checkpoints read in clear.
    auto loaded =
        config::load_config(config, [&](std::string_view name) -> std::optional<std::string> {
            const auto it = env.find(std::string(name));
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        });
    ASSERT_TRUE(loaded.ok()) << config::format_problem(loaded.problems.at(0));
    loaded.cfg.store.postgres_pool_size = 1;
    auto opened = store::open_store(loaded.cfg.store, system_clock());
    ASSERT_TRUE(opened) << opened.error().message;
    store::job_store& st = **opened;
    const auto jobs = [&] {
        auto list = st.list_jobs(std::nullopt, 100'000);
        return list ? *list : std::vector<store::job>{};
    };

    // The "load balancer" spreads the deliveries over both replicas; each one is acknowledged.
    std::map<std::string, std::pair<int, std::int64_t>> acknowledged;  // app -> replica, job
    std::map<std::string, std::string> sent_bodies;                    // app -> its delivery
    for (int i = 0; i < applications; ++i) {
        const auto& a = applicants[static_cast<std::size_t>(i)];
        const auto body = ashby.webhook_body("applicationSubmit", a.application_id);
        ASSERT_TRUE(body.has_value());
        const int replica = i % 2;
        auto r = ashby.send_webhook(url(replica, "/webhooks/ashby"), *body);
        ASSERT_TRUE(r.has_value()) << a.application_id;
        const auto got = answer(http_reply{static_cast<int>(r->status), {}, r->body});
        ASSERT_TRUE(got && got->first == "accepted") << r->body;
        acknowledged[a.application_id] = {replica, got->second};
        sent_bodies[a.application_id] = *body;
    }

    // Kill replica 0 at the dangerous moment: one of its jobs has written its decision note
    // (the note is in Ashby) and not yet recorded it (the checkpoint says "pending"; the
    // simulator holds the answer back). The replica is stopped (SIGSTOP) while the store and
    // the simulator are read, so what is seen is exactly what the kill leaves behind.
    std::map<std::string, const outcomes::applicant*> by_candidate;
    for (const auto& a : applicants) {
        by_candidate[a.candidate_id] = &a;
    }
    const std::string owner0 = ":" + std::to_string(replicas[0]->pid()) + "/w";
    std::set<store::job_id> held;
    std::string caught;  // the candidate whose note was written, its answer lost
    ASSERT_TRUE(eventually(
        [&] {
            replicas[0]->send_signal(SIGSTOP);
            held.clear();
            for (const auto& j : jobs()) {
                if (j.state != store::job_state::running ||
                    j.lease_owner.find(owner0) == std::string::npos) {
                    continue;
                }
                held.insert(j.id);
                const auto cp = json::parse(j.checkpoint, nullptr, false);
                if (!cp.is_object() || !cp.contains("notes") || !cp["notes"].is_object() ||
                    cp["notes"].value("decision", "") != "pending") {
                    continue;
                }
                const auto it = by_candidate.find(cp.value("candidate_id", ""));
                if (it != by_candidate.end() && outcomes::has_decision_note(ashby, *it->second)) {
                    caught = it->first;
                }
            }
            if (!caught.empty()) {
                return true;
            }
            replicas[0]->send_signal(SIGCONT);
            return false;
        },
        30s))
        << "replica 0 never stopped between writing a note and recording it\n"
        << replicas[0]->logs();
    replicas[0]->send_signal(SIGKILL);
    ASSERT_EQ(replicas[0]->wait_exit(10s), std::optional<int>(128 + SIGKILL));
    const std::size_t notes_at_kill = outcomes::with_decision_note(ashby, applicants);

    // Ashby retries what replica 0 acknowledged: the survivor knows it, same job.
    for (const auto& [app, ack] : acknowledged) {
        if (ack.first != 0) {
            continue;
        }
        auto r = ashby.send_webhook(url(1, "/webhooks/ashby"), sent_bodies.at(app));
        ASSERT_TRUE(r.has_value());
        const auto got = answer(http_reply{static_cast<int>(r->status), {}, r->body});
        ASSERT_TRUE(got.has_value()) << r->body;
        EXPECT_EQ(got->first, "duplicate") << app;
        EXPECT_EQ(got->second, ack.second) << app;
    }

    // Replica 0 comes back (a new process) and shares the work again. The killed one's log,
    // cut off mid-line perhaps, is checked with the others' at the end.
    const std::string killed_log = replicas[0]->logs();
    replicas[0] = start_replica("a2.log");
    ASSERT_TRUE(replicas[0]->wait_ready()) << replicas[0]->logs();

    // DocV step-ups: once the flow recorded the evaluation as waiting, RiskOS's capture
    // completes it. Its webhooks go to the replicas in turn; every third capture sends no
    // webhook at all (missed), and reconciliation, which both replicas schedule, finishes it.
    // Reconciliation also races the webhooks for the others: one finish per evaluation.
    int docv = 0;
    int missed = 0;
    for (const auto& a : applicants) {
        if (a.rule != "docv") {
            continue;
        }
        std::string eval_id;
        ASSERT_TRUE(eventually(
            [&] {
                const auto id = riskos.eval_id_for("rb-screening-" + a.application_id);
                if (!id) {
                    return false;
                }
                auto rec = st.find_evaluation(*id);
                eval_id = *id;
                return rec && rec->has_value() && (*rec)->state == store::evaluation_state::pending;
            },
            30s))
            << a.application_id;
        if (docv++ % 3 == 2) {
            ASSERT_TRUE(riskos.complete_silently(eval_id)) << eval_id;
            ++missed;
            continue;
        }
        riskos.set_webhook_target(url(docv % 2, "/webhooks/riskos"),
                                  riskos.options().webhook_bearer);
        const auto sent = riskos.run_docv(eval_id);
        ASSERT_FALSE(sent.empty()) << eval_id;
        for (const auto& d : sent) {
            EXPECT_TRUE(d.delivered()) << d.event_type << " " << d.http_status << " " << d.error;
        }
    }
    ASSERT_GT(docv, 0);
    ASSERT_GT(missed, 0);

    // Every flow finishes: each applicant has its decision note and no job is left to run.
    const auto settled = [&] {
        if (outcomes::with_decision_note(ashby, applicants) != applicants.size()) {
            return false;
        }
        for (const auto& j : jobs()) {
            if (j.state != store::job_state::done) {
                return false;
            }
        }
        return true;
    };
    // Forty flows whose every Ashby answer takes 150 ms, some retried, on two replicas and
    // PostgreSQL: a loaded or sanitized machine may need a while.
    ASSERT_TRUE(eventually(settled, 120s))
        << outcomes::with_decision_note(ashby, applicants) << " decision notes\n"
        << replicas[1]->logs();

    const auto wrong = outcomes::problems(ashby, riskos, applicants);
    EXPECT_TRUE(wrong.empty()) << outcomes::joined(wrong);
    EXPECT_EQ(ashby.all_tags().size(), 2U) << "a tag title created twice";

    // The store: one screening job per application, all done, the killed replica's jobs
    // taken over; one completed evaluation per candidate with the decision.
    const auto all = jobs();
    std::map<std::string, int> screening_jobs;
    int taken_over = 0;
    for (const auto& j : all) {
        if (j.kind == "screening") {
            ++screening_jobs[j.correlation_id];
        }
        auto history = st.job_attempts(j.id);
        ASSERT_TRUE(history);
        int done = 0;
        for (const auto& h : *history) {
            done += h.outcome == "done" ? 1 : 0;
            if (held.count(j.id) != 0) {
                taken_over += h.outcome == "lease_expired" ? 1 : 0;
            }
        }
        EXPECT_EQ(done, 1) << "job " << j.id << " (" << j.kind << ") completed " << done
                           << " times";
    }
    EXPECT_EQ(screening_jobs.size(), static_cast<std::size_t>(applications));
    for (const auto& [correlation, n] : screening_jobs) {
        EXPECT_EQ(n, 1) << correlation;
    }
    EXPECT_GT(taken_over, 0) << "no job of the killed replica was taken over";
    // The note written just before the kill was found by its marker, not written again.
    EXPECT_EQ(ashby.notes_of(caught).size(), 1U) << caught;
    EXPECT_NE((replicas[0]->logs() + replicas[1]->logs()).find("\"event\":\"flow_note_found\""),
              std::string::npos);
    for (const auto& a : applicants) {
        auto evals = st.evaluations_for_candidate(a.candidate_id);
        ASSERT_TRUE(evals) << evals.error().message;
        ASSERT_EQ(evals->size(), 1U) << a.candidate_id;
        EXPECT_EQ((*evals)[0].state, store::evaluation_state::completed) << a.candidate_id;
        EXPECT_EQ((*evals)[0].decision, a.expected_decision) << a.candidate_id;
        EXPECT_EQ((*evals)[0].application_id, a.application_id);
    }
    std::printf(
        "[ replicas ] %d flows (%d DocV step-ups, %d webhooks missed) on two replicas; %zu notes "
        "before the kill, "
        "%zu jobs held by the killed replica (one between its note and the note's answer), %d "
        "taken over; %d RiskOS POSTs, %d createNote calls\n",
        applications, docv, missed, notes_at_kill, held.size(), taken_over,
        riskos.calls("POST /api/evaluation"), ashby.calls("candidate.createNote"));
    st.shutdown();

    for (auto& r : replicas) {
        r->send_signal(SIGTERM);
    }
    auto needles = outcomes::personal_needles(applicants);
    needles.push_back("example.com");
    expect_no_personal_data(killed_log, needles, "the killed replica's log");
    for (auto& r : replicas) {
        EXPECT_EQ(r->wait_exit(20s), std::optional<int>(0)) << r->logs();
        expect_no_personal_data(r->logs(), needles, "a replica's log");
    }
    ashby.stop();
    riskos.stop();
}

}  // namespace
}  // namespace riskbridge::testing
