#include "json_fields.hpp"

namespace riskbridge::flows::detail {

using nlohmann::json;

std::string text_of(const json& doc, std::string_view key) {
    if (!doc.is_object()) {
        return {};
    }
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

const json* object_of(const json& doc, std::string_view key) {
    if (!doc.is_object()) {
        return nullptr;
    }
    const auto it = doc.find(key);
    return it != doc.end() && it->is_object() ? &*it : nullptr;
}

std::vector<std::string> strings_of(const json& doc, std::string_view key) {
    std::vector<std::string> out;
    if (!doc.is_object()) {
        return out;
    }
    const auto it = doc.find(key);
    if (it != doc.end() && it->is_array()) {
        for (const auto& v : *it) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        }
    }
    return out;
}

json reasons_json(const std::vector<reason_code>& reasons) {
    json out = json::array();
    for (const auto& r : reasons) {
        out.push_back({{"code", r.code}, {"module", r.module}, {"enrichment", r.enrichment}});
    }
    return out;
}

std::vector<reason_code> reasons_of(const json& list) {
    std::vector<reason_code> out;
    if (!list.is_array()) {
        return out;
    }
    for (const auto& r : list) {
        if (r.is_object()) {
            out.push_back({text_of(r, "code"), text_of(r, "module"), text_of(r, "enrichment")});
        }
    }
    return out;
}

}  // namespace riskbridge::flows::detail
