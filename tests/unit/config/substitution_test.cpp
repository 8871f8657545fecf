// `${VAR}` substitution, secrets kept out of messages and dumps, and the redacted dump.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "riskbridge/config/loader.hpp"
#include "test_helpers.hpp"

namespace riskbridge::config {
namespace {

using namespace std::chrono_literals;
using test::env_of;
using test::formatted;
using test::load;
using test::required_secrets;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* env_file = R"(ashby:
  api_key: "${ASHBY_API_KEY}"
  webhook_secrets: ["${SECRET_A}", "${SECRET_B:-fallback-secret}"]
riskos:
  api_key: "${RISKOS_API_KEY}"
  webhook_auth: { bearer_tokens: ["${TOKEN}"] }
)";

TEST(Substitution, ReplacesVariablesAndUsesDefaults) {
    const auto r = load(env_file, env_of({{"ASHBY_API_KEY", "ak"},
                                          {"SECRET_A", "sa"},
                                          {"RISKOS_API_KEY", "rk"},
                                          {"TOKEN", "tk"}}));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.ashby.api_key.reveal(), "ak");
    ASSERT_EQ(r.cfg.ashby.webhook_secrets.size(), 2u);
    EXPECT_EQ(r.cfg.ashby.webhook_secrets[0].reveal(), "sa");
    EXPECT_EQ(r.cfg.ashby.webhook_secrets[1].reveal(), "fallback-secret");
    EXPECT_EQ(r.cfg.riskos.api_key.reveal(), "rk");
    EXPECT_EQ(r.cfg.riskos.webhook_auth.bearer_tokens[0].reveal(), "tk");
}

TEST(Substitution, SetVariableWinsOverTheDefault) {
    const auto r = load(env_file, env_of({{"ASHBY_API_KEY", "ak"},
                                          {"SECRET_A", "sa"},
                                          {"SECRET_B", "sb"},
                                          {"RISKOS_API_KEY", "rk"},
                                          {"TOKEN", "tk"}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.cfg.ashby.webhook_secrets[1].reveal(), "sb");
}

TEST(Substitution, UnsetVariablesAreReportedWithLineAndKey) {
    const auto r = load(env_file, env_of({{"SECRET_A", "sa"}, {"RISKOS_API_KEY", "rk"}}));
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:2: ashby.api_key: environment variable ASHBY_API_KEY is not "
                            "set",
                            "f.yaml:6: riskos.webhook_auth.bearer_tokens[0]: environment "
                            "variable TOKEN is not set"));
}

TEST(Substitution, EmptyVariableMakesAnEmptySecret) {
    const auto r = load(
        env_file,
        env_of(
            {{"ASHBY_API_KEY", ""}, {"SECRET_A", ""}, {"RISKOS_API_KEY", "rk"}, {"TOKEN", "tk"}}));
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:2: ashby.api_key: is empty",
                                          "f.yaml:3: ashby.webhook_secrets[0]: is empty"));
}

TEST(Substitution, EmptyVariableTakesTheDefault) {
    const auto r = load(required_secrets + "logging: { level: \"${LEVEL:-warn}\" }\n",
                        env_of({{"LEVEL", ""}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.cfg.logging.level, "warn");
}

TEST(Substitution, WorksInsideLongerValuesAndForNumbers) {
    const auto r = load(required_secrets + R"(server:
  listen: "${HOST:-127.0.0.1}:${PORT}"
  threads: ${THREADS:-3}
riskos:
  api_base_url: "https://${RISKOS_HOST}/v1"
)",
                        env_of({{"PORT", "9191"}, {"RISKOS_HOST", "riskos.example.test"}}));
    // The appended riskos section is a duplicate; everything else substituted.
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:10: riskos: duplicate key"));
    EXPECT_EQ(r.cfg.server.listen, "127.0.0.1:9191");
    EXPECT_EQ(r.cfg.server.port, 9191);
    EXPECT_EQ(r.cfg.server.threads, 3);

    const auto url = load(R"(ashby: { api_key: k, webhook_secrets: [s] }
riskos:
  api_base_url: "https://${RISKOS_HOST}/v1"
  api_key: k
  webhook_auth: { bearer_tokens: [t] }
)",
                          env_of({{"RISKOS_HOST", "riskos.example.test"}}));
    ASSERT_TRUE(url.ok()) << ::testing::PrintToString(formatted(url));
    EXPECT_EQ(url.cfg.riskos.api_base_url, "https://riskos.example.test/v1");
}

