// The loader: a full file mapped onto the structs, defaults, every kind of problem with its
// exact line and key path, listen parsing, syntax errors, missing files and the shipped
// example configuration.

#include "riskbridge/config/loader.hpp"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/paths.hpp"
#include "test_helpers.hpp"

namespace riskbridge::config {
namespace {

using namespace std::chrono_literals;
using test::formatted;
using test::load;
using test::required_secrets;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* full_file = R"(server:
  listen: "127.0.0.1:9090"
  threads: 4
  max_body_bytes: 65536
  max_header_bytes: 8192
  read_timeout_ms: 1500
  idle_timeout_ms: 5000
  write_timeout_ms: 2500
  drain_timeout_ms: 7000
  max_connections: 64
ashby:
  api_base_url: "http://127.0.0.1:9001"
  api_key: "ashby-key"
  webhook_secrets: ["new-secret", "old-secret"]
  connect_timeout_ms: 1000
  request_timeout_ms: 2000
  status_custom_field: "cf-123"
riskos:
  api_base_url: "https://riskos.example.test"
  api_key: "riskos-key"
  case_url_base: "https://riskos.example.test/cases"
  api_version: "2025-01-01.orion"
  webhook_auth:
    bearer_tokens: ["tok-1"]
    basic:
      - { username: "riskos", password: "pw-1" }
  workflows: { screening: "wf_screen", document_verification: "wf_docv" }
  docv:
    send_message: false
    language: "fr"
    use_case_key: "uc-1"
    document_type: "passport"
    redirect_url: "https://example.test/done"
    redirect_method: post
    link_in_note: true
    link_lifetime_hours: 48
    expiry_grace_ms: 600000
  connect_timeout_ms: 3000
  request_timeout_ms: 4000
  reconcile_after_ms: 120000
  reconcile_interval_ms: 30000
triggers:
  - { action: applicationSubmit, flow: screening }
  - { action: candidateStageChange, stage: "Offer", flow: document_verification }
consent:
  required: true
  question: "Do you consent?"
  accepted: [true, "Yes", "true"]
  tag: "NO_CONSENT"
tags:
  screening: { ACCEPT: OK_TAG, REJECT: BAD_TAG }
notes:
  notify_on: [REVIEW, REJECT]
  is_private: yes
mapping:
  default_phone_region: "gb"
  default_country: "GB"
  custom_fields:
    - ashby_field: "State"
      riskos_field: "address.state"
      transform: { "New York": "NY" }
  required_fields: [given_name, email]
store:
  postgres_url: "postgresql://rb:pg-password@db/riskbridge"
  postgres_pool_size: 8
  max_pending_writes: 500
  lease_ms: 30000
  retention_days: 7
  encryption: { keys: [{ id: "2026-12", key: "${RISKBRIDGE_DATA_KEY:-0001020304050607080910111213141516171819202122232425262728293031}" }] }
workers:
  threads: 3
  max_attempts: 5
  backoff_base_ms: 200
  backoff_max_ms: 10000
  poll_interval_ms: 50
logging: { level: DEBUG, format: text }
)";

TEST(Loader, FullFileIsMappedOntoTheStructs) {
    const auto r = load(full_file);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const config& c = r.cfg;
    EXPECT_EQ(c.source_path, "f.yaml");

    EXPECT_EQ(c.server.listen, "127.0.0.1:9090");
    EXPECT_EQ(c.server.host, "127.0.0.1");
    EXPECT_EQ(c.server.port, 9090);
    EXPECT_EQ(c.server.threads, 4);
    EXPECT_EQ(c.server.max_body_bytes, 65536u);
    EXPECT_EQ(c.server.max_header_bytes, 8192u);
    EXPECT_EQ(c.server.read_timeout, 1500ms);
    EXPECT_EQ(c.server.idle_timeout, 5000ms);
    EXPECT_EQ(c.server.write_timeout, 2500ms);
    EXPECT_EQ(c.server.drain_timeout, 7000ms);
    EXPECT_EQ(c.server.max_connections, 64);

    EXPECT_EQ(c.ashby.api_base_url, "http://127.0.0.1:9001");
    EXPECT_EQ(c.ashby.api_key.reveal(), "ashby-key");
    ASSERT_EQ(c.ashby.webhook_secrets.size(), 2u);
    EXPECT_EQ(c.ashby.webhook_secrets[0].reveal(), "new-secret");
    EXPECT_EQ(c.ashby.webhook_secrets[1].reveal(), "old-secret");
    EXPECT_EQ(c.ashby.connect_timeout, 1000ms);
    EXPECT_EQ(c.ashby.request_timeout, 2000ms);
    EXPECT_EQ(c.ashby.status_custom_field, std::optional<std::string>("cf-123"));

    EXPECT_EQ(c.riskos.api_base_url, "https://riskos.example.test");
    EXPECT_EQ(c.riskos.api_key.reveal(), "riskos-key");
    EXPECT_EQ(c.riskos.case_url_base, "https://riskos.example.test/cases");
    EXPECT_EQ(c.riskos.api_version, std::optional<std::string>("2025-01-01.orion"));
    ASSERT_EQ(c.riskos.webhook_auth.bearer_tokens.size(), 1u);
    EXPECT_EQ(c.riskos.webhook_auth.bearer_tokens[0].reveal(), "tok-1");
    ASSERT_EQ(c.riskos.webhook_auth.basic.size(), 1u);
    EXPECT_EQ(c.riskos.webhook_auth.basic[0].username, "riskos");
    EXPECT_EQ(c.riskos.webhook_auth.basic[0].password.reveal(), "pw-1");
    EXPECT_EQ(c.riskos.screening_workflow, "wf_screen");
    EXPECT_EQ(c.riskos.document_verification_workflow, "wf_docv");
    EXPECT_FALSE(c.riskos.docv.send_message);
    EXPECT_EQ(c.riskos.docv.language, "fr");
    EXPECT_EQ(c.riskos.docv.use_case_key, std::optional<std::string>("uc-1"));
    EXPECT_EQ(c.riskos.docv.document_type, std::optional<std::string>("passport"));
    EXPECT_EQ(c.riskos.docv.redirect_url, std::optional<std::string>("https://example.test/done"));
    EXPECT_EQ(c.riskos.docv.redirect_method, "POST");
    EXPECT_TRUE(c.riskos.docv.link_in_note);
    EXPECT_EQ(c.riskos.docv.link_lifetime, 48h);
    EXPECT_EQ(c.riskos.docv.expiry_grace, 600000ms);
    EXPECT_EQ(c.riskos.connect_timeout, 3000ms);
    EXPECT_EQ(c.riskos.request_timeout, 4000ms);
    EXPECT_EQ(c.riskos.reconcile_after, 120000ms);
    EXPECT_EQ(c.riskos.reconcile_interval, 30000ms);

    ASSERT_EQ(c.triggers.size(), 2u);
    EXPECT_EQ(c.triggers[0].action, "applicationSubmit");
    EXPECT_EQ(c.triggers[0].stage, std::nullopt);
    EXPECT_EQ(c.triggers[0].flow, flow_kind::screening);
    EXPECT_EQ(c.triggers[1].action, "candidateStageChange");
    EXPECT_EQ(c.triggers[1].stage, std::optional<std::string>("Offer"));
    EXPECT_EQ(c.triggers[1].flow, flow_kind::document_verification);

    EXPECT_TRUE(c.consent.required);
    EXPECT_EQ(c.consent.question, "Do you consent?");
    ASSERT_EQ(c.consent.accepted.size(), 3u);
    EXPECT_EQ(c.consent.accepted[0], (consent_answer{true, true, ""}));
    EXPECT_EQ(c.consent.accepted[1], (consent_answer{false, false, "Yes"}));
    // A quoted "true" is the option's text, not a boolean.
    EXPECT_EQ(c.consent.accepted[2], (consent_answer{false, false, "true"}));
    EXPECT_EQ(c.consent.tag, std::optional<std::string>("NO_CONSENT"));

    // A map given replaces the default map; the other flow keeps its default.
    EXPECT_EQ(c.tags.screening, (tag_map{{"ACCEPT", "OK_TAG"}, {"REJECT", "BAD_TAG"}}));
    EXPECT_EQ(c.tags.document_verification, tags_config{}.document_verification);

    EXPECT_EQ(c.notes.notify_on, (std::vector<std::string>{"REVIEW", "REJECT"}));
    EXPECT_TRUE(c.notes.is_private);

    EXPECT_EQ(c.mapping.default_phone_region, "GB");
    EXPECT_EQ(c.mapping.default_country, "GB");
    ASSERT_EQ(c.mapping.custom_fields.size(), 1u);
    EXPECT_EQ(c.mapping.custom_fields[0].ashby_field, "State");
    EXPECT_EQ(c.mapping.custom_fields[0].riskos_field, "address.state");
    EXPECT_EQ(c.mapping.custom_fields[0].transform,
              (std::map<std::string, std::string>{{"New York", "NY"}}));
    EXPECT_EQ(c.mapping.required_fields, (std::vector<std::string>{"given_name", "email"}));

    EXPECT_EQ(c.store.sqlite_path, std::nullopt);
    ASSERT_TRUE(c.store.postgres_url.has_value());
    EXPECT_EQ(c.store.postgres_url->reveal(), "postgresql://rb:pg-password@db/riskbridge");
    EXPECT_EQ(c.store.postgres_pool_size, 8);
    EXPECT_EQ(c.store.max_pending_writes, 500u);
    EXPECT_EQ(c.store.lease, 30000ms);
    EXPECT_EQ(c.store.retention_days, 7);
    ASSERT_EQ(c.store.encryption.keys.size(), 1u);
    EXPECT_EQ(c.store.encryption.keys[0].id, "2026-12");
    EXPECT_EQ(c.store.encryption.keys[0].key.reveal().size(), 32u);
    EXPECT_FALSE(c.store.allow_unencrypted);

    EXPECT_EQ(c.workers.threads, 3);
    EXPECT_EQ(c.workers.max_attempts, 5);
    EXPECT_EQ(c.workers.backoff_base, 200ms);
    EXPECT_EQ(c.workers.backoff_max, 10000ms);
    EXPECT_EQ(c.workers.poll_interval, 50ms);

    EXPECT_EQ(c.logging.level, "debug");
    EXPECT_EQ(c.logging.format, "text");
}

TEST(Loader, AbsentKeysKeepTheirDefaults) {
    const auto r = load(required_secrets);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const config& c = r.cfg;
    const config d;
    EXPECT_EQ(c.server.listen, "0.0.0.0:8080");
    EXPECT_EQ(c.server.host, "0.0.0.0");
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.server.threads, d.server.threads);
    EXPECT_EQ(c.server.max_body_bytes, d.server.max_body_bytes);
    EXPECT_EQ(c.server.read_timeout, d.server.read_timeout);
    EXPECT_EQ(c.ashby.api_base_url, "https://api.ashbyhq.com");
    EXPECT_EQ(c.ashby.status_custom_field, std::nullopt);
    EXPECT_EQ(c.riskos.api_base_url, "https://riskos.sandbox.socure.com");
    EXPECT_EQ(c.riskos.screening_workflow, "workforce_verification");
    EXPECT_EQ(c.riskos.document_verification_workflow, "workforce_docv");
    EXPECT_TRUE(c.riskos.webhook_auth.basic.empty());
    ASSERT_EQ(c.triggers.size(), 2u);
    EXPECT_EQ(c.triggers[0].action, "applicationSubmit");
    EXPECT_EQ(c.triggers[1].action, "candidateHire");
    EXPECT_EQ(c.triggers[1].flow, flow_kind::document_verification);
    EXPECT_FALSE(c.consent.required);
    ASSERT_EQ(c.consent.accepted.size(), 2u);
    EXPECT_TRUE(c.consent.accepted[0].is_bool);
    EXPECT_TRUE(c.consent.accepted[0].boolean);
    EXPECT_EQ(c.consent.accepted[1].text, "I Consent");
    EXPECT_EQ(c.tags.screening, d.tags.screening);
    EXPECT_EQ(c.tags.document_verification.at("RESUBMIT"), "DOCUMENT_VERIFICATION_REVIEW");
    EXPECT_EQ(c.mapping.required_fields, d.mapping.required_fields);
    EXPECT_EQ(c.store.sqlite_path, std::optional<std::string>("var/riskbridge.db"));
    EXPECT_FALSE(c.store.postgres_url.has_value());
    EXPECT_EQ(c.workers.threads, 16);
    EXPECT_EQ(c.workers.max_attempts, 12);
    EXPECT_EQ(c.logging.level, "info");
    EXPECT_EQ(c.logging.format, "json");
}

