#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/config/config.hpp"

namespace riskbridge::security {

/// HMAC-SHA256 of `data` keyed with the bytes of `key`, as lowercase hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

enum class signature_status {
    valid,
    missing,    ///< no header, or an empty one
    malformed,  ///< not `sha256=<64 lowercase hex>`
    mismatch,   ///< well-formed, but no configured secret produces it
};
const char* to_string(signature_status s) noexcept;

/// Verifies Ashby's `Ashby-Signature: sha256=<hex>` over the raw body against every secret
/// (rotation). Every secret is tried, so the time does not tell which one matched.
signature_status verify_ashby_signature(std::string_view header_value, std::string_view raw_body,
                                        const std::vector<config::secret>& secrets);

}  // namespace riskbridge::security
