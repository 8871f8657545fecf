#pragma once

// The configuration file as the section readers see it: every value with the line it was
// written on and its key path, mappings that report unknown and duplicate keys, scalars with
// `${VAR}` replaced, and the problems found, each printed as FILE:LINE: key.path: message.
// Private to the config module.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/substitution.hpp"
#include "riskbridge/config/loader.hpp"

namespace riskbridge::config::detail {

int line_of(const YAML::Node& n);
const char* type_name(const YAML::Node& n);
std::string join_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t i);

/// The key path of a problem with the file as a whole (unreadable, not a mapping, a syntax
/// error before any key).
constexpr const char* whole_file = "config";

/// A value found under a key or at a list index.
struct entry {
    YAML::Node node;
    int line = 0;      ///< the value's line, or the key's when the value is null
    int key_line = 0;  ///< the line of the key (or of the item)
    std::string path;
};

/// Quotes a value for a message, unless it came from the environment.
std::string shown(const scalar& s);

class reader;

/// The keys of one mapping; reports unknown and duplicate keys as it is built.
class map_view {
public:
    map_view(reader& r, const entry& e, std::initializer_list<std::string_view> known);

    /// The entry under `key`, when the key is present (its value may be null).
    std::optional<entry> get(std::string_view key) const {
        auto it = entries_.find(std::string(key));
        if (it == entries_.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    bool has(std::string_view key) const { return entries_.count(std::string(key)) != 0; }
    /// Where problems about a missing key are reported: the line that introduced this map.
    int line() const noexcept { return line_; }
    const std::string& path() const noexcept { return path_; }
    std::string child(std::string_view key) const { return join_path(path_, key); }

private:
    std::map<std::string, entry> entries_;
    int line_ = 0;
    std::string path_;
};

class reader {
public:
    reader(std::string file, const env_lookup& env) : file_(std::move(file)), env_(env) {}

    /// A problem with no line of its own (a key missing with its whole section) is put on the
    /// file's first line, where an editor can jump.
    void report(int line, std::string path, std::string message) {
        problems_.push_back({file_, std::max(line, 1), std::move(path), std::move(message)});
    }

    std::size_t problem_count() const noexcept { return problems_.size(); }

    std::vector<problem> take_problems();

    /// True for a mapping; null is silently false; anything else is reported.
    bool is_map(const entry& e);

    /// The items of a list; nullopt for null (silently) or anything else (reported).
    std::optional<std::vector<entry>> items(const entry& e);

    /// The scalar's text with `${...}` replaced; nullopt for null (silently), for a mapping or
    /// list, and for an unset variable (both reported).
    std::optional<scalar> value(const entry& e);

    /// The file's text, for what the parsed tree does not keep (where a quoted value ends).
    void set_text(std::string_view text) { text_ = text; }

private:
    /// True when the quoted scalar starting at `m` closes on a later line, or never: an
    /// unterminated quote swallows the keys after it, which YAML allows. No configuration value
    /// needs a line break.
    bool quote_spans_lines(const YAML::Mark& m) const;

    std::string file_;
    const env_lookup& env_;
    std::string_view text_;
    std::vector<problem> problems_;
};

}  // namespace riskbridge::config::detail
