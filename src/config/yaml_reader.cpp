#include "config/yaml_reader.hpp"

namespace riskbridge::config::detail {

int line_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
}

const char* type_name(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a single value";
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t i) {
    return parent + "[" + std::to_string(i) + "]";
}

std::string shown(const scalar& s) {
    if (s.from_env) {
        return "";
    }
    return " '" + s.text + "'";
}

std::vector<problem> reader::take_problems() {
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const problem& a, const problem& b) { return a.line < b.line; });
    return std::move(problems_);
}

bool reader::is_map(const entry& e) {
    if (e.node.IsMap()) {
        return true;
    }
    if (!e.node.IsNull()) {
        report(e.line, e.path, std::string("expected a mapping, got ") + type_name(e.node));
    }
    return false;
}

std::optional<std::vector<entry>> reader::items(const entry& e) {
    if (e.node.IsNull()) {
        return std::nullopt;
    }
    if (!e.node.IsSequence()) {
        report(e.line, e.path, std::string("expected a list, got ") + type_name(e.node));
        return std::nullopt;
    }
    std::vector<entry> out;
    std::size_t i = 0;
    for (const auto& item : e.node) {
        const int l = item.IsNull() ? e.line : line_of(item);
        out.push_back({item, l, l, index_path(e.path, i++)});
    }
    return out;
}

std::optional<scalar> reader::value(const entry& e) {
    if (e.node.IsNull()) {
        return std::nullopt;
    }
    if (!e.node.IsScalar()) {
        report(e.line, e.path, std::string("expected a single value, got ") + type_name(e.node));
        return std::nullopt;
    }
    scalar s;
    s.plain = e.node.Tag() == "?";
    if (!s.plain && quote_spans_lines(e.node.Mark())) {
        report(e.line, e.path,
               "a quoted value runs over several lines: is its closing quote missing?");
        return std::nullopt;
    }
    if (!substitute(e.node.Scalar(), env_, s,
                    [&](std::string message) { report(e.line, e.path, std::move(message)); })) {
        return std::nullopt;
    }
    return s;
}

bool reader::quote_spans_lines(const YAML::Mark& m) const {
    if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text_.size()) {
        return false;
    }
    const auto start = static_cast<std::size_t>(m.pos);
    const char quote = text_[start];
    if (quote != '"' && quote != '\'') {
        return false;
    }
    for (std::size_t i = start + 1; i < text_.size(); ++i) {
        const char c = text_[i];
        if (c == '\n') {
            return true;
        }
        if (quote == '"' && c == '\\') {
            ++i;  // an escape: the next character is not the closing quote
        } else if (c == quote) {
            if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
                ++i;  // '' is a quote inside a single-quoted value
                continue;
            }
            return false;
        }
    }
    return true;
}

map_view::map_view(reader& r, const entry& e, std::initializer_list<std::string_view> known)
    : line_(e.key_line), path_(e.path) {
    if (!r.is_map(e)) {
        return;
    }
    for (const auto& kv : e.node) {
        const YAML::Node& key = kv.first;
        const int key_line = line_of(key);
        if (!key.IsScalar()) {
            r.report(key_line, path_, "a key must be a plain name");
            continue;
        }
        const std::string name = key.Scalar();
        const std::string path = join_path(path_, name);
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            r.report(key_line, path, "unknown key");
            continue;
        }
        if (entries_.count(name) != 0) {
            r.report(key_line, path, "duplicate key");
            continue;
        }
        const int l = kv.second.IsNull() ? key_line : line_of(kv.second);
        entries_.emplace(name, entry{kv.second, l, key_line, path});
    }
}

}  // namespace riskbridge::config::detail