TEST(Loader, EmptyFileReportsTheMissingSecrets) {
    const auto r = load("");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:1: ashby.api_key: is required",
                            "f.yaml:1: ashby.webhook_secrets: at least one webhook secret is "
                            "required",
                            "f.yaml:1: riskos.api_key: is required",
                            "f.yaml:1: riskos.webhook_auth: at least one bearer token or basic "
                            "credential is required"));
}

TEST(Loader, MissingSecretsPointAtTheirSection) {
    const auto r = load(
        "server: { threads: 2 }\nashby:\n  api_key: k\nriskos:\n  api_key: \"\"\n"
        "  webhook_auth:\n    bearer_tokens: []\n");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:2: ashby.webhook_secrets: at least one webhook secret is "
                            "required",
                            "f.yaml:5: riskos.api_key: is empty",
                            "f.yaml:6: riskos.webhook_auth: at least one bearer token or basic "
                            "credential is required"));
}

TEST(Loader, EmptyListItemsAndBasicCredentialsAreChecked) {
    const auto r = load(R"(ashby:
  api_key: k
  webhook_secrets:
    - good
    - ""
riskos:
  api_key: k
  webhook_auth:
    basic:
      - { username: "", password: "pw" }
      - { username: "u" }
)");
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:5: ashby.webhook_secrets[1]: is empty",
                                          "f.yaml:10: riskos.webhook_auth.basic[0].username: "
                                          "must not be empty",
                                          "f.yaml:11: riskos.webhook_auth.basic[1].password: "
                                          "is required"));
}

