#include "riskbridge/flows/consent.hpp"
#include "riskbridge/core/text.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace riskbridge::flows {

namespace {

bool matches(const config::consent_config& cfg, const nlohmann::json& v) {
    if (v.is_boolean()) {
        const bool b = v.get<bool>();
        return std::any_of(
            cfg.accepted.begin(), cfg.accepted.end(),
            [&](const config::consent_answer& a) { return a.is_bool && a.boolean == b; });
    }
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        return std::any_of(cfg.accepted.begin(), cfg.accepted.end(),
                           [&](const config::consent_answer& a) {
                               return !a.is_bool && iequals(trim_space(a.text), trim_space(s));
                           });
    }
    if (v.is_object()) {
        // A select answer sent as {value, label}.
        if (auto it = v.find("value"); it != v.end()) {
            return matches(cfg, *it);
        }
        return false;
    }
    if (v.is_array()) {
        return std::any_of(v.begin(), v.end(),
                           [&](const nlohmann::json& e) { return matches(cfg, e); });
    }
    return false;
}

}  // namespace

const char* to_string(consent_status s) noexcept {
    switch (s) {
        case consent_status::not_required:
            return "not_required";
        case consent_status::given:
            return "given";
        case consent_status::refused:
            return "refused";
        case consent_status::missing:
            return "missing";
    }
    return "missing";
}

bool is_accepted_answer(const config::consent_config& cfg, std::string_view answer_json) {
    if (answer_json.empty()) {
        return false;
    }
    const auto v = nlohmann::json::parse(answer_json, nullptr, /*allow_exceptions=*/false);
    return !v.is_discarded() && matches(cfg, v);
}

consent_result check_consent(const config::consent_config& cfg,
                             const clients::ashby::application& app) {
    if (!cfg.required) {
        return {consent_status::not_required};
    }
    const clients::ashby::form_answer* answer = app.find_answer(cfg.question);
    if (answer == nullptr || !answer->answered()) {
        return {consent_status::missing};
    }
    return {is_accepted_answer(cfg, answer->value_json) ? consent_status::given
                                                        : consent_status::refused};
}

}  // namespace riskbridge::flows
