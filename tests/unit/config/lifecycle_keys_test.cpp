// The keys about what happens around a decision and a capture link: ashby.fraud_status,
// riskos.docv.reissue_on_expiry, riskos.docv.remind_after_hours and riskos.event_aliases. Each
// read with its default, each mistake a FILE:LINE: key.path problem, each shown by the dump.

#include <chrono>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "riskbridge/config/loader.hpp"
#include "riskbridge/config/riskos_events.hpp"
#include "test_helpers.hpp"

namespace riskbridge::config {
namespace {

using namespace std::chrono_literals;
using test::env_of;
using test::formatted;
using test::load;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using string_map = std::map<std::string, std::string>;

/// The required secrets in three lines per section: `extra` of the ashby section starts on
/// line 4.
std::string ashby_with(const std::string& extra) {
    return "ashby:\n  api_key: k\n  webhook_secrets: [s]\n" + extra +
           "riskos:\n  api_key: k\n  webhook_auth: { bearer_tokens: [t] }\n";
}

/// `extra` of the riskos section starts on line 7.
std::string riskos_with(const std::string& extra) {
    return ashby_with("") + extra;
}

/// `keys` of riskos.docv start on line 8.
std::string docv_with(const std::string& keys) {
    return riskos_with("  docv:\n" + keys);
}

/// The canonical event types as the problems list them.
constexpr const char* canonical_list =
    "evaluation_completed, case_notes_added, DocvNotification, decision_update, "
    "case_status_updated, evaluation_resumed, evaluation_paused, reevaluation, "
    "workflow_execution_failed";

TEST(LifecycleKeys, AbsentKeysKeepTheirDefaults) {
    const auto r = load(test::required_secrets);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_THAT(r.cfg.ashby.fraud_status, IsEmpty());
    EXPECT_EQ(r.cfg.riskos.docv.reissue_on_expiry, 0);
    EXPECT_EQ(r.cfg.riskos.docv.remind_after, std::nullopt);
    EXPECT_THAT(r.cfg.riskos.event_aliases, IsEmpty());
}

// ---- ashby.fraud_status --------------------------------------------------------------------

TEST(FraudStatus, DecisionsMapToAshbyFraudStatuses) {
    const auto r =
        load(ashby_with("  fraud_status: { REJECT: Fraudulent, REVIEW: Unsure, ACCEPT: "
                        "NotFraudulent }\n"));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(
        r.cfg.ashby.fraud_status,
        (string_map{{"REJECT", "Fraudulent"}, {"REVIEW", "Unsure"}, {"ACCEPT", "NotFraudulent"}}));
}

TEST(FraudStatus, DecisionsInLowerCaseAreStoredUpperCased) {
    const auto r =
        load(ashby_with("  fraud_status:\n    reject: Fraudulent\n    Manual_Review: Unsure\n    "
                        "RESUBMIT: Unsure\n"));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.ashby.fraud_status,
              (string_map{
                  {"REJECT", "Fraudulent"}, {"MANUAL_REVIEW", "Unsure"}, {"RESUBMIT", "Unsure"}}));
}

TEST(FraudStatus, NullOrEmptyTurnsItOff) {
    for (const char* off : {"  fraud_status:\n", "  fraud_status: ~\n", "  fraud_status: {}\n"}) {
        const auto r = load(ashby_with(off));
        ASSERT_TRUE(r.ok()) << off << ::testing::PrintToString(formatted(r));
        EXPECT_THAT(r.cfg.ashby.fraud_status, IsEmpty()) << off;
    }
}

TEST(FraudStatus, ValuesMayComeFromTheEnvironment) {
    const auto r =
        load(ashby_with("  fraud_status: { REJECT: \"${FS}\" }\n"), env_of({{"FS", "Fraudulent"}}));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.ashby.fraud_status, (string_map{{"REJECT", "Fraudulent"}}));

    // A wrong value from the environment is named by its key, without the value.
    const auto bad =
        load(ashby_with("  fraud_status: { REJECT: \"${FS}\" }\n"), env_of({{"FS", "fraud"}}));
    EXPECT_THAT(formatted(bad),
                ElementsAre("f.yaml:4: ashby.fraud_status.REJECT: must be Fraudulent, "
                            "NotFraudulent or Unsure"));
}

