#include <gtest/gtest.h>

#include "riskbridge/flows/notes.hpp"

namespace riskbridge::flows {
namespace {

TEST(Notes, EscapesEverythingFromOutside) {
    EXPECT_EQ(html_escape("<b>\"a\" & 'b'</b>"),
              "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;");
    decision_note n;
    n.decision = "<script>alert(1)</script>";
    n.reasons = {{"R<1>", "mod&", "en\"x"}};
    n.case_link = "https://x/\"onmouseover=\"";
    n.ref = "rb-screening-a<1>/decision";
    const std::string html = render_decision_note(n);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("R<1>"), std::string::npos);
    EXPECT_EQ(html.find("\"onmouseover"), std::string::npos);
    EXPECT_TRUE(has_note_marker(html, "rb-screening-a<1>/decision"));
}

TEST(Notes, OnlyTagsAshbyKeeps) {
    decision_note n;
    n.decision = "REJECT";
    n.tag = "HIGH_RISK_IDENTITY";
    n.reasons = {{"R201", "fraud", "Sigma"}, {"I121", "fraud", "Sigma"}};
    n.case_link = "https://riskos.socure.com/cases/detail/w/e";
    n.eval_id = "e";
    n.ref = "rb-screening-a/decision";
    for (const std::string& html :
         {render_decision_note(n),
          render_consent_note(consent_status::refused, "Q?", std::string("T"), "r"),
          render_missing_note({"email", "phone"}, "r")}) {
        for (std::size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1)) {
            std::size_t j = i + 1;
            if (j < html.size() && html[j] == '/') {
                ++j;
            }
            std::string name;
            while (j < html.size() && std::isalpha(static_cast<unsigned char>(html[j]))) {
                name.push_back(html[j++]);
            }
            EXPECT_TRUE(name == "b" || name == "i" || name == "u" || name == "a" || name == "ul" ||
                        name == "ol" || name == "li" || name == "code" || name == "pre")
                << name << " in " << html;
        }
    }
}

TEST(Notes, DecisionNoteCarriesDecisionTagReasonsAndLink) {
    decision_note n;
    n.decision = "REVIEW";
    n.tag = "HIGH_RISK_IDENTITY";
    n.reasons = {{"R551", "emailRisk", "Socure Email Risk"}};
    n.case_link =
        case_url("https://riskos.socure.com/cases/detail/", "workforce_verification", "e-1");
    n.ref = "rb-screening-a/decision";
    const std::string html = render_decision_note(n);
    EXPECT_NE(html.find("REVIEW"), std::string::npos);
    EXPECT_NE(html.find("HIGH_RISK_IDENTITY"), std::string::npos);
    EXPECT_NE(html.find("<code>R551</code> (emailRisk, Socure Email Risk)"), std::string::npos);
    EXPECT_NE(
        html.find("href=\"https://riskos.socure.com/cases/detail/workforce_verification/e-1\""),
        std::string::npos)
        << html;
    EXPECT_NE(html.find("<i>riskbridge:ref rb-screening-a/decision</i>"), std::string::npos);
}

TEST(Notes, MarkerMatchesOnlyItsOwnStep) {
    const std::string html = render_missing_note({"phone"}, "rb-screening-a/missing");
    EXPECT_TRUE(has_note_marker(html, "rb-screening-a/missing"));
    EXPECT_FALSE(has_note_marker(html, "rb-screening-a/decision"));
    EXPECT_FALSE(has_note_marker(html, "rb-screening-b/missing"));
    EXPECT_TRUE(has_note_marker("<p>text riskbridge:ref x/y</p>", "x/y"));  // reformatted
}

TEST(Notes, TopReasonsRiskFirstWithoutRepeats) {
    clients::riskos::evaluation e;
    clients::riskos::enrichment a;
    a.name = "Email Risk";
    a.modules = {{"emailRisk", {"I520", "R551", "I555"}, {}, {}}};
    clients::riskos::enrichment b;
    b.name = "Sigma";
    b.modules = {{"fraud", {"R201", "I520"}, {}, {}}};
    e.enrichments = {a, b};
    const auto r = top_reasons(e, 3);
    ASSERT_EQ(r.size(), 3U);
    EXPECT_EQ(r[0], (reason_code{"R551", "emailRisk", "Email Risk"}));
    EXPECT_EQ(r[1], (reason_code{"R201", "fraud", "Sigma"}));
    EXPECT_EQ(r[2], (reason_code{"I520", "emailRisk", "Email Risk"}));
}

}  // namespace
}  // namespace riskbridge::flows
