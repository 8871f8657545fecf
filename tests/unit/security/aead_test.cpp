#include "riskbridge/security/aead.hpp"

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/core/wipe.hpp"

namespace riskbridge::security {
namespace {

std::string key_bytes(char fill) {
    return std::string(data_key_bytes, fill);
}

std::shared_ptr<const data_cipher> ring(std::vector<data_key> keys) {
    auto made = data_cipher::make(std::move(keys));
    EXPECT_TRUE(made.has_value()) << (made ? "" : made.error().message);
    return made ? *made : nullptr;
}

/// Where the values of these tests live (table.column/row), bound into each envelope.
const std::string here = "jobs.payload/screening/ashby:d1/screening:app-1";

const std::string applicant =
    R"({"name":"Zebedee Quillfeather","email":"zebedee.q@quill.test","phone":"+14155550177"})";

TEST(DataCipher, RoundTripsAndHidesThePlaintext) {
    const auto c = ring({{"2026-11", key_bytes('k')}});
    auto sealed = c->encrypt(applicant, here);
    ASSERT_TRUE(sealed.has_value());
    EXPECT_EQ(sealed->rfind("enc:v2:2026-11:", 0), 0U) << *sealed;
    for (const char* clear : {"Zebedee", "Quillfeather", "quill.test", "5550177"}) {
        EXPECT_EQ(sealed->find(clear), std::string::npos) << clear;
    }
    auto opened = c->decrypt(*sealed, here);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(*opened, applicant);
    EXPECT_EQ(data_cipher::key_id_of(*sealed), "2026-11");
    EXPECT_TRUE(data_cipher::is_encrypted(*sealed));
}

TEST(DataCipher, EveryValueGetsItsOwnNonce) {
    const auto c = ring({{"k1", key_bytes('k')}});
    auto a = c->encrypt(applicant, here);
    auto b = c->encrypt(applicant, here);
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
}

TEST(DataCipher, BinaryDataRoundTrips) {
    const auto c = ring({{"k1", key_bytes('k')}});
    std::string binary;
    for (int i = 0; i < 1000; ++i) {
        binary.push_back(static_cast<char>(i % 256));
    }
    for (std::size_t n : {1U, 2U, 3U, 4U, 5U, 1000U}) {
        auto sealed = c->encrypt(binary.substr(0, n), here);
        ASSERT_TRUE(sealed);
        auto opened = c->decrypt(*sealed, here);
        ASSERT_TRUE(opened) << n;
        EXPECT_EQ(*opened, binary.substr(0, n)) << n;
    }
}

TEST(DataCipher, EmptyStaysEmptyAndClearTextIsRefused) {
    const auto c = ring({{"k1", key_bytes('k')}});
    EXPECT_EQ(c->encrypt("", here).value(), "");
    EXPECT_EQ(c->decrypt("", here).value(), "");
    // Once encryption is on, riskbridge writes nothing in clear: such a value was put there
    // around it, and is not handed out as if it had been sealed.
    auto opened = c->decrypt(applicant, here);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, errc::parse_error);
    EXPECT_EQ(opened.error().message, "not encrypted (a value in clear)");
    EXPECT_FALSE(data_cipher::is_encrypted(applicant));
}

TEST(DataCipher, AValueMovedToAnotherPlaceDoesNotOpen) {
    const auto c = ring({{"k1", key_bytes('k')}});
    auto sealed = c->encrypt(applicant, "jobs.payload/screening/ashby:d3/screening:app-3");
    ASSERT_TRUE(sealed);
    EXPECT_TRUE(c->decrypt(*sealed, "jobs.payload/screening/ashby:d3/screening:app-3"));
    for (const char* elsewhere :
         {"jobs.payload/screening/ashby:d1/screening:app-1",  // another job's row
          "jobs.checkpoint/3",                                // another column
          "quarantine.body/ashby/d3",                         // another table
          "jobs.payload/screening/ashby:d3/screening:app-3 ", ""}) {
        auto opened = c->decrypt(*sealed, elsewhere);
        ASSERT_FALSE(opened.has_value()) << elsewhere;
        EXPECT_EQ(opened.error().code, errc::invalid_argument) << elsewhere;
    }
}

/// An envelope of the first format, as riskbridge wrote them before values were bound to
/// their place: the additional data is the header "enc:v1:<id>:" alone.
std::string seal_v1(const std::string& id, const std::string& key, const std::string& plain) {
    const std::string header = "enc:v1:" + id + ":";
    std::string sealed(12 + plain.size() + 16, '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
    for (int i = 0; i < 12; ++i) {
        nonce[i] = static_cast<unsigned char>(i * 7 + 1);
    }
    unsigned char* out = nonce + 12;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int final_len = 0;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* aad = reinterpret_cast<const unsigned char*>(header.data());
    const auto* in = reinterpret_cast<const unsigned char*>(plain.data());
    const bool ok =
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx, nullptr, nullptr, k, nonce) == 1 &&
        EVP_EncryptUpdate(ctx, nullptr, &len, aad, static_cast<int>(header.size())) == 1 &&
        EVP_EncryptUpdate(ctx, out, &len, in, static_cast<int>(plain.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx, out + len, &final_len) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + plain.size()) == 1;
    EVP_CIPHER_CTX_free(ctx);
    EXPECT_TRUE(ok);
    return header + base64_encode(sealed);
}

TEST(DataCipher, AFirstFormatEnvelopeStillOpensWhereverItIs) {
    // A store written by an earlier version keeps working while its jobs finish and rotate.
    const auto c = ring({{"2026-11", key_bytes('n')}, {"2026-05", key_bytes('o')}});
    const std::string old_value = seal_v1("2026-05", key_bytes('o'), applicant);
    EXPECT_EQ(c->decrypt(old_value, here).value(), applicant);
    EXPECT_EQ(c->decrypt(old_value, "jobs.checkpoint/7").value(), applicant);
    EXPECT_EQ(data_cipher::key_id_of(old_value), "2026-05");
    // Relabelled as the new format it does not open: the version is authenticated too.
    const std::string relabelled = "enc:v2:" + old_value.substr(7);
    EXPECT_EQ(c->decrypt(relabelled, here).error().code, errc::invalid_argument);
    // Still authenticated: one altered digit fails.
    std::string altered = old_value;
    altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_EQ(c->decrypt(altered, here).error().code, errc::invalid_argument);
}

TEST(DataCipher, UnknownKeyIdIsNotFoundAndNamesTheId) {
    const auto old_ring = ring({{"2026-05", key_bytes('o')}});
    const auto new_ring = ring({{"2026-11", key_bytes('n')}});
    auto sealed = old_ring->encrypt(applicant, here);
    ASSERT_TRUE(sealed);
    auto opened = new_ring->decrypt(*sealed, here);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, errc::not_found);
    EXPECT_EQ(opened.error().message, "key id '2026-05' unknown");
}

