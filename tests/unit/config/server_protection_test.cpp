// server.header_timeout_ms, trusted_proxies, auth_failure_limit and tls: defaults, values,
// problems with their line and key path, and the files tls names.

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "riskbridge/config/loader.hpp"
#include "support/paths.hpp"
#include "test_helpers.hpp"

namespace riskbridge::config {
namespace {

using namespace std::chrono_literals;
using test::formatted;
using test::load;
using test::required_secrets;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ServerProtection, DefaultsWhenAbsent) {
    const auto r = load(required_secrets);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.server.header_timeout, 5000ms);
    EXPECT_TRUE(r.cfg.server.trusted_proxies.empty());
    EXPECT_EQ(r.cfg.server.auth_failure_limit.max, 20);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.window, 60000ms);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.max_addresses, 10000u);
    EXPECT_FALSE(r.cfg.server.tls.has_value());
}

TEST(ServerProtection, ValuesAreRead) {
    const auto r = load(required_secrets + R"(server:
  header_timeout_ms: 1500
  trusted_proxies: ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"]
  auth_failure_limit: { max: 5, window_ms: 30000, max_addresses: 100 }
  tls: null
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.server.header_timeout, 1500ms);
    EXPECT_THAT(r.cfg.server.trusted_proxies,
                ElementsAre("10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"));
    EXPECT_EQ(r.cfg.server.auth_failure_limit.max, 5);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.window, 30000ms);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.max_addresses, 100u);
    EXPECT_FALSE(r.cfg.server.tls.has_value());
    // The limit can be switched off.
    const auto off = load(required_secrets + "server: { auth_failure_limit: { max: 0 } }\n");
    ASSERT_TRUE(off.ok()) << ::testing::PrintToString(formatted(off));
    EXPECT_EQ(off.cfg.server.auth_failure_limit.max, 0);
}

TEST(ServerProtection, ProblemsNameLineAndKey) {
    const auto r = load(required_secrets + R"(server:
  trusted_proxies: ["10.0.0.0/33", "lb.internal", "::1/129", null]
  auth_failure_limit: { max: -1, window_ms: 0, max_addresses: 0, burst: 3 }
  tls: { cert_file: "" }
)");
    EXPECT_THAT(formatted(r),
                ElementsAre(HasSubstr("f.yaml:8: server.trusted_proxies[0]: expected an IP "
                                      "address or CIDR such as 10.0.0.0/8, got '10.0.0.0/33'"),
                            HasSubstr("f.yaml:8: server.trusted_proxies[1]: expected an IP"),
                            HasSubstr("f.yaml:8: server.trusted_proxies[2]: expected an IP"),
                            HasSubstr("f.yaml:8: server.trusted_proxies[3]: must not be empty"),
                            HasSubstr("f.yaml:9: server.auth_failure_limit.burst: unknown key"),
                            HasSubstr("f.yaml:9: server.auth_failure_limit.max: must be from 0"),
                            HasSubstr("f.yaml:9: server.auth_failure_limit.window_ms: must be"),
                            HasSubstr("f.yaml:9: server.auth_failure_limit.max_addresses: must"),
                            HasSubstr("f.yaml:10: server.tls.cert_file: must not be empty"),
                            HasSubstr("f.yaml:10: server.tls.key_file: is required when tls")));
}

TEST(ServerProtection, TlsFilesMustExistAndBePem) {
    testing::temp_dir dir;
    const std::string cert = dir.file("cert.pem");
    const std::string key = dir.file("key.pem");
    const std::string junk = dir.file("junk.pem");
    std::ofstream(cert) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::ofstream(key) << "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    std::ofstream(junk) << "not a pem file\n";

    const auto good = load(required_secrets + "server:\n  tls:\n    cert_file: \"" + cert +
                           "\"\n    key_file: \"" + key + "\"\n");
    ASSERT_TRUE(good.ok()) << ::testing::PrintToString(formatted(good));
    ASSERT_TRUE(good.cfg.server.tls.has_value());
    EXPECT_EQ(good.cfg.server.tls->cert_file, cert);
    EXPECT_EQ(good.cfg.server.tls->key_file, key);
    // The dump shows the paths (they are not secrets).
    EXPECT_THAT(redacted_dump(good.cfg), HasSubstr(cert));

    const auto bad = load(required_secrets + "server:\n  tls:\n    cert_file: \"" +
                          dir.file("missing.pem") + "\"\n    key_file: \"" + junk + "\"\n");
    EXPECT_THAT(
        formatted(bad),
        ElementsAre(
            HasSubstr("f.yaml:9: server.tls.cert_file: no such file: " + dir.file("missing.pem")),
            HasSubstr("f.yaml:10: server.tls.key_file: " + junk + " is not a PEM private key")));
    EXPECT_FALSE(bad.cfg.server.tls.has_value());

    // Paths may come from the environment.
    const auto from_env = load(
        required_secrets + "server: { tls: { cert_file: \"${CERT}\", key_file: \"${KEY}\" } }\n",
        test::env_of({{"CERT", cert}, {"KEY", key}}));
    ASSERT_TRUE(from_env.ok()) << ::testing::PrintToString(formatted(from_env));
    EXPECT_EQ(from_env.cfg.server.tls->cert_file, cert);
}

TEST(ServerProtection, TheExampleDocumentsTheDefaults) {
    const auto r = load_config(testing::source_dir() + "/config/riskbridge.example.yaml",
                               test::env_of({{"ASHBY_API_KEY", "a"},
                                             {"ASHBY_WEBHOOK_SECRET", "b"},
                                             {"RISKOS_API_KEY", "c"},
                                             {"RISKOS_WEBHOOK_TOKEN", "d"},
                                             {"RISKBRIDGE_DATA_KEY", std::string(64, 'a')}}));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const server_config d;
    EXPECT_EQ(r.cfg.server.header_timeout, d.header_timeout);
    EXPECT_EQ(r.cfg.server.trusted_proxies, d.trusted_proxies);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.max, d.auth_failure_limit.max);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.window, d.auth_failure_limit.window);
    EXPECT_EQ(r.cfg.server.auth_failure_limit.max_addresses, d.auth_failure_limit.max_addresses);
    EXPECT_FALSE(r.cfg.server.tls.has_value());
}

}  // namespace
}  // namespace riskbridge::config
