#pragma once

// Typed readers of one key of a mapping: text, URLs, integers in a range, durations,
// booleans, secrets and lists. Each reports what is wrong with the value, at its line, and
// leaves `out` untouched when the key is absent, null or wrong. Private to the config module.

#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/yaml_reader.hpp"
#include "riskbridge/config/config.hpp"

namespace riskbridge::config::detail {

using std::chrono::milliseconds;

constexpr long long max_duration_ms = 365LL * 24 * 3600 * 1000;  // one year
constexpr long long no_upper_bound = std::numeric_limits<long long>::max();

bool read_string(reader& r, const map_view& m, std::string_view key, std::string& out,
                 bool non_empty = false);

/// Optional text: empty means unset.
void read_optional(reader& r, const map_view& m, std::string_view key,
                   std::optional<std::string>& out);

void read_url(reader& r, const map_view& m, std::string_view key, std::string& out);

void read_optional_url(reader& r, const map_view& m, std::string_view key,
                       std::optional<std::string>& out);

/// An integer in [min, max]; returns the line it was read from (0 when not set).
template <class T>
int read_int(reader& r, const map_view& m, std::string_view key, T& out, long long min,
             long long max) {
    auto e = m.get(key);
    if (!e) {
        return 0;
    }
    auto v = r.value(*e);
    if (!v) {
        return 0;
    }
    long long n = 0;
    const std::string& t = v->text;
    const char* first = t.data() + (!t.empty() && t.front() == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(first, t.data() + t.size(), n);
    if (t.empty() || end != t.data() + t.size() || ec == std::errc::invalid_argument) {
        r.report(e->line, e->path,
                 "expected a whole number" + (v->from_env ? std::string() : ", got" + shown(*v)));
        return 0;
    }
    if (ec == std::errc::result_out_of_range || n < min || n > max) {
        std::string msg = max == no_upper_bound ? "must be at least " + std::to_string(min)
                                                : "must be from " + std::to_string(min) + " to " +
                                                      std::to_string(max);
        if (!v->from_env) {
            msg += " (got " + t + ")";
        }
        r.report(e->line, e->path, std::move(msg));
        return 0;
    }
    out = static_cast<T>(n);
    return e->line;
}

int read_ms(reader& r, const map_view& m, std::string_view key, milliseconds& out,
            long long min = 1);

/// An optional positive number of hours, at most `max_hours`, fractions allowed (0.5 = 30
/// minutes), kept as milliseconds (rounded to the nearest one). Absent keeps `out`, null or ""
/// clears it. Returns the line it was read from (0 when not set).
int read_optional_hours(reader& r, const map_view& m, std::string_view key,
                        std::optional<milliseconds>& out, long long max_hours);

void read_bool(reader& r, const map_view& m, std::string_view key, bool& out);

/// A secret that must end up non-empty (when `required`).
void read_secret(reader& r, const map_view& m, std::string_view key, secret& out, bool required);

/// A list of secrets, each non-empty. Returns false when the key is absent or null.
bool read_secret_list(reader& r, const map_view& m, std::string_view key, std::vector<secret>& out);

/// What every item of a string list must be, beyond non-empty: a check and the message's
/// "expected ..." part.
struct item_rule {
    std::function<bool(std::string_view)> valid;
    std::string expected;
};

extern const item_rule decision_items;
extern const item_rule address_items;

/// A list of non-empty strings (replaces the default when given).
void read_string_list(reader& r, const map_view& m, std::string_view key,
                      std::vector<std::string>& out, const item_rule& rule = {});

/// What the keys and values of a map of strings must be. `at` is the value's entry (its line,
/// the line of its key, and its path under the key as written).
struct map_rule {
    /// Named in "a key must be ..." when a key is a mapping or a list.
    std::string key_expected;
    /// The key as it is stored (normalised), or nullopt once it has reported what is wrong.
    std::function<std::optional<std::string>(reader& r, const entry& at, const std::string& key)>
        key;
    /// Reported for a value that is null or empty.
    std::string empty_value;
    /// Whether a non-empty value is accepted for the stored `key`; reports what is wrong.
    /// Unset: every value is.
    std::function<bool(reader& r, const entry& at, const std::string& key, const scalar& value)>
        value;
};

/// A map of strings: absent keeps `out`, null clears it, a mapping replaces it with its valid
/// entries. A key that appears twice once normalised is reported at its second line.
void read_string_map(reader& r, const map_view& m, std::string_view key,
                     std::map<std::string, std::string>& out, const map_rule& rule);

}  // namespace riskbridge::config::detail