TEST(Loader, BasicCredentialsMayBeWrittenAsUserColonPassword) {
    const auto r = load(
        "ashby: { api_key: k, webhook_secrets: [s] }\n"
        "riskos:\n  api_key: k\n  webhook_auth:\n"
        "    basic: [\"riskos:pw:with:colons\", \"nopassword\", \":pw\", \"user:\"]\n");
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:5: riskos.webhook_auth.basic[1]: expected "
                                          "\"username:password\" or {username, password}",
                                          "f.yaml:5: riskos.webhook_auth.basic[2]: expected "
                                          "\"username:password\" or {username, password}",
                                          "f.yaml:5: riskos.webhook_auth.basic[3]: expected "
                                          "\"username:password\" or {username, password}"));
    ASSERT_EQ(r.cfg.riskos.webhook_auth.basic.size(), 1u);
    EXPECT_EQ(r.cfg.riskos.webhook_auth.basic[0].username, "riskos");
    EXPECT_EQ(r.cfg.riskos.webhook_auth.basic[0].password.reveal(), "pw:with:colons");
}

TEST(Loader, BasicCredentialAloneSatisfiesWebhookAuth) {
    const auto r = load(
        "ashby: { api_key: k, webhook_secrets: [s] }\n"
        "riskos:\n  api_key: k\n  webhook_auth:\n"
        "    basic: [{ username: riskos, password: pw }]\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_TRUE(r.cfg.riskos.webhook_auth.bearer_tokens.empty());
    ASSERT_EQ(r.cfg.riskos.webhook_auth.basic.size(), 1u);
    EXPECT_EQ(r.cfg.riskos.webhook_auth.basic[0].username, "riskos");
}

TEST(Loader, UnknownKeysAreReportedWithTheLineOfTheKey) {
    const auto r = load(required_secrets +
                        "server:\n  listen: \"127.0.0.1:1\"\n  bogus: 1\n"
                        "  threads:\n    nested: 2\nextra_section: {}\n");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:9: server.bogus: unknown key",
                            "f.yaml:11: server.threads: expected a single value, got a mapping",
                            "f.yaml:12: extra_section: unknown key"));
}

