#include "config/value_readers.hpp"

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

}  // namespace riskbridge::config::detail
