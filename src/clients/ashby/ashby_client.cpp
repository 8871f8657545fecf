#include "riskbridge/clients/ashby/ashby_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "clients/json_util.hpp"
#include "clients/observed_call.hpp"

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::clients::ashby {

namespace {

using detail::array_member;
using detail::json;
using detail::member;
using detail::object_member;
using detail::protocol_error;
using detail::string_member;
using detail::string_or_empty;

/// 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit: an error code or
/// request id, not free text (no spaces, no '@', no '+').
bool is_machine_code(std::string_view s) {
    return is_token(s) && std::isalnum(static_cast<unsigned char>(s.front()));
}

std::vector<custom_field> parse_custom_fields(const json& obj) {
    std::vector<custom_field> out;
    const json* arr = array_member(obj, "customFields");
    if (arr == nullptr) {
        return out;
    }
    for (const auto& f : *arr) {
        if (!f.is_object()) {
            continue;
        }
        custom_field cf;
        cf.id = string_or_empty(f, "id");
        cf.title = string_or_empty(f, "title");
        if (const json* v = member(f, "value")) {
            cf.value_json = detail::dump(*v);
            if (v->is_string()) {
                cf.value_text = v->get<std::string>();
            } else if (v->is_number() || v->is_boolean()) {
                cf.value_text = cf.value_json;
            }
        } else {
            cf.value_json = "null";
        }
        if (!cf.id.empty() || !cf.title.empty()) {
            out.push_back(std::move(cf));
        }
    }
    return out;
}

const custom_field* find_field(const std::vector<custom_field>& fields,
                               std::string_view id_or_title) {
    for (const auto& f : fields) {
        if (f.id == id_or_title) {
            return &f;
        }
    }
    for (const auto& f : fields) {
        if (iequals(f.title, id_or_title)) {
            return &f;
        }
    }
    return nullptr;
}

/// A contact ({value, type, isPrimary}) list: the primary value and every value.
void parse_contacts(const json& obj, std::string_view primary_key, std::string_view list_key,
                    std::optional<std::string>& primary, std::vector<std::string>& all) {
    if (const json* p = object_member(obj, primary_key)) {
        if (auto v = string_member(*p, "value"); v && !v->empty()) {
            primary = *v;
        }
    }
    std::optional<std::string> flagged;
    if (const json* arr = array_member(obj, list_key)) {
        for (const auto& c : *arr) {
            auto v = string_member(c, "value");
            if (!v || v->empty()) {
                continue;
            }
            if (detail::bool_member(c, "isPrimary").value_or(false) && !flagged) {
                flagged = *v;
            }
            if (std::find(all.begin(), all.end(), *v) == all.end()) {
                all.push_back(*v);
            }
        }
    }
    if (!primary) {
        primary = flagged;
    }
    if (primary && std::find(all.begin(), all.end(), *primary) == all.end()) {
        all.insert(all.begin(), *primary);
    }
    if (!primary && !all.empty()) {
        primary = all.front();
    }
}

std::optional<tag> parse_tag(const json& t) {
    auto id = string_member(t, "id");
    if (!id || id->empty()) {
        return std::nullopt;
    }
    tag out;
    out.id = *id;
    out.title = string_or_empty(t, "title");
    out.is_archived = detail::bool_member(t, "isArchived").value_or(false);
    return out;
}

candidate parse_candidate(const json& r) {
    candidate c;
    c.id = string_or_empty(r, "id");
    c.name = string_or_empty(r, "name");
    parse_contacts(r, "primaryEmailAddress", "emailAddresses", c.email, c.emails);
    parse_contacts(r, "primaryPhoneNumber", "phoneNumbers", c.phone, c.phones);
    if (const json* loc = object_member(r, "location")) {
        c.loc.summary = string_member(*loc, "locationSummary");
        if (const json* comps = array_member(*loc, "locationComponents")) {
            for (const auto& comp : *comps) {
                auto type = string_member(comp, "type");
                auto name = string_member(comp, "name");
                if (!type || !name) {
                    continue;
                }
                if (iequals(*type, "Country")) {
                    c.loc.country = *name;
                } else if (iequals(*type, "Region")) {
                    c.loc.region = *name;
                } else if (iequals(*type, "City")) {
                    c.loc.city = *name;
                }
            }
        }
    }
    c.custom_fields = parse_custom_fields(r);
    if (const json* tags = array_member(r, "tags")) {
        for (const auto& t : *tags) {
            if (auto parsed = parse_tag(t)) {
                c.tags.push_back(std::move(*parsed));
            }
        }
    }
    c.application_ids = detail::string_array(r, "applicationIds");
    c.profile_url = string_member(r, "profileUrl");
    c.fraud_status = string_member(r, "fraudStatus");
    return c;
}

void parse_form_submissions(const json& r, std::vector<form_answer>& out) {
    const json* subs = array_member(r, "applicationFormSubmissions");
    if (subs == nullptr) {
        return;
    }
    for (const auto& sub : *subs) {
        const json* values = object_member(sub, "submittedValues");
        const json* def = object_member(sub, "formDefinition");
        const json* sections = def != nullptr ? array_member(*def, "sections") : nullptr;
        if (sections == nullptr) {
            continue;
        }
        for (const auto& section : *sections) {
            const json* fields = array_member(section, "fields");
            if (fields == nullptr) {
                continue;
            }
            for (const auto& entry : *fields) {
                // Either {isRequired, field: {...}} or the field itself.
                const json* field = object_member(entry, "field");
                if (field == nullptr) {
                    field = entry.is_object() ? &entry : nullptr;
                }
                if (field == nullptr) {
                    continue;
                }
                form_answer a;
                a.path = string_or_empty(*field, "path");
                a.title = string_or_empty(*field, "title");
                a.type = string_or_empty(*field, "type");
                if (a.path.empty()) {
                    continue;
                }
                if (values != nullptr) {
                    if (const json* v = member(*values, a.path)) {
                        a.value_json = detail::dump(*v);
                    }
                }
                out.push_back(std::move(a));
            }
        }
    }
}

application parse_application(const json& r) {
    application a;
    a.id = string_or_empty(r, "id");
    a.status = string_or_empty(r, "status");
    if (const json* cand = object_member(r, "candidate")) {
        a.candidate_id = string_or_empty(*cand, "id");
    }
    if (a.candidate_id.empty()) {
        a.candidate_id = string_or_empty(r, "candidateId");
    }
    if (const json* st = object_member(r, "currentInterviewStage")) {
        a.current_stage = stage{string_or_empty(*st, "id"), string_or_empty(*st, "title"),
                                string_or_empty(*st, "type")};
    }
    if (const json* job = object_member(r, "job")) {
        a.job_id = string_or_empty(*job, "id");
        a.job_title = string_or_empty(*job, "title");
    }
    a.custom_fields = parse_custom_fields(r);
    if (auto ip = string_member(r, "submitterClientIp"); ip && !ip->empty()) {
        a.submitter_client_ip = *ip;
    }
    parse_form_submissions(r, a.form_answers);
    return a;
}

struct failure_code {
    std::string code;
    bool transient = false;  ///< classified on the text before a sentence is dropped
    bool named = false;      ///< the answer named a machine code (not "unknown" or dropped)
};

/// The machine code of a failed answer: errorInfo.code, or the first of errors[] in older
/// answers; "unknown" without one. It goes to logs, jobs.last_error and the audit trail, so it
/// is kept only when it looks like a machine code, never a sentence that could echo personal
/// data (older answers put messages in errors[]).
failure_code error_code_of(const json& body) {
    const json* info = object_member(body, "errorInfo");
    std::optional<std::string> code = info ? string_member(*info, "code") : std::nullopt;
    if (!code) {
        auto errors = detail::string_array(body, "errors");
        if (!errors.empty()) {
            code = errors.front();
        }
    }
    failure_code out{code.value_or("unknown")};
    if (out.code.size() > max_token_chars) {
        out.code.resize(max_token_chars);  // so a long code is still a machine code
    }
    out.transient = classify_ashby_code(out.code);
    out.named = code.has_value() && is_machine_code(out.code);
    if (code && !out.named) {
        out.code = "unrecognised_error";
    }
    return out;
}

}  // namespace

bool classify_ashby_code(std::string_view code) noexcept {
    static constexpr std::array<std::string_view, 12> transient_markers = {
        "rate_limit",   "ratelimit",           "too_many_requests",
        "throttl",      "internal_error",      "internal_server_error",
        "server_error", "service_unavailable", "unavailable",
        "timeout",      "timed_out",           "try_again"};
    std::string lowered;
    lowered.reserve(code.size());
    for (const char c : code) {
        lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    for (const auto marker : transient_markers) {
        if (lowered.find(marker) != std::string::npos) {
            return true;
        }
    }
    return false;
}

const custom_field* candidate::find_custom_field(std::string_view id_or_title) const {
    return find_field(custom_fields, id_or_title);
}

bool candidate::has_tag(std::string_view tag_id) const {
    return std::any_of(tags.begin(), tags.end(), [&](const tag& t) { return t.id == tag_id; });
}

const form_answer* application::find_answer(std::string_view path_or_title) const {
    for (const auto& a : form_answers) {
        if (a.path == path_or_title) {
            return &a;
        }
    }
    for (const auto& a : form_answers) {
        if (iequals(a.title, path_or_title)) {
            return &a;
        }
    }
    return nullptr;
}

const custom_field* application::find_custom_field(std::string_view id_or_title) const {
    return find_field(custom_fields, id_or_title);
}

struct ashby_client::envelope {
    json results;
    bool more_data = false;
    std::optional<std::string> next_cursor;
};

ashby_client::ashby_client(http_client& http, ashby_options options)
    : http_(http), options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
        options_.base_url.pop_back();
    }
    authorization_ = "Basic " + base64_encode(options_.api_key + ":");
}

