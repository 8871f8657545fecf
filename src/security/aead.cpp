#include "riskbridge/security/aead.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <optional>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/security/hmac.hpp"

namespace riskbridge::security {

namespace {

/// AES-256-GCM, fetched from the default provider once: the legacy EVP_aes_256_gcm() object
/// makes every EVP_*Init_ex fetch it again, a lookup that costs more than sealing a job
/// payload. Never freed (it lives as long as the process).
const EVP_CIPHER* aes_256_gcm() {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return cipher != nullptr ? cipher : EVP_aes_256_gcm();
}

constexpr std::string_view envelope_prefix = "enc:";
constexpr std::string_view envelope_version = "v2:";    ///< what encrypt() writes
constexpr std::string_view envelope_version_1 = "v1:";  ///< read only: not bound to a place
constexpr std::string_view index_prefix = "idx:v1:";
constexpr std::size_t nonce_bytes = 12;  // the 96-bit IV GCM is made for
constexpr std::size_t tag_bytes = 16;

struct ctx_deleter {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter>;

const unsigned char* bytes_of(std::string_view s) noexcept {
    return reinterpret_cast<const unsigned char*>(s.data());
}

/// The parts of "enc:v<n>:<id>:<body>"; nullopt when malformed or of an unknown version.
struct envelope {
    std::string_view header;  ///< "enc:v<n>:<id>:", the start of the additional data
    std::string_view key_id;
    std::string_view body;
    bool bound = true;  ///< v2: the additional data goes on with where the value lives
};

std::optional<envelope> parse_envelope(std::string_view text) {
    if (text.substr(0, envelope_prefix.size()) != envelope_prefix) {
        return std::nullopt;
    }
    std::string_view rest = text.substr(envelope_prefix.size());
    bool bound = true;
    if (rest.substr(0, envelope_version.size()) == envelope_version) {
        rest.remove_prefix(envelope_version.size());
    } else if (rest.substr(0, envelope_version_1.size()) == envelope_version_1) {
        rest.remove_prefix(envelope_version_1.size());
        bound = false;
    } else {
        return std::nullopt;
    }
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos || !is_token(rest.substr(0, colon))) {
        return std::nullopt;
    }
    // Both versions' markers are three characters long.
    const std::size_t header_size = envelope_prefix.size() + envelope_version.size() + colon + 1;
    return envelope{text.substr(0, header_size), rest.substr(0, colon), rest.substr(colon + 1),
                    bound};
}

/// The additional authenticated data: the header, then (v2) a NUL and where the value lives.
/// The header ends at the colon after the key id (a token), so the split is unambiguous.
std::string additional_data(std::string_view header, std::string_view where, bool bound) {
    std::string aad(header);
    if (bound) {
        aad.push_back('\0');
        aad.append(where);
    }
    return aad;
}

}  // namespace

result<std::shared_ptr<const data_cipher>> data_cipher::make(std::vector<data_key> keys) {
    if (keys.empty()) {
        return make_error(errc::invalid_argument, "no data key");
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const data_key& k = keys[i];
        if (!is_token(k.id)) {
            return make_error(errc::invalid_argument,
                              "data key " + std::to_string(i) +
                                  ": the id must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
        if (k.bytes.size() != data_key_bytes) {
            return make_error(
                errc::invalid_argument,
                "data key '" + k.id + "' is not " + std::to_string(data_key_bytes) + " bytes");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (keys[j].id == k.id) {
                return make_error(errc::invalid_argument, "duplicate data key id '" + k.id + "'");
            }
        }
    }
    return std::shared_ptr<const data_cipher>(new data_cipher(std::move(keys)));
}

data_cipher::~data_cipher() {
    for (auto& k : index_keys_) {
        wipe(k);
    }
}

data_cipher::data_cipher(std::vector<data_key> keys) : keys_(std::move(keys)) {
    // A separate key for the digests, so the encryption key serves one purpose only.
    for (const auto& k : keys_) {
        index_keys_.push_back(hmac_sha256_hex(k.bytes, "riskbridge blind index v1"));
    }
}

std::string data_cipher::blind_index_with(std::size_t key, std::string_view value) const {
    return std::string(index_prefix) + keys_[key].id + ":" +
           hmac_sha256_hex(index_keys_[key], value);
}

std::string data_cipher::blind_index(std::string_view value) const {
    return value.empty() ? std::string() : blind_index_with(0, value);
}

std::vector<std::string> data_cipher::blind_indexes(std::string_view value) const {
    std::vector<std::string> out;
    if (value.empty()) {
        return out;
    }
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        out.push_back(blind_index_with(i, value));
    }
    return out;
}

bool data_cipher::is_blind_index(std::string_view text) noexcept {
    return text.substr(0, index_prefix.size()) == index_prefix;
}

std::vector<std::string> data_cipher::key_ids() const {
    std::vector<std::string> out;
    out.reserve(keys_.size());
    for (const auto& k : keys_) {
        out.push_back(k.id);
    }
    return out;
}

const data_key* data_cipher::find(std::string_view id) const noexcept {
    const auto it =
        std::find_if(keys_.begin(), keys_.end(), [&](const data_key& k) { return k.id == id; });
    return it == keys_.end() ? nullptr : &*it;
}

bool data_cipher::is_encrypted(std::string_view text) noexcept {
    return text.substr(0, envelope_prefix.size()) == envelope_prefix;
}

std::string data_cipher::key_id_of(std::string_view text) {
    const auto env = parse_envelope(text);
    return env ? std::string(env->key_id) : std::string();
}

result<std::string> data_cipher::encrypt(std::string_view plaintext, std::string_view where) const {
    if (plaintext.empty()) {
        return std::string();
    }
    if (plaintext.size() > static_cast<std::size_t>(INT_MAX) - nonce_bytes - tag_bytes) {
        return make_error(errc::invalid_argument, "value too large to encrypt");
    }
    const data_key& key = keys_.front();
    const std::string header =
        std::string(envelope_prefix) + std::string(envelope_version) + key.id + ":";
    const std::string aad = additional_data(header, where, true);
    std::string sealed(nonce_bytes + plaintext.size() + tag_bytes, '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
    unsigned char* out = nonce + nonce_bytes;
    if (RAND_bytes(nonce, static_cast<int>(nonce_bytes)) != 1) {
        return make_error(errc::internal, "encryption failed: no randomness for the nonce");
    }
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int final_len = 0;
    const bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_bytes),
                            nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes_of(key.bytes), nonce) == 1 &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) ==
            1 &&
        EVP_EncryptUpdate(ctx.get(), out, &len, bytes_of(plaintext),
                          static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) == 1 &&
        static_cast<std::size_t>(len + final_len) == plaintext.size() &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_bytes),
                            out + plaintext.size()) == 1;
    if (!ok) {
        return make_error(errc::internal, "encryption failed");
    }
    return header + base64_encode(sealed);
}

