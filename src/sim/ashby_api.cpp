// The fake Ashby API: authentication and version checks, routing, the `success` envelope,
// paging, and the endpoints riskbridge calls (docs/external-apis.md lists what they mirror).

#include <algorithm>
#include <cctype>

#include "riskbridge/observability/log.hpp"
#include "sim/ashby_model.hpp"

namespace riskbridge::sim {

namespace {

using detail::dump;
using detail::json;
using detail::json_response;
using detail::string_field;

/// The longest cursor this API gives out: "c" and up to nine digits.
constexpr std::size_t max_cursor_chars = 10;

/// The offset a paging cursor stands for; nullopt when this API did not give it out.
std::optional<std::size_t> cursor_offset(const json& cursor) {
    const std::string* c = cursor.is_string() ? &cursor.get_ref<const std::string&>() : nullptr;
    if (c == nullptr || c->size() < 2 || c->front() != 'c' ||
        !std::all_of(c->begin() + 1, c->end(),
                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }) ||
        c->size() > max_cursor_chars) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(std::stoul(c->substr(1)));
}

}  // namespace

ashby_simulator::impl::impl(ashby_sim_options o)
    : opt(std::move(o)),
      host("ashby", opt.host, opt.port, opt.threads, opt.seed),
      ids(opt.seed * 7919 + 1),
      expected_credentials(base64_encode(opt.api_key + ":")) {}

// ---- envelopes ------------------------------------------------------------------------

http::response ashby_simulator::impl::ok(json results) {
    return json_response(200, json{{"success", true}, {"results", std::move(results)}});
}

http::response ashby_simulator::impl::fail(const std::string& code, const std::string& message) {
    return json_response(
        200, json{{"success", false},
                  {"errorInfo", {{"code", code}, {"message", message}, {"requestId", ids.next()}}},
                  {"errors", json::array({code})}});
}

http::response ashby_simulator::impl::page(const json& all, const json& body) {
    std::size_t size = static_cast<std::size_t>(std::max(1, opt.page_size));
    if (auto it = body.find("limit"); it != body.end() && it->is_number_integer()) {
        const auto limit = it->get<long long>();
        if (limit > 0) {
            size = std::min<std::size_t>(size, static_cast<std::size_t>(limit));
        }
    }
    std::size_t offset = 0;
    if (auto it = body.find("cursor"); it != body.end() && !it->is_null()) {
        const auto from = cursor_offset(*it);
        if (!from) {
            return fail("invalid_cursor", "the cursor is not one this API gave out");
        }
        offset = *from;
    }
    json results = json::array();
    for (std::size_t i = offset; i < all.size() && i < offset + size; ++i) {
        results.push_back(all[i]);
    }
    const bool more = offset + size < all.size();
    json out{{"success", true}, {"results", std::move(results)}, {"moreDataAvailable", more}};
    if (more) {
        out["nextCursor"] = "c" + std::to_string(offset + size);
    }
    return json_response(200, out);
}

// ---- routing --------------------------------------------------------------------------

http::response ashby_simulator::impl::api(const http::request& req) {
    const std::string endpoint(req.path().substr(req.path().empty() ? 0 : 1));
    if (req.method != "POST") {
        return http::json_error(405, "method_not_allowed", "every Ashby call is a POST");
    }
    const auto auth = req.header("Authorization");
    if (!auth || auth->empty()) {
        return json_response(
            401, json{{"success", false},
                      {"errorInfo", {{"code", "unauthenticated"}, {"message", "no credentials"}}}});
    }
    if (detail::credentials_after(*auth, "Basic") !=
        std::optional<std::string_view>(expected_credentials)) {
        return json_response(403, json{{"success", false},
                                       {"errorInfo",
                                        {{"code", "missing_endpoint_permission"},
                                         {"message", "the key cannot call " + endpoint}}}});
    }
    const auto accept = req.header("Accept");
    if (!accept || accept->find("version=1") == std::string_view::npos) {
        return fail("invalid_api_version", "send Accept: application/json; version=1");
    }
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return fail("invalid_input", "the body is not a JSON object");
    }
    struct route {
        std::string_view name;
        http::response (impl::*fn)(const json&);
    };
    static constexpr route routes[] = {
        {"candidate.info", &impl::candidate_info},
        {"application.info", &impl::application_info},
        {"candidateTag.create", &impl::tag_create},
        {"candidateTag.list", &impl::tag_list},
        {"candidate.addTag", &impl::add_tag},
        {"candidate.removeTag", &impl::remove_tag},
        {"candidate.setFraudStatus", &impl::set_fraud_status},
        {"candidate.createNote", &impl::create_note},
        {"candidate.listNotes", &impl::list_notes},
        {"customField.setValues", &impl::set_values},
    };
    for (const auto& e : routes) {
        if (e.name == endpoint) {
            std::lock_guard lock(mu);
            return (this->*e.fn)(body);
        }
    }
    return http::json_error(404, "not_found", "no such endpoint in the simulator");
}