TEST(Loader, DuplicateKeysAreReported) {
    const auto r = load(required_secrets + "workers:\n  threads: 2\n  threads: 3\n");
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:9: workers.threads: duplicate key"));
}

TEST(Loader, WrongTypesAreReported) {
    const auto r = load(required_secrets + R"(server:
  threads: many
  max_body_bytes: [1]
workers:
  max_attempts: 2.5
consent:
  required: maybe
  accepted: "I Consent"
mapping:
  required_fields: { a: b }
logging: info
)");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:8: server.threads: expected a whole number, got 'many'",
                            "f.yaml:9: server.max_body_bytes: expected a single value, got a list",
                            "f.yaml:11: workers.max_attempts: expected a whole number, got '2.5'",
                            "f.yaml:13: consent.required: expected true or false",
                            "f.yaml:14: consent.accepted: expected a list, got a single value",
                            "f.yaml:16: mapping.required_fields: expected a list, got a mapping",
                            "f.yaml:17: logging: expected a mapping, got a single value"));
}

TEST(Loader, NumbersOutOfRangeAreReported) {
    const auto r = load(required_secrets + R"(server:
  threads: 0
  max_body_bytes: 0
  read_timeout_ms: 0
  idle_timeout_ms: -5
workers:
  max_attempts: 0
  backoff_base_ms: 5000
  backoff_max_ms: 1000
store:
  retention_days: 0
  postgres_pool_size: 99999999999999999999
  allow_unencrypted: true
)");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:8: server.threads: must be from 1 to 1024 (got 0)",
                            "f.yaml:9: server.max_body_bytes: must be at least 1 (got 0)",
                            "f.yaml:10: server.read_timeout_ms: must be from 1 to 31536000000 "
                            "(got 0)",
                            "f.yaml:11: server.idle_timeout_ms: must be from 1 to 31536000000 "
                            "(got -5)",
                            "f.yaml:13: workers.max_attempts: must be from 1 to 1000 (got 0)",
                            "f.yaml:14: workers.backoff_base_ms: backoff_base_ms (5000) must not "
                            "exceed backoff_max_ms (1000)",
                            "f.yaml:17: store.retention_days: must be from 1 to 36500 (got 0)",
                            "f.yaml:18: store.postgres_pool_size: must be from 1 to 1000 (got "
                            "99999999999999999999)"));
}

TEST(Loader, SmallBodyLimitsAndImmediateRetriesAreAllowed) {
    const auto r = load(required_secrets +
                        "server: { max_body_bytes: 256 }\n"
                        "workers: { backoff_base_ms: 0, backoff_max_ms: 0 }\n");
    EXPECT_THAT(formatted(r), ElementsAre());
    EXPECT_EQ(r.cfg.server.max_body_bytes, 256u);
    EXPECT_EQ(r.cfg.workers.backoff_base, std::chrono::milliseconds(0));
    EXPECT_EQ(r.cfg.workers.backoff_max, std::chrono::milliseconds(0));
}

TEST(Loader, BackoffBaseAboveTheDefaultMaxIsReported) {
    const auto r = load(required_secrets + "workers: { backoff_base_ms: 7200000 }\n");
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:7: workers.backoff_base_ms: backoff_base_ms "
                                          "(7200000) must not exceed backoff_max_ms (3600000)"));
}