upstream_result<ashby_client::envelope> ashby_client::post(const std::string& endpoint,
                                                           const std::string& body_json) {
    http_call c;
    c.method = http_method::post;
    c.url = options_.base_url + "/" + endpoint;
    c.headers = {{"Authorization", authorization_},
                 {"Accept", "application/json; version=1"},
                 {"Content-Type", "application/json"}};
    c.body = body_json;
    c.timeout = options_.timeout;
    c.fresh_connection = endpoint == "candidate.createNote";  // not idempotent
    const std::string what = "POST " + describe_url(c.url);

    detail::observed_call observed(options_.observer, "ashby", endpoint);
    auto sent = detail::send_observed(http_, c, observed);
    if (!sent) {
        return std::move(sent).error();
    }
    const http_response& r = *sent;
    const time_point now = options_.clk != nullptr ? options_.clk->now() : system_clock().now();
    if (r.status < 200 || r.status > 299) {
        upstream_error e = status_error(r, what, now);
        // A 401 or 403 names its reason in the usual envelope ("missing_endpoint_permission"):
        // it is what an operator needs in jobs.last_error.
        if (const json failed = detail::parse(r.body); failed.is_object()) {
            if (auto failure = error_code_of(failed); failure.named) {
                e.code = std::move(failure.code);
            }
        }
        return e;
    }
    json body = detail::parse(r.body);
    if (body.is_discarded() || !body.is_object()) {
        return protocol_error(what, "not_json", "the answer is not a JSON object");
    }
    const auto success = detail::bool_member(body, "success");
    if (!success) {
        return protocol_error(what, "no_envelope", "the answer has no boolean 'success'");
    }
    if (!*success) {
        observed.relabel(to_string(failure_kind::api_error));
        upstream_error e;
        e.kind = failure_kind::api_error;
        e.status = r.status;
        const json* info = object_member(body, "errorInfo");
        auto named = error_code_of(body);
        e.code = std::move(named.code);
        e.transient = named.transient;
        e.message = what + ": Ashby error " + e.code;
        if (info != nullptr) {
            if (auto rid = string_member(*info, "requestId"); rid && is_machine_code(*rid)) {
                e.message += " (request " + *rid + ")";
            }
        }
        if (auto ra = r.header("retry-after")) {
            e.retry_after = parse_retry_after(*ra, now);
        }
        return e;
    }
    envelope env;
    if (const json* results = member(body, "results")) {
        env.results = *results;
    }
    env.more_data = detail::bool_member(body, "moreDataAvailable").value_or(false);
    env.next_cursor = string_member(body, "nextCursor");
    return env;
}

