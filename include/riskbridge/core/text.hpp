#pragma once

// Small ASCII text helpers shared by the HTTP server, the security checks, the upstream
// clients and the flows. Locale-independent: bytes above 0x7F are never letters or spaces.

#include <string>
#include <string_view>
#include <vector>

namespace riskbridge {

/// Equal but for ASCII letter case ("Content-Type" and "content-type", "Bearer" and "bearer").
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Without leading and trailing spaces and tabs: HTTP's optional whitespace around a value.
std::string_view trim_ows(std::string_view s) noexcept;

/// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim_space(std::string_view s) noexcept;

/// A copy with ASCII 'A'-'Z' lowered; every other byte (UTF-8 included) is kept as it is.
std::string to_lower(std::string_view s);

/// A copy with ASCII 'a'-'z' raised; every other byte (UTF-8 included) is kept as it is.
std::string to_upper(std::string_view s);

/// The items with `separator` between them: join({"a", "b"}, ", ") == "a, b".
/// A separator is written only once the text so far is not empty, so leading empty items
/// leave nothing behind: join({"", "a"}, ", ") == "a", while join({"a", "", "b"}, ", ") ==
/// "a, , b". (This is what the flows' and the demo's copies did; kept so their text is
/// unchanged.)
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace riskbridge
