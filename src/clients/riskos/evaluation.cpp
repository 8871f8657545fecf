#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "clients/json_util.hpp"

namespace riskbridge::clients::riskos {

namespace {

using detail::array_member;
using detail::json;
using detail::member;
using detail::object_member;
using detail::string_member;
using detail::string_or_empty;

constexpr std::size_t max_warnings = 32;
constexpr std::size_t max_name_in_warning = 64;

constexpr std::array<std::string_view, 19> known_fields = {
    "id",          "eval_id",         "workflow",         "workflow_id",     "workflow_version",
    "eval_source", "eval_start_time", "eval_end_time",    "eval_status",     "decision",
    "decision_at", "status",          "sub_status",       "score",           "tags",
    "notes",       "review_queues",   "data_enrichments", "environment_name"};

/// A field name as it may appear in a warning: bounded, printable.
std::string safe_name(std::string_view name) {
    std::string out;
    for (const char c : name.substr(0, max_name_in_warning)) {
        out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : '?');
    }
    return out;
}

void warn(evaluation& e, std::string text) {
    if (e.warnings.size() < max_warnings) {
        e.warnings.push_back(std::move(text));
    } else if (e.warnings.size() == max_warnings) {
        e.warnings.emplace_back("more warnings omitted");
    }
}

void push_unique(std::vector<std::string>& out, const std::string& v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) {
        out.push_back(v);
    }
}

std::optional<named_score> parse_score(const json& s) {
    auto value = detail::number_member(s, "score");
    if (!value) {
        return std::nullopt;
    }
    named_score out;
    out.name = string_or_empty(s, "name");
    if (const json* v = member(s, "version"); v != nullptr && v->is_string()) {
        out.version = v->get<std::string>();
    } else if (v != nullptr && v->is_number()) {
        out.version = detail::dump(*v);
    }
    out.score = *value;
    return out;
}

std::optional<module_result> parse_module(const std::string& name, const json& m) {
    module_result out;
    out.name = name;
    bool any = false;
    if (array_member(m, "reasonCodes") != nullptr) {
        out.reason_codes = detail::string_array(m, "reasonCodes");
        any = true;
    }
    if (const json* scores = array_member(m, "scores")) {
        for (const auto& s : *scores) {
            if (auto parsed = parse_score(s)) {
                out.scores.push_back(std::move(*parsed));
            }
        }
        any = true;
    }
    if (auto lone = detail::number_member(m, "score")) {
        out.score = lone;
        any = true;
    }
    if (!any) {
        return std::nullopt;
    }
    return out;
}

docv_result parse_document_verification(const json& dv) {
    docv_result out;
    if (const json* d = object_member(dv, "decision")) {
        out.decision_value = string_or_empty(*d, "value");
        out.decision_name = string_member(*d, "name");
    }
    out.decision = parse_decision(out.decision_value);
    out.reason_codes = detail::string_array(dv, "reasonCodes");
    if (const json* t = object_member(dv, "documentType")) {
        out.document.type = string_member(*t, "type");
        out.document.country = string_member(*t, "country");
        out.document.state = string_member(*t, "state");
    }
    return out;  // documentData is deliberately not read
}

/// The enrichment's response as an object: decoded when it is JSON inside a string.
const json* response_object(const json& e, enrichment& out, json& decoded_storage) {
    const json* r = member(e, "response");
    if (r == nullptr || r->is_null()) {
        return nullptr;
    }
    const json* text = nullptr;
    if (r->is_string()) {
        text = r;
    } else if (r->is_object()) {
        const json* inner = member(*r, "response");
        if (inner != nullptr && inner->is_string() && r->size() == 1) {
            text = inner;
        } else {
            return r;
        }
    } else {
        return nullptr;
    }
    decoded_storage = detail::parse(text->get_ref<const std::string&>());
    if (decoded_storage.is_discarded() || !decoded_storage.is_object()) {
        out.response_unreadable = true;
        return nullptr;
    }
    out.response_was_string = true;
    return &decoded_storage;
}

