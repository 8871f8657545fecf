#pragma once

// Shared helpers of the config tests: an injected environment and formatted problems.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/config/loader.hpp"

namespace riskbridge::config::test {

inline env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

inline env_lookup no_env() {
    return env_of({});
}

inline std::vector<std::string> formatted(const load_result& r) {
    std::vector<std::string> out;
    for (const auto& p : r.problems) {
        out.push_back(format_problem(p));
    }
    return out;
}

/// The four required secrets, literally; six lines, so a section appended starts at line 7.
inline const std::string required_secrets = R"(ashby:
  api_key: ashby-key
  webhook_secrets: [ashby-secret]
riskos:
  api_key: riskos-key
  webhook_auth: { bearer_tokens: [riskos-token] }
)";

/// Loads `text` as the file f.yaml. A text without a store section gets
/// "store: { allow_unencrypted: true }" appended as its last line (so every line number before
/// it stays), since store.encryption is required and most tests are about other sections;
/// the tests of that requirement call load_config_text() themselves.
inline load_result load(const std::string& text, const env_lookup& env = no_env()) {
    const bool has_store =
        text.rfind("store:", 0) == 0 || text.find("\nstore:") != std::string::npos;
    return load_config_text(has_store ? text : text + "store: { allow_unencrypted: true }\n",
                            "f.yaml", env);
}

}  // namespace riskbridge::config::test