// ---- endpoints ------------------------------------------------------------------------

ashby_simulator::impl::candidate_rec* ashby_simulator::impl::candidate_named(
    const json& body, const char* field, http::response& failure) {
    const std::string* id = string_field(body, field);
    if (id == nullptr) {
        failure = fail("invalid_input", std::string(field) + " is required");
        return nullptr;
    }
    auto it = candidates.find(*id);
    if (it == candidates.end()) {
        failure = fail("not_found", "no candidate with this id");
        return nullptr;
    }
    return &it->second;
}

http::response ashby_simulator::impl::candidate_info(const json& body) {
    http::response failure;
    candidate_rec* c = candidate_named(body, "id", failure);
    return c != nullptr ? ok(render_candidate(*c)) : failure;
}

http::response ashby_simulator::impl::application_info(const json& body) {
    const std::string* id = string_field(body, "applicationId");
    if (id == nullptr) {
        return fail("invalid_input", "applicationId is required");
    }
    auto it = applications.find(*id);
    if (it == applications.end()) {
        return fail("not_found", "no application with this id");
    }
    bool forms = false;
    if (auto e = body.find("expand"); e != body.end() && e->is_array()) {
        for (const auto& v : *e) {
            forms =
                forms || (v.is_string() && v.get<std::string>() == "applicationFormSubmissions");
        }
    }
    return ok(render_application(it->second, forms));
}

http::response ashby_simulator::impl::tag_create(const json& body) {
    const std::string* title = string_field(body, "title");
    if (title == nullptr) {
        return fail("invalid_input", "title is required");
    }
    for (const auto& t : tags) {
        if (t.title == *title) {
            return ok(tag_json(t));
        }
    }
    tags.push_back({ids.next(), *title, false});
    log::debug("sim_ashby_tag_created", {{"tag_id", tags.back().id}});
    return ok({{"id", tags.back().id}, {"title", *title}, {"isArchived", false}});
}

http::response ashby_simulator::impl::tag_list(const json& body) {
    bool include_archived = false;
    if (auto it = body.find("includeArchived"); it != body.end() && it->is_boolean()) {
        include_archived = it->get<bool>();
    }
    json all = json::array();
    for (const auto& t : tags) {
        if (!t.archived || include_archived) {
            all.push_back(tag_json(t));
        }
    }
    return page(all, body);
}

ashby_simulator::impl::candidate_rec* ashby_simulator::impl::tagging(const json& body,
                                                                     const std::string*& tag_id,
                                                                     http::response& failure) {
    tag_id = string_field(body, "tagId");
    if (tag_id == nullptr) {
        failure = fail("invalid_input", "tagId is required");
        return nullptr;
    }
    candidate_rec* c = candidate_named(body, "candidateId", failure);
    if (c == nullptr) {
        return nullptr;
    }
    const std::string& tid = *tag_id;
    if (std::none_of(tags.begin(), tags.end(), [&](const tag_rec& t) { return t.id == tid; })) {
        failure = fail("not_found", "no tag with this id");
        return nullptr;
    }
    return c;
}

http::response ashby_simulator::impl::add_tag(const json& body) {
    return change_tag(body, true);
}

http::response ashby_simulator::impl::remove_tag(const json& body) {
    return change_tag(body, false);
}

/// candidate.addTag (`add`) or candidate.removeTag: the candidate after the change. Adding a
/// tag it has, or removing one it does not have, succeeds and changes nothing.
http::response ashby_simulator::impl::change_tag(const json& body, bool add) {
    const std::string* tid = nullptr;
    http::response failure;
    candidate_rec* c = tagging(body, tid, failure);
    if (c == nullptr) {
        return failure;
    }
    auto& owned = c->tag_ids;
    const auto at = std::find(owned.begin(), owned.end(), *tid);
    if (add && at == owned.end()) {
        owned.push_back(*tid);
    } else if (!add && at != owned.end()) {
        owned.erase(at);
    }
    log::debug(add ? "sim_ashby_tag_added" : "sim_ashby_tag_removed",
               {{"candidate_id", c->seed.id}, {"tag_id", *tid}});
    return ok(render_candidate(*c));
}

