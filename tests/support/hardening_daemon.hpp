#pragma once

// What the HTTP hardening suites (tests/integration/http_hardening_test.cpp, hostile_test.cpp)
// share: the real daemon on loopback, behind 127.0.0.1 as a trusted proxy (so a test client can
// be any address through X-Forwarded-For), with its limits from the test; a sample of
// /metrics; and raw bytes sent on a connection of their own, with everything the server sends
// back until it closes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"

namespace riskbridge::testing {

struct hardening_config {
    std::string webhook_secret;  ///< ashby.webhook_secrets
    std::string riskos_token;    ///< riskos.webhook_auth.bearer_tokens
    int max_connections = 0;
    /// More `server:` keys (limits and timeouts), one "key: value" each.
    std::vector<std::string> server_keys;
};

/// A fixture that starts the daemon with hardening_config (auth_failure_limit: 5 failures a
/// minute, one worker, an encrypted SQLite store in a temporary directory) and stops it
/// cleanly (exit code 0) after the test.
class hardening_daemon_test : public ::testing::Test {
protected:
    /// Writes the configuration and starts the daemon; a fatal failure when it is not ready.
    void start_daemon(const hardening_config& cfg);
    void TearDown() override;

    /// The text of /metrics on a fresh connection; empty when it is not answered 200.
    std::string metrics_text();
    /// One sample of /metrics (metric_sample: -1 when absent, -2 when not answered), on a fresh
    /// connection or on `on` (at the connection cap, a new connection would make another
    /// make way).
    double metric(const std::string& series, http_connection* on = nullptr);

    temp_dir dir_;
    std::unique_ptr<daemon_process> daemon_;
    std::uint16_t port_ = 0;
};

/// Everything the server sends on one connection after `bytes`, until it closes the connection
/// or `timeout` passes; `closed` tells which.
struct raw_exchange {
    std::string received;
    bool closed = false;
};
raw_exchange talk(std::uint16_t port, const std::string& bytes,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// The status codes of the HTTP/1.1 responses in `raw`, in order (the bodies must not contain
/// "HTTP/1.1 ").
std::vector<int> statuses(const std::string& raw);

}  // namespace riskbridge::testing