TEST(DataCipher, TamperingFailsAuthentication) {
    const auto c = ring({{"k1", key_bytes('k')}});
    auto sealed = c->encrypt(applicant, here);
    ASSERT_TRUE(sealed);
    // Flip one base64 digit in the middle of the ciphertext.
    std::string altered = *sealed;
    const std::size_t at = altered.size() / 2;
    altered[at] = altered[at] == 'A' ? 'B' : 'A';
    auto opened = c->decrypt(altered, here);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, errc::invalid_argument);
    EXPECT_NE(opened.error().message.find("authentication failed"), std::string::npos);
    EXPECT_EQ(opened.error().message.find("Zebedee"), std::string::npos);
}

TEST(DataCipher, TheKeyIdIsAuthenticatedToo) {
    // The same key bytes under two ids: relabelling an envelope still fails, the id is AAD.
    const auto c = ring({{"a", key_bytes('k')}, {"b", key_bytes('k')}});
    auto sealed = c->encrypt(applicant, here);
    ASSERT_TRUE(sealed);
    ASSERT_EQ(sealed->rfind("enc:v2:a:", 0), 0U);
    const std::string relabelled = "enc:v2:b:" + sealed->substr(9);
    auto opened = c->decrypt(relabelled, here);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, errc::invalid_argument);
}

