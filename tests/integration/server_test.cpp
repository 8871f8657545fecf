// The real daemon (build/riskbridge serve) over real sockets: every row of the README's HTTP
// endpoints table, keep-alive, limits, slow clients, concurrency and the SIGTERM drain.

#include <signal.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/security/hmac.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* current_secret = "whsec-current-0123456789";
constexpr const char* old_secret = "whsec-previous-abcdef";
constexpr const char* riskos_token = "0f8fad5b-d9cb-469f-a165-70867728950e";

std::string signature(std::string_view body, std::string_view secret = current_secret) {
    return "sha256=" + security::hmac_sha256_hex(secret, body);
}

header_list signed_headers(std::string_view body, std::string_view secret = current_secret) {
    return {{"Ashby-Signature", signature(body, secret)}, {"Content-Type", "application/json"}};
}

std::string application_event(const std::string& action_id, const std::string& action,
                              const std::string& application_id,
                              const std::string& stage = "Application Review") {
    json body = {
        {"webhookActionId", action_id},
        {"action", action},
        {"data",
         {{"application",
           {{"id", application_id},
            {"status", "Active"},
            {"candidate", {{"id", "cand-" + application_id}, {"name", "Test Person"}}},
            {"currentInterviewStage", {{"id", "st-1"}, {"title", stage}, {"type", "Active"}}},
            {"job", {{"id", "job-1"}, {"title", "Engineer"}}}}}}}};
    return body.dump();
}

std::string riskos_event(const std::string& event_id, const std::string& type) {
    return json{{"event_id", event_id},
                {"event_type", type},
                {"event_at", "2025-07-07T21:01:31.296383102Z"},
                {"data",
                 {{"eval_id", "6c81b2ee-4f7e-4ea1-9696-160ecb5b341a"},
                  {"id", "onb-12345"},
                  {"notes", "Capture App Opened"},
                  {"reviewer_id", "Webhook"},
                  {"workflow", "workforce_docv"}}}}
        .dump();
}

class DaemonTest : public ::testing::Test {
protected:
    void SetUp() override {
        db_path_ = dir_.file("riskbridge.db");
        config_path_ = dir_.file("riskbridge.yaml");
        std::ofstream(config_path_) << R"(server:
  listen: "127.0.0.1:0"
  threads: 2
  max_body_bytes: 65536
  read_timeout_ms: 1500
  idle_timeout_ms: 5000
  drain_timeout_ms: 5000
ashby:
  api_base_url: "http://127.0.0.1:9"
  api_key: "${ASHBY_API_KEY}"
  webhook_secrets: ["${ASHBY_WEBHOOK_SECRET}", "${ASHBY_OLD_SECRET}"]
riskos:
  api_base_url: "http://127.0.0.1:9"
  api_key: "${RISKOS_API_KEY}"
  webhook_auth:
    bearer_tokens: ["${RISKOS_WEBHOOK_TOKEN}"]
    basic: [{ username: "riskos", password: "${RISKOS_BASIC_PASSWORD}" }]
triggers:
  - { action: applicationSubmit, flow: screening }
  - { action: candidateHire, flow: document_verification }
  - { action: candidateStageChange, stage: "offer", flow: document_verification }
store:
  sqlite_path: ")" << db_path_ << R"("
  )" << throwaway_encryption() << R"(
workers: { threads: 2 }
logging: { level: debug, format: json }
)";
        env_ = {
            {"ASHBY_API_KEY", "ashby-api-key-xyz"}, {"ASHBY_WEBHOOK_SECRET", current_secret},
            {"ASHBY_OLD_SECRET", old_secret},       {"RISKOS_API_KEY", "riskos-api-key-xyz"},
            {"RISKOS_WEBHOOK_TOKEN", riskos_token}, {"RISKOS_BASIC_PASSWORD", "basic-pass-123"}};
    }

    void start() {
        daemon_ = std::make_unique<daemon_process>(
            std::vector<std::string>{"serve", "--config", config_path_}, env_,
            dir_.file("daemon.log"));
        ASSERT_TRUE(daemon_->wait_ready()) << daemon_->logs();
        port_ = daemon_->port();
    }

    void TearDown() override {
        if (daemon_ && daemon_->running()) {
            daemon_->send_signal(SIGTERM);
            auto code = daemon_->wait_exit(20s);
            EXPECT_EQ(code, std::optional<int>(0)) << daemon_->logs();
        }
        if (daemon_) {
            // Nothing personal or secret ever reaches the log.
            const std::string logs = daemon_->logs();
            for (const char* needle : {"Test Person", current_secret, old_secret, riskos_token,
                                       "ashby-api-key-xyz", "basic-pass-123", "sha256="}) {
                EXPECT_EQ(logs.find(needle), std::string::npos) << "log leaks " << needle;
            }
        }
    }

    std::optional<http_reply> post_ashby(const std::string& body, const header_list& headers) {
        return http_request(port_, "POST", "/webhooks/ashby", body, headers);
    }

    /// Reads the store the daemon writes (WAL allows a second connection).
    std::vector<store::job> jobs() {
        auto st = store::make_sqlite_store({db_path_}, system_clock());
        EXPECT_TRUE(st.has_value());
        if (!st)
            return {};
        auto list = (*st)->list_jobs(std::nullopt, 100000);
        (*st)->shutdown();
        return list ? *list : std::vector<store::job>{};
    }
    std::vector<store::quarantine_entry> quarantined() {
        auto st = store::make_sqlite_store({db_path_}, system_clock());
        EXPECT_TRUE(st.has_value());
        if (!st)
            return {};
        auto list = (*st)->list_quarantine(1000);
        (*st)->shutdown();
        return list ? *list : std::vector<store::quarantine_entry>{};
    }

    temp_dir dir_;
    std::string db_path_, config_path_;
    std::map<std::string, std::string> env_;
    std::unique_ptr<daemon_process> daemon_;
    std::uint16_t port_ = 0;
};

