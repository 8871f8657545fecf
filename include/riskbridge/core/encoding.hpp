#pragma once

// Byte encodings and plain tokens, one implementation each: base64 for HTTP Basic
// credentials, the encrypted store's envelopes and data keys; hex for data keys; "token" for
// the short machine identifiers (key ids, error codes, label values) that may be logged.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace riskbridge {

/// Standard base64 (RFC 4648 §4) with padding.
std::string base64_encode(std::string_view bytes);

enum class base64_alphabet {
    standard,         ///< A-Z a-z 0-9 + /
    standard_or_url,  ///< also the URL-safe - and _ (RFC 4648 §5), as keys get pasted
};

enum class base64_padding {
    optional,  ///< as people and HTTP clients write it
    required,  ///< as base64_encode writes it: one text per value
};

/// Strict base64: when present, padding makes whole groups of four with at most two '='; the
/// bits below the last digit must be zero; anything else (whitespace included) is invalid.
std::optional<std::string> base64_decode(std::string_view text,
                                         base64_alphabet alphabet = base64_alphabet::standard,
                                         base64_padding padding = base64_padding::optional);

/// Hex digits (either case), two per byte; nullopt for anything else or an odd length.
std::optional<std::string> hex_decode(std::string_view text);

/// The longest token is_token accepts by default: an error code, a key id, a metric label.
inline constexpr std::size_t max_token_chars = 64;
/// The longest id from a peer taken as an id: webhookActionId, event ids, application,
/// candidate and evaluation ids. The webhook intake quarantines a delivery whose ids are
/// longer; the clients refuse them; log fields show them as "invalid".
inline constexpr std::size_t max_peer_id_chars = 128;

/// 1 to `max_size` of A-Z a-z 0-9 '.' '_' '-': an identifier from code or a peer that is safe
/// to log and to use as a metric label, never free text.
bool is_token(std::string_view s, std::size_t max_size = max_token_chars) noexcept;

}  // namespace riskbridge
