// Hostile clients against the real daemon over loopback: idle and byte-trickling connections
// beyond the connection cap while a normal client is still answered promptly; oversized
// headers and bodies (chunked too), a chunked body that never ends, invalid HTTP; a flood of
// bad signatures turning into 429s for that client only; the refusals counted in /metrics and
// the daemon's memory (VmRSS) bounded across the storm.

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/security/hmac.hpp"
#include "support/ashby_events.hpp"
#include "support/hardening_daemon.hpp"
#include "support/http_client.hpp"
#include "support/polling.hpp"
#include "support/prometheus.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr const char* secret = "hostile-test-secret";
constexpr int max_connections = 200;

header_list signed_headers(const std::string& body, const std::string& client = "") {
    header_list h{{"Ashby-Signature", "sha256=" + security::hmac_sha256_hex(secret, body)},
                  {"Content-Type", "application/json"}};
    if (!client.empty()) {
        h.emplace_back("X-Forwarded-For", client);
    }
    return h;
}

/// The daemon's resident memory in KiB.
long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

class HostileTest : public hardening_daemon_test {
protected:
    void SetUp() override {
        start_daemon({secret,
                      "t",
                      max_connections,
                      {"max_body_bytes: 65536", "max_header_bytes: 8192", "header_timeout_ms: 1000",
                       "read_timeout_ms: 6000", "idle_timeout_ms: 5000"}});
        if (!HasFatalFailure()) {
            rss_before_ = rss_kib(daemon_->pid());
        }
    }

    /// The daemon is alive, answers, and grew by less than 100 MB.
    void expect_healthy_and_bounded(const char* what) {
        ASSERT_TRUE(daemon_->running()) << daemon_->logs();
        auto h = http_request(port_, "GET", "/healthz");
        ASSERT_TRUE(h);
        EXPECT_EQ(h->status, 200);
        const long after = rss_kib(daemon_->pid());
        std::printf("[ rss      ] %s: %ld KiB before, %ld KiB after (+%ld KiB)\n", what,
                    rss_before_, after, after - rss_before_);
        EXPECT_LT(after - rss_before_, 100L * 1024);
    }

    long rss_before_ = 0;
};

TEST_F(HostileTest, IdleAndTricklingConnectionsDoNotStopOthersBeingAnswered) {
    std::atomic<bool> stop{false};
    std::atomic<int> idle_opened{0}, trickle_cut{0};
    // Idle attackers: 400 new connections a second that never send a byte, far beyond the cap
    // of 200 and each held until the test ends.
    std::thread idle([&] {
        std::vector<http_connection> held;
        while (!stop.load()) {
            for (int i = 0; i < 40 && !stop.load(); ++i) {
                http_connection c;
                if (c.connect(port_)) {
                    held.push_back(std::move(c));
                    ++idle_opened;
                }
            }
            std::this_thread::sleep_for(100ms);  // pacing the attack, not synchronisation
        }
    });
    // Trickling attackers: 20 connections sending one header byte every 100 ms; each one cut
    // is replaced.
    std::thread trickle([&] {
        std::vector<http_connection> conns(20);
        std::vector<steady::time_point> opened(20);
        while (!stop.load()) {
            for (std::size_t i = 0; i < conns.size(); ++i) {
                if (!conns[i].is_open()) {
                    if (conns[i].connect(port_)) {
                        opened[i] = steady::now();
                        conns[i].send_raw("POST /webhooks/ashby HTTP/1.1\r\nX-Slow: ");
                    }
                    continue;
                }
                if (!conns[i].send_raw("a") || conns[i].wait_closed(1ms)) {
                    // Cut to make room at the cap (the oldest connection without a complete
                    // request goes first) or by the header deadline (1 s), never left to the
                    // read deadline (6 s): 4 s leaves room for a loaded or sanitized machine
                    // and for this loop's pace.
                    EXPECT_LT(steady::now() - opened[i], 4s);
                    ++trickle_cut;
                    conns[i].close();
                }
            }
            std::this_thread::sleep_for(100ms);  // one byte per 100 ms per connection
        }
    });

    // A normal client keeps sending signed webhooks on fresh connections meanwhile, each
    // followed by a GET /healthz whose time is the measure of "promptly": it goes through the
    // same accept, connection cap and eviction as the webhook, without the webhook's fsync,
    // which another process writing to the disk can stall whatever the attack does. The
    // attack lasts 5 s, and longer if this machine needs longer to reach its size (60 s at
    // most).
    const auto attack_started = steady::now();
    std::chrono::milliseconds worst{0};
    int answered = 0;
    const auto attack_done = [&] {
        const auto elapsed = steady::now() - attack_started;
        return elapsed >= 60s || (elapsed >= 5s && idle_opened.load() > 1000 &&
                                  trickle_cut.load() > 20 && answered >= 20);
    };
    for (int i = 0; !attack_done(); ++i) {
        const std::string body = application_submitted("legit-" + std::to_string(i));
        auto r = http_request(port_, "POST", "/webhooks/ashby", body, signed_headers(body));
        const auto t0 = steady::now();
        auto h = http_request(port_, "GET", "/healthz");
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
        if (!r || !h) {
            ADD_FAILURE() << "request " << i << " got no answer";
            break;  // the attackers are stopped and joined below
        }
        EXPECT_EQ(r->status, 200) << r->body;
        EXPECT_EQ(json::parse(r->body, nullptr, false)["status"], "accepted");
        EXPECT_EQ(h->status, 200);
        worst = std::max(worst, took);
        ++answered;
        std::this_thread::sleep_for(50ms);  // pacing the normal client
    }
    stop.store(true);
    idle.join();
    trickle.join();
    std::printf(
        "[ attack   ] %d idle connections opened, %d trickling ones cut; %d signed "
        "requests answered, slowest health check %lld ms\n",
        idle_opened.load(), trickle_cut.load(), answered, static_cast<long long>(worst.count()));
    EXPECT_GT(idle_opened.load(), 1000);
    EXPECT_GT(trickle_cut.load(), 20);
    EXPECT_GE(answered, 20);
    EXPECT_LT(worst, 3s);

    const std::string m = metrics_text();
    // Connections that never sent a byte made way at the cap, and so did trickling ones (or
    // their header deadline cut them).
    EXPECT_GT(metric_sample(m, R"(riskbridge_http_refused_total{reason="idle_evicted"})"), 0);
    EXPECT_GT(
        std::max(metric_sample(m, R"(riskbridge_http_refused_total{reason="headers_evicted"})"),
                 metric_sample(m, R"(riskbridge_http_refused_total{reason="timeout"})")),
        0);
    expect_healthy_and_bounded("idle and trickling connections");
}