TEST(Loader, TriggersWithUnknownActionsOrFlowsAreReported) {
    const auto r = load(required_secrets + R"(triggers:
  - { action: applicationSubmit, flow: screening }
  - { action: candidateHired, flow: screening }
  - action: candidateHire
    flow: docv
  - { stage: Offer }
  - just-a-string
)");
    EXPECT_THAT(
        formatted(r),
        ElementsAre("f.yaml:9: triggers[1].action: unknown Ashby webhook action 'candidateHired'",
                    "f.yaml:11: triggers[2].flow: unknown flow 'docv' (expected screening or "
                    "document_verification)",
                    "f.yaml:12: triggers[3].action: is required",
                    "f.yaml:12: triggers[3].flow: is required",
                    "f.yaml:13: triggers[4]: expected a mapping, got a single value"));
    // Only the valid trigger is kept.
    ASSERT_EQ(r.cfg.triggers.size(), 1u);
}

TEST(Loader, TriggersGivenReplaceTheDefaults) {
    const auto r = load(required_secrets +
                        "triggers:\n  - { action: candidateStageChange, "
                        "stage: offer, flow: document_verification }\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    ASSERT_EQ(r.cfg.triggers.size(), 1u);
    EXPECT_EQ(r.cfg.triggers[0].action, "candidateStageChange");
    EXPECT_EQ(r.cfg.triggers[0].stage, std::optional<std::string>("offer"));
}

TEST(Loader, BadTagMapsAreReported) {
    const auto r = load(required_secrets + R"(tags:
  screening:
    accept: LOW
    REVIEW: ""
    REJECT:
  document_verification: [ACCEPT]
  other: {}
)");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:9: tags.screening.accept: 'accept' is not an UPPER_CASE "
                            "decision such as ACCEPT or REJECT",
                            "f.yaml:10: tags.screening.REVIEW: tag title must not be empty",
                            "f.yaml:11: tags.screening.REJECT: tag title must not be empty",
                            "f.yaml:12: tags.document_verification: expected a mapping, got a "
                            "list",
                            "f.yaml:13: tags.other: unknown key"));
}

TEST(Loader, UrlsMustBeHttp) {
    const auto r2 = load(R"y(ashby:
  api_base_url: "ftp://x"
  api_key: k
  webhook_secrets: [s]
riskos:
  api_base_url: "http://"
  case_url_base: "riskos.socure.com/cases"
  api_key: k
  webhook_auth: { bearer_tokens: [t] }
  docv: { redirect_url: "javascript:alert(1)" }
)y");
    EXPECT_THAT(formatted(r2),
                ElementsAre("f.yaml:2: ashby.api_base_url: must be an http:// or https:// URL",
                            "f.yaml:6: riskos.api_base_url: must be an http:// or https:// URL",
                            "f.yaml:7: riskos.case_url_base: must be an http:// or https:// URL",
                            "f.yaml:10: riskos.docv.redirect_url: must be an http:// or https:// "
                            "URL"));
}

TEST(Loader, LoggingLevelAndFormatAreChecked) {
    const auto r = load(required_secrets + "logging:\n  level: verbose\n  format: xml\n");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:8: logging.level: must be one of trace, debug, info, warn, "
                            "error, critical, off",
                            "f.yaml:9: logging.format: must be json or text"));
}

TEST(Loader, StoreNeedsExactlyOneBackend) {
    const auto both = load(required_secrets +
                           "store:\n  sqlite_path: a.db\n  postgres_url: postgresql://h/db\n"
                           "  allow_unencrypted: true\n");
    EXPECT_THAT(formatted(both),
                ElementsAre("f.yaml:9: store: set exactly one of sqlite_path or postgres_url, "
                            "not both"));

    const auto neither =
        load(required_secrets + "store:\n  sqlite_path: \"\"\n  allow_unencrypted: true\n");
    EXPECT_THAT(formatted(neither),
                ElementsAre("f.yaml:8: store: set exactly one of sqlite_path or postgres_url "
                            "(both are empty)"));

    const auto pg =
        load(required_secrets +
             "store: { postgres_url: \"postgresql://h/db\", allow_unencrypted: true }\n");
    ASSERT_TRUE(pg.ok()) << ::testing::PrintToString(formatted(pg));
    EXPECT_EQ(pg.cfg.store.sqlite_path, std::nullopt);
    EXPECT_EQ(pg.cfg.store.postgres_url->reveal(), "postgresql://h/db");

    // An optional variable left empty falls back to the SQLite file that is also given.
    const auto fallback = load(
        required_secrets +
        "store:\n  sqlite_path: x.db\n  postgres_url: \"${PG:-}\"\n  allow_unencrypted: true\n");
    ASSERT_TRUE(fallback.ok()) << ::testing::PrintToString(formatted(fallback));
    EXPECT_EQ(fallback.cfg.store.sqlite_path, std::optional<std::string>("x.db"));
    EXPECT_FALSE(fallback.cfg.store.postgres_url.has_value());
}

