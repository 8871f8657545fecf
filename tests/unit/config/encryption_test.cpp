// store.encryption: keys read from the environment, decoded from base64 or hex, validated
// (32 bytes, ids, duplicates) with FILE:LINE: key.path problems, and redacted in the dump.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "riskbridge/config/loader.hpp"
#include "test_helpers.hpp"

namespace riskbridge::config {
namespace {

using test::env_of;
using test::formatted;
using test::load;
using test::no_env;
using test::required_secrets;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// 32 bytes 0x00..0x1f, as base64 and as hex.
constexpr const char* key_b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string expected_bytes() {
    std::string out;
    for (int i = 0; i < 32; ++i) {
        out.push_back(static_cast<char>(i));
    }
    return out;
}

constexpr const char* required_message =
    "store.encryption: is required: the store holds applicants' personal data. Add keys: "
    "[{id: \"1\", key: \"${RISKBRIDGE_DATA_KEY}\"}] with a key made by `openssl rand -base64 "
    "32`, or set store.allow_unencrypted: true to keep it in clear";

TEST(Encryption, RequiredUnlessUnencryptedIsAllowedExplicitly) {
    // No store section at all: the problem is on line 1, as the file has no line for it.
    const auto absent = load_config_text(required_secrets, "f.yaml", no_env());
    EXPECT_THAT(formatted(absent), ElementsAre(std::string("f.yaml:1: ") + required_message));
    const auto no_key =
        load_config_text(required_secrets + "store:\n  sqlite_path: a.db\n", "f.yaml", no_env());
    EXPECT_THAT(formatted(no_key), ElementsAre(std::string("f.yaml:7: ") + required_message));
    const auto null =
        load_config_text(required_secrets + "store: { encryption: ~ }\n", "f.yaml", no_env());
    EXPECT_THAT(formatted(null), ElementsAre(std::string("f.yaml:7: ") + required_message));

    for (const char* allowed : {"store: { allow_unencrypted: true }\n",
                                "store: { encryption: ~, allow_unencrypted: yes }\n"}) {
        const auto r = load_config_text(required_secrets + allowed, "f.yaml", no_env());
        ASSERT_TRUE(r.ok()) << allowed << ::testing::PrintToString(formatted(r));
        EXPECT_FALSE(r.cfg.store.encryption.enabled());
        EXPECT_TRUE(r.cfg.store.allow_unencrypted);
    }
    const auto refused = load_config_text(
        required_secrets + "store: { allow_unencrypted: false }\n", "f.yaml", no_env());
    EXPECT_THAT(formatted(refused), ElementsAre(std::string("f.yaml:7: ") + required_message));
    const auto typo = load_config_text(required_secrets + "store: { allow_unencrypted: maybe }\n",
                                       "f.yaml", no_env());
    EXPECT_THAT(formatted(typo),
                ElementsAre("f.yaml:7: store.allow_unencrypted: expected true or false",
                            std::string("f.yaml:7: ") + required_message));
    // A key that is there but wrong is one problem, not two.
    const auto bad_key = load_config_text(
        required_secrets + "store:\n  encryption: { keys: [{id: a, key: short}] }\n", "f.yaml",
        no_env());
    ASSERT_EQ(bad_key.problems.size(), 1U) << ::testing::PrintToString(formatted(bad_key));
    EXPECT_EQ(bad_key.problems[0].key_path, "store.encryption.keys[0].key");
}

TEST(Encryption, KeysFromTheEnvironmentInBase64OrHexFirstIsActive) {
    const auto r = load(required_secrets + R"(store:
  encryption:
    keys:
      - { id: "2026-11", key: "${RISKBRIDGE_DATA_KEY}" }
      - { id: "2026-05", key: "${OLD_KEY}" }
      - { id: unpadded, key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" }
)",
                        env_of({{"RISKBRIDGE_DATA_KEY", key_b64}, {"OLD_KEY", key_hex}}));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const auto& keys = r.cfg.store.encryption.keys;
    ASSERT_EQ(keys.size(), 3U);
    EXPECT_EQ(keys[0].id, "2026-11");
    EXPECT_EQ(keys[0].key.reveal(), expected_bytes());
    EXPECT_EQ(keys[1].id, "2026-05");
    EXPECT_EQ(keys[1].key.reveal(), expected_bytes());
    EXPECT_EQ(keys[2].key.reveal(), expected_bytes());
    EXPECT_TRUE(r.cfg.store.encryption.enabled());
}

TEST(Encryption, BadKeysAreProblemsWithLineAndPathAndNoValue) {
    const auto r =
        load(required_secrets + R"(store:
  encryption:
    keys:
      - { id: "a", key: "c2hvcnQ=" }
      - { id: "a", key: ")" +
                 std::string(key_hex) + R"(" }
      - { id: "has:colon", key: "${K}" }
      - { key: ")" +
                 std::string(key_b64) + R"(" }
      - { id: "b" }
      - { id: "c", key: "${UNSET}" }
      - { id: "d", key: "not base64 at all!" }
      - { id: "e", key: "" }
)",
             env_of({{"K", "0123456789abcdef0123456789abcdef0123456789abcdef012345678"}}));
    EXPECT_THAT(
        formatted(r),
        ElementsAre("f.yaml:10: store.encryption.keys[0].key: must be 32 bytes written as base64 "
                    "(44 characters, e.g. from `openssl rand -base64 32`) or as 64 hex digits",
                    "f.yaml:11: store.encryption.keys[1].id: duplicate key id (also the id of "
                    "store.encryption.keys[0])",
                    "f.yaml:12: store.encryption.keys[2].id: must be 1 to 64 letters, digits, "
                    "'.', '_' or '-'",
                    "f.yaml:12: store.encryption.keys[2].key: must be 32 bytes written as base64 "
                    "(44 characters, e.g. from `openssl rand -base64 32`) or as 64 hex digits",
                    "f.yaml:13: store.encryption.keys[3].id: is required",
                    "f.yaml:14: store.encryption.keys[4].key: is required",
                    "f.yaml:15: store.encryption.keys[5].key: environment variable UNSET is not "
                    "set",
                    "f.yaml:16: store.encryption.keys[6].key: must be 32 bytes written as base64 "
                    "(44 characters, e.g. from `openssl rand -base64 32`) or as 64 hex digits",
                    "f.yaml:17: store.encryption.keys[7].key: is empty"));
    EXPECT_FALSE(r.cfg.store.encryption.enabled());
    for (const auto& line : formatted(r)) {
        EXPECT_THAT(line, Not(HasSubstr("c2hvcnQ")));
        EXPECT_THAT(line, Not(HasSubstr("0123456789abcdef")));
    }
}

TEST(Encryption, AnEncryptionSectionNeedsAKey) {
    EXPECT_THAT(formatted(load(required_secrets + "store:\n  encryption: { keys: [] }\n")),
                ElementsAre(HasSubstr("f.yaml:8: store.encryption.keys: at least one key is "
                                      "required")));
    EXPECT_THAT(formatted(load(required_secrets + "store:\n  encryption: {}\n")),
                ElementsAre(HasSubstr("f.yaml:8: store.encryption.keys: at least one key")));
    EXPECT_THAT(formatted(load(required_secrets + "store:\n  encryption: { key: x }\n")),
                ::testing::Contains(HasSubstr("store.encryption.key: unknown key")));
}

TEST(Encryption, TheDumpShowsIdsAndRedactsKeys) {
    const auto r = load(required_secrets + R"(store:
  encryption: { keys: [{ id: "2026-11", key: "${RISKBRIDGE_DATA_KEY}" }] }
)",
                        env_of({{"RISKBRIDGE_DATA_KEY", key_b64}}));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const std::string dump = redacted_dump(r.cfg);
    EXPECT_THAT(dump, HasSubstr("encryption:"));
    EXPECT_THAT(dump, HasSubstr("id: \"2026-11\""));
    EXPECT_THAT(dump, HasSubstr("key: \"<redacted>\""));
    EXPECT_THAT(dump, Not(HasSubstr(key_b64)));
    EXPECT_THAT(dump, Not(HasSubstr("AAECAwQF")));

    // Off: the dump says so and loads back.
    const auto off = load(required_secrets);
    const std::string off_dump = redacted_dump(off.cfg);
    EXPECT_THAT(off_dump, HasSubstr("encryption: ~"));
    const auto again = load(off_dump);
    EXPECT_TRUE(again.ok()) << ::testing::PrintToString(formatted(again));
    EXPECT_FALSE(again.cfg.store.encryption.enabled());
}

}  // namespace
}  // namespace riskbridge::config
