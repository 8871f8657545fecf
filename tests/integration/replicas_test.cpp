// Two replicas behind a load balancer: two daemons on one PostgreSQL database, signed webhooks
// spread over both, one replica kill -9-ed in the middle. Every delivery that was answered 2xx
// is stored exactly once, with the job id it was answered with, and a copy sent to the other
// replica is answered duplicate. Skipped unless RISKBRIDGE_TEST_POSTGRES_URL names a database
// (./scripts/with-postgres.sh sets it); the test works in a schema of its own, dropped after.
//
// TODO(issue 8): the flows are registered now, but this test's upstreams are a closed
// loopback port, so its jobs only retry. Add a smaller run against the simulators (seed the
// fake Ashby with the applicants, as tests/integration/screening_test.cpp does) and check:
//   - every acknowledged delivery's job reaches `done` exactly once across the two replicas,
//     including the jobs the killed replica held (taken over by claim() when their lease
//     expires; release_leases("") is never called with PostgreSQL);
//   - no candidate gets two RiskOS evaluations for one application and flow (the simulator's
//     evaluation log, and store evaluations_for_candidate);
//   - no candidate gets two notes for the same step (candidate.listNotes on the Ashby
//     simulator), and each job's audit trail has each step once.

#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/security/hmac.hpp"
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
              (std::vector<std::string>{"1", "2"}))
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

}  // namespace
}  // namespace riskbridge::testing
