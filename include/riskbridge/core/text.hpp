#pragma once

// Small ASCII text helpers shared by the HTTP server, the security checks, the upstream
// clients and the flows. Locale-independent: bytes above 0x7F are never letters or spaces.

#include <string_view>

namespace riskbridge {

/// Equal but for ASCII letter case ("Content-Type" and "content-type", "Bearer" and "bearer").
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Without leading and trailing spaces and tabs: HTTP's optional whitespace around a value.
std::string_view trim_ows(std::string_view s) noexcept;

/// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim_space(std::string_view s) noexcept;

}  // namespace riskbridge