TEST(DataCipher, ADifferentKeyUnderTheSameIdFailsAuthentication) {
    const auto writer = ring({{"k1", key_bytes('k')}});
    const auto reader = ring({{"k1", key_bytes('x')}});
    auto sealed = writer->encrypt(applicant, here);
    ASSERT_TRUE(sealed);
    auto opened = reader->decrypt(*sealed, here);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, errc::invalid_argument);
}

TEST(DataCipher, MalformedEnvelopesAreParseErrorsNeverThrows) {
    const auto c = ring({{"k1", key_bytes('k')}});
    auto sealed = c->encrypt(applicant, here);
    ASSERT_TRUE(sealed);
    for (const std::string& bad :
         {std::string("enc:"), std::string("enc:v1"), std::string("enc:v1:"),
          std::string("enc:v3:k1:AAAA"), std::string("enc:v1:k1"), std::string("enc:v1:k1:"),
          std::string("enc:v1:k1:AAAA"), std::string("enc:v1:k 1:AAAA"),
          std::string("enc:v2:k1:AAAA"), std::string("enc:v2:k1:!!!!"),
          std::string("enc:v1:k1:!!!!"), sealed->substr(0, sealed->size() - 1), *sealed + "A"}) {
        auto opened = c->decrypt(bad, here);
        ASSERT_FALSE(opened.has_value()) << bad;
        EXPECT_EQ(opened.error().code, errc::parse_error) << bad;
    }
}

TEST(DataCipher, RotationOldKeyDecryptsNewKeyEncrypts) {
    const auto before = ring({{"2026-05", key_bytes('o')}});
    const auto after = ring({{"2026-11", key_bytes('n')}, {"2026-05", key_bytes('o')}});
    auto old_value = before->encrypt(applicant, here);
    ASSERT_TRUE(old_value);
    EXPECT_EQ(after->decrypt(*old_value, here).value(), applicant);
    EXPECT_EQ(after->active_key_id(), "2026-11");
    auto new_value = after->encrypt(applicant, here);
    ASSERT_TRUE(new_value);
    EXPECT_EQ(data_cipher::key_id_of(*new_value), "2026-11");
    EXPECT_EQ(after->decrypt(*new_value, here).value(), applicant);
    EXPECT_EQ(before->decrypt(*new_value, here).error().code, errc::not_found);
    EXPECT_EQ(after->key_ids(), (std::vector<std::string>{"2026-11", "2026-05"}));
}

TEST(DataCipher, KeyringsAreValidated) {
    EXPECT_EQ(data_cipher::make({}).error().code, errc::invalid_argument);
    const auto short_key = data_cipher::make({{"k1", std::string(31, 'k')}});
    ASSERT_FALSE(short_key.has_value());
    EXPECT_NE(short_key.error().message.find("32 bytes"), std::string::npos);
    EXPECT_FALSE(data_cipher::make({{"k1", std::string(33, 'k')}}).has_value());
    const auto dup = data_cipher::make({{"k1", key_bytes('a')}, {"k1", key_bytes('b')}});
    ASSERT_FALSE(dup.has_value());
    EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos);
    for (const char* id : {"", "has:colon", "has space", "ü"}) {
        EXPECT_FALSE(data_cipher::make({{id, key_bytes('a')}}).has_value()) << id;
    }
    EXPECT_FALSE(data_cipher::make({{std::string(65, 'a'), key_bytes('a')}}).has_value());
    EXPECT_TRUE(data_cipher::make({{"2026-11_a.b", key_bytes('a')}}).has_value());
}

TEST(DataCipher, MadeFromTheConfiguration) {
    config::store_encryption_config cfg;
    cfg.keys = {{"new", config::secret(key_bytes('n'))}, {"old", config::secret(key_bytes('o'))}};
    auto c = make_data_cipher(cfg);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ((*c)->active_key_id(), "new");
    cfg.keys[1].key = config::secret("short");
    EXPECT_FALSE(make_data_cipher(cfg).has_value());
}

