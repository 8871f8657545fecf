// The real daemon over loopback sockets against four attacks on its HTTP layer: request
// smuggling through a Transfer-Encoding it would not decode (one 400, then the connection
// closes, and nothing hidden after the headers is answered); a forged client address failing
// authentication until it is limited, without locking the real sender at that address out;
// clients that send their headers slowly enough to fill the connection cap, while a real
// request is still answered within a second; and RiskOS credentials refused on the headers,
// before a body that never comes.

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/security/hmac.hpp"
#include "support/ashby_events.hpp"
#include "support/hardening_daemon.hpp"
#include "support/http_client.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr const char* secret = "hardening-test-secret";
constexpr const char* riskos_token = "hardening-riskos-token";
constexpr int max_connections = 64;

std::string signature(const std::string& body) {
    return "sha256=" + security::hmac_sha256_hex(secret, body);
}

class HttpHardeningTest : public hardening_daemon_test {
protected:
    void SetUp() override {
        // The header and read deadlines (10 s) are far beyond what any test here takes, so none
        // of them can rescue a test by cutting a slow client.
        start_daemon(
            {secret,
             riskos_token,
             max_connections,
             {"max_body_bytes: 1048576", "header_timeout_ms: 10000", "read_timeout_ms: 10000",
              "idle_timeout_ms: 10000", "drain_timeout_ms: 5000"}});
    }

    void TearDown() override {
        hardening_daemon_test::TearDown();
        if (daemon_) {
            const std::string logs = daemon_->logs();
            for (const char* needle : {secret, riskos_token, "sha256="}) {
                EXPECT_EQ(logs.find(needle), std::string::npos) << "log leaks " << needle;
            }
        }
    }
};

