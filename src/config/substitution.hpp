#pragma once

// `${VAR}` and `${VAR:-default}` in a configuration value. The loader replaces them in every
// scalar after parsing, so line numbers stay those of the file. Private to the config module.

#include <functional>
#include <string>

#include "riskbridge/config/loader.hpp"

namespace riskbridge::config::detail {

/// One scalar after substitution.
struct scalar {
    std::string text;
    bool from_env = false;  ///< holds substituted text: never echo it
    bool plain = false;     ///< written without quotes (so `true` is a boolean)
};

/// Appends `raw` to `out.text` with every `${NAME}` replaced by the variable's value and every
/// `${NAME:-default}` by the value, or the default when the variable is unset or empty; sets
/// `out.from_env` when `raw` refers to a variable. Each problem (a malformed reference, an
/// unset variable) is passed to `report`, never with a value; false when there was one.
bool substitute(const std::string& raw, const env_lookup& env, scalar& out,
                const std::function<void(std::string message)>& report);

}  // namespace riskbridge::config::detail
