#include "config/value_readers.hpp"

#include <cmath>
#include <utility>

#include "config/validators.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::config::detail {

bool read_string(reader& r, const map_view& m, std::string_view key, std::string& out,
                 bool non_empty) {
    auto e = m.get(key);
    if (!e) {
        return false;
    }
    auto v = r.value(*e);
    if (!v) {
        if (non_empty && e->node.IsNull()) {
            r.report(e->line, e->path, "must not be empty");
        }
        return false;
    }
    if (non_empty && v->text.empty()) {
        r.report(e->line, e->path, "must not be empty");
        return false;
    }
    out = v->text;
    return true;
}

namespace {

/// An optional text: absent keeps `out`, null or "" clears it, else `accept` decides (it
/// reports its own problem).
template <class Accept>
void read_optional_text(reader& r, const map_view& m, std::string_view key,
                        std::optional<std::string>& out, Accept accept) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    if (e->node.IsNull()) {
        out.reset();
        return;
    }
    if (auto v = r.value(*e)) {
        if (v->text.empty()) {
            out.reset();
        } else if (accept(*e, *v)) {
            out = v->text;
        }
    }
}

}  // namespace

void read_optional(reader& r, const map_view& m, std::string_view key,
                   std::optional<std::string>& out) {
    read_optional_text(r, m, key, out, [](const auto&, const auto&) { return true; });
}

void read_url(reader& r, const map_view& m, std::string_view key, std::string& out) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    if (auto v = r.value(*e); v && check_url(r, *e, *v)) {
        out = v->text;
    } else if (e->node.IsNull()) {
        r.report(e->line, e->path, "must be an http:// or https:// URL");
    }
}

void read_optional_url(reader& r, const map_view& m, std::string_view key,
                       std::optional<std::string>& out) {
    read_optional_text(r, m, key, out,
                       [&r](const auto& e, const auto& v) { return check_url(r, e, v); });
}

int read_ms(reader& r, const map_view& m, std::string_view key, milliseconds& out, long long min) {
    long long n = 0;
    const int line = read_int(r, m, key, n, min, max_duration_ms);
    if (line != 0) {
        out = milliseconds(n);
    }
    return line;
}

int read_optional_hours(reader& r, const map_view& m, std::string_view key,
                        std::optional<milliseconds>& out, long long max_hours) {
    constexpr double ms_per_hour = 3'600'000.0;
    auto e = m.get(key);
    if (!e) {
        return 0;
    }
    if (e->node.IsNull()) {
        out.reset();
        return 0;
    }
    auto v = r.value(*e);
    if (!v) {
        return 0;
    }
    const std::string& t = v->text;
    if (t.empty()) {
        out.reset();
        return 0;
    }
    double hours = 0;
    const char* first = t.data() + (t.front() == '+' ? 1 : 0);
    const char* last = t.data() + t.size();
    const auto [end, ec] = std::from_chars(first, last, hours);
    if (end != last || ec == std::errc::invalid_argument ||
        (ec == std::errc() && !std::isfinite(hours))) {
        r.report(e->line, e->path,
                 "expected a number of hours such as 12 or 0.5" +
                     (v->from_env ? std::string() : ", got" + shown(*v)));
        return 0;
    }
    if (ec == std::errc::result_out_of_range || !(hours > 0) ||
        hours > static_cast<double>(max_hours)) {
        std::string msg = "must be more than 0 and at most " + std::to_string(max_hours) + " hours";
        if (!v->from_env) {
            msg += " (got " + t + ")";
        }
        r.report(e->line, e->path, std::move(msg));
        return 0;
    }
    const long long ms = std::llround(hours * ms_per_hour);
    if (ms < 1) {
        r.report(e->line, e->path, "is less than a millisecond");
        return 0;
    }
    out = milliseconds(ms);
    return e->line;
}

