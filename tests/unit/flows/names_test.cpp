#include <gtest/gtest.h>

#include "riskbridge/flows/names.hpp"

namespace riskbridge::flows {
namespace {

struct name_case {
    const char* input;
    const char* given;
    const char* middle;
    const char* family;
    const char* suffix;
};

class SplitName : public ::testing::TestWithParam<name_case> {};

TEST_P(SplitName, SplitsIntoGivenAndFamily) {
    const name_case& c = GetParam();
    const person_name n = split_name(c.input);
    EXPECT_EQ(n.given, c.given) << c.input;
    EXPECT_EQ(n.middle, c.middle) << c.input;
    EXPECT_EQ(n.family, c.family) << c.input;
    EXPECT_EQ(n.suffix, c.suffix) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Names, SplitName,
    ::testing::Values(
        name_case{"Ada Lovelace", "Ada", "", "Lovelace", ""},
        name_case{"Madonna", "Madonna", "", "", ""},
        name_case{"Mary Ann Evans", "Mary", "Ann", "Evans", ""},
        name_case{"Grace Brewster Murray Hopper", "Grace", "Brewster Murray", "Hopper", ""},
        name_case{"Lovelace, Ada", "Ada", "", "Lovelace", ""},
        name_case{"Hopper, Grace Brewster", "Grace", "Brewster", "Hopper", ""},
        name_case{"Martin Luther King Jr.", "Martin", "Luther", "King", "Jr."},
        name_case{"Martin Luther King, Jr.", "Martin", "Luther", "King", "Jr."},
        name_case{"John Smith III", "John", "", "Smith", "III"},
        name_case{"Smith Jr., John", "John", "", "Smith", "Jr."},
        name_case{"Jane Doe, PhD, MD", "Jane", "", "Doe", "PhD MD"},
        name_case{"Ludwig van der Berg", "Ludwig", "", "van der Berg", ""},
        name_case{"Juan de la Cruz", "Juan", "", "de la Cruz", ""},
        name_case{"Maria dos Santos", "Maria", "", "dos Santos", ""},
        name_case{"van der Berg, Ludwig", "Ludwig", "", "van der Berg", ""},
        name_case{"Vincent van Gogh", "Vincent", "", "van Gogh", ""},
        name_case{"Van Morrison", "Van", "", "Morrison", ""},
        name_case{"  Ada    Lovelace  ", "Ada", "", "Lovelace", ""},
        name_case{"Ada\tKing\n Lovelace", "Ada", "King", "Lovelace", ""},
        name_case{"Ada\xC2\xA0Lovelace", "Ada", "", "Lovelace", ""},               // no-break space
        name_case{"\xE5\xB1\xB1\xE7\x94\xB0\xE3\x80\x80\xE5\xA4\xAA\xE9\x83\x8E",  // 山田　太郎
                  "\xE5\xB1\xB1\xE7\x94\xB0", "", "\xE5\xA4\xAA\xE9\x83\x8E", ""},
        name_case{"Jos\xC3\xA9 \xC3\x81lvarez", "Jos\xC3\xA9", "", "\xC3\x81lvarez", ""},
        name_case{"Zo\xC3\xAB Bj\xC3\xB6rk-Gu\xC3\xB0mundsd\xC3\xB3ttir", "Zo\xC3\xAB", "",
                  "Bj\xC3\xB6rk-Gu\xC3\xB0mundsd\xC3\xB3ttir", ""},
        name_case{"Dr. Jane Goodall", "Jane", "", "Goodall", ""},
        name_case{"Jean-Luc Picard", "Jean-Luc", "", "Picard", ""}, name_case{"", "", "", "", ""},
        name_case{"   ", "", "", "", ""}, name_case{",", "", "", "", ""},
        name_case{"Jr.", "Jr.", "", "", ""}));

TEST(SplitNameTest, NeverSplitsAUtf8Sequence) {
    // A name made only of multi-byte letters keeps every byte.
    const std::string name = "\xC3\x89lodie \xC3\x89tienne";
    const person_name n = split_name(name);
    EXPECT_EQ(n.given + " " + n.family, name);
}

TEST(SplitNameTest, SurvivesHostileInput) {
    std::string junk;
    for (int i = 0; i < 512; ++i) {
        junk.push_back(static_cast<char>(i % 256));
    }
    const person_name n = split_name(junk);
    EXPECT_FALSE(n.given.empty());
    EXPECT_NO_THROW(split_name(std::string(10000, ',')));
}

}  // namespace
}  // namespace riskbridge::flows
