#pragma once

// Field mapping: an Ashby candidate and application to the `data.individual` of a RiskOS
// evaluation request (docs/external-apis.md).
//
//   given_name / family_name  split_name(candidate.name)
//   email                     the primary email, else the first (must look like a@b)
//   phone_number              the primary phone, else the first, in E.164
//                             (mapping.default_phone_region, then the candidate's country)
//   address.locality          location component City
//   address.major_admin_division  location component Region (US and CA names become codes)
//   address.country           location component Country as ISO alpha-2 (names and codes
//                             accepted), else mapping.default_country
//   <any path>                mapping.custom_fields: a custom field (by title or id) of the
//                             application, then of the candidate, then a form answer (by
//                             path or title), through its `transform` table
//   ip_address (data level)   application.submitterClientIp when it is an IP address
//
// Fields are dotted paths under data.individual ("address.postal_code"); the one path that is
// not is "ip_address", which sits beside `individual` in `data`. Required fields
// (mapping.required_fields) that end up empty are listed in `missing`, in config order.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/config/config.hpp"

namespace riskbridge::flows {

struct mapped_applicant {
    std::string candidate_id;                   ///< individual.id
    std::map<std::string, std::string> fields;  ///< dotted path under individual -> value
    std::optional<std::string> ip_address;
    std::vector<std::string> missing;  ///< required paths that are empty, in config order
    std::vector<std::string> invalid;  ///< paths given but unusable (e.g. a bad phone number)

    bool complete() const noexcept { return missing.empty(); }
    const std::string* field(std::string_view path) const;
};

mapped_applicant map_applicant(const config::mapping_config& cfg,
                               const clients::ashby::candidate& candidate,
                               const clients::ashby::application& application);

/// The evaluation request as JSON text: {"id","timestamp","workflow","data":{"event_type",
/// "event_category","ip_address"?,"individual":{...}}}. Names are clipped to
/// clients::riskos::max_name_chars. `pretty` indents it (for the preview).
std::string build_request_json(const mapped_applicant& m, const std::string& request_id,
                               const std::string& timestamp, const std::string& workflow,
                               bool pretty = false);

/// The same request with every personal value masked ("J*** D**", "j***@example.com",
/// "+1*******67", "203.0.113.*"); ids, codes and the structure are kept. Invalid JSON gives
/// an empty string.
std::string mask_request_json(std::string_view request_json, bool pretty = true);

/// A readable name for a field in notes and outcomes: "email", "phone", "given name",
/// "postal code", ...
std::string field_label(std::string_view path);

/// ISO 3166-1 alpha-2 for a country name ("United States", "Deutschland" is not known) or
/// code ("us", "USA", "GB"); nullopt when unknown. English names come from ICU.
std::optional<std::string> country_code(std::string_view name_or_code);

/// The postal code of a US state or a Canadian province ("California" -> "CA"); the input
/// when it is already a code; nullopt for other countries or unknown names.
std::optional<std::string> region_code(std::string_view country_alpha2, std::string_view region);

/// A mapping table applied to a value: an exact key first, then a case-insensitive one; the
/// value itself when none matches.
std::string apply_transform(const std::map<std::string, std::string>& transform,
                            const std::string& value);

}  // namespace riskbridge::flows