json body_of(const std::optional<http_reply>& r) {
    return r ? json::parse(r->body, nullptr, false) : json();
}

TEST_F(DaemonTest, XForwardedForFromAPeerNotTrustedIsIgnoredAndSaidOnce) {
    start();  // no server.trusted_proxies: the TCP peer is the client
    for (int i = 0; i < 3; ++i) {
        auto r = http_request(port_, "GET", "/healthz", {}, {{"X-Forwarded-For", "192.0.2.9"}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
    }
    ASSERT_TRUE(eventually([&] { return count_of(daemon_->logs(), "forwarded_for_ignored") > 0; }))
        << daemon_->logs();
    EXPECT_EQ(count_of(daemon_->logs(), "\"event\":\"forwarded_for_ignored\""), 1u);
    EXPECT_EQ(daemon_->logs().find("192.0.2.9"), std::string::npos);  // the claim is not logged
}

TEST_F(DaemonTest, PingIsAnsweredSignedOrNot) {
    start();
    const std::string ping = R"({"action":"ping","data":{"webhookActionType":"ping"}})";
    auto unsigned_ping = post_ashby(ping, {{"Content-Type", "application/json"}});
    ASSERT_TRUE(unsigned_ping);
    EXPECT_EQ(unsigned_ping->status, 200);
    auto signed_ping = post_ashby(ping, signed_headers(ping));
    ASSERT_TRUE(signed_ping);
    EXPECT_EQ(signed_ping->status, 200);
    auto badly_signed = post_ashby(ping, signed_headers(ping, "wrong"));
    ASSERT_TRUE(badly_signed);
    EXPECT_EQ(badly_signed->status, 401);
    const std::string bare_ping = R"({"action":"ping"})";  // no data: still a ping
    auto bare = post_ashby(bare_ping, signed_headers(bare_ping));
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->status, 200) << bare->body;
    EXPECT_TRUE(jobs().empty());
}

TEST_F(DaemonTest, BadOrMissingSignatureIs401AndStoresNothing) {
    start();
    const std::string body = application_event("a-1", "applicationSubmit", "app-1");
    for (const header_list& headers :
         {header_list{}, header_list{{"Ashby-Signature", ""}},
          header_list{{"Ashby-Signature", signature(body, "not-the-secret")}},
          header_list{{"Ashby-Signature", signature(body + " ")}},
          header_list{{"Ashby-Signature", signature(body).substr(7)}},
          header_list{{"X-Ashby-Signature", signature(body)}}}) {
        auto r = post_ashby(body, headers);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401);
        EXPECT_EQ(r->header("content-type"), "application/json");
        EXPECT_TRUE(body_of(r).contains("error"));
    }
    EXPECT_TRUE(jobs().empty());
    EXPECT_TRUE(quarantined().empty());
}