TEST(FraudStatus, WrongStatusesAndDecisionsAreReportedAtTheirLines) {
    const auto r = load(ashby_with(R"(  fraud_status:
    REJECT: fraudulent
    REVIEW: Maybe
    ACCEPT:
    accept-now: Unsure
    ACCEPT2: Unsure
    RESUBMIT: ""
    DECLINE: [Unsure]
    HOLD: Unsure
    hold: Fraudulent
)"));
    EXPECT_THAT(
        formatted(r),
        ElementsAre(
            "f.yaml:5: ashby.fraud_status.REJECT: must be Fraudulent, NotFraudulent or Unsure, "
            "got 'fraudulent'",
            "f.yaml:6: ashby.fraud_status.REVIEW: must be Fraudulent, NotFraudulent or Unsure, "
            "got 'Maybe'",
            "f.yaml:7: ashby.fraud_status.ACCEPT: must be Fraudulent, NotFraudulent or Unsure",
            "f.yaml:8: ashby.fraud_status.accept-now: 'accept-now' is not a decision such as "
            "ACCEPT or REJECT (letters and underscores)",
            "f.yaml:9: ashby.fraud_status.ACCEPT2: 'ACCEPT2' is not a decision such as ACCEPT or "
            "REJECT (letters and underscores)",
            "f.yaml:10: ashby.fraud_status.RESUBMIT: must be Fraudulent, NotFraudulent or Unsure",
            "f.yaml:11: ashby.fraud_status.DECLINE: expected a single value, got a list",
            "f.yaml:13: ashby.fraud_status.hold: duplicate key"));
    // Only the valid entry is kept.
    EXPECT_EQ(r.cfg.ashby.fraud_status, (string_map{{"HOLD", "Unsure"}}));
}

TEST(FraudStatus, MustBeAMapping) {
    const auto r = load(ashby_with("  fraud_status: [REJECT]\n  fraud_stat: {}\n"));
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:4: ashby.fraud_status: expected a mapping, got a list",
                            "f.yaml:5: ashby.fraud_stat: unknown key"));
}

// ---- riskos.docv.reissue_on_expiry ---------------------------------------------------------

TEST(ReissueOnExpiry, FromZeroToTen) {
    for (const int n : {0, 1, 3, 10}) {
        const auto r = load(docv_with("    reissue_on_expiry: " + std::to_string(n) + "\n"));
        ASSERT_TRUE(r.ok()) << n << ::testing::PrintToString(formatted(r));
        EXPECT_EQ(r.cfg.riskos.docv.reissue_on_expiry, n);
    }
    // Null keeps the default.
    const auto null = load(docv_with("    reissue_on_expiry:\n"));
    ASSERT_TRUE(null.ok()) << ::testing::PrintToString(formatted(null));
    EXPECT_EQ(null.cfg.riskos.docv.reissue_on_expiry, 0);
}

TEST(ReissueOnExpiry, OutOfRangeOrNotAWholeNumberIsReported) {
    for (const auto& [value, message] :
         std::map<std::string, std::string>{{"11", "must be from 0 to 10 (got 11)"},
                                            {"-1", "must be from 0 to 10 (got -1)"},
                                            {"1.5", "expected a whole number, got '1.5'"},
                                            {"twice", "expected a whole number, got 'twice'"},
                                            {"[1]", "expected a single value, got a list"}}) {
        const auto r = load(docv_with("    reissue_on_expiry: " + value + "\n"));
        EXPECT_THAT(formatted(r),
                    ElementsAre("f.yaml:8: riskos.docv.reissue_on_expiry: " + message))
            << value;
        EXPECT_EQ(r.cfg.riskos.docv.reissue_on_expiry, 0) << value;
    }
}

// ---- riskos.docv.remind_after_hours --------------------------------------------------------