result<std::string> data_cipher::decrypt(std::string_view text, std::string_view where) const {
    if (text.empty()) {
        return std::string();
    }
    if (!is_encrypted(text)) {
        return make_error(errc::parse_error, "not encrypted (a value in clear)");
    }
    const auto env = parse_envelope(text);
    if (!env) {
        return make_error(errc::parse_error, "not a well-formed encrypted value");
    }
    const std::string aad = additional_data(env->header, where, env->bound);
    const data_key* key = find(env->key_id);
    if (key == nullptr) {
        return make_error(errc::not_found, "key id '" + std::string(env->key_id) + "' unknown");
    }
    const auto sealed =
        base64_decode(env->body, base64_alphabet::standard, base64_padding::required);
    if (!sealed || sealed->size() < nonce_bytes + tag_bytes ||
        sealed->size() > static_cast<std::size_t>(INT_MAX)) {
        return make_error(errc::parse_error, "not a well-formed encrypted value");
    }
    const auto* nonce = bytes_of(*sealed);
    const std::size_t text_size = sealed->size() - nonce_bytes - tag_bytes;
    const unsigned char* ciphertext = nonce + nonce_bytes;
    // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; it only reads the tag.
    std::string tag = sealed->substr(nonce_bytes + text_size);
    std::string plain(text_size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int final_len = 0;
    const bool ready =
        ctx && EVP_DecryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_bytes),
                            nullptr) == 1 &&
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes_of(key->bytes), nonce) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) ==
            1 &&
        EVP_DecryptUpdate(ctx.get(), out, &len, ciphertext, static_cast<int>(text_size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_bytes),
                            tag.data()) == 1;
    if (!ready) {
        return make_error(errc::internal, "decryption failed");
    }
    if (EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) != 1) {
        wipe(plain);
        return make_error(errc::invalid_argument,
                          "authentication failed under key id '" + std::string(env->key_id) +
                              "' (altered data, a value moved from another place, or a "
                              "different key)");
    }
    return plain;
}

result<std::shared_ptr<const data_cipher>> make_data_cipher(
    const config::store_encryption_config& cfg) {
    std::vector<data_key> keys;
    keys.reserve(cfg.keys.size());
    for (const auto& k : cfg.keys) {
        keys.push_back({k.id, k.key.reveal()});  // wiped with the vector if make() refuses
    }
    return data_cipher::make(std::move(keys));
}

}  // namespace riskbridge::security
