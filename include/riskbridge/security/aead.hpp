#pragma once

// Encryption of personal data at rest: AES-256-GCM through OpenSSL, with a keyring so keys can
// rotate. Every value is sealed into a self-describing, text-safe envelope
//
//     enc:v1:<key id>:<base64(nonce[12] | ciphertext | tag[16])>
//
// with a fresh random 96-bit nonce per value and "enc:v1:<key id>:" as additional
// authenticated data, so the key id cannot be swapped without the tag failing. The active key
// (the first) encrypts; every key in the ring decrypts, so values written under an older key
// stay readable while it is configured. Text that does not start with "enc:" is returned as it
// is by decrypt(): stores written before encryption was turned on still read.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/error.hpp"

namespace riskbridge::security {

inline constexpr std::size_t data_key_bytes = 32;

struct data_key {
    std::string id;     ///< [A-Za-z0-9._-], 1-64 characters; written into every envelope
    std::string bytes;  ///< exactly data_key_bytes raw bytes
};

/// A keyring. Immutable once made, so one instance is shared by every thread.
class data_cipher {
public:
    /// keys[0] encrypts. Fails with errc::invalid_argument when there is no key, a key is not
    /// 32 bytes, an id is malformed or two keys share an id (messages name ids, never bytes).
    static result<std::shared_ptr<const data_cipher>> make(std::vector<data_key> keys);

    const std::string& active_key_id() const noexcept { return keys_.front().id; }
    std::vector<std::string> key_ids() const;

    /// Seals `plaintext` with the active key. Empty text stays empty (nothing to hide, and an
    /// empty payload or checkpoint keeps meaning "none"). Fails only when OpenSSL does (no
    /// randomness): the caller must then store nothing rather than the clear text.
    result<std::string> encrypt(std::string_view plaintext) const;

    /// Opens an envelope made by encrypt(); text without the "enc:" prefix is returned as is.
    /// Never throws. Errors: errc::not_found "key id '<id>' unknown" (the key is not in the
    /// ring), errc::parse_error (not a well-formed envelope), errc::invalid_argument
    /// (authentication failed: the data was altered, or the key under that id is not the one
    /// that sealed it).
    result<std::string> decrypt(std::string_view text) const;

    /// A keyed, deterministic digest of `value` for a column looked up by equality instead of
    /// read back (the DocV transaction token): "idx:v1:<key id>:<hex HMAC-SHA256>" under a
    /// key derived from the active key. Empty stays empty.
    std::string blind_index(std::string_view value) const;
    /// The digests of `value` under every key, active first: what a lookup must try.
    std::vector<std::string> blind_indexes(std::string_view value) const;
    static bool is_blind_index(std::string_view text) noexcept;

    /// True when `text` starts with the envelope prefix "enc:".
    static bool is_encrypted(std::string_view text) noexcept;
    /// The key id an envelope names ("" when it names none or is malformed); log-safe.
    static std::string key_id_of(std::string_view text);

private:
    explicit data_cipher(std::vector<data_key> keys);
    const data_key* find(std::string_view id) const noexcept;
    std::string blind_index_with(std::size_t key, std::string_view value) const;

    std::vector<data_key> keys_;
    std::vector<std::string> index_keys_;  ///< per key: HMAC(key, label), for blind indexes
};

/// The keyring store.encryption configures (config::store_encryption_config::keys, already
/// decoded and validated by the loader). Fails like data_cipher::make.
result<std::shared_ptr<const data_cipher>> make_data_cipher(
    const config::store_encryption_config& cfg);

}  // namespace riskbridge::security