TEST(Substitution, EveryUnsetVariableInOneValueIsReported) {
    const auto r = load(required_secrets + "server: { listen: \"${H}:${P}\" }\n");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:7: server.listen: environment variable H is not set",
                            "f.yaml:7: server.listen: environment variable P is not set"));
}

TEST(Substitution, MalformedReferencesAreReported) {
    const auto r = load(required_secrets + R"(logging:
  level: "${unterminated"
  format: "${1BAD}"
notes:
  notify_on: ["${}"]
)");
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:8: logging.level: unterminated ${ in value",
                            "f.yaml:9: logging.format: invalid environment variable reference "
                            "(expected ${NAME} or ${NAME:-default})",
                            "f.yaml:11: notes.notify_on[0]: invalid environment variable "
                            "reference (expected ${NAME} or ${NAME:-default})"));
}

TEST(Substitution, LoneDollarSignsAreKeptLiterally) {
    const auto r = load(required_secrets + "consent: { question: \"Pay $5 {now}?\" }\n");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.cfg.consent.question, "Pay $5 {now}?");
}

TEST(Substitution, SubstitutedValuesAreNeverEchoed) {
    const auto r = load(
        required_secrets + R"(workers: { threads: "${T}" }
triggers:
  - { action: "${ACTION}", flow: "${FLOW}" }
)",
        env_of(
            {{"T", "sixteen-from-env"}, {"ACTION", "action-from-env"}, {"FLOW", "flow-from-env"}}));
    ASSERT_EQ(r.problems.size(), 3u) << ::testing::PrintToString(formatted(r));
    for (const auto& line : formatted(r)) {
        EXPECT_THAT(line, Not(HasSubstr("from-env")));
    }
    EXPECT_EQ(format_problem(r.problems[0]), "f.yaml:7: workers.threads: expected a whole number");
}

TEST(Substitution, ProcessEnvReadsTheRealEnvironment) {
    ::setenv("RISKBRIDGE_CONFIG_TEST_VAR", "value-1", 1);
    const env_lookup env = process_env();
    EXPECT_EQ(env("RISKBRIDGE_CONFIG_TEST_VAR"), std::optional<std::string>("value-1"));
    ::unsetenv("RISKBRIDGE_CONFIG_TEST_VAR");
    EXPECT_EQ(env("RISKBRIDGE_CONFIG_TEST_VAR"), std::nullopt);
}

// ---- secrets never leak --------------------------------------------------------------------

const std::vector<std::string> secret_values{"S3CRET-ashby-key",  "S3CRET-webhook",
                                             "S3CRET-riskos-key", "S3CRET-bearer",
                                             "S3CRET-basic-pw",   "S3CRET-pg-password"};

env_lookup secret_env() {
    return env_of({{"AK", secret_values[0]},
                   {"WS", secret_values[1]},
                   {"RK", secret_values[2]},
                   {"BT", secret_values[3]},
                   {"PW", secret_values[4]},
                   {"PG", "postgresql://rb:" + secret_values[5] + "@db/rb"}});
}

TEST(Secrets, NeverAppearInProblems) {
    // Every secret sits in a value that is wrong in some way, and so do plain literals.
    const auto r = load(R"(ashby:
  api_key: [S3CRET-literal-in-list]
  webhook_secrets: "${WS}"
riskos:
  api_key: { k: S3CRET-literal-in-map }
  webhook_auth:
    bearer_tokens: "${BT}"
    basic: [{ username: "u:${PW}", password: "${PW}" }]
store:
  sqlite_path: x.db
  postgres_url: "${PG}"
server: { threads: "${AK}", listen: "${RK}" }
)",
                        secret_env());
    ASSERT_FALSE(r.ok());
    for (const auto& line : formatted(r)) {
        EXPECT_THAT(line, Not(HasSubstr("S3CRET"))) << line;
    }
}

TEST(Secrets, NeverAppearInTheDump) {
    const auto r = load(R"(ashby:
  api_key: "${AK}"
  webhook_secrets: ["${WS}"]
riskos:
  api_key: "${RK}"
  webhook_auth:
    bearer_tokens: ["${BT}"]
    basic: [{ username: riskos, password: "${PW}" }]
store:
  postgres_url: "${PG}"
  allow_unencrypted: true
)",
                        secret_env());
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const std::string dump = redacted_dump(r.cfg);
    for (const auto& s : secret_values) {
        EXPECT_THAT(dump, Not(HasSubstr(s)));
    }
    EXPECT_THAT(dump, Not(HasSubstr("S3CRET")));
    EXPECT_THAT(dump, HasSubstr("api_key: \"<redacted>\""));
    EXPECT_THAT(dump, HasSubstr("postgres_url: \"<redacted>\""));
    EXPECT_THAT(dump, HasSubstr("username: \"riskos\""));
}