TEST_F(DaemonTest, NewDeliveryIsAcceptedOnceThenDuplicate) {
    start();
    const std::string body = application_event("a-2", "applicationSubmit", "app-2");
    auto first = post_ashby(body, signed_headers(body));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    const json j = body_of(first);
    EXPECT_EQ(j["status"], "accepted");
    ASSERT_TRUE(j["job_id"].is_number_integer());
    auto again = post_ashby(body, signed_headers(body));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(body_of(again)["status"], "duplicate");
    EXPECT_EQ(body_of(again)["job_id"], j["job_id"]);
    // Signed with the previous secret (rotation): still the same delivery.
    auto rotated = post_ashby(body, signed_headers(body, old_secret));
    ASSERT_TRUE(rotated);
    EXPECT_EQ(body_of(rotated)["status"], "duplicate");

    const auto stored = jobs();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].kind, "screening");
    EXPECT_EQ(stored[0].id, j["job_id"].get<std::int64_t>());
}

TEST_F(DaemonTest, RelatedWebhooksOfAHireStartOneFlow) {
    start();
    // A hire fires candidateHire, candidateStageChange and applicationUpdate with one id.
    const std::string hire = application_event("h-1", "candidateHire", "app-3", "Offer");
    const std::string stage = application_event("h-1", "candidateStageChange", "app-3", "Offer");
    const std::string update = application_event("h-1", "applicationUpdate", "app-3", "Offer");
    auto r1 = post_ashby(hire, signed_headers(hire));
    auto r2 = post_ashby(stage, signed_headers(stage));
    auto r3 = post_ashby(update, signed_headers(update));
    ASSERT_TRUE(r1 && r2 && r3);
    EXPECT_EQ(body_of(r1)["status"], "accepted");
    // A new delivery for the same application and flow: stored, handled by the one job.
    EXPECT_EQ(body_of(r2)["status"], "accepted");
    EXPECT_EQ(body_of(r2)["job_id"], body_of(r1)["job_id"]);
    EXPECT_EQ(body_of(r3)["status"], "ignored");  // no trigger for applicationUpdate
    const auto stored = jobs();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].kind, "document_verification");
}

TEST_F(DaemonTest, StageTriggerMatchesCaseInsensitively) {
    start();
    const std::string offer = application_event("s-1", "candidateStageChange", "app-4", "OFFER");
    const std::string other = application_event("s-2", "candidateStageChange", "app-5", "Onsite");
    EXPECT_EQ(body_of(post_ashby(offer, signed_headers(offer)))["status"], "accepted");
    EXPECT_EQ(body_of(post_ashby(other, signed_headers(other)))["status"], "ignored");
}

TEST_F(DaemonTest, ActionWithoutTriggerIsIgnoredAndNotQueued) {
    start();
    const std::string body =
        R"({"webhookActionId":"j-1","action":"jobCreate","data":{"job":{"id":"job-9"}}})";
    auto r = post_ashby(body, signed_headers(body));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(body_of(r)["status"], "ignored");
    const std::string unknown = R"({"webhookActionId":"u-1","action":"somethingNew","data":{}})";
    auto u = post_ashby(unknown, signed_headers(unknown));
    ASSERT_TRUE(u);
    EXPECT_EQ(body_of(u)["status"], "ignored");
    EXPECT_TRUE(jobs().empty());
}

