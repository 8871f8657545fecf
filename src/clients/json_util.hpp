#pragma once

// Checked, non-throwing accessors for untrusted JSON: a missing key and a key of the wrong
// type are the same thing (absent). nlohmann's value()/at()/get() throw; these never do.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace riskbridge::clients::detail {

using nlohmann::json;

inline const json* member(const json& obj, std::string_view key) {
    if (!obj.is_object()) {
        return nullptr;
    }
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

inline const json* object_member(const json& obj, std::string_view key) {
    const json* m = member(obj, key);
    return m != nullptr && m->is_object() ? m : nullptr;
}

inline const json* array_member(const json& obj, std::string_view key) {
    const json* m = member(obj, key);
    return m != nullptr && m->is_array() ? m : nullptr;
}

inline std::optional<std::string> string_member(const json& obj, std::string_view key) {
    const json* m = member(obj, key);
    if (m == nullptr || !m->is_string()) {
        return std::nullopt;
    }
    return m->get_ref<const std::string&>();
}

inline std::string string_or_empty(const json& obj, std::string_view key) {
    return string_member(obj, key).value_or(std::string{});
}

inline std::optional<double> number_member(const json& obj, std::string_view key) {
    const json* m = member(obj, key);
    if (m == nullptr || !m->is_number()) {
        return std::nullopt;
    }
    return m->get<double>();
}

inline std::optional<long long> integer_member(const json& obj, std::string_view key) {
    const json* m = member(obj, key);
    if (m == nullptr) {
        return std::nullopt;
    }
    if (m->is_number_integer() || m->is_number_unsigned()) {
        return m->get<long long>();
    }
    return std::nullopt;
}

inline std::optional<bool> bool_member(const json& obj, std::string_view key) {
    const json* m = member(obj, key);
    if (m == nullptr || !m->is_boolean()) {
        return std::nullopt;
    }
    return m->get<bool>();
}

/// The string elements of an array member (other elements are skipped).
inline std::vector<std::string> string_array(const json& obj, std::string_view key) {
    std::vector<std::string> out;
    if (const json* a = array_member(obj, key)) {
        for (const auto& e : *a) {
            if (e.is_string()) {
                out.push_back(e.get<std::string>());
            }
        }
    }
    return out;
}

/// Serialises without ever throwing on invalid UTF-8 (it is replaced).
inline std::string dump(const json& j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

/// Parses without throwing; a discarded value on failure.
inline json parse(std::string_view text) {
    return json::parse(text, nullptr, false);
}

}  // namespace riskbridge::clients::detail
