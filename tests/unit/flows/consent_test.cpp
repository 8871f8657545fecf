#include <gtest/gtest.h>

#include "riskbridge/flows/consent.hpp"

namespace riskbridge::flows {
namespace {

using clients::ashby::application;
using clients::ashby::form_answer;

config::consent_config required_consent() {
    config::consent_config c;
    c.required = true;
    c.question = "I consent to a background and identity check";
    return c;  // accepted: [true, "I Consent"]
}

application with_answer(const std::string& type, const std::string& value_json,
                        const std::string& title = "I consent to a background and identity check") {
    application a;
    a.id = "app-1";
    a.form_answers.push_back({"_systemfield_consent", title, type, value_json});
    return a;
}

TEST(Consent, NotRequiredAllowsEverything) {
    config::consent_config c;
    const auto r = check_consent(c, application{});
    EXPECT_EQ(r.status, consent_status::not_required);
    EXPECT_TRUE(r.allowed());
}

TEST(Consent, BooleanAnswers) {
    const auto c = required_consent();
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "true")).status, consent_status::given);
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "false")).status, consent_status::refused);
    EXPECT_FALSE(check_consent(c, with_answer("Boolean", "false")).allowed());
}

TEST(Consent, SelectValues) {
    const auto c = required_consent();
    EXPECT_EQ(check_consent(c, with_answer("ValueSelect", "\"I Consent\"")).status,
              consent_status::given);
    EXPECT_EQ(check_consent(c, with_answer("ValueSelect", "\" i consent \"")).status,
              consent_status::given);
    EXPECT_EQ(check_consent(c, with_answer("ValueSelect", "\"I Do Not Consent\"")).status,
              consent_status::refused);
    EXPECT_EQ(check_consent(c, with_answer("ValueSelect", "{\"value\":\"I Consent\"}")).status,
              consent_status::given);
    EXPECT_EQ(check_consent(c, with_answer("MultiValueSelect", "[\"x\",\"I Consent\"]")).status,
              consent_status::given);
    // The string "true" is not the boolean true.
    EXPECT_EQ(check_consent(c, with_answer("String", "\"true\"")).status, consent_status::refused);
}

TEST(Consent, MissingAndNullAnswersAreNo) {
    const auto c = required_consent();
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "")).status, consent_status::missing);
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "null")).status, consent_status::missing);
    EXPECT_EQ(check_consent(c, application{}).status, consent_status::missing);
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "true", "Another question")).status,
              consent_status::missing);
}

TEST(Consent, QuestionMatchesByPathOrTitleIgnoringCase) {
    auto c = required_consent();
    c.question = "i CONSENT to a background and identity check";
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "true")).status, consent_status::given);
    c.question = "_systemfield_consent";
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "true")).status, consent_status::given);
}

TEST(Consent, ConfiguredAnswersOnly) {
    auto c = required_consent();
    c.accepted = {{false, false, "Yes"}};
    EXPECT_EQ(check_consent(c, with_answer("Boolean", "true")).status, consent_status::refused);
    EXPECT_EQ(check_consent(c, with_answer("ValueSelect", "\"yes\"")).status,
              consent_status::given);
    EXPECT_FALSE(is_accepted_answer(c, "not json"));
    EXPECT_FALSE(is_accepted_answer(c, "42"));
}

}  // namespace
}  // namespace riskbridge::flows
