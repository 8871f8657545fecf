#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/flows/mapping.hpp"

namespace riskbridge::flows {
namespace {

using clients::ashby::application;
using clients::ashby::candidate;
using nlohmann::json;

candidate ada() {
    candidate c;
    c.id = "cand-1";
    c.name = "Ada King Lovelace";
    c.email = "accept.ada@example.com";
    c.emails = {"accept.ada@example.com"};
    c.phone = "(415) 555-0101";
    c.phones = {"(415) 555-0101"};
    c.loc.city = "San Francisco";
    c.loc.region = "California";
    c.loc.country = "United States";
    c.custom_fields = {{"cf-street", "Street Address", "\"101 Market St\"", "101 Market St"},
                       {"cf-postal", "Postal Code", "\"94105\"", "94105"},
                       {"cf-state", "Home State", "\"New York\"", "New York"}};
    return c;
}

application app() {
    application a;
    a.id = "app-1";
    a.candidate_id = "cand-1";
    a.submitter_client_ip = "203.0.113.11";
    return a;
}

config::mapping_config address_mapping() {
    config::mapping_config m;
    m.custom_fields = {{"Street Address", "address.line_1", {}},
                       {"cf-postal", "address.postal_code", {}}};
    return m;
}

TEST(Mapping, MapsNameEmailPhoneAddressAndIp) {
    const mapped_applicant m = map_applicant(address_mapping(), ada(), app());
    EXPECT_TRUE(m.complete());
    EXPECT_TRUE(m.invalid.empty());
    EXPECT_EQ(m.candidate_id, "cand-1");
    EXPECT_EQ(*m.field("given_name"), "Ada");
    EXPECT_EQ(*m.field("family_name"), "Lovelace");
    EXPECT_EQ(*m.field("email"), "accept.ada@example.com");
    EXPECT_EQ(*m.field("phone_number"), "+14155550101");
    EXPECT_EQ(*m.field("address.line_1"), "101 Market St");
    EXPECT_EQ(*m.field("address.locality"), "San Francisco");
    EXPECT_EQ(*m.field("address.major_admin_division"), "CA");
    EXPECT_EQ(*m.field("address.postal_code"), "94105");
    EXPECT_EQ(*m.field("address.country"), "US");
    EXPECT_EQ(m.ip_address, "203.0.113.11");
}

TEST(Mapping, TransformsCustomFieldValues) {
    config::mapping_config cfg;
    cfg.custom_fields = {
        {"Home State", "address.major_admin_division", {{"new york", "NY"}, {"Texas", "TX"}}}};
    const mapped_applicant m = map_applicant(cfg, ada(), app());
    EXPECT_EQ(*m.field("address.major_admin_division"), "NY");  // case-insensitive key

    EXPECT_EQ(apply_transform({{"Texas", "TX"}}, "Texas"), "TX");
    EXPECT_EQ(apply_transform({{"Texas", "TX"}}, " texas "), "TX");
    EXPECT_EQ(apply_transform({{"Texas", "TX"}}, "Ohio"), "Ohio");
}

TEST(Mapping, CustomFieldsReachAnyIndividualField) {
    config::mapping_config cfg;
    cfg.custom_fields = {{"Date of Birth", "dob", {}},
                         {"Country Of Residence", "address.country", {}}};
    auto a = app();
    a.custom_fields = {{"cf-dob", "Date of Birth", "\"1990-12-10\"", "1990-12-10"}};
    a.form_answers = {{"_country", "Country of residence", "String", "\"Germany\""}};
    const mapped_applicant m = map_applicant(cfg, ada(), a);
    EXPECT_EQ(*m.field("dob"), "1990-12-10");
    EXPECT_EQ(*m.field("address.country"), "DE");  // a form answer, name -> code
}

TEST(Mapping, ApplicationFieldsWinOverCandidateFields) {
    config::mapping_config cfg;
    cfg.custom_fields = {{"Postal Code", "address.postal_code", {}}};
    auto a = app();
    a.custom_fields = {{"cf-postal-app", "Postal Code", "\"10001\"", "10001"}};
    EXPECT_EQ(*map_applicant(cfg, ada(), a).field("address.postal_code"), "10001");
}

TEST(Mapping, ListsMissingRequiredFieldsInConfigOrder) {
    auto c = ada();
    c.email.reset();
    c.emails.clear();
    c.phone.reset();
    c.phones.clear();
    c.name = "Cher";
    const mapped_applicant m = map_applicant(config::mapping_config{}, c, app());
    EXPECT_FALSE(m.complete());
    EXPECT_EQ(m.missing, (std::vector<std::string>{"family_name", "email", "phone_number"}));
}

TEST(Mapping, UnusableValuesCountAsMissing) {
    auto c = ada();
    c.phone = "12";
    c.email = "not an email";
    const mapped_applicant m = map_applicant(config::mapping_config{}, c, app());
    EXPECT_EQ(m.missing, (std::vector<std::string>{"email", "phone_number"}));
    EXPECT_EQ(m.invalid, (std::vector<std::string>{"email", "phone_number"}));
}

TEST(Mapping, RequiredAddressAndIp) {
    config::mapping_config cfg;
    cfg.required_fields = {"address.postal_code", "ip_address"};
    auto a = app();
    a.submitter_client_ip = "not-an-ip";
    const mapped_applicant m = map_applicant(cfg, ada(), a);
    EXPECT_EQ(m.missing, (std::vector<std::string>{"address.postal_code", "ip_address"}));
    EXPECT_FALSE(m.ip_address.has_value());
}

TEST(Mapping, PhoneFallsBackToTheCandidatesCountry) {
    auto c = ada();
    c.phone = "020 7946 0958";
    c.loc.country = "United Kingdom";
    c.loc.region = "England";
    const mapped_applicant m = map_applicant(config::mapping_config{}, c, app());
    EXPECT_EQ(*m.field("phone_number"), "+442079460958");
    EXPECT_EQ(*m.field("address.country"), "GB");
    EXPECT_EQ(*m.field("address.major_admin_division"), "England");  // no table for GB
}

TEST(Mapping, DefaultCountryWhenTheLocationHasNone) {
    config::mapping_config cfg;
    cfg.default_country = "CA";
    auto c = ada();
    c.loc = {};
    EXPECT_EQ(*map_applicant(cfg, c, app()).field("address.country"), "CA");
    cfg.default_country.clear();
    EXPECT_EQ(map_applicant(cfg, c, app()).field("address.country"), nullptr);
}

TEST(CountryCode, NamesAndCodes) {
    EXPECT_EQ(country_code("United States"), "US");
    EXPECT_EQ(country_code("united states of america"), "US");
    EXPECT_EQ(country_code("USA"), "US");
    EXPECT_EQ(country_code("us"), "US");
    EXPECT_EQ(country_code("United Kingdom"), "GB");
    EXPECT_EQ(country_code("Germany"), "DE");
    EXPECT_EQ(country_code("Côte d’Ivoire"), "CI");
    EXPECT_EQ(country_code("Atlantis"), std::nullopt);
    EXPECT_EQ(country_code(""), std::nullopt);
}

TEST(RegionCode, UsStatesAndCanadianProvinces) {
    EXPECT_EQ(region_code("US", "California"), "CA");
    EXPECT_EQ(region_code("US", "new york"), "NY");
    EXPECT_EQ(region_code("US", "District of Columbia"), "DC");
    EXPECT_EQ(region_code("US", "tx"), "TX");
    EXPECT_EQ(region_code("CA", "Québec"), "QC");
    EXPECT_EQ(region_code("CA", "British Columbia"), "BC");
    EXPECT_EQ(region_code("US", "Bavaria"), std::nullopt);
    EXPECT_EQ(region_code("DE", "Bavaria"), std::nullopt);
}

TEST(RequestJson, HasTheWorkforceShape) {
    const mapped_applicant m = map_applicant(address_mapping(), ada(), app());
    const json body = json::parse(build_request_json(
        m, "rb-screening-app-1", "2026-01-01T00:00:00.000Z", "workforce_verification"));
    EXPECT_EQ(body["id"], "rb-screening-app-1");
    EXPECT_EQ(body["workflow"], "workforce_verification");
    EXPECT_EQ(body["data"]["event_type"], "application_submitted");
    EXPECT_EQ(body["data"]["event_category"], "workforce_verification");
    EXPECT_EQ(body["data"]["ip_address"], "203.0.113.11");
    const json& ind = body["data"]["individual"];
    EXPECT_EQ(ind["id"], "cand-1");
    EXPECT_EQ(ind["given_name"], "Ada");
    EXPECT_EQ(ind["family_name"], "Lovelace");
    EXPECT_EQ(ind["phone_number"], "+14155550101");
    EXPECT_EQ(ind["address"]["line_1"], "101 Market St");
    EXPECT_EQ(ind["address"]["country"], "US");
    EXPECT_FALSE(ind.contains("di_session_token"));
}

TEST(RequestJson, ClipsLongNames) {
    auto c = ada();
    c.name = "Ada " + std::string(300, 'x');
    const mapped_applicant m = map_applicant(config::mapping_config{}, c, app());
    const json body = json::parse(build_request_json(m, "id", "t", "w"));
    EXPECT_EQ(body["data"]["individual"]["family_name"].get<std::string>().size(), 240U);
}

TEST(MaskRequest, HidesPersonalValuesKeepsIdsAndCodes) {
    const mapped_applicant m = map_applicant(address_mapping(), ada(), app());
    const std::string masked = mask_request_json(
        build_request_json(m, "rb-screening-app-1", "t", "workforce_verification"), false);
    const json body = json::parse(masked);
    const json& ind = body["data"]["individual"];
    EXPECT_EQ(ind["given_name"], "A**");
    EXPECT_EQ(ind["family_name"], "L*******");
    EXPECT_EQ(ind["email"], "a***@example.com");
    EXPECT_EQ(ind["phone_number"], "+1********01");
    EXPECT_EQ(ind["address"]["line_1"], "1** M***** S*");
    EXPECT_EQ(ind["address"]["postal_code"], "94***");
    EXPECT_EQ(ind["address"]["country"], "US");
    EXPECT_EQ(ind["id"], "cand-1");
    EXPECT_EQ(body["data"]["ip_address"], "203.0.113.*");
    EXPECT_EQ(body["id"], "rb-screening-app-1");
    for (const char* secret : {"Lovelace", "accept.ada", "5550101", "Market", "94105", ".11\""}) {
        EXPECT_EQ(masked.find(secret), std::string::npos) << secret;
    }
    EXPECT_EQ(mask_request_json("not json"), "");
}

TEST(FieldLabel, ReadableNames) {
    EXPECT_EQ(field_label("email"), "email");
    EXPECT_EQ(field_label("phone_number"), "phone");
    EXPECT_EQ(field_label("given_name"), "given name");
    EXPECT_EQ(field_label("address.postal_code"), "postal code");
    EXPECT_EQ(field_label("custom.some_field"), "custom some field");
}

}  // namespace
}  // namespace riskbridge::flows