// ---- the dump ------------------------------------------------------------------------------

TEST(RedactedDump, ShowsEverySection) {
    const auto r = load(required_secrets, env_of({}));
    ASSERT_TRUE(r.ok());
    const std::string dump = redacted_dump(r.cfg);
    for (const char* section : {"server:", "ashby:", "riskos:", "triggers:", "consent:", "tags:",
                                "notes:", "mapping:", "store:", "workers:", "logging:"}) {
        EXPECT_THAT(dump, HasSubstr(std::string("\n") + section)) << section;
    }
    EXPECT_THAT(dump, HasSubstr("listen: \"0.0.0.0:8080\""));
    EXPECT_THAT(dump, HasSubstr("backoff_max_ms: 3600000"));
    EXPECT_THAT(dump, HasSubstr("sqlite_path: \"var/riskbridge.db\""));
    EXPECT_THAT(dump, Not(HasSubstr("ashby-key")));
    EXPECT_THAT(dump, Not(HasSubstr("ashby-secret")));
    EXPECT_THAT(dump, Not(HasSubstr("riskos-token")));
}

TEST(RedactedDump, LoadsBackToTheSameConfiguration) {
    const auto r = load(required_secrets + R"(server: { listen: "[::1]:9000", threads: 3 }
triggers:
  - { action: candidateStageChange, stage: "Offer: final", flow: document_verification }
consent: { required: true, accepted: [false, "true", "Yes, I do"], tag: NO_CONSENT }
tags: { screening: { ACCEPT: "ok tag" } }
notes: { notify_on: [REJECT] }
mapping:
  custom_fields:
    - { ashby_field: "State", riskos_field: address.state, transform: { "New York": NY } }
riskos:
  docv: { document_type: passport, link_lifetime_hours: 2 }
)");
    // The second riskos section is a duplicate and ignored; the rest is valid.
    ASSERT_EQ(r.problems.size(), 1u);
    const std::string dump = redacted_dump(r.cfg);
    const auto again = load(dump);
    ASSERT_TRUE(again.ok()) << ::testing::PrintToString(formatted(again)) << dump;
    EXPECT_EQ(redacted_dump(again.cfg), dump);
    EXPECT_EQ(again.cfg.server.host, "::1");
    EXPECT_EQ(again.cfg.triggers.at(0).stage, std::optional<std::string>("Offer: final"));
    EXPECT_EQ(again.cfg.consent.accepted, r.cfg.consent.accepted);
    EXPECT_EQ(again.cfg.mapping.custom_fields.at(0).transform.at("New York"), "NY");
    // Secrets come back as the literal placeholder, never as their values.
    EXPECT_EQ(again.cfg.ashby.api_key.reveal(), "<redacted>");
}

// ---- flows and actions ---------------------------------------------------------------------

TEST(Flows, NamesRoundTrip) {
    for (flow_kind f : {flow_kind::screening, flow_kind::document_verification}) {
        EXPECT_EQ(parse_flow(to_string(f)), f);
    }
    EXPECT_EQ(parse_flow("docv"), std::nullopt);
    EXPECT_EQ(parse_flow("Screening"), std::nullopt);
    EXPECT_EQ(parse_flow(""), std::nullopt);
}

TEST(Actions, TheActionsOfTheSpecAreKnown) {
    for (const char* a : {"applicationSubmit",
                          "applicationUpdate",
                          "candidateStageChange",
                          "candidateHire",
                          "candidateDelete",
                          "candidateMerge",
                          "interviewPlanTransition",
                          "interviewScheduleCreate",
                          "interviewScheduleUpdate",
                          "jobCreate",
                          "jobUpdate",
                          "jobPostingUpdate",
                          "jobPostingPublish",
                          "jobPostingUnpublish",
                          "offerCreate",
                          "offerUpdate",
                          "offerDelete",
                          "openingCreate",
                          "pushToHRIS",
                          "signatureRequestUpdate",
                          "surveySubmit",
                          "ping"}) {
        EXPECT_TRUE(is_known_ashby_action(a)) << a;
    }
    EXPECT_FALSE(is_known_ashby_action("applicationsubmit"));
    EXPECT_FALSE(is_known_ashby_action("candidateHired"));
    EXPECT_FALSE(is_known_ashby_action(""));
}

}  // namespace
}  // namespace riskbridge::config
