#pragma once

// Checks that an applicant's personal data never reaches a log or a file in clear: the forms
// it can take there, and one assertion that shows where a leak sits.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace riskbridge::testing {

/// A phone number as typed ("+1 415 555 0110") and as riskbridge or a library could write it:
/// E.164 ("+14155550110"), the national digits ("4155550110"), the local part with a space or a
/// dash ("555 0110", "555-0110"). No short bare digit run: those occur in hex ids by chance.
inline std::vector<std::string> phone_forms(std::string_view typed) {
    std::string digits;
    for (const char c : typed) {
        if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            digits += c;
        }
    }
    std::vector<std::string> out{std::string(typed)};
    if (digits.size() < 7) {
        return out;
    }
    out.push_back("+" + digits);
    if (digits.size() == 11 && digits.front() == '1') {
        out.push_back(digits.substr(1));  // national (NANP) digits: 10 of them
    }
    const std::string local = digits.substr(digits.size() - 7);
    out.push_back(local.substr(0, 3) + " " + local.substr(3));
    out.push_back(local.substr(0, 3) + "-" + local.substr(3));
    return out;
}

/// Fails with the needle and the text around it for every needle found in `text`.
inline void expect_no_personal_data(const std::string& text,
                                    const std::vector<std::string>& needles,
                                    std::string_view where) {
    for (const auto& needle : needles) {
        if (needle.empty()) {
            continue;
        }
        const auto at = text.find(needle);
        EXPECT_EQ(at, std::string::npos)
            << where << " leaks \"" << needle
            << "\": " << nlohmann::json(text.substr(at < 200 ? 0 : at - 200, 400)).dump();
    }
}

}  // namespace riskbridge::testing
