// Loads the YAML configuration: parses it with yaml-cpp, replaces `${VAR}` and `${VAR:-default}`
// in every scalar value (after parsing, so line numbers stay those of the file), maps the
// values onto config.hpp and validates them. Every problem is collected with its line and key
// path; nothing throws out, and no message ever carries a secret or a substituted value.
//
// yaml_reader.hpp tracks lines and collects problems, substitution.hpp replaces `${...}`,
// validators.hpp and value_readers.hpp check and read single values, sections.hpp reads each
// section, and dump.cpp writes the redacted effective configuration.

#include "riskbridge/config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "config/sections.hpp"
#include "config/yaml_reader.hpp"

namespace riskbridge::config {

namespace detail {

namespace {

void read_config(reader& r, const YAML::Node& root, config& cfg) {
    const entry top{root, root.IsNull() ? 0 : line_of(root), 0, ""};
    if (!root.IsNull() && !root.IsMap()) {
        r.report(
            top.line, whole_file,
            std::string("expected a mapping of sections at the top level, got ") + type_name(root));
        return;
    }
    map_view m(r, top,
               {"server", "ashby", "riskos", "triggers", "consent", "tags", "notes", "mapping",
                "store", "workers", "logging"});
    // Required sections are read even when absent, so their required keys are reported.
    const auto section = [&](std::string_view key) {
        auto e = m.get(key);
        return e ? *e : entry{YAML::Node(), 0, 0, std::string(key)};
    };
    read_server(r, section("server"), cfg.server);
    read_ashby(r, section("ashby"), cfg.ashby);
    read_riskos(r, section("riskos"), cfg.riskos);
    if (auto e = m.get("triggers")) {
        read_triggers(r, *e, cfg.triggers);
    }
    read_consent(r, section("consent"), cfg.consent);
    read_tags(r, section("tags"), cfg.tags);
    read_notes(r, section("notes"), cfg.notes);
    read_mapping(r, section("mapping"), cfg.mapping);
    read_store(r, section("store"), cfg.store);
    read_workers(r, section("workers"), cfg.workers);
    read_logging(r, section("logging"), cfg.logging);
}

std::optional<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        return std::nullopt;
    }
    return text;
}

/// The key path a line of YAML text sits under, from the block-style keys above it (a syntax
/// error leaves no tree to ask): "ashby.api_key" for the line of that key or for one inside
/// its value; "config" before the first key.
std::string key_path_at(std::string_view text, int line) {
    std::vector<std::pair<std::size_t, std::string>> stack;  // (indent, key)
    int n = 0;
    std::size_t pos = 0;
    while (pos <= text.size() && ++n <= line) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        std::string_view l = text.substr(pos, end - pos);
        pos = end + 1;
        std::size_t indent = l.find_first_not_of(' ');
        if (indent == std::string_view::npos || l[indent] == '#') {
            continue;
        }
        if (l.compare(indent, 2, "- ") == 0) {  // a list item's first key
            indent = l.find_first_not_of(' ', indent + 2);
            if (indent == std::string_view::npos) {
                continue;
            }
        }
        std::size_t k = indent;
        while (k < l.size() && (std::isalnum(static_cast<unsigned char>(l[k])) != 0 ||
                                l[k] == '_' || l[k] == '-')) {
            ++k;
        }
        if (k == indent || k >= l.size() || l[k] != ':') {
            continue;  // not `key:` (a continuation, a scalar item, a flow collection)
        }
        while (!stack.empty() && stack.back().first >= indent) {
            stack.pop_back();
        }
        stack.emplace_back(indent, std::string(l.substr(indent, k - indent)));
    }
    std::string path;
    for (const auto& [indent, key] : stack) {
        path += (path.empty() ? "" : ".") + key;
    }
    return path.empty() ? whole_file : path;
}

}  // namespace

}  // namespace detail

std::string format_problem(const problem& p) {
    std::string out = p.file + ":" + std::to_string(p.line) + ": ";
    if (!p.key_path.empty()) {
        out += p.key_path + ": ";
    }
    return out + p.message;
}

env_lookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
}

load_result load_config(const std::string& path, const env_lookup& env) {
    std::optional<std::string> text;
    try {
        text = detail::read_file(path);
    } catch (const std::exception&) {
        text.reset();
    }
    if (!text) {
        load_result res;
        res.cfg.source_path = path;
        res.problems.push_back({path, 1, detail::whole_file, "cannot read file"});
        return res;
    }
    return load_config_text(*text, path, env);
}

load_result load_config_text(std::string_view yaml_text, const std::string& path,
                             const env_lookup& env) {
    load_result res;
    res.cfg.source_path = path;
    detail::reader r(path, env);
    r.set_text(yaml_text);
    try {
        const YAML::Node root = YAML::Load(std::string(yaml_text));
        detail::read_config(r, root, res.cfg);
    } catch (const YAML::Exception& e) {
        const int line = e.mark.is_null() ? 1 : e.mark.line + 1;
        r.report(line, detail::key_path_at(yaml_text, line), "YAML syntax error: " + e.msg);
    } catch (const std::exception&) {
        r.report(1, detail::whole_file, "internal error while reading the configuration");
    }
    res.problems = r.take_problems();
    return res;
}

}  // namespace riskbridge::config