http::response ashby_simulator::impl::set_fraud_status(const json& body) {
    if (!opt.fraud_detection) {
        // The shape riskbridge is tested against; Ashby does not document this answer.
        return json_response(200, json{{"success", false},
                                       {"errorInfo",
                                        {{"code", "fraud_detection_not_enabled"},
                                         {"message",
                                          "Fraud Detection is not enabled for this "
                                          "organization"}}}});
    }
    const std::string* status = string_field(body, "fraudStatus");
    if (status == nullptr) {
        return fail("invalid_input", "fraudStatus is required");
    }
    if (*status != "Fraudulent" && *status != "NotFraudulent" && *status != "Unsure") {
        return fail("invalid_input", "fraudStatus must be Fraudulent, NotFraudulent or Unsure");
    }
    http::response failure;
    candidate_rec* c = candidate_named(body, "candidateId", failure);
    if (c == nullptr) {
        return failure;
    }
    c->fraud_status = *status;
    log::debug("sim_ashby_fraud_status_set", {{"candidate_id", c->seed.id}});
    return ok(render_candidate(*c));
}

http::response ashby_simulator::impl::create_note(const json& body) {
    http::response failure;
    candidate_rec* c = candidate_named(body, "candidateId", failure);
    if (c == nullptr) {
        return failure;
    }
    std::string content;
    auto n = body.find("note");
    if (n != body.end() && n->is_string()) {
        content = n->get<std::string>();
    } else if (n != body.end() && n->is_object() && n->contains("value") &&
               (*n)["value"].is_string()) {
        content = (*n)["value"].get<std::string>();
    } else {
        return fail("invalid_input", "note must be a string or {type, value}");
    }
    sim_note note;
    note.id = ids.next();
    note.candidate_id = c->seed.id;
    note.content = std::move(content);
    note.created_at = now_text();
    if (auto s = body.find("sendNotifications"); s != body.end() && s->is_boolean()) {
        note.send_notifications = s->get<bool>();
    }
    if (auto p = body.find("isPrivate"); p != body.end() && p->is_boolean()) {
        note.is_private = p->get<bool>();
    }
    c->notes.push_back(note);
    log::debug("sim_ashby_note_created", {{"candidate_id", c->seed.id}, {"note_id", note.id}});
    return ok({{"id", note.id},
               {"createdAt", note.created_at},
               {"content", note.content},
               {"isPrivate", note.is_private}});
}

http::response ashby_simulator::impl::list_notes(const json& body) {
    http::response failure;
    const candidate_rec* c = candidate_named(body, "candidateId", failure);
    if (c == nullptr) {
        return failure;
    }
    json all = json::array();
    for (const auto& n : c->notes) {
        all.push_back({{"id", n.id},
                       {"createdAt", n.created_at},
                       {"content", n.content},
                       {"isPrivate", n.is_private}});
    }
    return page(all, body);
}

http::response ashby_simulator::impl::set_values(const json& body) {
    const std::string* oid = string_field(body, "objectId");
    const std::string* type = string_field(body, "objectType");
    auto values = body.find("values");
    if (oid == nullptr || type == nullptr || values == body.end() || !values->is_array()) {
        return fail("invalid_input", "objectId, objectType and values are required");
    }
    std::map<std::string, std::string>* target = nullptr;
    if (*type == "Candidate") {
        if (auto it = candidates.find(*oid); it != candidates.end()) {
            target = &it->second.custom_values;
        }
    } else if (*type == "Application") {
        if (auto it = applications.find(*oid); it != applications.end()) {
            target = &it->second.custom_values;
        }
    } else {
        return fail("invalid_input", "objectType must be Candidate or Application");
    }
    if (target == nullptr) {
        return fail("not_found", "no object with this id");
    }
    for (const auto& v : *values) {
        const std::string* fid = string_field(v, "fieldId");
        if (fid == nullptr || !v.contains("fieldValue")) {
            return fail("invalid_input", "each value needs fieldId and fieldValue");
        }
    }
    for (const auto& v : *values) {
        (*target)[v["fieldId"].get<std::string>()] = dump(v["fieldValue"]);
    }
    return ok({{"objectId", *oid}, {"objectType", *type}});
}

}  // namespace riskbridge::sim
