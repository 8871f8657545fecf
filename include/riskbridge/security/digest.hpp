#pragma once

#include <string>
#include <string_view>

namespace riskbridge::security {

/// SHA-256 of `data` as lowercase hex (dedupe keys for deliveries that carry no id).
std::string sha256_hex(std::string_view data);

/// `bytes` random bytes from OpenSSL's CSPRNG as lowercase hex (tokens, keys).
std::string random_hex(std::size_t bytes);

/// 16 lowercase hex digits that differ from every other call's in this process and, with
/// overwhelming likelihood, from other processes': an id to correlate log lines, not a secret.
/// A per-thread counter mixed by splitmix64 from a seed drawn once per thread from the
/// CSPRNG, so it costs a few nanoseconds where random_hex costs a CSPRNG call.
std::string unique_hex_id();

}  // namespace riskbridge::security
