#include "riskbridge/flows/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

namespace riskbridge::flows {

std::optional<std::string> normalize_phone(std::string_view raw, std::string_view default_region) {
    using i18n::phonenumbers::PhoneNumber;
    using i18n::phonenumbers::PhoneNumberUtil;
    if (raw.empty() || raw.size() > 64) {
        return std::nullopt;
    }
    const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();  // thread-safe singleton
    PhoneNumber number;
    const auto parsed = util->Parse(
        std::string(raw), std::string(default_region.empty() ? "ZZ" : default_region), &number);
    if (parsed != PhoneNumberUtil::NO_PARSING_ERROR || !util->IsValidNumber(number)) {
        return std::nullopt;
    }
    number.clear_extension();
    std::string out;
    util->Format(number, PhoneNumberUtil::E164, &out);
    return out;
}

}  // namespace riskbridge::flows
