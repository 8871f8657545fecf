#pragma once

// Phone numbers to E.164 with libphonenumber.

#include <optional>
#include <string>
#include <string_view>

namespace riskbridge::flows {

/// `raw` as written by the candidate ("(415) 555-0101", "+44 20 7946 0958", "415.555.0101
/// ext 12"), read in `default_region` (ISO alpha-2) when it has no country code. nullopt when
/// it does not parse or is not a valid number there. Extensions are dropped. Thread-safe.
std::optional<std::string> normalize_phone(std::string_view raw, std::string_view default_region);

}  // namespace riskbridge::flows
