#pragma once

// A minimal daemon configuration for tests and the load tool: loopback listener on a port the
// OS picks, fixed test credentials, and upstreams on a closed loopback port unless given, so a
// daemon started by a test never calls a real Ashby or RiskOS.

#include <string>

#include "support/paths.hpp"

namespace riskbridge::testing {

/// `encryption: {...}` for a store: section, with a throw-away key made for this call (32
/// random bytes as 64 hex digits). The store is encrypted in tests as in production.
std::string throwaway_encryption();

/// `store_yaml` (a flow mapping, "{ ... }") with throwaway_encryption() added as its last key.
std::string with_throwaway_encryption(const std::string& store_yaml);

struct daemon_config {
    std::string webhook_secret = "test-webhook-secret";
    /// The YAML of `store:`, a flow mapping; write() adds a throw-away encryption key unless
    /// it names `encryption` or `allow_unencrypted` itself.
    std::string store = "{ sqlite_path: \"riskbridge.db\" }";
    std::string workers = "{ threads: 2, poll_interval_ms: 50 }";
    std::string upstream = "http://127.0.0.1:9";  ///< Ashby and RiskOS base URL
    std::string ashby_extra;                      ///< more `ashby:` keys, e.g. timeouts
    std::string log_level = "info";

    /// Writes `<dir>/<name>.yaml` and returns its path.
    std::string write(const temp_dir& dir, const std::string& name) const;
};

}  // namespace riskbridge::testing
