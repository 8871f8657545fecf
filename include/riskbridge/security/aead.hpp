#pragma once

// Encryption of personal data at rest: AES-256-GCM through OpenSSL, with a keyring so keys can
// rotate. Every value is sealed into a self-describing, text-safe envelope
//
//     enc:v2:<key id>:<base64(nonce[12] | ciphertext | tag[16])>
//
// with a fresh random 96-bit nonce per value. The additional authenticated data is the header
// "enc:v2:<key id>:" followed by where the value lives (its table, column and row key, e.g.
// "jobs.checkpoint/42"), so neither the key id can be swapped nor a value copied to another
// row, column or table without the tag failing. The active key (the first) encrypts; every key
// in the ring decrypts, so values written under an older key stay readable while it is
// configured. Envelopes of the first format, "enc:v1:<key id>:" (authenticated by their header
// only, not bound to a place), still open, so a store written by an older version keeps
// working while its jobs finish. Text that is not an envelope is refused: once encryption is
// on, a value in clear is a value someone wrote around riskbridge. Key bytes are wiped when the
// keyring is dropped.
//
// The format is described for operators in README.md ("Personal data at rest").

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/core/wipe.hpp"

namespace riskbridge::security {

inline constexpr std::size_t data_key_bytes = config::data_key_bytes;

struct data_key {
    std::string id;               ///< [A-Za-z0-9._-], 1-64 characters; written into every envelope
    std::string bytes;            ///< exactly data_key_bytes raw bytes
    ~data_key() { wipe(bytes); }  // copies (no implicit move) are each wiped in turn
};

/// A keyring. Immutable once made, so one instance is shared by every thread.
class data_cipher {
public:
    /// keys[0] encrypts. Fails with errc::invalid_argument when there is no key, a key is not
    /// 32 bytes, an id is malformed or two keys share an id (messages name ids, never bytes).
    static result<std::shared_ptr<const data_cipher>> make(std::vector<data_key> keys);

    const std::string& active_key_id() const noexcept { return keys_.front().id; }
    std::vector<std::string> key_ids() const;

    ~data_cipher();
    data_cipher(const data_cipher&) = delete;
    data_cipher& operator=(const data_cipher&) = delete;

    /// Seals `plaintext` with the active key, bound to `where` (table, column and row key of
    /// the value: see the top of this file). Empty text stays empty (nothing to hide, and an
    /// empty payload or checkpoint keeps meaning "none"). Fails only when OpenSSL does (no
    /// randomness): the caller must then store nothing rather than the clear text.
    result<std::string> encrypt(std::string_view plaintext, std::string_view where) const;

    /// Opens an envelope made by encrypt() with the same `where` (a v1 envelope opens
    /// wherever it is). Empty text stays empty. Never throws. Errors: errc::not_found "key id
    /// '<id>' unknown" (the key is not in the ring), errc::parse_error (not an envelope: clear
    /// text, or malformed), errc::invalid_argument (authentication failed: the data was
    /// altered or moved from another place, or the key under that id is not the one that
    /// sealed it).
    result<std::string> decrypt(std::string_view text, std::string_view where) const;

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