upstream_result<std::string> ashby_client::call(const std::string& endpoint,
                                                const std::string& body_json) {
    auto env = post(endpoint, body_json);
    if (!env) {
        return std::move(env).error();
    }
    return detail::dump(env->results);
}

upstream_result<candidate> ashby_client::candidate_info(const std::string& candidate_id) {
    auto env = post("candidate.info", detail::dump(json{{"id", candidate_id}}));
    if (!env) {
        return std::move(env).error();
    }
    candidate c = parse_candidate(env->results);
    if (c.id.empty()) {
        return protocol_error("POST candidate.info", "bad_results", "results without an id");
    }
    return c;
}

upstream_result<application> ashby_client::application_info(const std::string& application_id) {
    json body{{"applicationId", application_id},
              {"expand", json::array({"applicationFormSubmissions"})}};
    auto env = post("application.info", detail::dump(body));
    if (!env) {
        return std::move(env).error();
    }
    application a = parse_application(env->results);
    if (a.id.empty()) {
        return protocol_error("POST application.info", "bad_results", "results without an id");
    }
    return a;
}

upstream_result<tag> ashby_client::create_tag(const std::string& title) {
    auto env = post("candidateTag.create", detail::dump(json{{"title", title}}));
    if (!env) {
        return std::move(env).error();
    }
    auto t = parse_tag(env->results);
    if (!t) {
        return protocol_error("POST candidateTag.create", "bad_results", "results without an id");
    }
    return std::move(*t);
}