TEST(Loader, EmptyWorkflowNamesAndOtherEmptyStringsAreReported) {
    const auto r = load(required_secrets + R"(  workflows:
    screening: ""
    document_verification:
  docv: { language: "", redirect_method: PUT, link_lifetime_hours: 0, expiry_grace_ms: 0 }
mapping:
  default_phone_region: USA
  default_country: "1"
  custom_fields:
    - { ashby_field: State }
    - { ashby_field: Zip, riskos_field: "address..zip" }
notes: { notify_on: [review] }
)");
    EXPECT_THAT(
        formatted(r),
        ElementsAre("f.yaml:8: riskos.workflows.screening: must not be empty",
                    "f.yaml:9: riskos.workflows.document_verification: must not be empty",
                    "f.yaml:10: riskos.docv.language: must not be empty",
                    "f.yaml:10: riskos.docv.redirect_method: must be GET or POST",
                    "f.yaml:10: riskos.docv.link_lifetime_hours: must be from 1 to 8760 (got 0)",
                    "f.yaml:10: riskos.docv.expiry_grace_ms: must be from 1 to 31536000000 "
                    "(got 0)",
                    "f.yaml:12: mapping.default_phone_region: must be a two-letter country code "
                    "such as US",
                    "f.yaml:13: mapping.default_country: must be a two-letter country code such "
                    "as US",
                    "f.yaml:15: mapping.custom_fields[0].riskos_field: is required",
                    "f.yaml:16: mapping.custom_fields[1].riskos_field: must be a dotted field "
                    "path such as address.postal_code",
                    "f.yaml:17: notes.notify_on[0]: expected an UPPER_CASE decision such as "
                    "ACCEPT, got 'review'"));
}

TEST(Loader, ConsentRequiredNeedsAcceptedAnswers) {
    const auto r = load(required_secrets + "consent:\n  required: true\n  accepted: []\n");
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:9: consent.accepted: must list at least one "
                                          "accepted answer when consent.required is true"));
}

TEST(Loader, SeveralErrorsInOneFileAreAllReportedInLineOrder) {
    const auto r = load(R"(server:
  listen: "nonsense"
  bogus: 1
ashby:
  webhook_secrets: []
riskos:
  api_key: k
  webhook_auth: { bearer_tokens: [t] }
workers: { threads: 0 }
logging: { level: loud }
)");
    EXPECT_THAT(
        formatted(r),
        ElementsAre("f.yaml:2: server.listen: missing port; expected host:port, e.g. 0.0.0.0:8080",
                    "f.yaml:3: server.bogus: unknown key", "f.yaml:4: ashby.api_key: is required",
                    "f.yaml:5: ashby.webhook_secrets: at least one webhook secret is required",
                    "f.yaml:9: workers.threads: must be from 1 to 1024 (got 0)",
                    "f.yaml:10: logging.level: must be one of trace, debug, info, warn, error, "
                    "critical, off"));
}

TEST(Loader, RequiredFieldsMustBeFieldsTheMappingFills) {
    const auto r = load(required_secrets + R"(mapping:
  custom_fields:
    - { ashby_field: "Postal Code", riskos_field: address.postal_code }
  required_fields:
    - given_name
    - phone
    - address.postal_code
    - address.locality
    - dob
)");
    EXPECT_THAT(formatted(r),
                ElementsAre(AllOf(HasSubstr("f.yaml:12: mapping.required_fields[1]: expected a "
                                            "field the mapping fills (given_name"),
                                  HasSubstr("got 'phone'")),
                            AllOf(HasSubstr("f.yaml:15: mapping.required_fields[4]: expected"),
                                  HasSubstr("got 'dob'"))));
}

TEST(Loader, AQuotedValueLeftOpenIsNamedNotSwallowed) {
    // Without its closing quote the value would run on over the keys below it.
    const auto r = load("server:\n  listen: \"127.0.0.1:8080\n  threads: 2\n" + required_secrets);
    EXPECT_THAT(formatted(r),
                Contains("f.yaml:2: server.listen: a quoted value runs over several lines: is its "
                         "closing quote missing?"));

    // Quotes inside values, escaped or doubled, and closed values are fine.
    const auto ok = load(required_secrets +
                         "server:\n  listen: \"127.0.0.1:8080\"\n"
                         "consent:\n  question: 'I \'\'agree\'\' to \"checks\"'\n"
                         "  accepted: [\"say \\\"yes\\\"\"]\n");
    EXPECT_TRUE(ok.ok()) << (ok.problems.empty() ? "" : format_problem(ok.problems[0]));
    EXPECT_EQ(ok.cfg.consent.question, "I 'agree' to \"checks\"");
}

TEST(Loader, TopLevelMustBeAMapping) {
    const auto r = load("- a\n- b\n");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:1: config: expected a mapping of sections at the top level, "
                            "got a list"));
}

