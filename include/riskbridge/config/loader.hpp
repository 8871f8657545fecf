#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/config/config.hpp"

namespace riskbridge::config {

/// One configuration problem, printed as `FILE:LINE: key.path: message`.
struct problem {
    std::string file;
    int line = 0;          ///< 1-based; 0 when the file itself is the problem
    std::string key_path;  ///< e.g. ashby.webhook_secrets[0]
    std::string message;   ///< never contains a secret's value
};

std::string format_problem(const problem& p);

/// Looks up an environment variable; tests inject their own.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;
env_lookup process_env();

struct load_result {
    config cfg;
    std::vector<problem> problems;  ///< empty = valid
    bool ok() const noexcept { return problems.empty(); }
};

/// Reads, substitutes, parses and validates. Never throws; every problem found is reported,
/// not only the first.
load_result load_config(const std::string& path, const env_lookup& env = process_env());
/// Same, from text already in memory (`path` is used in messages only).
load_result load_config_text(std::string_view yaml_text, const std::string& path,
                             const env_lookup& env = process_env());

/// The effective configuration as YAML with every secret replaced by <redacted>.
std::string redacted_dump(const config& cfg);

}  // namespace riskbridge::config
