// The RiskOS event types: canonical names, the built-in aliases, riskos.event_aliases, and
// everything else as `other`.

#include "riskbridge/config/riskos_events.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace riskbridge::config {
namespace {

using aliases = std::map<std::string, std::string>;

/// Every event type but `other`, with its canonical name.
const std::map<riskos_event, std::string>& canonical() {
    static const std::map<riskos_event, std::string> names{
        {riskos_event::evaluation_completed, "evaluation_completed"},
        {riskos_event::case_notes_added, "case_notes_added"},
        {riskos_event::docv_notification, "DocvNotification"},
        {riskos_event::decision_update, "decision_update"},
        {riskos_event::case_status_updated, "case_status_updated"},
        {riskos_event::evaluation_resumed, "evaluation_resumed"},
        {riskos_event::evaluation_paused, "evaluation_paused"},
        {riskos_event::reevaluation, "reevaluation"},
        {riskos_event::workflow_execution_failed, "workflow_execution_failed"},
    };
    return names;
}

TEST(RiskosEvents, EveryTypeButOtherHasACanonicalName) {
    EXPECT_EQ(canonical().size(), static_cast<std::size_t>(riskos_event::other));
    for (int i = 0; i < static_cast<int>(riskos_event::other); ++i) {
        EXPECT_EQ(canonical().count(static_cast<riskos_event>(i)), 1u) << i;
    }
}

TEST(RiskosEvents, ToStringAndParseRoundTrip) {
    for (const auto& [event, name] : canonical()) {
        EXPECT_EQ(to_string(event), name);
        EXPECT_EQ(parse_riskos_event(name), event) << name;
        EXPECT_EQ(parse_riskos_event(to_string(event)), event) << name;
    }
    EXPECT_STREQ(to_string(riskos_event::other), "other");
}

TEST(RiskosEvents, ParseTakesCanonicalNamesOnly) {
    for (const char* name :
         {"other", "case_decision_changed", "case_status_changed", "", "Decision_Update",
          "docvnotification", "decision_update ", "evaluation_completed.v2"}) {
        EXPECT_EQ(parse_riskos_event(name), std::nullopt) << name;
    }
}

TEST(RiskosEvents, CanonicalNamesClassifyAsThemselves) {
    for (const auto& [event, name] : canonical()) {
        EXPECT_EQ(classify_riskos_event(name, {}), event) << name;
    }
}

TEST(RiskosEvents, BuiltInAliases) {
    EXPECT_EQ(classify_riskos_event("case_decision_changed", {}), riskos_event::decision_update);
    EXPECT_EQ(classify_riskos_event("case_status_changed", {}), riskos_event::case_status_updated);
}

TEST(RiskosEvents, ConfiguredAliases) {
    const aliases configured{{"case_management_notification_case_closure", "case_status_updated"},
                             {"docv.notification", "DocvNotification"},
                             {"reviewer-decision", "decision_update"}};
    EXPECT_EQ(classify_riskos_event("case_management_notification_case_closure", configured),
              riskos_event::case_status_updated);
    EXPECT_EQ(classify_riskos_event("docv.notification", configured),
              riskos_event::docv_notification);
    EXPECT_EQ(classify_riskos_event("reviewer-decision", configured),
              riskos_event::decision_update);
    // Canonical names and built-in aliases still work beside them.
    EXPECT_EQ(classify_riskos_event("evaluation_paused", configured),
              riskos_event::evaluation_paused);
    EXPECT_EQ(classify_riskos_event("case_decision_changed", configured),
              riskos_event::decision_update);
    // Without the configuration, the same names are unknown.
    EXPECT_EQ(classify_riskos_event("docv.notification", {}), riskos_event::other);
}

TEST(RiskosEvents, CanonicalNamesAndBuiltInAliasesComeBeforeConfiguredOnes) {
    const aliases configured{{"decision_update", "case_notes_added"},
                             {"case_status_changed", "reevaluation"}};
    EXPECT_EQ(classify_riskos_event("decision_update", configured), riskos_event::decision_update);
    EXPECT_EQ(classify_riskos_event("case_status_changed", configured),
              riskos_event::case_status_updated);
}

TEST(RiskosEvents, AConfiguredAliasToAnUnknownTypeIsOther) {
    // The loader refuses such an alias; classify still never acts on it.
    const aliases configured{{"case_closed", "not_an_event"},
                             {"escalated", "other"},
                             {"via_alias", "case_decision_changed"}};
    EXPECT_EQ(classify_riskos_event("case_closed", configured), riskos_event::other);
    EXPECT_EQ(classify_riskos_event("escalated", configured), riskos_event::other);
    EXPECT_EQ(classify_riskos_event("via_alias", configured), riskos_event::other);
}

TEST(RiskosEvents, UnknownNamesAreOther) {
    for (const char* name : {"", "other", "case_created", "DECISION_UPDATE", "decision-update",
                             "evaluation_completed ", "docvnotification"}) {
        EXPECT_EQ(classify_riskos_event(name, {}), riskos_event::other) << name;
    }
}

}  // namespace
}  // namespace riskbridge::config
