#pragma once

#include <string>
#include <string_view>

namespace riskbridge::security {

/// SHA-256 of `data` as lowercase hex (dedupe keys for deliveries that carry no id).
std::string sha256_hex(std::string_view data);

/// `bytes` random bytes from OpenSSL's CSPRNG as lowercase hex (request ids, tokens).
std::string random_hex(std::size_t bytes);

}  // namespace riskbridge::security