void parse_enrichment(const json& e, evaluation& ev) {
    enrichment out;
    out.name = string_or_empty(e, "enrichment_name");
    out.provider = string_or_empty(e, "enrichment_provider");
    out.status_code = detail::integer_member(e, "status_code");
    json decoded;
    const json* response = response_object(e, out, decoded);
    if (out.response_unreadable) {
        warn(ev, "enrichment '" + safe_name(out.name) + "': response is not readable JSON");
    }
    if (response != nullptr) {
        for (const auto& [key, value] : response->items()) {
            if (!value.is_object()) {
                continue;
            }
            if (auto m = parse_module(key, value)) {
                out.modules.push_back(std::move(*m));
            }
            if (key == "documentVerification" && !ev.docv_outcome) {
                ev.docv_outcome = parse_document_verification(value);
            }
        }
        if (iequals(out.provider, "SocureDocRequest") && !ev.docv) {
            if (const json* data = object_member(*response, "data")) {
                auto token = string_member(*data, "docvTransactionToken");
                auto url = string_member(*data, "url");
                if (token && !token->empty()) {
                    docv_request req;
                    req.token = *token;
                    req.url = url.value_or(std::string{});
                    const json* qr = member(*data, "qrCode");
                    req.has_qr_code = qr != nullptr && qr->is_string() && !qr->empty();
                    req.reference_id = string_member(*response, "referenceId");
                    req.status = string_member(*response, "status");
                    ev.docv = std::move(req);
                } else {
                    warn(ev, "SocureDocRequest enrichment without a docvTransactionToken");
                }
            }
        }
    }
    ev.enrichments.push_back(std::move(out));
}

}  // namespace

const char* to_string(decision d) noexcept {
    switch (d) {
        case decision::accept:
            return "ACCEPT";
        case decision::review:
            return "REVIEW";
        case decision::reject:
            return "REJECT";
        case decision::resubmit:
            return "RESUBMIT";
        case decision::unknown:
            return "UNKNOWN";
    }
    return "UNKNOWN";
}

decision parse_decision(std::string_view text) noexcept {
    if (iequals(text, "accept")) {
        return decision::accept;
    }
    if (iequals(text, "review")) {
        return decision::review;
    }
    if (iequals(text, "reject")) {
        return decision::reject;
    }
    if (iequals(text, "resubmit")) {
        return decision::resubmit;
    }
    return decision::unknown;
}

const char* to_string(eval_state s) noexcept {
    switch (s) {
        case eval_state::completed:
            return "evaluation_completed";
        case eval_state::paused:
            return "evaluation_paused";
        case eval_state::in_progress:
            return "evaluation_in_progress";
        case eval_state::unknown:
            return "unknown";
    }
    return "unknown";
}

eval_state parse_eval_state(std::string_view eval_status) noexcept {
    if (iequals(eval_status, "evaluation_completed")) {
        return eval_state::completed;
    }
    if (iequals(eval_status, "evaluation_paused")) {
        return eval_state::paused;
    }
    if (iequals(eval_status, "evaluation_in_progress")) {
        return eval_state::in_progress;
    }
    return eval_state::unknown;
}

std::vector<std::string> enrichment::reason_codes() const {
    std::vector<std::string> out;
    for (const auto& m : modules) {
        for (const auto& c : m.reason_codes) {
            push_unique(out, c);
        }
    }
    return out;
}

const module_result* enrichment::find_module(std::string_view module_name) const {
    for (const auto& m : modules) {
        if (m.name == module_name) {
            return &m;
        }
    }
    return nullptr;
}

const enrichment* evaluation::find_by_provider(std::string_view provider) const {
    for (const auto& e : enrichments) {
        if (iequals(e.provider, provider)) {
            return &e;
        }
    }
    return nullptr;
}

const enrichment* evaluation::find_by_name(std::string_view name) const {
    for (const auto& e : enrichments) {
        if (iequals(e.name, name)) {
            return &e;
        }
    }
    return nullptr;
}

std::vector<std::string> evaluation::reason_codes() const {
    std::vector<std::string> out;
    for (const auto& e : enrichments) {
        for (const auto& c : e.reason_codes()) {
            push_unique(out, c);
        }
    }
    return out;
}

result<evaluation> parse_evaluation(std::string_view json_text) {
    json doc = detail::parse(json_text);
    if (doc.is_discarded()) {
        return make_error(errc::parse_error, "evaluation: not valid JSON");
    }
    return parse_evaluation(doc);
}