void read_bool(reader& r, const map_view& m, std::string_view key, bool& out) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    auto v = r.value(*e);
    if (!v) {
        return;
    }
    const std::string l = to_lower(v->text);
    if (l == "true" || l == "yes" || l == "on") {
        out = true;
    } else if (l == "false" || l == "no" || l == "off") {
        out = false;
    } else {
        r.report(e->line, e->path, "expected true or false");
    }
}

void read_secret(reader& r, const map_view& m, std::string_view key, secret& out, bool required) {
    auto e = m.get(key);
    if (!e) {
        if (required) {
            r.report(m.line(), m.child(key), "is required");
        }
        return;
    }
    if (e->node.IsNull()) {
        if (required) {
            r.report(e->line, e->path, "is empty");
        }
        return;
    }
    auto v = r.value(*e);
    if (!v) {
        return;
    }
    if (required && v->text.empty()) {
        r.report(e->line, e->path, "is empty");
        return;
    }
    out = secret(v->text);
}

bool read_secret_list(reader& r, const map_view& m, std::string_view key,
                      std::vector<secret>& out) {
    auto e = m.get(key);
    if (!e) {
        return false;
    }
    auto list = r.items(*e);
    if (!list) {
        return !e->node.IsNull();
    }
    std::vector<secret> values;
    for (const entry& item : *list) {
        if (item.node.IsNull()) {
            r.report(item.line, item.path, "is empty");
            continue;
        }
        auto v = r.value(item);
        if (!v) {
            continue;
        }
        if (v->text.empty()) {
            r.report(item.line, item.path, "is empty");
            continue;
        }
        values.emplace_back(v->text);
    }
    out = std::move(values);
    return true;
}

const item_rule decision_items{is_decision_name, "an UPPER_CASE decision such as ACCEPT"};
const item_rule address_items{is_cidr, "an IP address or CIDR such as 10.0.0.0/8"};

void read_string_list(reader& r, const map_view& m, std::string_view key,
                      std::vector<std::string>& out, const item_rule& rule) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    auto list = r.items(*e);
    if (!list) {
        if (e->node.IsNull()) {
            out.clear();
        }
        return;
    }
    std::vector<std::string> values;
    for (const entry& item : *list) {
        auto v = r.value(item);
        if (!v) {
            if (item.node.IsNull()) {
                r.report(item.line, item.path, "must not be empty");
            }
            continue;
        }
        if (v->text.empty()) {
            r.report(item.line, item.path, "must not be empty");
        } else if (rule.valid && !rule.valid(v->text)) {
            r.report(item.line, item.path,
                     std::string("expected ") + rule.expected + ", got" + shown(*v));
        } else {
            values.push_back(v->text);
        }
    }
    out = std::move(values);
}

void read_string_map(reader& r, const map_view& m, std::string_view key,
                     std::map<std::string, std::string>& out, const map_rule& rule) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    if (!r.is_map(*e)) {
        if (e->node.IsNull()) {
            out.clear();
        }
        return;
    }
    std::map<std::string, std::string> values;
    for (const auto& kv : e->node) {
        const int key_line = line_of(kv.first);
        if (!kv.first.IsScalar()) {
            r.report(key_line, e->path, "a key must be " + rule.key_expected);
            continue;
        }
        const std::string written = kv.first.Scalar();
        const entry value{kv.second, kv.second.IsNull() ? key_line : line_of(kv.second), key_line,
                          join_path(e->path, written)};
        auto stored = rule.key ? rule.key(r, value, written) : std::optional<std::string>(written);
        if (!stored) {
            continue;
        }
        if (values.count(*stored) != 0) {
            r.report(key_line, value.path, "duplicate key");
            continue;
        }
        auto v = r.value(value);
        if (!v) {
            if (kv.second.IsNull()) {
                r.report(value.line, value.path, rule.empty_value);
            }
            continue;
        }
        if (v->text.empty()) {
            r.report(value.line, value.path, rule.empty_value);
            continue;
        }
        if (rule.value && !rule.value(r, value, *stored, *v)) {
            continue;
        }
        values[*stored] = v->text;
    }
    out = std::move(values);
}

}  // namespace riskbridge::config::detail
