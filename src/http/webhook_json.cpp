// See webhook_json.hpp.

#include "http/webhook_json.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <utility>
#include <vector>

#include "riskbridge/core/encoding.hpp"

namespace riskbridge::http::detail {

namespace {

using nlohmann::json;

/// Deeper documents than this are refused before parsing (no webhook nests more than ~10).
constexpr int max_json_depth = 64;

/// Checks the nesting depth of a JSON text without parsing it, so hostile input cannot make
/// the parser recurse or allocate deeply. Strings (with escapes) are skipped.
bool nesting_within(std::string_view text, int limit) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > limit) {
                return false;
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

/// The longest string kept of a RiskOS event; a longer one is dropped (ids, event types,
/// status words and DocV's progress notes are far shorter).
constexpr std::size_t max_riskos_text = 256;

}  // namespace

std::optional<json> parse_untrusted(std::string_view body, std::string& reason) {
    if (!nesting_within(body, max_json_depth)) {
        reason = "JSON nested too deeply";
        return std::nullopt;
    }
    json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        reason = "body is not valid JSON";
        return std::nullopt;
    }
    return doc;
}

std::optional<json> parse_untrusted(std::string_view body, std::string& reason,
                                    std::initializer_list<json_path> paths) {
    if (!nesting_within(body, max_json_depth)) {
        reason = "JSON nested too deeply";
        return std::nullopt;
    }
    // keys[d - 1]: the key being read at depth d, while every key above it is on a kept path.
    std::vector<std::string> keys;
    const auto on_a_path = [&](std::string_view key) {
        for (const json_path& path : paths) {
            if (path.size() <= keys.size()) {
                continue;
            }
            const auto* p = path.begin();
            if (std::equal(keys.begin(), keys.end(), p) && p[keys.size()] == key) {
                return true;
            }
        }
        return false;
    };
    const json::parser_callback_t keep = [&](int depth, json::parse_event_t event, json& parsed) {
        if (event != json::parse_event_t::key) {
            return true;  // values and containers stay unless their key was dropped
        }
        const auto d = static_cast<std::size_t>(std::max(depth, 1));
        if (keys.size() + 1 < d) {  // inside a dropped member or an array: nothing is kept
            return false;
        }
        keys.resize(d - 1);
        const auto& key = parsed.get_ref<const std::string&>();
        if (!on_a_path(key)) {
            return false;
        }
        keys.push_back(key);
        return true;
    };
    json doc = json::parse(body, keep, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        reason = "body is not valid JSON";
        return std::nullopt;
    }
    return doc;
}

const json* member(const json& obj, std::string_view key) {
    if (!obj.is_object()) {
        return nullptr;
    }
    const auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::optional<std::string> string_member(const json& obj, std::string_view key) {
    const json* v = member(obj, key);
    if (v == nullptr || !v->is_string()) {
        return std::nullopt;
    }
    return v->get<std::string>();
}

bool plausible_id(std::string_view id) {
    return !id.empty() && id.size() <= max_peer_id_chars &&
           std::all_of(id.begin(), id.end(),
                       [](char c) { return std::isgraph(static_cast<unsigned char>(c)) != 0; });
}

json reduced_riskos_event(const json& doc) {
    const auto keep = [](json& into, const json& from, std::initializer_list<const char*> keys) {
        for (const char* key : keys) {
            if (auto v = string_member(from, key); v && v->size() <= max_riskos_text) {
                into[key] = std::move(*v);
            }
        }
    };
    json out = json::object();
    if (string_member(doc, "event_type")) {
        keep(out, doc, {"event_id", "event_type", "event_at"});
        json data = json::object();
        if (const json* d = member(doc, "data"); d != nullptr && d->is_object()) {
            keep(data, *d,
                 {"eval_id", "id", "workflow", "decision", "eval_status", "status", "reviewer_id",
                  "previous_eval_id"});
            if (string_member(*d, "reviewer_id") == std::optional<std::string>("Webhook")) {
                keep(data, *d, {"notes"});
            }
        }
        out["data"] = std::move(data);
    } else if (string_member(doc, "eventGroup")) {
        keep(out, doc, {"id", "eventGroup"});
        json event = json::object();
        if (const json* e = member(doc, "event"); e != nullptr && e->is_object()) {
            keep(event, *e, {"eventType", "message", "docVTransactionToken"});
        }
        out["event"] = std::move(event);
    }
    return out;
}

}  // namespace riskbridge::http::detail