TEST(DataCipher, BlindIndexesAreKeyedAndDeterministic) {
    const auto c = ring({{"new", key_bytes('n')}, {"old", key_bytes('o')}});
    const std::string token = "tok-7f3a9c1e5b";
    const std::string a = c->blind_index(token);
    EXPECT_EQ(a, c->blind_index(token));
    EXPECT_EQ(a.rfind("idx:v1:new:", 0), 0U) << a;
    EXPECT_EQ(a.find(token), std::string::npos);
    EXPECT_NE(a, c->blind_index("tok-other"));
    EXPECT_TRUE(data_cipher::is_blind_index(a));
    EXPECT_EQ(c->blind_index(""), "");
    const auto all = c->blind_indexes(token);
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0], a);
    EXPECT_EQ(all[1], ring({{"old", key_bytes('o')}})->blind_index(token));
    // The digest depends on the key, not only on the value.
    EXPECT_NE(ring({{"new", key_bytes('x')}})->blind_index(token), a);
}

/// An allocator that records whether each buffer it takes back holds only zeros.
struct freed_buffers {
    int returned = 0;
    int returned_dirty = 0;
};
template <class T>
struct recording_allocator {
    using value_type = T;
    freed_buffers* log;
    explicit recording_allocator(freed_buffers* l) : log(l) {}
    template <class U>
    recording_allocator(const recording_allocator<U>& o) : log(o.log) {}
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) {
        ++log->returned;
        for (std::size_t i = 0; i < n; ++i) {
            if (p[i] != T()) {
                ++log->returned_dirty;
                break;
            }
        }
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    bool operator==(const recording_allocator<U>& o) const {
        return log == o.log;
    }
};

TEST(Wipe, EveryByteIsZeroBeforeTheBufferGoesBack) {
    using recorded = std::basic_string<char, std::char_traits<char>, recording_allocator<char>>;
    freed_buffers log;
    {
        recorded key{recording_allocator<char>(&log)};
        key.reserve(128);  // one buffer throughout: growing would hand back an unwiped one
        key.assign(key_bytes('k').c_str());
        key.append("and-a-longer-tail");
        key.resize(8);  // what is past the size is still in the buffer
        wipe(key);
        EXPECT_TRUE(key.empty());
    }
    EXPECT_EQ(log.returned, 1);
    EXPECT_EQ(log.returned_dirty, 0);

    // The control: without wipe() the same buffer goes back holding the key.
    freed_buffers control;
    { recorded key(key_bytes('k').c_str(), recording_allocator<char>(&control)); }
    EXPECT_EQ(control.returned, 1);
    EXPECT_EQ(control.returned_dirty, 1);
}

TEST(Wipe, ASecretLeavesNothingBehindWhenMovedFromOrAssignedOver) {
    config::secret a("a-short-pw");
    config::secret b(std::move(a));
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): what is left behind
    EXPECT_EQ(b.reveal(), "a-short-pw");
    config::secret c("another");
    c = b;
    EXPECT_EQ(c.reveal(), "a-short-pw");
    c = config::secret("third");
    EXPECT_EQ(c.reveal(), "third");
}

// What it costs: printed, not asserted (timing assertions are flaky on shared machines).
TEST(DataCipher, CostOfATwoKilobytePayload) {
    const auto c = ring({{"2026-11", key_bytes('k')}});
    std::string payload;
    while (payload.size() < 2048) {
        payload += applicant;
    }
    payload.resize(2048);
    constexpr int rounds = 2000;
    std::string sealed;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; ++i) {
        sealed = c->encrypt(payload, here).value();
    }
    const auto t1 = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (int i = 0; i < rounds; ++i) {
        total += c->decrypt(sealed, here).value().size();
    }
    const auto t2 = std::chrono::steady_clock::now();
    EXPECT_EQ(total, payload.size() * rounds);
    const auto per = [&](auto d) {
        return std::chrono::duration<double, std::micro>(d).count() / rounds;
    };
    std::printf("[ cost     ] 2 KB payload: encrypt %.2f us, decrypt %.2f us, %zu bytes stored\n",
                per(t1 - t0), per(t2 - t1), sealed.size());
}

}  // namespace
}  // namespace riskbridge::security
