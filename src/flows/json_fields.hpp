#pragma once

// Reading members of JSON the flows did not write themselves (job payloads, stored webhook
// events, checkpoints of earlier versions): a member of the wrong type reads as absent.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/flows/notes.hpp"

namespace riskbridge::flows::detail {

/// The string member `key` of an object, "" when absent, not a string, or `doc` is no object.
std::string text_of(const nlohmann::json& doc, std::string_view key);

/// The object member `key` of an object, null when absent or not an object.
const nlohmann::json* object_of(const nlohmann::json& doc, std::string_view key);

/// The strings of the array member `key` (other elements skipped); empty when absent.
std::vector<std::string> strings_of(const nlohmann::json& doc, std::string_view key);

/// [{"code","module","enrichment"}, ...]
nlohmann::json reasons_json(const std::vector<reason_code>& reasons);
/// The reason codes of such an array (anything else reads as none).
std::vector<reason_code> reasons_of(const nlohmann::json& list);

}  // namespace riskbridge::flows::detail
