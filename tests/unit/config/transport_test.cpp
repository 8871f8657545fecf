// How riskbridge reaches and is reached: ashby.api_base_url and riskos.api_base_url must be
// https:// unless their host is loopback or allow_http says so (the API key travels with every
// call), and server.metrics_listen, the optional listener of /metrics alone.

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "riskbridge/config/loader.hpp"
#include "support/paths.hpp"
#include "test_helpers.hpp"

namespace riskbridge::config {
namespace {

using test::env_of;
using test::formatted;
using test::load;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

/// A file with both base URLs (lines 2 and 6) and optional extra keys for each section.
std::string with_urls(const std::string& ashby_url, const std::string& riskos_url,
                      const std::string& ashby_extra = "", const std::string& riskos_extra = "") {
    return "ashby:\n  api_base_url: \"" + ashby_url + "\"\n  api_key: k\n  webhook_secrets: [s]\n" +
           ashby_extra + "riskos:\n  api_base_url: \"" + riskos_url +
           "\"\n  api_key: k\n  webhook_auth: { bearer_tokens: [t] }\n" + riskos_extra;
}

std::string https_problem(const std::string& section, int line) {
    return "f.yaml:" + std::to_string(line) + ": " + section +
           ".api_base_url: must use https:// (the API key is sent with every call); http:// is "
           "accepted only for a loopback host (127.0.0.0/8, ::1, localhost) or with " +
           section + ".allow_http: true";
}

TEST(ApiUrlScheme, HttpsIsAlwaysAccepted) {
    const auto r = load(with_urls("https://api.ashbyhq.com", "https://riskos.socure.com/v1"));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_FALSE(r.cfg.ashby.allow_http);
    EXPECT_FALSE(r.cfg.riskos.allow_http);
    // Absent, they keep their https:// defaults.
    EXPECT_TRUE(load(test::required_secrets).ok());
}

TEST(ApiUrlScheme, PlainHttpToAnotherHostIsAProblemThatSaysHowToFixIt) {
    const auto r = load(with_urls("http://api.ashbyhq.com", "HTTP://riskos.internal:8080/v1"));
    EXPECT_THAT(formatted(r), ElementsAre(https_problem("ashby", 2), https_problem("riskos", 6)));
}

TEST(ApiUrlScheme, PlainHttpIsAcceptedForLoopbackHosts) {
    for (const std::string url :
         {"http://127.0.0.1:9101", "http://127.8.9.10/api", "http://[::1]:9102",
          "http://localhost:9101", "http://LOCALHOST", "http://user:pw@127.0.0.1:9101/x",
          "http://127.0.0.1?x=1", "http://[::1]"}) {
        const auto r = load(with_urls(url, url));
        EXPECT_TRUE(r.ok()) << url << ": " << ::testing::PrintToString(formatted(r));
        EXPECT_EQ(r.cfg.ashby.api_base_url, url);
    }
}

TEST(ApiUrlScheme, HostsThatOnlyLookLikeLoopbackAreNot) {
    for (const std::string url :
         {"http://127.0.0.1.example.test", "http://localhost.example.test:9101",
          "http://127.0.0.1@api.example.test/", "http://api.example.test/127.0.0.1",
          "http://api.example.test/@127.0.0.1", "http://[::2]:9101", "http://10.0.0.1",
          "http://[fe80::1]", "http://0.0.0.0:9101"}) {
        const auto r = load(with_urls(url, "https://riskos.example.test"));
        EXPECT_THAT(formatted(r), ElementsAre(https_problem("ashby", 2))) << url;
    }
}

TEST(ApiUrlScheme, AllowHttpAcceptsPlainHttpExplicitlyPerSection) {
    const auto r = load(with_urls("http://sim:9101", "http://sim:9102", "  allow_http: true\n",
                                  "  allow_http: true\n"));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_TRUE(r.cfg.ashby.allow_http);
    EXPECT_TRUE(r.cfg.riskos.allow_http);
    EXPECT_EQ(r.cfg.ashby.api_base_url, "http://sim:9101");
    EXPECT_THAT(redacted_dump(r.cfg), HasSubstr("allow_http: true"));

    // One section's allow_http says nothing about the other's; false is the default.
    const auto one = load(with_urls("http://sim:9101", "http://sim:9102", "  allow_http: true\n",
                                    "  allow_http: false\n"));
    EXPECT_THAT(formatted(one), ElementsAre(https_problem("riskos", 7)));
}

TEST(ApiUrlScheme, AllowHttpFromTheEnvironmentIsABoolean) {
    const std::string text = with_urls("${ASHBY_API_BASE_URL}", "https://riskos.example.test",
                                       "  allow_http: ${ASHBY_ALLOW_HTTP:-false}\n");
    const auto allowed = load(
        text, env_of({{"ASHBY_API_BASE_URL", "http://sim:9101"}, {"ASHBY_ALLOW_HTTP", "true"}}));
    ASSERT_TRUE(allowed.ok()) << ::testing::PrintToString(formatted(allowed));
    EXPECT_TRUE(allowed.cfg.ashby.allow_http);

    // Unset or empty: the fallback, false, and the URL is refused (without echoing it).
    for (const auto& env :
         {env_of({{"ASHBY_API_BASE_URL", "http://sim:9101"}}),
          env_of({{"ASHBY_API_BASE_URL", "http://sim:9101"}, {"ASHBY_ALLOW_HTTP", ""}})}) {
        const auto refused = load(text, env);
        EXPECT_THAT(formatted(refused), ElementsAre(https_problem("ashby", 2)));
        EXPECT_FALSE(refused.cfg.ashby.allow_http);
    }

    const auto junk = load(text, env_of({{"ASHBY_API_BASE_URL", "https://api.example.test"},
                                         {"ASHBY_ALLOW_HTTP", "sometimes"}}));
    EXPECT_THAT(formatted(junk), ElementsAre("f.yaml:5: ashby.allow_http: expected true or false"));
}

TEST(ApiUrlScheme, OtherUrlProblemsAreReportedOnceNotTwice) {
    const auto r = load(with_urls("ftp://api.example.test", "https://riskos.example.test"));
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:2: ashby.api_base_url: must be an http:// or https:// URL"));
}

TEST(ApiUrlScheme, TheContainerConfigNeedsAllowHttpForTheComposeSimulators) {
    const std::string path = testing::source_dir() + "/docker/riskbridge.yaml";
    std::map<std::string, std::string> env{
        {"ASHBY_API_KEY", "a"},
        {"ASHBY_WEBHOOK_SECRET", "b"},
        {"RISKOS_API_KEY", "c"},
        {"RISKOS_WEBHOOK_TOKEN", "d"},
        {"RISKBRIDGE_DATA_KEY", "dGVzdC1vbmx5LWtleS1uZXZlci1pbi1wcm9kLTAwMDE="},
        {"RISKBRIDGE_SQLITE_PATH", "/var/lib/riskbridge/riskbridge.db"}};  // the image's ENV
    // The image's defaults: the real APIs over https.
    const auto defaults = load_config(path, env_of(env));
    ASSERT_TRUE(defaults.ok()) << ::testing::PrintToString(formatted(defaults));
    EXPECT_FALSE(defaults.cfg.ashby.allow_http);
    EXPECT_FALSE(defaults.cfg.riskos.allow_http);
    EXPECT_FALSE(defaults.cfg.server.metrics_listen.has_value());

    // compose.yaml's simulators on another container: refused without the explicit opt-in...
    env["ASHBY_API_BASE_URL"] = "http://sim:9101";
    env["RISKOS_API_BASE_URL"] = "http://sim:9102";
    const auto refused = load_config(path, env_of(env));
    ASSERT_EQ(refused.problems.size(), 2u) << ::testing::PrintToString(formatted(refused));
    EXPECT_EQ(refused.problems[0].key_path, "ashby.api_base_url");
    EXPECT_EQ(refused.problems[1].key_path, "riskos.api_base_url");

    // ...accepted with it, as compose.yaml sets it.
    env["ASHBY_ALLOW_HTTP"] = "true";
    env["RISKOS_ALLOW_HTTP"] = "true";
    env["RISKBRIDGE_METRICS_LISTEN"] = "0.0.0.0:9090";
    const auto allowed = load_config(path, env_of(env));
    ASSERT_TRUE(allowed.ok()) << ::testing::PrintToString(formatted(allowed));
    EXPECT_TRUE(allowed.cfg.ashby.allow_http);
    EXPECT_TRUE(allowed.cfg.riskos.allow_http);
    EXPECT_EQ(allowed.cfg.server.metrics_port, 9090);
}

TEST(MetricsListen, AbsentOrEmptyKeepsMetricsOnTheMainListener) {
    for (const std::string server :
         {"", "server: { metrics_listen: null }\n", "server: { metrics_listen: \"\" }\n",
          "server: { metrics_listen: \"${RISKBRIDGE_METRICS_LISTEN:-}\" }\n"}) {
        const auto r = load(test::required_secrets + server);
        ASSERT_TRUE(r.ok()) << server << ::testing::PrintToString(formatted(r));
        EXPECT_FALSE(r.cfg.server.metrics_listen.has_value()) << server;
    }
}

TEST(MetricsListen, IsParsedLikeListen) {
    const auto r =
        load(test::required_secrets +
             "server:\n  listen: \"0.0.0.0:8080\"\n  metrics_listen: \"127.0.0.1:9090\"\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.server.metrics_listen, std::optional<std::string>("127.0.0.1:9090"));
    EXPECT_EQ(r.cfg.server.metrics_host, "127.0.0.1");
    EXPECT_EQ(r.cfg.server.metrics_port, 9090);
    EXPECT_THAT(redacted_dump(r.cfg), HasSubstr("metrics_listen: \"127.0.0.1:9090\""));

    const auto v6 = load(test::required_secrets + "server: { metrics_listen: \"[::1]:0\" }\n");
    ASSERT_TRUE(v6.ok()) << ::testing::PrintToString(formatted(v6));
    EXPECT_EQ(v6.cfg.server.metrics_host, "::1");
    EXPECT_EQ(v6.cfg.server.metrics_port, 0);
}

TEST(MetricsListen, ProblemsNameLineAndKey) {
    const auto bad = load(test::required_secrets + "server:\n  metrics_listen: \"9090\"\n");
    EXPECT_THAT(formatted(bad), ElementsAre("f.yaml:8: server.metrics_listen: missing port; "
                                            "expected host:port, e.g. 0.0.0.0:8080"));
    EXPECT_FALSE(bad.cfg.server.metrics_listen.has_value());

    // The main listener's port on an address that overlaps it could not be bound.
    for (const std::string metrics : {"0.0.0.0:8080", "127.0.0.1:8080", "[::]:8080"}) {
        const auto same = load(test::required_secrets + "server:\n  listen: \"0.0.0.0:8080\"\n" +
                               "  metrics_listen: \"" + metrics + "\"\n");
        EXPECT_THAT(formatted(same),
                    ElementsAre("f.yaml:9: server.metrics_listen: must not be the address of "
                                "server.listen: give /metrics a port of its own"))
            << metrics;
    }
    // Another port, or any free port for each, is fine.
    EXPECT_TRUE(load(test::required_secrets +
                     "server: { listen: \"0.0.0.0:8080\", metrics_listen: \"0.0.0.0:9090\" }\n")
                    .ok());
    EXPECT_TRUE(load(test::required_secrets +
                     "server: { listen: \"127.0.0.1:0\", metrics_listen: \"127.0.0.1:0\" }\n")
                    .ok());
    EXPECT_THAT(formatted(load(test::required_secrets +
                               "server: { listen: \"10.0.0.1:8080\", metrics_listen: "
                               "\"10.0.0.2:8080\" }\n")),
                IsEmpty());
}

}  // namespace
}  // namespace riskbridge::config