result<evaluation> parse_evaluation(const json& doc) {
    if (!doc.is_object()) {
        return make_error(errc::parse_error, "evaluation: not a JSON object");
    }
    evaluation ev;
    auto eval_id = string_member(doc, "eval_id");
    if (!eval_id || eval_id->empty()) {
        return make_error(errc::parse_error, "evaluation: no eval_id");
    }
    ev.eval_id = *eval_id;
    ev.id = string_or_empty(doc, "id");
    ev.workflow = string_or_empty(doc, "workflow");

    ev.eval_status = string_or_empty(doc, "eval_status");
    ev.state = parse_eval_state(ev.eval_status);
    if (ev.state == eval_state::unknown) {
        warn(ev, ev.eval_status.empty()
                     ? std::string("no eval_status")
                     : "unknown eval_status '" + safe_name(ev.eval_status) + "'");
    }
    ev.decision_text = string_or_empty(doc, "decision");
    ev.decision = parse_decision(ev.decision_text);
    if (ev.decision == decision::unknown) {
        warn(ev, ev.decision_text.empty()
                     ? std::string("no decision")
                     : "unknown decision '" + safe_name(ev.decision_text) + "'");
    }
    ev.status = string_or_empty(doc, "status");
    ev.sub_status = string_or_empty(doc, "sub_status");
    ev.tags = detail::string_array(doc, "tags");
    ev.review_queues = detail::string_array(doc, "review_queues");
    ev.score = detail::number_member(doc, "score");
    if (const json* s = member(doc, "score"); s != nullptr && !s->is_number() && !s->is_null()) {
        warn(ev, "score is not a number");
    }
    ev.decision_at = string_member(doc, "decision_at");
    ev.environment_name = string_member(doc, "environment_name");

    if (const json* list = member(doc, "data_enrichments"); list != nullptr && !list->is_null()) {
        if (!list->is_array()) {
            warn(ev, "data_enrichments is not a list");
        } else {
            for (const auto& e : *list) {
                if (e.is_object()) {
                    parse_enrichment(e, ev);
                } else {
                    warn(ev, "an enrichment is not an object");
                }
            }
        }
    }
    for (const auto& item : doc.items()) {
        const std::string& key = item.key();
        if (std::find(known_fields.begin(), known_fields.end(), key) == known_fields.end()) {
            warn(ev, "unknown field '" + safe_name(key) + "'");
        }
    }
    return ev;
}

std::string clip_utf8(std::string_view text, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if ((b & 0xC0) != 0x80) {  // the first byte of a character
            if (chars == max_chars) {
                return std::string(text.substr(0, i));
            }
            ++chars;
        }
    }
    return std::string(text);
}

std::string to_json_text(const evaluation_request& request) {
    const individual& p = request.individual;
    json ind{{"id", p.id},
             {"given_name", clip_utf8(p.given_name, max_name_chars)},
             {"family_name", clip_utf8(p.family_name, max_name_chars)}};
    if (p.email) {
        ind["email"] = *p.email;
    }
    if (p.phone_number) {
        ind["phone_number"] = *p.phone_number;
    }
    if (p.address) {
        const address& a = *p.address;
        json addr{{"line_1", a.line_1}};
        if (a.line_2) {
            addr["line_2"] = *a.line_2;
        }
        addr["locality"] = a.locality;
        addr["major_admin_division"] = a.major_admin_division;
        addr["postal_code"] = a.postal_code;
        addr["country"] = a.country;
        ind["address"] = std::move(addr);
    }
    if (p.di_session_token) {
        ind["di_session_token"] = *p.di_session_token;
    }
    if (p.docv) {
        const docv_config& d = *p.docv;
        json cfg{{"send_message", d.send_message}, {"language", d.language}};
        if (d.use_case_key) {
            cfg["use_case_key"] = *d.use_case_key;
        }
        if (d.document_type) {
            cfg["document_type"] = *d.document_type;
        }
        if (d.redirect) {
            cfg["redirect"] = {{"method", d.redirect->method}, {"url", d.redirect->url}};
        }
        ind["docv"] = {{"config", std::move(cfg)}};
    }
    json data{{"event_type", request.event_type}, {"event_category", request.event_category}};
    if (request.ip_address) {
        data["ip_address"] = *request.ip_address;
    }
    data["individual"] = std::move(ind);
    json body{{"id", request.id},
              {"timestamp", request.timestamp},
              {"workflow", request.workflow},
              {"data", std::move(data)}};
    return detail::dump(body);
}

}  // namespace riskbridge::clients::riskos
