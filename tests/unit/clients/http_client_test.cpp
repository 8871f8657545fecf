// The error model shared by the upstream clients: Retry-After, the retry classification,
// log-safe descriptions, and the curl client's transport failures that need no server.

#include "riskbridge/clients/http_client.hpp"

#include <gtest/gtest.h>

namespace riskbridge::clients {
namespace {

using namespace std::chrono_literals;

// 2015-10-21T07:28:00Z
const time_point date_2015 = std::chrono::system_clock::from_time_t(1445412480);

TEST(RetryAfter, DeltaSeconds) {
    EXPECT_EQ(parse_retry_after("120", date_2015), milliseconds{120'000});
    EXPECT_EQ(parse_retry_after("  5 ", date_2015), milliseconds{5'000});
    EXPECT_EQ(parse_retry_after("0", date_2015), milliseconds{0});
    // Absurdly large values are capped at 7 days instead of overflowing.
    EXPECT_EQ(parse_retry_after("99999999999999999999999", date_2015),
              milliseconds{7LL * 24 * 3600 * 1000});
    EXPECT_EQ(parse_retry_after("9999999999", date_2015), milliseconds{7LL * 24 * 3600 * 1000});
}

TEST(RetryAfter, HttpDatesInTheThreeFormats) {
    const auto now = date_2015 - 30s;
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds{30'000});
    EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now), milliseconds{30'000});
    EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:00 2015", now), milliseconds{30'000});
    // A date already past means "now".
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date_2015 + 1h), milliseconds{0});
}

TEST(RetryAfter, GarbageIsIgnored) {
    for (const char* v : {"", "  ", "-1", "1.5", "soon", "12abc", "Wed, 99 Foo 2015"}) {
        EXPECT_FALSE(parse_retry_after(v, date_2015).has_value()) << v;
    }
}

TEST(Classification, TransientStatuses) {
    for (long s : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) {
        EXPECT_TRUE(is_transient_status(s)) << s;
    }
    for (long s : {301L, 400L, 401L, 403L, 404L, 409L, 410L, 422L}) {
        EXPECT_FALSE(is_transient_status(s)) << s;
    }
}

TEST(Classification, StatusErrorCarriesRetryAfterAndNoBody) {
    http_response r;
    r.status = 429;
    r.headers["retry-after"] = "7";
    r.body = R"({"email": "someone@example.com"})";
    const upstream_error e = status_error(r, "POST api.example.com/x", date_2015);
    EXPECT_EQ(e.kind, failure_kind::http_status);
    EXPECT_EQ(e.status, 429);
    EXPECT_TRUE(e.transient);
    EXPECT_EQ(e.retry_after, milliseconds{7'000});
    EXPECT_EQ(e.code, "http_429");
    EXPECT_EQ(e.message.find("someone"), std::string::npos);
    EXPECT_NE(e.message.find("429"), std::string::npos);

    r.status = 403;
    r.headers.clear();
    const upstream_error p = status_error(r, "POST x", date_2015);
    EXPECT_FALSE(p.transient);
    EXPECT_FALSE(p.retry_after.has_value());
    EXPECT_EQ(p.to_error().code, errc::unauthorized);
}

TEST(Classification, ToErrorKeepsTheRetryDecision) {
    upstream_error e;
    e.kind = failure_kind::timeout;
    e.transient = true;
    EXPECT_EQ(e.to_error().code, errc::timeout);
    e.kind = failure_kind::network;
    EXPECT_EQ(e.to_error().code, errc::transient);
    e.kind = failure_kind::api_error;
    e.transient = false;
    EXPECT_EQ(e.to_error().code, errc::permanent);
}

TEST(DescribeUrl, HidesCredentialsPortsAndQueries) {
    EXPECT_EQ(describe_url("https://user:pw@api.ashbyhq.com:443/candidate.info?x=secret#f"),
              "api.ashbyhq.com/candidate.info");
    EXPECT_EQ(describe_url("http://127.0.0.1:9000/api/evaluation/abc"),
              "127.0.0.1/api/evaluation/abc");
    EXPECT_EQ(describe_url("riskos.example"), "riskos.example");
}

TEST(CurlClient, ConnectionRefusedIsATransientNetworkFailure) {
    curl_options o;
    o.connect_timeout = 2s;
    o.total_timeout = 2s;
    auto client = make_curl_client(o);
    http_call c;
    c.url = "http://127.0.0.1:1/candidate.info";  // nothing listens on port 1
    c.body = "{}";
    auto r = client->send(c);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, failure_kind::network);
    EXPECT_TRUE(r.error().transient);
    EXPECT_EQ(r.error().code, "couldnt_connect");
    EXPECT_NE(r.error().message.find("127.0.0.1/candidate.info"), std::string::npos);
}

TEST(CurlClient, OtherSchemesAndBadHeadersArePermanent) {
    auto client = make_curl_client();
    http_call c;
    c.url = "file:///etc/passwd";
    auto r = client->send(c);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, failure_kind::protocol);
    EXPECT_FALSE(r.error().transient);

    http_call h;
    h.url = "http://127.0.0.1:1/x";
    h.headers = {{"X-Injected", "a\r\nEvil: yes"}};
    auto bad = client->send(h);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "bad_header");
    EXPECT_FALSE(bad.error().transient);
}

}  // namespace
}  // namespace riskbridge::clients
