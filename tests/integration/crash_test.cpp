// kill -9 in the middle of a webhook storm: every delivery that was answered 2xx must be in
// the store exactly once after a restart, and nothing is left running.

#include <signal.h>

#include <atomic>
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

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* secret = "crash-test-secret";

std::string write_config(const temp_dir& dir) {
    daemon_config c;
    c.webhook_secret = secret;
    c.store = "{ sqlite_path: \"" + dir.file("crash.db") + "\", lease_ms: 2000 }";
    return c.write(dir, "crash");
}

std::string delivery_body(int client, int i) {
    const std::string id = std::to_string(client) + "-" + std::to_string(i);
    return json{
        {"webhookActionId", "crash-" + id},
        {"action", "applicationSubmit"},
        {"data", {{"application", {{"id", "app-" + id}, {"candidate", {{"id", "cand-" + id}}}}}}}}
        .dump();
}

header_list signed_headers(const std::string& body) {
    return {{"Ashby-Signature", "sha256=" + security::hmac_sha256_hex(secret, body)}};
}

TEST(CrashTest, AcknowledgedDeliveriesSurviveKillNine) {
    temp_dir dir;
    const std::string config = write_config(dir);
    auto first = std::make_unique<daemon_process>(
        std::vector<std::string>{"serve", "--config", config}, std::map<std::string, std::string>{},
        dir.file("first.log"));
    ASSERT_TRUE(first->wait_ready()) << first->logs();
    const std::uint16_t port = first->port();

    constexpr int clients = 4;
    constexpr int per_client = 1000;
    constexpr std::size_t kill_after = 1200;  // acknowledged deliveries before the kill
    std::mutex mutex;
    std::unordered_map<std::string, std::int64_t> acknowledged;  // delivery key -> job id
    std::atomic<std::size_t> acked{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            http_connection conn;
            for (int i = 0; i < per_client; ++i) {
                if (!conn.is_open() && !conn.connect(port)) {
                    return;  // the daemon is gone
                }
                const std::string body = delivery_body(c, i);
                auto r = conn.request("POST", "/webhooks/ashby", body, signed_headers(body), 10s);
                if (!r) {
                    conn.close();
                    continue;
                }
                if (r->status != 200)
                    continue;
                auto j = json::parse(r->body, nullptr, false);
                if (j.is_discarded() || j.value("status", "") != "accepted")
                    continue;
                std::lock_guard lock(mutex);
                acknowledged["crash-" + std::to_string(c) + "-" + std::to_string(i) +
                             ":applicationSubmit"] = j["job_id"].get<std::int64_t>();
                ++acked;
            }
        });
    }
    // Kill once enough deliveries were acknowledged (or the clients finished).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (acked.load() < kill_after && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);  // polling a counter the clients update
    }
    first->send_signal(SIGKILL);
    ASSERT_EQ(first->wait_exit(10s), std::optional<int>(128 + SIGKILL));
    for (auto& t : threads)
        t.join();
    ASSERT_GE(acknowledged.size(), kill_after);

    // Restart on the same database.
    daemon_process second({"serve", "--config", config}, {}, dir.file("second.log"));
    ASSERT_TRUE(second.wait_ready()) << second.logs();

    // Every acknowledged delivery is stored exactly once, with the job id it was given.
    {
        auto st = store::make_sqlite_store({dir.file("crash.db")}, system_clock());
        ASSERT_TRUE(st.has_value());
        auto jobs = (*st)->list_jobs(std::nullopt, 1'000'000);
        ASSERT_TRUE(jobs.has_value());
        std::unordered_map<std::string, int> copies;
        std::unordered_map<std::string, std::int64_t> ids;
        for (const auto& j : *jobs) {
            ++copies[j.correlation_id];
            ids[j.correlation_id] = j.id;
        }
        for (const auto& [key, job_id] : acknowledged) {
            EXPECT_EQ(copies["ashby:" + key], 1) << key;
            EXPECT_EQ(ids["ashby:" + key], job_id) << key;
        }
        (*st)->shutdown();
    }

    // A replayed acknowledged delivery is a duplicate, not a second job. Every client's first
    // delivery was acknowledged (the kill came after 1,200), so client 0's is one.
    ASSERT_EQ(acknowledged.count("crash-0-0:applicationSubmit"), 1u);
    const std::string replay = delivery_body(0, 0);
    auto replayed =
        http_request(second.port(), "POST", "/webhooks/ashby", replay, signed_headers(replay));
    ASSERT_TRUE(replayed);
    EXPECT_EQ(json::parse(replayed->body)["status"], "duplicate");

    // Jobs the killed daemon left running are released at start-up: none stays leased by it.
    {
        auto st = store::make_sqlite_store({dir.file("crash.db")}, system_clock());
        ASSERT_TRUE(st.has_value());
        auto running = (*st)->list_jobs(store::job_state::running, 1'000'000);
        ASSERT_TRUE(running.has_value());
        for (const auto& j : *running) {
            EXPECT_EQ(j.lease_owner.find(std::to_string(first->pid())), std::string::npos)
                << "job " << j.id << " still leased by the killed daemon";
        }
        (*st)->shutdown();
    }
    EXPECT_EQ(second.terminate(20s), std::optional<int>(0)) << second.logs();
}

TEST(CrashTest, DuplicateStormYieldsOneJob) {
    temp_dir dir;
    const std::string config = write_config(dir);
    daemon_process d({"serve", "--config", config}, {}, dir.file("d.log"));
    ASSERT_TRUE(d.wait_ready()) << d.logs();
    const std::string body = delivery_body(99, 1);
    constexpr int senders = 8;
    constexpr int each = 25;
    std::atomic<int> accepted{0}, duplicate{0}, other{0};
    std::vector<std::thread> threads;
    for (int s = 0; s < senders; ++s) {
        threads.emplace_back([&] {
            http_connection conn;
            if (!conn.connect(d.port()))
                return;
            for (int i = 0; i < each; ++i) {
                auto r = conn.request("POST", "/webhooks/ashby", body, signed_headers(body));
                const auto status =
                    r ? json::parse(r->body, nullptr, false).value("status", "") : std::string();
                if (status == "accepted") {
                    ++accepted;
                } else if (status == "duplicate") {
                    ++duplicate;
                } else {
                    ++other;
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(accepted.load(), 1);
    EXPECT_EQ(duplicate.load(), senders * each - 1);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(d.terminate(20s), std::optional<int>(0));
}

}  // namespace
}  // namespace riskbridge::testing