TEST_F(DaemonTest, SignedMalformedPayloadIs400AndQuarantined) {
    start();
    for (const std::string& body :
         {std::string("this is not json"), std::string(R"({"action":"applicationSubmit"})"),
          std::string(R"([1,2,3])"), std::string(100, '[') + std::string(100, ']'),
          application_event("m-1", "applicationSubmit", "")}) {
        auto r = post_ashby(body, signed_headers(body));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400) << body.substr(0, 40);
        const json j = body_of(r);
        EXPECT_EQ(j["error"], "malformed_payload");
        EXPECT_FALSE(j["message"].get<std::string>().empty());
    }
    EXPECT_EQ(quarantined().size(), 5u);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(DaemonTest, OversizedBodyIs413) {
    start();
    const std::string big(70'000, 'x');
    auto r = post_ashby(big, signed_headers(big));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    // The server still answers afterwards.
    auto health = http_request(port_, "GET", "/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST_F(DaemonTest, ExpectContinueIsHonouredAndOversizeRefusedUpFront) {
    start();
    const std::string body = application_event("e-1", "applicationSubmit", "app-e1");
    http_connection c;
    ASSERT_TRUE(c.connect(port_));
    header_list h = signed_headers(body);
    h.emplace_back("Expect", "100-continue");
    h.emplace_back("Content-Length", std::to_string(body.size()));
    ASSERT_TRUE(c.send_raw(build_request("POST", "/webhooks/ashby", "", h)));
    ASSERT_TRUE(c.send_raw(body));
    auto r = c.read_reply(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(body_of(r)["status"], "accepted");

    http_connection big;
    ASSERT_TRUE(big.connect(port_));
    ASSERT_TRUE(
        big.send_raw("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
                     "Expect: 100-continue\r\nAshby-Signature: sha256=00\r\n\r\n"));
    auto refused = big.read_reply(5s);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 413);
}

TEST_F(DaemonTest, RoutesAndMethods) {
    start();
    auto missing = http_request(port_, "GET", "/nope");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    auto wrong_method = http_request(port_, "GET", "/webhooks/ashby");
    ASSERT_TRUE(wrong_method);
    EXPECT_EQ(wrong_method->status, 405);
    EXPECT_EQ(wrong_method->header("allow"), "POST");
    auto post_health = http_request(port_, "POST", "/healthz", "{}");
    ASSERT_TRUE(post_health);
    EXPECT_EQ(post_health->status, 405);
    auto health = http_request(port_, "GET", "/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    auto ready = http_request(port_, "GET", "/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    auto metrics = http_request(port_, "GET", "/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    EXPECT_NE(metrics->header("content-type").find("text/plain"), std::string::npos);
    EXPECT_FALSE(health->header("x-request-id").empty());
}

TEST_F(DaemonTest, RiskosWebhookCredentials) {
    start();
    const std::string body = riskos_event("ev-1", "case_notes_added");
    auto post = [&](const header_list& h, const std::string& b) {
        return http_request(port_, "POST", "/webhooks/riskos", b, h);
    };
    for (const header_list& h :
         {header_list{}, header_list{{"Authorization", "Bearer wrong-token"}},
          header_list{{"Authorization", "Basic cmlza29zOndyb25n"}},  // riskos:wrong
          header_list{{"Authorization", std::string("Token ") + riskos_token}}}) {
        auto r = post(h, body);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401);
    }
    EXPECT_TRUE(jobs().empty());

    auto ok = post({{"Authorization", std::string("Bearer ") + riskos_token}}, body);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(body_of(ok)["status"], "accepted");
    // riskos:basic-pass-123
    auto dup = post({{"Authorization", "Basic cmlza29zOmJhc2ljLXBhc3MtMTIz"}}, body);
    ASSERT_TRUE(dup);
    EXPECT_EQ(dup->status, 200);
    EXPECT_EQ(body_of(dup)["status"], "duplicate");

    const header_list auth{{"Authorization", std::string("Bearer ") + riskos_token}};
    auto unknown = post(auth, riskos_event("ev-2", "review_case_assigned"));
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 200);
    EXPECT_EQ(body_of(unknown)["status"], "ignored");
    auto malformed = post(auth, "{not json");
    ASSERT_TRUE(malformed);
    EXPECT_EQ(malformed->status, 400);

    const auto stored = jobs();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].kind, "riskos_event");
    EXPECT_EQ(quarantined().size(), 1u);
}

TEST_F(DaemonTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    http_connection c;
    ASSERT_TRUE(c.connect(port_));
    for (int i = 0; i < 5; ++i) {
        const std::string body = application_event("k-" + std::to_string(i), "applicationSubmit",
                                                   "app-k" + std::to_string(i));
        auto r = c.request("POST", "/webhooks/ashby", body, signed_headers(body));
        ASSERT_TRUE(r) << "request " << i;
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(body_of(r)["status"], "accepted");
    }
    auto h = c.request("GET", "/healthz");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    EXPECT_EQ(jobs().size(), 5u);
}

