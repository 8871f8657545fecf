#include "riskbridge/security/hmac.hpp"
#include "riskbridge/core/text.hpp"

#include <array>
#include <climits>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace riskbridge::security {

namespace {

constexpr std::string_view k_prefix = "sha256=";
constexpr std::size_t k_hex_digest_len = 64;  // SHA-256: 32 bytes as hex

/// OpenSSL wants a non-null pointer even for zero bytes; an empty string_view may have none.
const unsigned char* bytes_of(std::string_view s) noexcept {
    static constexpr unsigned char empty = 0;
    return s.empty() ? &empty : reinterpret_cast<const unsigned char*>(s.data());
}

/// Lowercases `hex` into `out`; false if it holds anything but [0-9a-fA-F].
bool normalise_hex(std::string_view hex, std::string& out) {
    out.clear();
    out.reserve(hex.size());
    for (const char c : hex) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            out.push_back(c);
        } else if (c >= 'A' && c <= 'F') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        } else {
            return false;
        }
    }
    return true;
}

/// HMAC-SHA256 of `data` under `key` as lowercase hex into `out`, with a context keyed once
/// per thread and key and re-armed for each message (EVP_MAC_init with no key): the one-shot
/// HMAC() fetches the algorithm and schedules the key on every call, which costs more than
/// hashing a webhook body. Only for the configured webhook secrets (few, fixed): the cache is
/// dropped whenever it would hold more than a handful of keys. False on any OpenSSL failure.
bool keyed_hmac_hex(std::string_view key, std::string_view data,
                    std::array<char, k_hex_digest_len>& out) {
    struct ctx_free {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    using ctx_ptr = std::unique_ptr<EVP_MAC_CTX, ctx_free>;
    constexpr std::size_t max_cached_keys = 8;
    // Keyed by the SHA-256 of the key, so the cache holds no copy of a secret.
    thread_local std::unordered_map<std::string, ctx_ptr> contexts;

    std::array<unsigned char, EVP_MAX_MD_SIZE> key_id{};
    unsigned int key_id_len = 0;
    if (EVP_Digest(key.data(), key.size(), key_id.data(), &key_id_len, EVP_sha256(), nullptr) !=
        1) {
        return false;
    }
    const std::string id(reinterpret_cast<const char*>(key_id.data()), key_id_len);
    EVP_MAC_CTX* ctx = nullptr;
    if (auto it = contexts.find(id); it != contexts.end()) {
        ctx = it->second.get();
        if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1) {
            return false;
        }
    } else {
        EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        ctx_ptr fresh(mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr);
        EVP_MAC_free(mac);  // the context keeps its own reference
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end()};
        if (!fresh || EVP_MAC_init(fresh.get(), bytes_of(key), key.size(), params) != 1) {
            return false;
        }
        if (contexts.size() >= max_cached_keys) {
            contexts.clear();
        }
        ctx = fresh.get();
        contexts.emplace(id, std::move(fresh));
    }
    std::array<unsigned char, 32> md{};
    std::size_t len = 0;
    if (EVP_MAC_update(ctx, bytes_of(data), data.size()) != 1 ||
        EVP_MAC_final(ctx, md.data(), &len, md.size()) != 1 || len != md.size()) {
        return false;
    }
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < md.size(); ++i) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0x0f];
    }
    return true;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    if (key.size() > static_cast<std::size_t>(INT_MAX)) {
        return {};
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    // One-shot HMAC() is not deprecated in OpenSSL 3 (only the HMAC_CTX API is).
    if (HMAC(EVP_sha256(), bytes_of(key), static_cast<int>(key.size()), bytes_of(data), data.size(),
             md.data(), &len) == nullptr) {
        return {};
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(static_cast<std::size_t>(len) * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0x0f];
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    if (a.empty()) {
        return true;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

const char* to_string(signature_status s) noexcept {
    switch (s) {
        case signature_status::valid:
            return "valid";
        case signature_status::missing:
            return "missing";
        case signature_status::malformed:
            return "malformed";
        case signature_status::mismatch:
            return "mismatch";
    }
    return "unknown";
}

signature_status verify_ashby_signature(std::string_view header_value, std::string_view raw_body,
                                        const std::vector<config::secret>& secrets) {
    const std::string_view value = trim_ows(header_value);
    if (value.empty()) {
        return signature_status::missing;
    }
    // The algorithm prefix is matched exactly (Ashby sends `sha256=`); `sha1=`, `SHA256=` or
    // a bare digest are malformed.
    if (value.size() != k_prefix.size() + k_hex_digest_len || !value.starts_with(k_prefix)) {
        return signature_status::malformed;
    }
    // Ashby sends lowercase hex (docs/external-apis.md). Hex digits are case-insensitive, so upper-
    // or mixed-case digests are accepted: they are lowercased before the comparison. Anything that
    // is not a hex digit is malformed.
    std::string presented;
    if (!normalise_hex(value.substr(k_prefix.size()), presented)) {
        return signature_status::malformed;
    }

    // Every configured secret is tried, with no early exit, so the time taken does not tell
    // which secret (if any) matched. An empty secret is never a valid key.
    unsigned matched = 0;
    for (const auto& secret : secrets) {
        if (secret.empty()) {
            continue;
        }
        std::array<char, k_hex_digest_len> expected{};
        const bool computed = keyed_hmac_hex(secret.reveal(), raw_body, expected);
        matched |= static_cast<unsigned>(
            computed &&
            constant_time_equal(std::string_view(expected.data(), expected.size()), presented));
    }
    return matched != 0 ? signature_status::valid : signature_status::mismatch;
}

}  // namespace riskbridge::security