TEST(Loader, SyntaxErrorIsReportedWithItsLineAndTheKeyItSitsUnder) {
    // As written: nothing appended after the broken line (see test::load).
    const auto load = [](const std::string& text) {
        return load_config_text(text, "f.yaml", test::no_env());
    };
    const auto r = load(required_secrets + "server:\n  listen: [\"a\"\n  threads: 2\n");
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].line, 9);
    EXPECT_EQ(r.problems[0].key_path, "server.threads");
    EXPECT_THAT(format_problem(r.problems[0]),
                HasSubstr("f.yaml:9: server.threads: YAML syntax error: "));

    const auto bad_indent = load("ashby:\n  api_key: k\n bad: 1\n");
    ASSERT_EQ(bad_indent.problems.size(), 1u);
    EXPECT_EQ(format_problem(bad_indent.problems[0]),
              "f.yaml:3: ashby.bad: YAML syntax error: end of map not found");

    // A flow collection left open on the section's own line; list items; before any key.
    EXPECT_EQ(load("server: {listen: [1,2}\n").problems.at(0).key_path, "server");
    EXPECT_EQ(load("triggers:\n  - action: a\n    flow: [x\n").problems.at(0).key_path,
              "triggers.flow");
    EXPECT_EQ(load("[\n").problems.at(0).key_path, "config");
}

TEST(Loader, MissingFileIsOneProblemOnTheFirstLine) {
    testing::temp_dir dir;
    const std::string path = dir.file("absent.yaml");
    const auto r = load_config(path, test::no_env());
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].line, 1);
    EXPECT_EQ(format_problem(r.problems[0]), path + ":1: config: cannot read file");

    // A directory cannot be read as a file either.
    const auto d = load_config(dir.path().string(), test::no_env());
    ASSERT_EQ(d.problems.size(), 1u);
    EXPECT_EQ(d.problems[0].message, "cannot read file");
}

TEST(Loader, LoadsAFileFromDiskWithItsPathInMessages) {
    testing::temp_dir dir;
    const std::string path = dir.file("rb.yaml");
    std::ofstream(path) << required_secrets << "workers: { threads: -1 }\n"
                        << "store: { allow_unencrypted: true }\n";
    const auto r = load_config(path, test::no_env());
    EXPECT_THAT(formatted(r),
                ElementsAre(path + ":7: workers.threads: must be from 1 to 1024 (got -1)"));
    EXPECT_EQ(r.cfg.source_path, path);
}

TEST(FormatProblem, FileLineKeyAndMessage) {
    EXPECT_EQ(format_problem({"a.yaml", 3, "server.listen", "bad"}),
              "a.yaml:3: server.listen: bad");
    EXPECT_EQ(format_problem({"a.yaml", 1, "config", "cannot read file"}),
              "a.yaml:1: config: cannot read file");
}

// ---- listen --------------------------------------------------------------------------------

struct listen_case {
    std::string listen;
    std::string host;
    int port;
};

class ListenValid : public ::testing::TestWithParam<listen_case> {};