TEST(RemindAfterHours, HoursAndFractionsOfHoursAreExactMilliseconds) {
    for (const auto& [value, ms] :
         std::map<std::string, std::chrono::milliseconds>{{"0.5", 1'800'000ms},
                                                          {"0.1", 360'000ms},
                                                          {"0.25", 900'000ms},
                                                          {"1.25", 4'500'000ms},
                                                          {"12", 43'200'000ms},
                                                          {"+2", 7'200'000ms},
                                                          {"\"3\"", 10'800'000ms},
                                                          {"23.99", 86'364'000ms},
                                                          {".75", 2'700'000ms}}) {
        const auto r = load(docv_with("    remind_after_hours: " + value + "\n"));
        ASSERT_TRUE(r.ok()) << value << ::testing::PrintToString(formatted(r));
        EXPECT_EQ(r.cfg.riskos.docv.remind_after, ms) << value;
    }
}

TEST(RemindAfterHours, NullOrEmptyMeansNoReminder) {
    for (const char* off : {"    remind_after_hours:\n", "    remind_after_hours: ~\n",
                            "    remind_after_hours: null\n", "    remind_after_hours: \"\"\n",
                            "    remind_after_hours: \"${REMIND:-}\"\n"}) {
        const auto r = load(docv_with(off));
        ASSERT_TRUE(r.ok()) << off << ::testing::PrintToString(formatted(r));
        EXPECT_EQ(r.cfg.riskos.docv.remind_after, std::nullopt) << off;
    }
}

TEST(RemindAfterHours, ZeroNegativeOrNotANumberIsReported) {
    for (const auto& [value, message] : std::map<std::string, std::string>{
             {"0", "must be more than 0 and at most 8760 hours (got 0)"},
             {"0.0", "must be more than 0 and at most 8760 hours (got 0.0)"},
             {"-1", "must be more than 0 and at most 8760 hours (got -1)"},
             {"-0.5", "must be more than 0 and at most 8760 hours (got -0.5)"},
             {"9000", "must be more than 0 and at most 8760 hours (got 9000)"},
             {"1e400", "must be more than 0 and at most 8760 hours (got 1e400)"},
             {"0.0000001", "is less than a millisecond"},
             {"soon", "expected a number of hours such as 12 or 0.5, got 'soon'"},
             {"1h", "expected a number of hours such as 12 or 0.5, got '1h'"},
             {"nan", "expected a number of hours such as 12 or 0.5, got 'nan'"},
             {"inf", "expected a number of hours such as 12 or 0.5, got 'inf'"},
             {"{ h: 1 }", "expected a single value, got a mapping"}}) {
        const auto r = load(docv_with("    remind_after_hours: " + value + "\n"));
        EXPECT_THAT(formatted(r),
                    ElementsAre("f.yaml:8: riskos.docv.remind_after_hours: " + message))
            << value;
        EXPECT_EQ(r.cfg.riskos.docv.remind_after, std::nullopt) << value;
    }
}

TEST(RemindAfterHours, MustBeShorterThanTheLinkLifetime) {
    // The default link lifetime is 24 hours.
    const auto equal = load(docv_with("    remind_after_hours: 24\n"));
    EXPECT_THAT(formatted(equal),
                ElementsAre("f.yaml:8: riskos.docv.remind_after_hours: must be less than "
                            "link_lifetime_hours (24), how long the capture link stays valid"));
    EXPECT_EQ(equal.cfg.riskos.docv.remind_after, std::nullopt);

    // Compared with the lifetime the file gives, written before or after it.
    const auto after =
        load(docv_with("    link_lifetime_hours: 12\n    remind_after_hours: 12.5\n"));
    EXPECT_THAT(formatted(after),
                ElementsAre("f.yaml:9: riskos.docv.remind_after_hours: must be less than "
                            "link_lifetime_hours (12), how long the capture link stays valid"));
    const auto before =
        load(docv_with("    remind_after_hours: 36\n    link_lifetime_hours: 24\n"));
    EXPECT_THAT(formatted(before),
                ElementsAre("f.yaml:8: riskos.docv.remind_after_hours: must be less than "
                            "link_lifetime_hours (24), how long the capture link stays valid"));

    const auto longer =
        load(docv_with("    remind_after_hours: 36\n    link_lifetime_hours: 48\n"));
    ASSERT_TRUE(longer.ok()) << ::testing::PrintToString(formatted(longer));
    EXPECT_EQ(longer.cfg.riskos.docv.remind_after, 36h);
    const auto just_under = load(docv_with("    remind_after_hours: 23.999\n"));
    ASSERT_TRUE(just_under.ok()) << ::testing::PrintToString(formatted(just_under));
    EXPECT_EQ(just_under.cfg.riskos.docv.remind_after, 86'396'400ms);
}

TEST(RemindAfterHours, AWrongLinkLifetimeIsTheOnlyProblemReported) {
    const auto r = load(docv_with("    link_lifetime_hours: 0\n    remind_after_hours: 30\n"));
    EXPECT_THAT(formatted(r), ElementsAre("f.yaml:8: riskos.docv.link_lifetime_hours: must be "
                                          "from 1 to 8760 (got 0)"));
}

// ---- riskos.event_aliases ------------------------------------------------------------------

TEST(EventAliases, NamesMapToCanonicalEventTypes) {
    const auto r = load(riskos_with(R"(  event_aliases:
    case_management_notification_case_closure: case_status_updated
    "DocV.Notification-v2": DocvNotification
    case_decision_changed: decision_update
)"));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.riskos.event_aliases,
              (string_map{{"case_management_notification_case_closure", "case_status_updated"},
                          {"DocV.Notification-v2", "DocvNotification"},
                          {"case_decision_changed", "decision_update"}}));
    // What the loaded aliases make of the names RiskOS sends.
    const auto& aliases = r.cfg.riskos.event_aliases;
    EXPECT_EQ(classify_riskos_event("case_management_notification_case_closure", aliases),
              riskos_event::case_status_updated);
    EXPECT_EQ(classify_riskos_event("DocV.Notification-v2", aliases),
              riskos_event::docv_notification);
    EXPECT_EQ(classify_riskos_event("case_closed", aliases), riskos_event::other);
}

TEST(EventAliases, NullOrEmptyMeansNone) {
    for (const char* none : {"  event_aliases:\n", "  event_aliases: {}\n"}) {
        const auto r = load(riskos_with(none));
        ASSERT_TRUE(r.ok()) << none << ::testing::PrintToString(formatted(r));
        EXPECT_THAT(r.cfg.riskos.event_aliases, IsEmpty()) << none;
    }
}

TEST(EventAliases, WrongNamesAndTargetsAreReportedAtTheirLines) {
    const std::string too_long(65, 'a');
    const auto r = load(riskos_with(R"(  event_aliases:
    case_closed: not_an_event
    decision_update: case_status_updated
    "bad name!": decision_update
    case_status_changed: decision_update
    case_reopened:
    )" + too_long + R"(: decision_update
    escalated: other
    paused: EVALUATION_PAUSED
    resumed: evaluation_resumed
)"));
    EXPECT_THAT(
        formatted(r),
        ElementsAre("f.yaml:8: riskos.event_aliases.case_closed: unknown event type "
                    "'not_an_event' (expected one of " +
                        std::string(canonical_list) + ")",
                    "f.yaml:9: riskos.event_aliases.decision_update: 'decision_update' is a "
                    "canonical event type itself; an alias must be another name",
                    "f.yaml:10: riskos.event_aliases.bad name!: 'bad name!' is not an event name "
                    "(1 to 64 letters, digits, '_', '.' or '-')",
                    "f.yaml:11: riskos.event_aliases.case_status_changed: 'case_status_changed' "
                    "is already a built-in alias of case_status_updated",
                    "f.yaml:12: riskos.event_aliases.case_reopened: must be a canonical event "
                    "type: one of " +
                        std::string(canonical_list),
                    "f.yaml:13: riskos.event_aliases." + too_long + ": '" + too_long +
                        "' is not an event name (1 to 64 letters, digits, '_', '.' or '-')",
                    "f.yaml:14: riskos.event_aliases.escalated: unknown event type 'other' "
                    "(expected one of " +
                        std::string(canonical_list) + ")",
                    "f.yaml:15: riskos.event_aliases.paused: unknown event type "
                    "'EVALUATION_PAUSED' (expected one of " +
                        std::string(canonical_list) + ")"));
    // Only the valid alias is kept.
    EXPECT_EQ(r.cfg.riskos.event_aliases, (string_map{{"resumed", "evaluation_resumed"}}));
}

TEST(EventAliases, ANameOf64CharactersIsAccepted) {
    const std::string name(64, 'z');
    const auto r = load(riskos_with("  event_aliases: { " + name + ": reevaluation }\n"));
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    EXPECT_EQ(r.cfg.riskos.event_aliases, (string_map{{name, "reevaluation"}}));
}

TEST(EventAliases, MustBeAMapping) {
    const auto r = load(riskos_with("  event_aliases: [case_closed]\n"));
    EXPECT_THAT(formatted(r),
                ElementsAre("f.yaml:7: riskos.event_aliases: expected a mapping, got a list"));
}

// ---- the dump ------------------------------------------------------------------------------

TEST(LifecycleKeysDump, ShowsTheDefaults) {
    const auto r = load(test::required_secrets);
    ASSERT_TRUE(r.ok());
    const std::string dump = redacted_dump(r.cfg);
    EXPECT_THAT(dump, HasSubstr("  fraud_status:\n    {}\n"));
    EXPECT_THAT(dump, HasSubstr("    reissue_on_expiry: 0\n"));
    EXPECT_THAT(dump, HasSubstr("    remind_after_hours: ~\n"));
    EXPECT_THAT(dump, HasSubstr("  event_aliases:\n    {}\n"));
    const auto again = load(dump);
    ASSERT_TRUE(again.ok()) << ::testing::PrintToString(formatted(again)) << dump;
    EXPECT_EQ(redacted_dump(again.cfg), dump);
}

TEST(LifecycleKeysDump, ShowsTheValuesAndLoadsBack) {
    const auto r = load(R"(ashby:
  api_key: k
  webhook_secrets: [s]
  fraud_status: { reject: Fraudulent, REVIEW: Unsure }
riskos:
  api_key: k
  webhook_auth: { bearer_tokens: [t] }
  docv: { reissue_on_expiry: 2, remind_after_hours: 0.1 }
  event_aliases: { case_closure: case_status_updated }
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(formatted(r));
    const std::string dump = redacted_dump(r.cfg);
    EXPECT_THAT(dump, HasSubstr("fraud_status:\n    \"REJECT\": \"Fraudulent\"\n    \"REVIEW\": "
                                "\"Unsure\"\n"));
    EXPECT_THAT(dump, HasSubstr("reissue_on_expiry: 2\n"));
    EXPECT_THAT(dump, HasSubstr("remind_after_hours: 0.1\n"));
    EXPECT_THAT(dump, HasSubstr("event_aliases:\n    \"case_closure\": \"case_status_updated\"\n"));

    const auto again = load(dump);
    ASSERT_TRUE(again.ok()) << ::testing::PrintToString(formatted(again)) << dump;
    EXPECT_EQ(redacted_dump(again.cfg), dump);
    EXPECT_EQ(again.cfg.ashby.fraud_status, r.cfg.ashby.fraud_status);
    EXPECT_EQ(again.cfg.riskos.docv.reissue_on_expiry, 2);
    EXPECT_EQ(again.cfg.riskos.docv.remind_after, 360'000ms);
    EXPECT_EQ(again.cfg.riskos.event_aliases, r.cfg.riskos.event_aliases);
}

TEST(LifecycleKeysDump, AnyMillisecondsLoadBackTheSame) {
    // Hours that are not a short decimal (a millisecond is 1/3600000 h) still read back as the
    // same milliseconds.
    for (const char* hours : {"0.0000003", "1.0000001", "23.9999", "0.3333333"}) {
        const auto r = load(docv_with(std::string("    remind_after_hours: ") + hours + "\n"));
        ASSERT_TRUE(r.ok()) << hours << ::testing::PrintToString(formatted(r));
        const auto again = load(redacted_dump(r.cfg));
        ASSERT_TRUE(again.ok()) << hours << ::testing::PrintToString(formatted(again));
        EXPECT_EQ(again.cfg.riskos.docv.remind_after, r.cfg.riskos.docv.remind_after) << hours;
    }
}

}  // namespace
}  // namespace riskbridge::config