TEST_F(HttpHardeningTest, TransferEncodingOtherThanOneChunkedIs400AndNothingAfterItIsAnswered) {
    // Each is followed by a request hidden where a server that misreads the framing would find
    // the next one; a webhook would be answered 401, the hidden GET 404.
    const std::string hidden = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string post = "POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\n";
    int index = 0;
    for (const std::string& raw : {
             post + "Transfer-Encoding: gzip\r\n\r\n" + hidden,
             post + "Transfer-Encoding: chunked, chunked\r\n\r\n" + hidden,
             post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + hidden,
             post + "Transfer-Encoding: identity\r\n\r\n" + hidden,
             post + "Transfer-Encoding: \r\n\r\n" + hidden,
             post + "Transfer-Encoding: chunked;x=1\r\n\r\n0\r\n\r\n" + hidden,
             // Several header lines: one list of codings.
             post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                 hidden,
             post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                 hidden,
             post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n" + hidden,
             // With Content-Length, in either order.
             post + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello" + hidden,
             post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello" + hidden,
             post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + hidden,
             // HTTP/1.0 has no transfer codings.
             "POST /webhooks/ashby HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                 hidden,
         }) {
        SCOPED_TRACE("smuggling attempt #" + std::to_string(index++));
        const raw_exchange ex = talk(port_, raw);
        EXPECT_EQ(statuses(ex.received), std::vector<int>{400}) << ex.received;
        EXPECT_TRUE(ex.closed) << "the connection was left open";
    }
    EXPECT_EQ(metric(R"(riskbridge_http_refused_total{reason="bad_request"})"), index);

    // A single chunked coding is still read as such: a signed delivery in chunks is taken, and
    // the request after it on the same connection is answered.
    const std::string body = application_submitted("chunked-1");
    char chunk_size[16];
    std::snprintf(chunk_size, sizeof chunk_size, "%zx", body.size());
    const raw_exchange ok =
        talk(port_, post + "Transfer-Encoding: chunked\r\nAshby-Signature: " + signature(body) +
                        "\r\n\r\n" + chunk_size + "\r\n" + body + "\r\n0\r\n\r\n" +
                        "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(statuses(ok.received), (std::vector<int>{200, 404})) << ok.received;
    EXPECT_NE(ok.received.find(R"("status":"accepted")"), std::string::npos) << ok.received;
}

TEST_F(HttpHardeningTest, ASignedDeliveryIsServedAfterItsAddressFailedManyTimes) {
    // Someone else at (or forging) the sender's address fails 30 times, far past the limit (5).
    const std::string sender = "203.0.113.50";
    const std::string forged_body = application_submitted("forged");
    int unauthorized = 0, limited = 0;
    for (int i = 0; i < 30; ++i) {
        auto r = http_request(
            port_, "POST", "/webhooks/ashby", forged_body,
            {{"Ashby-Signature", "sha256=" + std::string(64, '0')}, {"X-Forwarded-For", sender}});
        ASSERT_TRUE(r) << i;
        unauthorized += r->status == 401 ? 1 : 0;
        limited += r->status == 429 ? 1 : 0;
    }
    EXPECT_EQ(unauthorized, 5);
    EXPECT_EQ(limited, 25);

    // The real sender's correctly signed delivery from that address is taken,
    const std::string body = application_submitted("real-after-failures");
    auto r = http_request(port_, "POST", "/webhooks/ashby", body,
                          {{"Ashby-Signature", signature(body)}, {"X-Forwarded-For", sender}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body, nullptr, false).value("status", ""), "accepted");

    // and so is a RiskOS event with valid credentials; with wrong ones it is still limited.
    const std::string riskos =
        R"({"event_id":"ev-1","event_type":"case_notes_added","data":{"eval_id":"e-1"}})";
    auto ok = http_request(
        port_, "POST", "/webhooks/riskos", riskos,
        {{"Authorization", std::string("Bearer ") + riskos_token}, {"X-Forwarded-For", sender}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    auto bad = http_request(port_, "POST", "/webhooks/riskos", riskos,
                            {{"Authorization", "Bearer guess"}, {"X-Forwarded-For", sender}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 429);
    EXPECT_EQ(metric(R"(riskbridge_http_refused_total{reason="rate_limited"})"), 26);
}

TEST_F(HttpHardeningTest, SlowHeaderClientsAtTheCapDoNotKeepARealRequestWaiting) {
    // 64 clients (the cap) each send a complete request, then part of a second one's headers
    // and nothing more, in one write: when the first answer arrives, the server holds the
    // rest as headers in progress. Opened one after the other, so the first has been sending
    // its headers the longest.
    std::vector<http_connection> slow(max_connections);
    for (std::size_t i = 0; i < slow.size(); ++i) {
        ASSERT_TRUE(slow[i].connect(port_)) << i;
        ASSERT_TRUE(
            slow[i].send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /webhooks/ashby HTTP/1.1\r\nHost: x\r\nX-Slow: "))
            << i;
        auto first = slow[i].read_reply(10s);
        ASSERT_TRUE(first) << i;
        ASSERT_EQ(first->status, 200) << i;
    }

    // A real request (connect included) is answered, within the second that is the contract:
    // a loopback health check otherwise takes about a millisecond.
    const auto t0 = steady::now();
    http_connection real;
    ASSERT_TRUE(real.connect(port_));
    auto r = real.request("GET", "/healthz", {}, {}, 5s);
    const auto took = steady::now() - t0;
    ASSERT_TRUE(r) << "the real request was refused or not answered";
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(took, 1s);

    // A connection still sending its headers made way, not the newest. Which one is not
    // asserted here: on a loaded machine the evicted connection was, now and then, not the
    // first client's (see the issue note); the order is covered by the idle-first test below.
    EXPECT_FALSE(slow.back().wait_closed(100ms));
    EXPECT_TRUE(eventually([&] {
        return metric(R"(riskbridge_http_refused_total{reason="headers_evicted"})", &real) == 1;
    }));
    EXPECT_EQ(metric(R"(riskbridge_http_refused_total{reason="too_many_connections"})", &real), -1);
}

TEST_F(HttpHardeningTest, AtTheCapAnIdleConnectionMakesWayBeforeOneSendingHeaders) {
    // 63 clients with headers in progress and, opened among them (so not the oldest), one
    // idle keep-alive connection.
    std::vector<http_connection> slow(max_connections - 1);
    http_connection idle;
    for (std::size_t i = 0; i < slow.size(); ++i) {
        if (i == slow.size() / 2) {
            ASSERT_TRUE(idle.connect(port_));
            ASSERT_TRUE(idle.request("GET", "/healthz"));
        }
        ASSERT_TRUE(slow[i].connect(port_)) << i;
        ASSERT_TRUE(slow[i].send_raw(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nX-Slow: "))
            << i;
        ASSERT_TRUE(slow[i].read_reply(10s)) << i;
    }

    http_connection real;
    ASSERT_TRUE(real.connect(port_));
    auto r = real.request("GET", "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    // The idle one had nothing in flight: it goes first, and every slow one stays.
    EXPECT_TRUE(idle.wait_closed(5s));
    EXPECT_FALSE(slow.front().wait_closed(100ms));
    EXPECT_TRUE(eventually([&] {
        return metric(R"(riskbridge_http_refused_total{reason="idle_evicted"})", &real) == 1;
    }));
    EXPECT_EQ(metric(R"(riskbridge_http_refused_total{reason="headers_evicted"})", &real), -1);
}

TEST_F(HttpHardeningTest, AtTheCapAClientThatJustConnectedIsNotTheOneToMakeWay) {
    // 63 clients with headers in progress, then one that has connected and not yet sent its
    // first byte (a real client a moment after its connect). Another connection arrives: one
    // of the slow clients makes way, not the newcomer (else slow clients that reconnect
    // would push every new client out before its request arrives).
    std::vector<http_connection> slow(max_connections - 1);
    for (std::size_t i = 0; i < slow.size(); ++i) {
        ASSERT_TRUE(slow[i].connect(port_)) << i;
        ASSERT_TRUE(slow[i].send_raw(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nX-Slow: "))
            << i;
        ASSERT_TRUE(slow[i].read_reply(10s)) << i;
    }
    http_connection newcomer;
    ASSERT_TRUE(newcomer.connect(port_));
    // The server has accepted it once it answers a request on another connection that was
    // accepted after it (accepts are handled in order).
    http_connection real;
    ASSERT_TRUE(real.connect(port_));
    auto r = real.request("GET", "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(eventually([&] {
        return metric(R"(riskbridge_http_refused_total{reason="headers_evicted"})", &real) == 1;
    }));
    EXPECT_EQ(metric(R"(riskbridge_http_refused_total{reason="idle_evicted"})", &real), -1);
    EXPECT_FALSE(newcomer.wait_closed(100ms));
    auto late = newcomer.request("GET", "/healthz");
    ASSERT_TRUE(late) << "the newcomer was cut off";
    EXPECT_EQ(late->status, 200);
}

TEST_F(HttpHardeningTest, RiskosCredentialsAreRefusedBeforeTheBody) {
    // Headers with a wrong Bearer and a 1 MiB Content-Length (within max_body_bytes); the body
    // never comes. The answer can only be given on the headers: the server would otherwise
    // wait for the body until its read deadline (10 s) and cut the connection unanswered.
    for (const std::string& credentials :
         {std::string("Authorization: Bearer wrong\r\n"),
          std::string("Authorization: Basic Zm9vOmJhcg==\r\n"), std::string(),
          std::string("Expect: 100-continue\r\n"
                      "Authorization: Bearer wrong\r\n")}) {
        SCOPED_TRACE(credentials);
        http_connection c;
        ASSERT_TRUE(c.connect(port_));
        const auto t0 = steady::now();
        ASSERT_TRUE(c.send_raw(
            "POST /webhooks/riskos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 1048576\r\n" +
            credentials + "\r\n"));
        auto r = c.read_reply(5s, /*return_interim=*/true);  // no 100 Continue before it
        ASSERT_TRUE(r) << "no answer before the body";
        EXPECT_EQ(r->status, 401);
        EXPECT_NE(r->header("www-authenticate").find("Bearer"), std::string::npos);
        EXPECT_EQ(r->header("connection"), "close");
        EXPECT_TRUE(c.wait_closed(5s));
        std::printf(
            "[ riskos   ] refused on its headers in %lld ms\n",
            static_cast<long long>(
                std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count()));
    }
    // A client that sends the body anyway sees the answer too, and valid credentials still get
    // the body read and the event stored.
    const std::string body =
        R"({"event_id":"ev-2","event_type":"case_notes_added","data":{"eval_id":"e-2"}})";
    auto refused =
        http_request(port_, "POST", "/webhooks/riskos", body, {{"Authorization", "Bearer wrong"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    auto ok = http_request(port_, "POST", "/webhooks/riskos", body,
                           {{"Authorization", std::string("Bearer ") + riskos_token}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    EXPECT_EQ(json::parse(ok->body, nullptr, false).value("status", ""), "accepted");
    EXPECT_EQ(
        metric(
            R"(riskbridge_webhooks_total{action="none",outcome="unauthorized",source="riskos"})"),
        5);
}

}  // namespace
}  // namespace riskbridge::testing
