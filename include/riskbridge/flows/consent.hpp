#pragma once

// The consent gate: when `consent.required`, the configured question must be answered with one
// of the accepted answers before any RiskOS call.

#include <string>

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/config/config.hpp"

namespace riskbridge::flows {

enum class consent_status {
    not_required,  ///< consent.required is false
    given,         ///< the answer is one of consent.accepted
    refused,       ///< answered with something else (false, "I Do Not Consent", ...)
    missing,       ///< the question is not on the form, unanswered, or null
};
const char* to_string(consent_status s) noexcept;

struct consent_result {
    consent_status status = consent_status::not_required;
    bool allowed() const noexcept {
        return status == consent_status::not_required || status == consent_status::given;
    }
};

/// Finds the question by path or title (case-insensitive) in the application's form answers.
/// A boolean answer matches an accepted boolean; a string answer matches an accepted string
/// (case-insensitive, surrounding spaces ignored); an array answer (multi-select) matches when
/// any element does.
consent_result check_consent(const config::consent_config& cfg,
                             const clients::ashby::application& app);

/// The same check on a raw JSON answer ("true", "\"I Consent\"", "null", "" = unanswered).
bool is_accepted_answer(const config::consent_config& cfg, std::string_view answer_json);

}  // namespace riskbridge::flows