TEST_F(DaemonTest, SlowClientIsCutOffAndOthersAreServed) {
    start();
    http_connection slow;
    ASSERT_TRUE(slow.connect(port_));
    const auto began = std::chrono::steady_clock::now();
    ASSERT_TRUE(slow.send_raw("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\n"));
    // Trickle one header byte every 100 ms (the input of the test) until the server closes
    // the connection; on a thread of its own, so the time it measures is the server's alone.
    bool closed = false;
    std::chrono::steady_clock::duration took{};
    std::thread trickle([&] {
        while (!closed && std::chrono::steady_clock::now() - began < 10s) {
            closed = !slow.send_raw("X") || slow.wait_closed(100ms);
        }
        took = std::chrono::steady_clock::now() - began;
    });
    // Meanwhile others are answered.
    auto h = http_request(port_, "GET", "/healthz", "");
    trickle.join();
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    // The read deadline (1.5 s) ended it, not the 5 s idle timeout or the 5 s default header
    // timeout: 4 s leaves room for a loaded or sanitized machine.
    EXPECT_TRUE(closed);
    EXPECT_LT(took, 4s);
}

TEST_F(DaemonTest, ConcurrentClientsAreAllStoredOnce) {
    start();
    constexpr int clients = 8;
    constexpr int per_client = 25;
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            http_connection conn;
            if (!conn.connect(port_))
                return;
            for (int i = 0; i < per_client; ++i) {
                const std::string id = std::to_string(c) + "-" + std::to_string(i);
                const std::string body =
                    application_event("c-" + id, "applicationSubmit", "app-c" + id);
                auto r = conn.request("POST", "/webhooks/ashby", body, signed_headers(body));
                if (r && r->status == 200 && body_of(r)["status"] == "accepted")
                    ++accepted;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(accepted.load(), clients * per_client);
    EXPECT_EQ(jobs().size(), static_cast<std::size_t>(clients * per_client));
}

TEST_F(DaemonTest, SigtermFinishesInFlightRequestsAndExitsZero) {
    start();
    const std::string body = application_event("d-1", "applicationSubmit", "app-d1");
    http_connection in_flight;
    ASSERT_TRUE(in_flight.connect(port_));
    // Expect: 100-continue makes the server say when it has the headers: from then on the
    // request is in flight.
    header_list h = signed_headers(body);
    h.emplace_back("Expect", "100-continue");
    h.emplace_back("Content-Length", std::to_string(body.size()));
    ASSERT_TRUE(in_flight.send_raw(build_request("POST", "/webhooks/ashby", "", h)));
    http_connection idle;
    ASSERT_TRUE(idle.connect(port_));
    ASSERT_TRUE(idle.request("GET", "/healthz"));  // now idle on keep-alive
    auto interim = in_flight.read_reply(5s, /*return_interim=*/true);
    ASSERT_TRUE(interim);
    ASSERT_EQ(interim->status, 100);
    daemon_->send_signal(SIGTERM);
    // The idle keep-alive connection is closed by the drain.
    EXPECT_TRUE(idle.wait_closed(5s));
    ASSERT_TRUE(in_flight.send_raw(body));
    auto r = in_flight.read_reply(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(body_of(r)["status"], "accepted");
    EXPECT_EQ(r->header("connection"), "close");
    auto code = daemon_->wait_exit(10s);
    EXPECT_EQ(code, std::optional<int>(0)) << daemon_->logs();
    EXPECT_EQ(jobs().size(), 1u);
    http_connection after;
    EXPECT_FALSE(after.connect(port_));
}

TEST_F(DaemonTest, SecondSignalForcesAnExitDuringTheDrain) {
    start();
    // A request whose body never comes holds the drain open.
    http_connection stuck;
    ASSERT_TRUE(stuck.connect(port_));
    ASSERT_TRUE(
        stuck.send_raw("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                       "Expect: 100-continue\r\n\r\n"));
    auto interim = stuck.read_reply(5s, /*return_interim=*/true);
    ASSERT_TRUE(interim);
    ASSERT_EQ(interim->status, 100);
    daemon_->send_signal(SIGTERM);
    ASSERT_TRUE(eventually([&] {
        return daemon_->logs().find("shutdown_requested") != std::string::npos;
    })) << daemon_->logs();
    // The second signal ends it at once with 1; the drain alone would have ended it with 0.
    EXPECT_EQ(daemon_->terminate(20s), std::optional<int>(1)) << daemon_->logs();
    EXPECT_NE(daemon_->logs().find("forced_shutdown"), std::string::npos);
}

TEST_F(DaemonTest, ServeRefusesAnInvalidConfig) {
    std::ofstream(config_path_) << "server:\n  listen: \"nonsense\"\n  bogus: 1\n";
    auto r = run_riskbridge({"serve", "--config", config_path_}, {});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find(config_path_ + ":2: server.listen"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(config_path_ + ":3: server.bogus"), std::string::npos) << r.output;
}

TEST_F(DaemonTest, CheckConfigReportsFileLineAndKey) {
    auto good = run_riskbridge({"check-config", "--config", config_path_}, env_);
    EXPECT_EQ(good.exit_code, 0) << good.output;
    auto missing_env = run_riskbridge({"check-config", "--config", config_path_}, {});
    EXPECT_NE(missing_env.exit_code, 0);
    EXPECT_NE(missing_env.output.find(config_path_ + ":10: ashby.api_key"), std::string::npos)
        << missing_env.output;
    auto dump = run_riskbridge({"check-config", "--config", config_path_, "--dump"}, env_);
    EXPECT_EQ(dump.exit_code, 0);
    EXPECT_EQ(dump.output.find(current_secret), std::string::npos);
    EXPECT_EQ(dump.output.find("basic-pass-123"), std::string::npos);
}

/// Every line check-config prints for a broken file is `FILE:LINE: key.path: what is wrong`,
/// whatever the mistake: a value, a YAML syntax error, a file that is not a mapping or that
/// cannot be read.
TEST_F(DaemonTest, CheckConfigPrintsOnlyFileLineKeyMessageLines) {
    const std::regex problem_line("^(.+):([1-9][0-9]*): ([A-Za-z0-9_.\\[\\]-]+): (.+)$");
    const auto every_line_is_a_problem = [&](const std::string& path,
                                             const std::string& expected_start) {
        const auto r = run_riskbridge({"check-config", "--config", path}, env_);
        EXPECT_EQ(r.exit_code, 1) << r.output;
        std::istringstream lines(r.output);
        std::string line;
        int n = 0;
        while (std::getline(lines, line)) {
            ++n;
            std::smatch m;
            EXPECT_TRUE(std::regex_match(line, m, problem_line)) << line;
            EXPECT_EQ(m.size() > 1 ? m[1].str() : "", path) << line;
        }
        EXPECT_GE(n, 1);
        EXPECT_EQ(r.output.rfind(expected_start, 0), 0u) << r.output;
    };
    std::ofstream(config_path_) << "server:\n  listen: \"nonsense\"\n  bogus: 1\n";
    every_line_is_a_problem(config_path_, config_path_ + ":1: ");
    std::ofstream(config_path_, std::ios::trunc) << "server: {listen: [1,2}\n";
    every_line_is_a_problem(config_path_, config_path_ + ":1: server: YAML syntax error: ");
    std::ofstream(config_path_, std::ios::trunc) << "- server\n- ashby\n";
    every_line_is_a_problem(config_path_, config_path_ + ":1: config: expected a mapping");
    const std::string absent = config_path_ + ".absent";
    every_line_is_a_problem(absent, absent + ":1: config: cannot read file");
}

TEST(Cli, AnUnknownCommandIsNamedWithTheCommandsThereAre) {
    const auto top = run_riskbridge({"frobnicate"});
    EXPECT_NE(top.exit_code, 0);
    EXPECT_NE(top.output.find("unknown command 'frobnicate'"), std::string::npos) << top.output;
    EXPECT_NE(top.output.find("serve, check-config, jobs"), std::string::npos) << top.output;
    const auto nested = run_riskbridge({"jobs", "frob"});
    EXPECT_NE(nested.exit_code, 0);
    EXPECT_NE(nested.output.find("riskbridge jobs: unknown command 'frob' (one of: list, show, "
                                 "retry)"),
              std::string::npos)
        << nested.output;
    const auto none = run_riskbridge({});
    EXPECT_NE(none.exit_code, 0);
    EXPECT_NE(none.output.find("A subcommand is required"), std::string::npos) << none.output;
}

TEST(Cli, VersionPrintsAndExitsZero) {
    auto r = run_riskbridge({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("riskbridge "), std::string::npos);
}

}  // namespace
}  // namespace riskbridge::testing