TEST_P(ListenValid, IsParsedIntoHostAndPort) {
    const auto& c = GetParam();
    const auto r = load(required_secrets + "server: { listen: \"" + c.listen + "\" }\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.server.listen, c.listen);
    EXPECT_EQ(r.cfg.server.host, c.host);
    EXPECT_EQ(r.cfg.server.port, c.port);
}

INSTANTIATE_TEST_SUITE_P(Loader, ListenValid,
                         ::testing::Values(listen_case{"127.0.0.1:8080", "127.0.0.1", 8080},
                                           listen_case{"0.0.0.0:0", "0.0.0.0", 0},
                                           listen_case{"[::1]:8080", "::1", 8080},
                                           listen_case{"[::]:65535", "::", 65535},
                                           listen_case{"localhost:9000", "localhost", 9000},
                                           listen_case{"riskbridge-1.internal.example:443",
                                                       "riskbridge-1.internal.example", 443}));

struct listen_error {
    std::string listen;
    std::string message;
};

class ListenInvalid : public ::testing::TestWithParam<listen_error> {};

TEST_P(ListenInvalid, IsReportedAtItsLine) {
    const auto& c = GetParam();
    const auto r = load(required_secrets + "server:\n  listen: \"" + c.listen + "\"\n");
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:8: server.listen: " + c.message));
    EXPECT_EQ(r.cfg.server.port, 8080);  // unchanged
}

INSTANTIATE_TEST_SUITE_P(
    Loader, ListenInvalid,
    ::testing::Values(
        listen_error{"127.0.0.1", "missing port; expected host:port, e.g. 0.0.0.0:8080"},
        listen_error{"127.0.0.1:", "port must be a number from 0 to 65535"},
        listen_error{"127.0.0.1:65536", "port must be a number from 0 to 65535"},
        listen_error{"127.0.0.1:-1", "port must be a number from 0 to 65535"},
        listen_error{"127.0.0.1:http", "port must be a number from 0 to 65535"},
        listen_error{":8080", "missing host; expected host:port, e.g. 0.0.0.0:8080"},
        listen_error{"::1:8080", "an IPv6 address must be in brackets, e.g. [::1]:8080"},
        listen_error{"[::1]", "missing port; expected [address]:port, e.g. [::1]:8080"},
        listen_error{"[::1:8080", "missing ']' after the IPv6 address; expected [address]:port"},
        listen_error{"[not-v6]:80", "host is not a valid IPv6 address"},
        listen_error{"300.1.2.3:80", "host is neither an IP address nor a valid hostname"},
        listen_error{"bad_host!:80", "host is neither an IP address nor a valid hostname"},
        listen_error{"-lead.example:80", "host is neither an IP address nor a valid hostname"}));

// ---- the shipped configurations ------------------------------------------------------------

TEST(ShippedConfig, ExampleLoadsCleanWithTheFiveVariables) {
    const std::string path = testing::source_dir() + "/config/riskbridge.example.yaml";
    const auto r = load_config(
        path,
        test::env_of({{"ASHBY_API_KEY", "a-key"},
                      {"ASHBY_WEBHOOK_SECRET", "a-secret"},
                      {"RISKOS_API_KEY", "r-key"},
                      {"RISKOS_WEBHOOK_TOKEN", "r-token"},
                      {"RISKBRIDGE_DATA_KEY", "dGVzdC1vbmx5LWtleS1uZXZlci1pbi1wcm9kLTAwMDE="}}));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.ashby.api_key.reveal(), "a-key");
    ASSERT_EQ(r.cfg.ashby.webhook_secrets.size(), 1u);
    EXPECT_EQ(r.cfg.ashby.webhook_secrets[0].reveal(), "a-secret");
    EXPECT_EQ(r.cfg.riskos.api_key.reveal(), "r-key");
    EXPECT_EQ(r.cfg.riskos.webhook_auth.bearer_tokens.at(0).reveal(), "r-token");
    // The example documents the defaults: its values equal a default-constructed config's.
    const config d;
    EXPECT_EQ(r.cfg.server.listen, d.server.listen);
    EXPECT_EQ(r.cfg.server.max_header_bytes, d.server.max_header_bytes);
    EXPECT_EQ(r.cfg.riskos.reconcile_after, d.riskos.reconcile_after);
    EXPECT_EQ(r.cfg.riskos.docv.link_lifetime, d.riskos.docv.link_lifetime);
    EXPECT_EQ(r.cfg.riskos.docv.expiry_grace, d.riskos.docv.expiry_grace);
    EXPECT_EQ(r.cfg.riskos.docv.reissue_on_expiry, d.riskos.docv.reissue_on_expiry);
    EXPECT_EQ(r.cfg.riskos.docv.remind_after, d.riskos.docv.remind_after);
    EXPECT_EQ(r.cfg.riskos.event_aliases, d.riskos.event_aliases);
    EXPECT_EQ(r.cfg.ashby.fraud_status, d.ashby.fraud_status);
    EXPECT_EQ(r.cfg.consent.accepted, d.consent.accepted);
    EXPECT_EQ(r.cfg.tags.screening, d.tags.screening);
    EXPECT_EQ(r.cfg.tags.document_verification, d.tags.document_verification);
    EXPECT_EQ(r.cfg.mapping.required_fields, d.mapping.required_fields);
    EXPECT_EQ(r.cfg.workers.backoff_max, d.workers.backoff_max);
    EXPECT_EQ(r.cfg.store.sqlite_path, d.store.sqlite_path);
    EXPECT_TRUE(r.cfg.store.encryption.enabled());
    EXPECT_EQ(r.cfg.store.allow_unencrypted, d.store.allow_unencrypted);
}

TEST(ShippedConfig, ExampleWithoutTheVariablesNamesEachOne) {
    const std::string path = testing::source_dir() + "/config/riskbridge.example.yaml";
    const auto r = load_config(path, test::no_env());
    ASSERT_EQ(r.problems.size(), 5u) << ::testing::PrintToString(formatted(r));
    EXPECT_THAT(r.problems[0].message, HasSubstr("ASHBY_API_KEY is not set"));
    EXPECT_EQ(r.problems[0].key_path, "ashby.api_key");
    EXPECT_EQ(r.problems[1].key_path, "ashby.webhook_secrets[0]");
    EXPECT_EQ(r.problems[2].key_path, "riskos.api_key");
    EXPECT_EQ(r.problems[3].key_path, "riskos.webhook_auth.bearer_tokens[0]");
    EXPECT_THAT(r.problems[4].message, HasSubstr("RISKBRIDGE_DATA_KEY is not set"));
    EXPECT_EQ(r.problems[4].key_path, "store.encryption.keys[0].key");
}

TEST(ShippedConfig, TestConfigLoadsWithNoEnvironment) {
    const auto r = load_config(testing::source_dir() + "/config/test.yaml", test::no_env());
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.server.host, "127.0.0.1");
    EXPECT_EQ(r.cfg.server.port, 8080);
    EXPECT_EQ(r.cfg.store.sqlite_path, std::optional<std::string>("var/riskbridge.db"));
    EXPECT_FALSE(r.cfg.ashby.api_key.empty());
    EXPECT_TRUE(r.cfg.store.encryption.enabled());
}

}  // namespace
}  // namespace riskbridge::config