namespace {

/// Pages through a list endpoint; `each` is called with every element of every page.
template <class Post, class Each>
upstream_result<void> page_through(Post&& post, const std::string& endpoint, json body, int limit,
                                   int max_pages, Each&& each) {
    std::set<std::string> seen;
    std::optional<std::string> cursor;
    for (int page = 0; page < max_pages; ++page) {
        body["limit"] = limit;
        if (cursor) {
            body["cursor"] = *cursor;
        } else {
            body.erase("cursor");
        }
        auto env = post(endpoint, detail::dump(body));
        if (!env) {
            return std::move(env).error();
        }
        if (!env->results.is_array()) {
            return protocol_error("POST " + endpoint, "bad_results", "results is not a list");
        }
        for (const auto& e : env->results) {
            each(e);
        }
        if (!env->more_data) {
            return {};
        }
        if (!env->next_cursor || env->next_cursor->empty() ||
            !seen.insert(*env->next_cursor).second) {
            return protocol_error("POST " + endpoint, "bad_cursor",
                                  "moreDataAvailable without a new nextCursor");
        }
        cursor = env->next_cursor;
    }
    return protocol_error("POST " + endpoint, "too_many_pages", "too many pages");
}

}  // namespace

upstream_result<std::vector<tag>> ashby_client::list_tags() {
    std::vector<tag> out;
    auto done =
        page_through([this](const std::string& ep, const std::string& b) { return post(ep, b); },
                     "candidateTag.list", json::object(), options_.page_limit, options_.max_pages,
                     [&out](const json& t) {
                         if (auto parsed = parse_tag(t)) {
                             out.push_back(std::move(*parsed));
                         }
                     });
    if (!done) {
        return done.error();
    }
    return out;
}

upstream_result<void> ashby_client::add_tag(const std::string& candidate_id,
                                            const std::string& tag_id) {
    auto env = post("candidate.addTag",
                    detail::dump(json{{"candidateId", candidate_id}, {"tagId", tag_id}}));
    if (!env) {
        return std::move(env).error();
    }
    return {};
}

upstream_result<void> ashby_client::remove_tag(const std::string& candidate_id,
                                               const std::string& tag_id) {
    auto env = post("candidate.removeTag",
                    detail::dump(json{{"candidateId", candidate_id}, {"tagId", tag_id}}));
    if (!env) {
        return std::move(env).error();
    }
    return {};
}

upstream_result<void> ashby_client::set_fraud_status(const std::string& candidate_id,
                                                     const std::string& fraud_status) {
    auto env =
        post("candidate.setFraudStatus",
             detail::dump(json{{"candidateId", candidate_id}, {"fraudStatus", fraud_status}}));
    if (!env) {
        return std::move(env).error();
    }
    return {};
}

upstream_result<std::string> ashby_client::create_note(const note_request& request) {
    json body{{"candidateId", request.candidate_id},
              {"note", {{"type", "text/html"}, {"value", request.html}}},
              {"sendNotifications", request.send_notifications}};
    if (request.is_private) {
        body["isPrivate"] = *request.is_private;
    }
    auto env = post("candidate.createNote", detail::dump(body));
    if (!env) {
        return std::move(env).error();
    }
    // success:true means the note exists; its id is only for the logs and the audit trail,
    // so an answer without one is not a failure (retrying would write the note twice).
    auto id = string_member(env->results, "id");
    return id ? std::move(*id) : std::string{};
}

upstream_result<std::vector<note>> ashby_client::list_notes(const std::string& candidate_id) {
    std::vector<note> out;
    auto done =
        page_through([this](const std::string& ep, const std::string& b) { return post(ep, b); },
                     "candidate.listNotes", json{{"candidateId", candidate_id}},
                     options_.page_limit, options_.max_pages,
                     [&out](const json& n) {
                         auto id = string_member(n, "id");
                         if (!id || id->empty()) {
                             return;
                         }
                         note parsed;
                         parsed.id = *id;
                         if (auto content = string_member(n, "content")) {
                             parsed.content = *content;
                         } else if (const json* obj = object_member(n, "content")) {
                             parsed.content = string_or_empty(*obj, "value");
                         }
                         parsed.created_at = string_or_empty(n, "createdAt");
                         out.push_back(std::move(parsed));
                     });
    if (!done) {
        return done.error();
    }
    return out;
}

upstream_result<void> ashby_client::set_custom_field_values(
    const std::string& object_id, const std::string& object_type,
    const std::vector<field_value>& values) {
    json list = json::array();
    for (const auto& v : values) {
        json parsed = detail::parse(v.value_json);
        if (parsed.is_discarded()) {
            upstream_error e = protocol_error("POST customField.setValues", "invalid_argument",
                                              "a field value is not valid JSON");
            return e;
        }
        list.push_back({{"fieldId", v.field_id}, {"fieldValue", std::move(parsed)}});
    }
    json body{{"objectId", object_id}, {"objectType", object_type}, {"values", std::move(list)}};
    auto env = post("customField.setValues", detail::dump(body));
    if (!env) {
        return std::move(env).error();
    }
    return {};
}

}  // namespace riskbridge::clients::ashby
