#include "riskbridge/sim/ashby_sim.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/hmac.hpp"
#include "sim/common.hpp"

namespace riskbridge::sim {

namespace {

using detail::dump;
using detail::json;
using detail::json_response;

json parse_or_null(const std::string& raw) {
    json v = json::parse(raw, nullptr, false);
    return v.is_discarded() ? json(nullptr) : v;
}

const std::string* string_field(const json& body, const char* key) {
    if (!body.is_object()) {
        return nullptr;
    }
    auto it = body.find(key);
    if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        return nullptr;
    }
    return &it->get_ref<const std::string&>();
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

}  // namespace

struct ashby_simulator::impl {
    struct candidate_rec {
        candidate_seed seed;
        std::vector<std::string> tag_ids;
        std::vector<sim_note> notes;
        std::map<std::string, std::string> custom_values;
        std::string created_at;
    };
    struct application_rec {
        application_seed seed;
        std::map<std::string, std::string> custom_values;
        std::string created_at;
        std::string updated_at;
    };
    struct tag_rec {
        std::string id;
        std::string title;
        bool archived = false;
    };

    explicit impl(ashby_sim_options o)
        : opt(std::move(o)),
          host("ashby", opt.host, opt.port, opt.threads, opt.seed),
          ids(opt.seed * 7919 + 1),
          expected_auth("Basic " + base64_encode(opt.api_key + ":")) {}

    ashby_sim_options opt;
    detail::sim_host host;
    detail::id_source ids;
    std::string expected_auth;

    mutable std::mutex mu;
    std::map<std::string, candidate_rec> candidates;
    std::map<std::string, application_rec> applications;
    std::vector<tag_rec> tags;

    std::mutex send_mu;
    std::unique_ptr<clients::http_client> sender;
    std::unique_ptr<detail::scheduler> outbox;

    std::string now_text() const {
        return format_rfc3339(opt.clk != nullptr ? opt.clk->now() : system_clock().now());
    }

    // ---- envelopes --------------------------------------------------------------------

    http::response ok(json results) {
        return json_response(200, json{{"success", true}, {"results", std::move(results)}});
    }

    http::response fail(const std::string& code, const std::string& message) {
        return json_response(
            200,
            json{{"success", false},
                 {"errorInfo", {{"code", code}, {"message", message}, {"requestId", ids.next()}}},
                 {"errors", json::array({code})}});
    }