TEST_F(HostileTest, OversizedHeadersAndBodiesAreRefused) {
    {  // headers over max_header_bytes
        http_connection c;
        ASSERT_TRUE(c.connect(port_));
        ASSERT_TRUE(c.send_raw(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10'000, 'a') + "\r\n\r\n"));
        auto r = c.read_reply(10s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 431);
    }
    {  // a Content-Length over max_body_bytes
        const std::string big(70'000, 'x');
        auto r = http_request(port_, "POST", "/webhooks/ashby", big, signed_headers(big));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    {  // a chunked body that grows past max_body_bytes
        http_connection c;
        ASSERT_TRUE(c.connect(port_));
        ASSERT_TRUE(
            c.send_raw("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\n"
                       "Transfer-Encoding: chunked\r\nAshby-Signature: sha256=00\r\n\r\n"));
        const std::string chunk = "4000\r\n" + std::string(0x4000, 'y') + "\r\n";
        for (int i = 0; i < 6; ++i) {  // 96 KiB
            if (!c.send_raw(chunk)) {
                break;  // the server may stop reading once it has answered
            }
        }
        auto r = c.read_reply(10s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    {  // a chunked body that never ends is cut by the read deadline (6 s), not the header one
        http_connection c;
        ASSERT_TRUE(c.connect(port_));
        const auto t0 = steady::now();
        ASSERT_TRUE(
            c.send_raw("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
        bool cut = false;
        while (!cut && steady::now() - t0 < 15s) {
            cut = !c.send_raw("3\r\nabc\r\n") || c.wait_closed(200ms);
        }
        const auto took = steady::now() - t0;
        EXPECT_TRUE(cut);
        // Never before the deadline, whatever the machine; well past the header deadline (1 s)
        // and the idle timeout (5 s). After it by less than 4 s, room for a loaded or
        // sanitized machine.
        EXPECT_GT(took, 5500ms);
        EXPECT_LT(took, 10s);
    }
    // Beast closes the socket when the deadline fires and the session counts the timeout as
    // its read completes, so the client can see the close a moment before the count.
    std::string m;
    EXPECT_TRUE(eventually(
        [&] {
            m = metrics_text();
            return metric_sample(m, R"(riskbridge_http_refused_total{reason="timeout"})") >= 1;
        },
        5s))
        << m;
    EXPECT_EQ(metric_sample(m, R"(riskbridge_http_refused_total{reason="headers_too_large"})"), 1);
    EXPECT_EQ(metric_sample(m, R"(riskbridge_http_refused_total{reason="body_too_large"})"), 2);
    expect_healthy_and_bounded("oversized requests");
}

TEST_F(HostileTest, InvalidHttpIs400) {
    int index = 0;
    for (const std::string& raw : {
             std::string("GARBAGE\r\n\r\n"),
             std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"),
             std::string("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
             std::string("POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\n"
                         "Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
             std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                         "Content-Length: 2\r\n\r\nab"),
             std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),
         }) {
        SCOPED_TRACE("invalid request #" + std::to_string(index++));
        http_connection c;
        ASSERT_TRUE(c.connect(port_));
        ASSERT_TRUE(c.send_raw(raw));
        auto r = c.read_reply(10s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400);
    }
    const std::string m = metrics_text();
    EXPECT_EQ(metric_sample(m, R"(riskbridge_http_refused_total{reason="bad_request"})"), 6);
    expect_healthy_and_bounded("invalid HTTP");
}

TEST_F(HostileTest, ALoopbackClientGets401sAndIsNeverLockedOut) {
    // The balancer's own address (no X-Forwarded-For): this host, which stands for every
    // client behind it. Far more failures than the limit (5), each answered 401 ...
    const std::string forged_body = application_submitted("forged");
    const header_list forged{{"Ashby-Signature", "sha256=" + std::string(64, '0')}};
    for (int i = 0; i < 20; ++i) {
        auto r = http_request(port_, "POST", "/webhooks/ashby", forged_body, forged);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401) << i;
    }
    // ... and a correctly signed delivery is still taken.
    const std::string good = application_submitted("local-after-failures");
    auto r = http_request(port_, "POST", "/webhooks/ashby", good, signed_headers(good));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body).value("status", ""), "accepted");
    EXPECT_EQ(
        metric_sample(metrics_text(), R"(riskbridge_http_refused_total{reason="rate_limited"})"),
        -1);
}

TEST_F(HostileTest, FloodOfBadSignaturesIsCutToTooManyRequestsForThatClientOnly) {
    const std::string attacker = "198.51.100.66";
    const std::string body(60'000, '{');  // each verification would hash 60 KB
    const header_list forged{{"Ashby-Signature", "sha256=" + std::string(64, '0')},
                             {"X-Forwarded-For", "203.0.113.1, " + attacker}};
    // The first five are refused as unauthorized; from then on its failures are refused as too
    // many.
    for (int i = 0; i < 5; ++i) {
        auto r = http_request(port_, "POST", "/webhooks/ashby", body, forged);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401);
    }
    std::atomic<int> limited{0}, other{0};
    std::atomic<bool> retry_after_ok{true};
    std::vector<std::thread> flood;
    const auto t0 = steady::now();
    for (int t = 0; t < 8; ++t) {
        flood.emplace_back([&] {
            http_connection c;
            if (!c.connect(port_)) {
                return;
            }
            for (int i = 0; i < 100; ++i) {
                auto r = c.request("POST", "/webhooks/ashby", body, forged);
                if (!r) {
                    ++other;
                    return;
                }
                if (r->status == 429) {
                    ++limited;
                    const int wait = std::atoi(r->header("retry-after").c_str());
                    if (wait < 1 || wait > 60) {
                        retry_after_ok.store(false);
                    }
                } else {
                    ++other;
                }
            }
        });
    }
    // Meanwhile (once the flood is under way) a normal client (another address behind the
    // same balancer) and the balancer itself (no X-Forwarded-For) are served. Each webhook is
    // followed by a GET /healthz from the same client whose time is the measure of "promptly":
    // the webhook's own time includes an fsync, which another process writing to the disk can
    // stall whatever the flood does.
    EXPECT_TRUE(eventually([&] { return limited.load() + other.load() > 0; }));
    for (int i = 0; i < 10; ++i) {
        const std::string ok = application_submitted("during-flood-" + std::to_string(i));
        auto r =
            http_request(port_, "POST", "/webhooks/ashby", ok, signed_headers(ok, "192.0.2.10"));
        const auto t1 = steady::now();
        auto h = http_request(port_, "GET", "/healthz", "", {{"X-Forwarded-For", "192.0.2.10"}});
        const auto took = steady::now() - t1;
        if (!r || !h) {
            ADD_FAILURE() << "request " << i << " got no answer";
            break;  // the flood's threads are joined below
        }
        EXPECT_EQ(r->status, 200) << r->body;
        EXPECT_EQ(h->status, 200);
        EXPECT_LT(took, 3s);
    }
    const std::string from_lb = application_submitted("from-balancer");
    auto lb = http_request(port_, "POST", "/webhooks/ashby", from_lb, signed_headers(from_lb));
    for (auto& t : flood) {
        t.join();
    }
    ASSERT_TRUE(lb);
    EXPECT_EQ(lb->status, 200);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
    std::printf("[ flood    ] 800 forged requests of 60 KB: %d refused with 429 in %lld ms\n",
                limited.load(), static_cast<long long>(took.count()));
    EXPECT_EQ(limited.load(), 800);
    EXPECT_EQ(other.load(), 0);
    EXPECT_TRUE(retry_after_ok.load());
    // A correct signature from the same address is still taken: whoever shares (or forges)
    // an address must not lock the real sender out.
    const std::string good = application_submitted("attacker-signed");
    auto r = http_request(port_, "POST", "/webhooks/ashby", good, signed_headers(good, attacker));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;

    const std::string m = metrics_text();
    EXPECT_EQ(metric_sample(m, R"(riskbridge_http_refused_total{reason="rate_limited"})"), 800);
    EXPECT_EQ(
        metric_sample(
            m, R"(riskbridge_webhooks_total{action="none",outcome="unauthorized",source="ashby"})"),
        5);
    const std::string logs = daemon_->logs();
    EXPECT_NE(logs.find("client_rate_limited"), std::string::npos);
    EXPECT_NE(logs.find(attacker), std::string::npos);
    expect_healthy_and_bounded("bad-signature flood");
}

}  // namespace
}  // namespace riskbridge::testing
