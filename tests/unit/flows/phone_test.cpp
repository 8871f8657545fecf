#include <gtest/gtest.h>

#include "riskbridge/flows/phone.hpp"

namespace riskbridge::flows {
namespace {

TEST(NormalizePhone, NationalNumbersUseTheDefaultRegion) {
    EXPECT_EQ(normalize_phone("(415) 555-0101", "US"), "+14155550101");
    EXPECT_EQ(normalize_phone("415.555.0102", "US"), "+14155550102");
    EXPECT_EQ(normalize_phone("020 7946 0958", "GB"), "+442079460958");
}

TEST(NormalizePhone, InternationalNumbersIgnoreTheDefaultRegion) {
    EXPECT_EQ(normalize_phone("+1 415 555 0101", "GB"), "+14155550101");
    EXPECT_EQ(normalize_phone("+44 20 7946 0958", "US"), "+442079460958");
    EXPECT_EQ(normalize_phone("+49 30 901820", "US"), "+4930901820");
}

TEST(NormalizePhone, ExtensionsAreDropped) {
    EXPECT_EQ(normalize_phone("415-555-0103 ext. 12", "US"), "+14155550103");
}

TEST(NormalizePhone, InvalidNumbersAreRefused) {
    EXPECT_EQ(normalize_phone("", "US"), std::nullopt);
    EXPECT_EQ(normalize_phone("12", "US"), std::nullopt);
    EXPECT_EQ(normalize_phone("not a phone", "US"), std::nullopt);
    EXPECT_EQ(normalize_phone("020 7946 0958", "US"), std::nullopt);  // a UK number read as US
    EXPECT_EQ(normalize_phone(std::string(200, '5'), "US"), std::nullopt);
    EXPECT_EQ(normalize_phone("4155550101", ""), std::nullopt);  // no region, no country code
}

}  // namespace
}  // namespace riskbridge::flows