    /// One page of `all` per the request's cursor and limit.
    http::response page(const json& all, const json& body) {
        std::size_t size = static_cast<std::size_t>(std::max(1, opt.page_size));
        if (auto it = body.find("limit"); it != body.end() && it->is_number_integer()) {
            const auto limit = it->get<long long>();
            if (limit > 0) {
                size = std::min<std::size_t>(size, static_cast<std::size_t>(limit));
            }
        }
        std::size_t offset = 0;
        if (auto it = body.find("cursor"); it != body.end() && !it->is_null()) {
            const std::string* c = it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
            if (c == nullptr || c->size() < 2 || c->front() != 'c' ||
                !std::all_of(
                    c->begin() + 1, c->end(),
                    [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }) ||
                c->size() > 10) {
                return fail("invalid_cursor", "the cursor is not one this API gave out");
            }
            offset = static_cast<std::size_t>(std::stoul(c->substr(1)));
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

    // ---- rendering (under mu) ---------------------------------------------------------

    static json contact(const std::string& value, const char* type, bool primary) {
        return json{{"value", value}, {"type", type}, {"isPrimary", primary}};
    }

    static json custom_fields(const std::vector<sim_custom_field>& seeded,
                              const std::map<std::string, std::string>& written) {
        json out = json::array();
        for (const auto& f : seeded) {
            auto w = written.find(f.id);
            out.push_back(
                {{"id", f.id},
                 {"title", f.title},
                 {"value", parse_or_null(w != written.end() ? w->second : f.value_json)}});
        }
        for (const auto& entry : written) {
            // Not a structured binding: clang 14 cannot capture one in the lambda below.
            const std::string& id = entry.first;
            const std::string& value = entry.second;
            const bool seeded_field =
                std::any_of(seeded.begin(), seeded.end(),
                            [&](const sim_custom_field& f) { return f.id == id; });
            if (!seeded_field) {
                out.push_back({{"id", id}, {"title", id}, {"value", parse_or_null(value)}});
            }
        }
        return out;
    }

    json location(const candidate_seed& c) const {
        json comps = json::array();
        std::string summary;
        auto add = [&](const std::optional<std::string>& v, const char* type) {
            if (v) {
                comps.push_back({{"type", type}, {"name", *v}});
            }
        };
        add(c.country, "Country");
        add(c.region, "Region");
        add(c.city, "City");
        for (const auto* v : {&c.city, &c.region, &c.country}) {
            if (*v) {
                summary += (summary.empty() ? "" : ", ") + **v;
            }
        }
        if (comps.empty()) {
            return nullptr;
        }
        return json{{"id", detail::uuid_from("location:" + c.id)},
                    {"locationSummary", summary},
                    {"locationComponents", comps}};
    }

    json render_candidate(const candidate_rec& c) const {
        const candidate_seed& s = c.seed;
        json emails = json::array();
        for (std::size_t i = 0; i < s.emails.size(); ++i) {
            emails.push_back(contact(s.emails[i], "Personal", i == 0));
        }
        json phones = json::array();
        for (std::size_t i = 0; i < s.phones.size(); ++i) {
            phones.push_back(contact(s.phones[i], "Mobile", i == 0));
        }
        json tag_list = json::array();
        for (const auto& id : c.tag_ids) {
            for (const auto& t : tags) {
                if (t.id == id) {
                    tag_list.push_back(
                        {{"id", t.id}, {"title", t.title}, {"isArchived", t.archived}});
                }
            }
        }
        json app_ids = json::array();
        for (const auto& [id, a] : applications) {
            if (a.seed.candidate_id == s.id) {
                app_ids.push_back(id);
            }
        }
        json out{{"id", s.id},
                 {"createdAt", c.created_at},
                 {"name", s.name},
                 {"emailAddresses", emails},
                 {"phoneNumbers", phones},
                 {"socialLinks", json::array()},
                 {"tags", tag_list},
                 {"customFields", custom_fields(s.custom_fields, c.custom_values)},
                 {"applicationIds", app_ids},
                 {"fileHandles", json::array()},
                 {"profileUrl", "https://app.ashbyhq.com/candidates/" + s.id}};
        if (!s.emails.empty()) {
            out["primaryEmailAddress"] = contact(s.emails.front(), "Personal", true);
        }
        if (!s.phones.empty()) {
            out["primaryPhoneNumber"] = contact(s.phones.front(), "Mobile", true);
        }
        if (json loc = location(s); !loc.is_null()) {
            out["location"] = std::move(loc);
        }
        return out;
    }

    json render_application(const application_rec& a, bool with_forms) const {
        const application_seed& s = a.seed;
        json cand{{"id", s.candidate_id}};
        if (auto it = candidates.find(s.candidate_id); it != candidates.end()) {
            const candidate_seed& c = it->second.seed;
            cand["name"] = c.name;
            if (!c.emails.empty()) {
                cand["primaryEmailAddress"] = contact(c.emails.front(), "Personal", true);
            }
            if (!c.phones.empty()) {
                cand["primaryPhoneNumber"] = contact(c.phones.front(), "Mobile", true);
            }
        }
        json out{{"id", s.id},
                 {"createdAt", a.created_at},
                 {"updatedAt", a.updated_at},
                 {"status", s.status},
                 {"customFields", custom_fields(s.custom_fields, a.custom_values)},
                 {"candidate", cand},
                 {"currentInterviewStage",
                  {{"id", detail::uuid_from("stage:" + s.stage_title)},
                   {"title", s.stage_title},
                   {"type", s.stage_type},
                   {"orderInInterviewPlan", 1},
                   {"interviewPlanId", "plan-0001"}}},
                 {"job",
                  {{"id", s.job_id},
                   {"title", s.job_title},
                   {"locationId", "loc-0001"},
                   {"departmentId", "dept-0001"}}},
                 {"source", nullptr},
                 {"archiveReason", nullptr},
                 {"hiringTeam", json::array()}};
        if (s.submitter_client_ip) {
            out["submitterClientIp"] = *s.submitter_client_ip;
        }
        if (with_forms) {
            json fields = json::array();
            json values = json::object();
            for (const auto& f : s.form) {
                json field{{"id", detail::uuid_from("field:" + f.path)},
                           {"path", f.path},
                           {"title", f.title},
                           {"type", f.type}};
                if (!f.options.empty()) {
                    json opts = json::array();
                    for (const auto& o : f.options) {
                        opts.push_back({{"label", o}, {"value", o}});
                    }
                    field["selectableValues"] = opts;
                }
                fields.push_back({{"isRequired", f.required}, {"field", field}});
                if (!f.value_json.empty()) {
                    values[f.path] = parse_or_null(f.value_json);
                }
            }
            json subs = json::array();
            if (!s.form.empty()) {
                subs.push_back(
                    {{"id", detail::uuid_from("form:" + s.id)},
                     {"formDefinition", {{"sections", json::array({{{"fields", fields}}})}}},
                     {"submittedValues", values}});
            }
            out["applicationFormSubmissions"] = subs;
        }
        return out;
    }

    // ---- endpoints --------------------------------------------------------------------

    http::response api(const http::request& req) {
        const std::string endpoint(req.path().substr(req.path().empty() ? 0 : 1));
        if (req.method != "POST") {
            return http::json_error(405, "method_not_allowed", "every Ashby call is a POST");
        }
        const auto auth = req.header("Authorization");
        if (!auth || auth->empty()) {
            return json_response(
                401,
                json{{"success", false},
                     {"errorInfo", {{"code", "unauthenticated"}, {"message", "no credentials"}}}});
        }
        if (!istarts_with(*auth, "Basic ") || auth->substr(6) != expected_auth.substr(6)) {
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
        std::lock_guard lock(mu);
        if (endpoint == "candidate.info") {
            return candidate_info(body);
        }
        if (endpoint == "application.info") {
            return application_info(body);
        }
        if (endpoint == "candidateTag.create") {
            return tag_create(body);
        }
        if (endpoint == "candidateTag.list") {
            return tag_list(body);
        }
        if (endpoint == "candidate.addTag") {
            return add_tag(body);
        }
        if (endpoint == "candidate.createNote") {
            return create_note(body);
        }
        if (endpoint == "candidate.listNotes") {
            return list_notes(body);
        }
        if (endpoint == "customField.setValues") {
            return set_values(body);
        }
        return http::json_error(404, "not_found", "no such endpoint in the simulator");
    }

    http::response candidate_info(const json& body) {
        const std::string* id = string_field(body, "id");
        if (id == nullptr) {
            return fail("invalid_input", "id is required");
        }
        auto it = candidates.find(*id);
        if (it == candidates.end()) {
            return fail("not_found", "no candidate with this id");
        }
        return ok(render_candidate(it->second));
    }

    http::response application_info(const json& body) {
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
                forms = forms ||
                        (v.is_string() && v.get<std::string>() == "applicationFormSubmissions");
            }
        }
        return ok(render_application(it->second, forms));
    }

    http::response tag_create(const json& body) {
        const std::string* title = string_field(body, "title");
        if (title == nullptr) {
            return fail("invalid_input", "title is required");
        }
        for (const auto& t : tags) {
            if (t.title == *title) {
                return ok({{"id", t.id}, {"title", t.title}, {"isArchived", t.archived}});
            }
        }
        tags.push_back({ids.next(), *title, false});
        log::debug("sim_ashby_tag_created", {{"tag_id", tags.back().id}});
        return ok({{"id", tags.back().id}, {"title", *title}, {"isArchived", false}});
    }

    http::response tag_list(const json& body) {
        bool include_archived = false;
        if (auto it = body.find("includeArchived"); it != body.end() && it->is_boolean()) {
            include_archived = it->get<bool>();
        }
        json all = json::array();
        for (const auto& t : tags) {
            if (!t.archived || include_archived) {
                all.push_back({{"id", t.id}, {"title", t.title}, {"isArchived", t.archived}});
            }
        }
        return page(all, body);
    }

    http::response add_tag(const json& body) {
        const std::string* cid = string_field(body, "candidateId");
        const std::string* tid = string_field(body, "tagId");
        if (cid == nullptr || tid == nullptr) {
            return fail("invalid_input", "candidateId and tagId are required");
        }
        auto it = candidates.find(*cid);
        if (it == candidates.end()) {
            return fail("not_found", "no candidate with this id");
        }
        if (std::none_of(tags.begin(), tags.end(),
                         [&](const tag_rec& t) { return t.id == *tid; })) {
            return fail("not_found", "no tag with this id");
        }
        auto& owned = it->second.tag_ids;
        if (std::find(owned.begin(), owned.end(), *tid) == owned.end()) {
            owned.push_back(*tid);
        }
        log::debug("sim_ashby_tag_added", {{"candidate_id", *cid}, {"tag_id", *tid}});
        return ok(render_candidate(it->second));
    }

    http::response create_note(const json& body) {
        const std::string* cid = string_field(body, "candidateId");
        if (cid == nullptr) {
            return fail("invalid_input", "candidateId is required");
        }
        auto it = candidates.find(*cid);
        if (it == candidates.end()) {
            return fail("not_found", "no candidate with this id");
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
        note.candidate_id = *cid;
        note.content = std::move(content);
        note.created_at = now_text();
        if (auto s = body.find("sendNotifications"); s != body.end() && s->is_boolean()) {
            note.send_notifications = s->get<bool>();
        }
        if (auto p = body.find("isPrivate"); p != body.end() && p->is_boolean()) {
            note.is_private = p->get<bool>();
        }
        it->second.notes.push_back(note);
        log::debug("sim_ashby_note_created", {{"candidate_id", *cid}, {"note_id", note.id}});
        return ok({{"id", note.id},
                   {"createdAt", note.created_at},
                   {"content", note.content},
                   {"isPrivate", note.is_private}});
    }

    http::response list_notes(const json& body) {
        const std::string* cid = string_field(body, "candidateId");
        if (cid == nullptr) {
            return fail("invalid_input", "candidateId is required");
        }
        auto it = candidates.find(*cid);
        if (it == candidates.end()) {
            return fail("not_found", "no candidate with this id");
        }
        json all = json::array();
        for (const auto& n : it->second.notes) {
            all.push_back({{"id", n.id},
                           {"createdAt", n.created_at},
                           {"content", n.content},
                           {"isPrivate", n.is_private}});
        }
        return page(all, body);
    }

    http::response set_values(const json& body) {
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

    // ---- inspection -------------------------------------------------------------------

    std::string state() const {
        json cands = json::array();
        {
            std::lock_guard lock(mu);
            for (const auto& [id, c] : candidates) {
                json tag_titles = json::array();
                for (const auto& tid : c.tag_ids) {
                    for (const auto& t : tags) {
                        if (t.id == tid) {
                            tag_titles.push_back(t.title);
                        }
                    }
                }
                json notes = json::array();
                for (const auto& n : c.notes) {
                    notes.push_back({{"id", n.id},
                                     {"created_at", n.created_at},
                                     {"content", n.content},
                                     {"send_notifications", n.send_notifications},
                                     {"is_private", n.is_private}});
                }
                json values = json::object();
                for (const auto& [k, v] : c.custom_values) {
                    values[k] = parse_or_null(v);
                }
                cands.push_back({{"id", id},
                                 {"name", c.seed.name},
                                 {"tags", tag_titles},
                                 {"notes", notes},
                                 {"custom_values", values}});
            }
        }
        json apps = json::array();
        json tag_list = json::array();
        {
            std::lock_guard lock(mu);
            for (const auto& [id, a] : applications) {
                json values = json::object();
                for (const auto& [k, v] : a.custom_values) {
                    values[k] = parse_or_null(v);
                }
                apps.push_back({{"id", id},
                                {"candidate_id", a.seed.candidate_id},
                                {"status", a.seed.status},
                                {"stage", a.seed.stage_title},
                                {"custom_values", values}});
            }
            for (const auto& t : tags) {
                tag_list.push_back({{"id", t.id}, {"title", t.title}, {"isArchived", t.archived}});
            }
        }
        json calls = json::object();
        for (const auto& [k, n] : host.call_counts()) {
            calls[k] = n;
        }
        return dump(json{{"candidates", cands},
                         {"applications", apps},
                         {"tags", tag_list},
                         {"calls", calls},
                         {"faults", json::parse(host.faults().to_json_text(), nullptr, false)}},
                    2);
    }

    std::optional<std::string> webhook(const std::string& action, const std::string& app_id) {
        json envelope{{"webhookActionId", ids.next()}, {"action", action}};
        if (action == "ping") {
            envelope["data"] = {{"webhookActionType", "ping"}};
            return dump(envelope);
        }
        std::lock_guard lock(mu);
        auto it = applications.find(app_id);
        if (it == applications.end()) {
            return std::nullopt;
        }
        application_rec& a = it->second;
        if (action == "candidateHire") {
            a.seed.status = "Hired";
            a.seed.stage_title = "Hired";
            a.seed.stage_type = "Hired";
            a.updated_at = now_text();
        }
        json data{{"application", render_application(a, false)}};
        if (action == "candidateHire") {
            data["offer"] = {{"id", detail::uuid_from("offer:" + app_id)},
                             {"applicationId", app_id},
                             {"acceptanceStatus", "Accepted"},
                             {"offerStatus", "OfferAccepted"},
                             {"latestVersion",
                              {{"id", detail::uuid_from("offer-version:" + app_id)},
                               {"startDate", "2026-03-02"},
                               {"salary", {{"currencyCode", "USD"}, {"value", 120000}}}}}};
        }
        envelope["data"] = std::move(data);
        return dump(envelope);
    }

    clients::upstream_result<clients::http_response> send(const std::string& target,
                                                          const std::string& body) {
        std::lock_guard lock(send_mu);
        if (!sender) {
            clients::curl_options o;
            o.connect_timeout = std::chrono::milliseconds{2'000};
            o.total_timeout = std::chrono::milliseconds{10'000};
            o.user_agent = "riskbridge-sim-ashby";
            sender = clients::make_curl_client(o);
        }
        clients::http_call c;
        c.method = clients::http_method::post;
        c.url = target;
        c.headers = {
            {"Content-Type", "application/json"},
            {"Ashby-Signature", "sha256=" + security::hmac_sha256_hex(opt.webhook_secret, body)}};
        c.body = body;
        auto r = sender->send(c);
        log::info("sim_ashby_webhook_sent",
                  {{"status", r ? static_cast<long long>(r->status) : 0LL},
                   {"error", r ? std::string_view{} : std::string_view{r.error().code}}});
        return r;
    }

    bool control(const http::request& req, const http::respond_fn& respond) {
        const std::string_view path = req.path();
        if (path == "/_sim/state" && req.method == "GET") {
            http::response r;
            r.body = state();
            respond(std::move(r));
            return true;
        }
        if (path == "/_sim/webhook" && req.method == "POST") {
            const json body = json::parse(req.body, nullptr, false);
            const std::string* action = string_field(body, "action");
            const std::string* app = string_field(body, "application_id");
            const std::string* target = string_field(body, "target");
            std::string to = target != nullptr ? *target : opt.webhook_target;
            if (action == nullptr || (app == nullptr && *action != "ping") || to.empty()) {
                respond(http::json_error(400, "bad_request",
                                         "give action, application_id and a target"));
                return true;
            }
            auto payload = webhook(*action, app != nullptr ? *app : std::string{});
            if (!payload) {
                respond(http::json_error(404, "not_found", "no application with this id"));
                return true;
            }
            // Sent from the outbox thread: the I/O thread does not wait for the target.
            outbox->post([this, to, body = *payload, respond] {
                auto r = send(to, body);
                if (r) {
                    respond(json_response(200, json{{"delivered", true}, {"status", r->status}}));
                } else {
                    respond(json_response(
                        502, json{{"delivered", false}, {"error", r.error().message}}));
                }
            });
            return true;
        }
        return false;
    }
};

ashby_simulator::ashby_simulator(ashby_sim_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

ashby_simulator::~ashby_simulator() {
    stop();
}

result<void> ashby_simulator::start() {
    impl_->outbox = std::make_unique<detail::scheduler>();
    detail::host_handlers h;
    h.key = [](const http::request& r) {
        const std::string_view p = r.path();
        return std::string(p.substr(p.empty() ? 0 : 1, 64));
    };
    h.api = [this](const http::request& r) { return impl_->api(r); };
    h.control = [this](const http::request& r, const http::respond_fn& respond) {
        return impl_->control(r, respond);
    };
    return impl_->host.start(std::move(h));
}

void ashby_simulator::stop() {
    if (impl_->outbox) {
        impl_->outbox->stop();  // a webhook still queued is not sent
    }
    impl_->host.stop();
}

std::uint16_t ashby_simulator::port() const {
    return impl_->host.port();
}
std::string ashby_simulator::base_url() const {
    return impl_->host.base_url();
}
const ashby_sim_options& ashby_simulator::options() const {
    return impl_->opt;
}

void ashby_simulator::add_candidate(candidate_seed candidate) {
    std::lock_guard lock(impl_->mu);
    impl::candidate_rec rec;
    rec.created_at = impl_->now_text();
    const std::string id = candidate.id;
    rec.seed = std::move(candidate);
    impl_->candidates[id] = std::move(rec);
}

void ashby_simulator::add_application(application_seed application) {
    std::lock_guard lock(impl_->mu);
    impl::application_rec rec;
    rec.created_at = impl_->now_text();
    rec.updated_at = rec.created_at;
    const std::string id = application.id;
    rec.seed = std::move(application);
    impl_->applications[id] = std::move(rec);
}

std::string ashby_simulator::add_tag(const std::string& title, bool archived) {
    std::lock_guard lock(impl_->mu);
    for (const auto& t : impl_->tags) {
        if (t.title == title) {
            return t.id;
        }
    }
    impl_->tags.push_back({impl_->ids.next(), title, archived});
    return impl_->tags.back().id;
}

bool ashby_simulator::set_application_stage(const std::string& application_id,
                                            const std::string& title, const std::string& type,
                                            const std::string& status) {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->applications.find(application_id);
    if (it == impl_->applications.end()) {
        return false;
    }
    it->second.seed.stage_title = title;
    it->second.seed.stage_type = type;
    it->second.seed.status = status;
    it->second.updated_at = impl_->now_text();
    return true;
}

std::vector<std::string> ashby_simulator::tags_of(const std::string& candidate_id) const {
    std::lock_guard lock(impl_->mu);
    std::vector<std::string> out;
    auto it = impl_->candidates.find(candidate_id);
    if (it == impl_->candidates.end()) {
        return out;
    }
    for (const auto& tid : it->second.tag_ids) {
        for (const auto& t : impl_->tags) {
            if (t.id == tid) {
                out.push_back(t.title);
            }
        }
    }
    return out;
}

std::vector<sim_note> ashby_simulator::notes_of(const std::string& candidate_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->candidates.find(candidate_id);
    return it == impl_->candidates.end() ? std::vector<sim_note>{} : it->second.notes;
}

std::map<std::string, std::string> ashby_simulator::custom_values_of(
    const std::string& object_id) const {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->candidates.find(object_id); it != impl_->candidates.end()) {
        return it->second.custom_values;
    }
    if (auto it = impl_->applications.find(object_id); it != impl_->applications.end()) {
        return it->second.custom_values;
    }
    return {};
}

std::map<std::string, std::string> ashby_simulator::all_tags() const {
    std::lock_guard lock(impl_->mu);
    std::map<std::string, std::string> out;
    for (const auto& t : impl_->tags) {
        out[t.title] = t.id;
    }
    return out;
}

int ashby_simulator::calls(const std::string& endpoint) const {
    return impl_->host.calls(endpoint);
}

std::map<std::string, int> ashby_simulator::call_counts() const {
    return impl_->host.call_counts();
}

std::string ashby_simulator::state_json() const {
    return impl_->state();
}

fault_injector& ashby_simulator::faults() {
    return impl_->host.faults();
}

std::optional<std::string> ashby_simulator::webhook_body(const std::string& action,
                                                         const std::string& application_id) {
    return impl_->webhook(action, application_id);
}

std::string ashby_simulator::sign(const std::string& body) const {
    return "sha256=" + security::hmac_sha256_hex(impl_->opt.webhook_secret, body);
}

clients::upstream_result<clients::http_response> ashby_simulator::send_webhook(
    const std::string& target_url, const std::string& body) {
    return impl_->send(target_url, body);
}

}  // namespace riskbridge::sim
