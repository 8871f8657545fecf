#pragma once

// The webhook handler's reading of untrusted JSON, apart from the handler so that it can be
// tested and fuzzed alone: a parse that refuses deep nesting and never throws, member access
// that tolerates any shape, the plausibility of an id, and what is kept of a RiskOS event.
// Private to the http module.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace riskbridge::http::detail {

/// Non-throwing parse of untrusted text: nullopt with the reason when it is not JSON or is
/// nested deeper than any webhook (64 levels; checked before parsing).
std::optional<nlohmann::json> parse_untrusted(std::string_view body, std::string& reason);

/// A path of object keys from the document's root, e.g. {"data", "application", "id"}.
using json_path = std::initializer_list<std::string_view>;

/// parse_untrusted() that keeps only the members on `paths` (and the objects that lead to
/// them): the whole text is still checked, but nothing else is built, so a delivery costs a
/// handful of allocations instead of one per value. A path counts keys only: where an array
/// stands on a path, its elements' members that continue the path are kept too (a reader
/// that wants an object there sees an array, as it would without the filter).
std::optional<nlohmann::json> parse_untrusted(std::string_view body, std::string& reason,
                                              std::initializer_list<json_path> paths);

/// The member `key` of an object; nullptr when `obj` is not an object or has no such member.
const nlohmann::json* member(const nlohmann::json& obj, std::string_view key);
/// The string member `key`; nullopt when absent or not a string.
std::optional<std::string> string_member(const nlohmann::json& obj, std::string_view key);

/// Ids are logged and stored as keys: 1 to 200 printable characters, no spaces.
bool plausible_id(std::string_view id);

/// What is stored of a RiskOS event: only what the riskos_event job reads
/// (src/flows/riskos_event.cpp), strings only, each at most 256 bytes; never
/// enrichments, document data or the individual (names, emails, phones, addresses).
///   current envelope  {event_id, event_type, event_at, data: {eval_id, id, workflow,
///                     decision, eval_status, status, reviewer_id, notes}}, `notes` only
///                     from reviewer "Webhook" (DocV's own progress; a person's note may
///                     say anything)
///   older DocV one    {id, eventGroup, event: {eventType, message, docVTransactionToken}}
nlohmann::json reduced_riskos_event(const nlohmann::json& doc);

}  // namespace riskbridge::http::detail
