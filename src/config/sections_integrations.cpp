// The sections about the two services riskbridge connects and the flows between them:
// ashby, riskos (webhook auth, workflows, DocV), triggers, consent, tags, notes and mapping.

#include "config/sections.hpp"

#include <algorithm>
#include <utility>

#include "config/validators.hpp"
#include "config/value_readers.hpp"
#include "config/yaml_reader.hpp"
#include "riskbridge/config/riskos_events.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::config::detail {

namespace {

/// riskos.docv.link_lifetime_hours: at most a year.
constexpr long long max_link_lifetime_hours = 24 * 365;
/// riskos.docv.reissue_on_expiry: new capture sessions after one expires.
constexpr int max_reissue_on_expiry = 10;

/// ashby.fraud_status: a decision in any case (stored upper-cased) -> a fraud status exactly as
/// Ashby spells it.
const map_rule& fraud_status_rule() {
    static const map_rule rule{
        "a decision name",
        [](reader& r, const entry& at, const std::string& key) -> std::optional<std::string> {
            std::string decision = to_upper(key);
            if (!is_decision_word(decision)) {
                r.report(at.key_line, at.path,
                         "'" + key +
                             "' is not a decision such as ACCEPT or REJECT (letters and "
                             "underscores)");
                return std::nullopt;
            }
            return decision;
        },
        "must be Fraudulent, NotFraudulent or Unsure",
        [](reader& r, const entry& at, const std::string&, const scalar& v) {
            if (is_ashby_fraud_status(v.text)) {
                return true;
            }
            r.report(at.line, at.path,
                     "must be Fraudulent, NotFraudulent or Unsure" +
                         (v.from_env ? std::string() : ", got" + shown(v)));
            return false;
        }};
    return rule;
}

}  // namespace

void read_ashby(reader& r, const entry& e, ashby_config& a) {
    map_view m(r, e,
               {"api_base_url", "api_key", "webhook_secrets", "connect_timeout_ms",
                "request_timeout_ms", "status_custom_field", "fraud_status", "allow_http"});
    read_url(r, m, "api_base_url", a.api_base_url);
    read_bool(r, m, "allow_http", a.allow_http);
    check_api_url_scheme(r, m, a.api_base_url, a.allow_http);
    read_secret(r, m, "api_key", a.api_key, true);
    if (!read_secret_list(r, m, "webhook_secrets", a.webhook_secrets)) {
        auto se = m.get("webhook_secrets");
        r.report(se ? se->line : m.line(), m.child("webhook_secrets"),
                 "at least one webhook secret is required");
    } else if (auto se = m.get("webhook_secrets");
               se && se->node.IsSequence() && se->node.size() == 0) {
        r.report(se->line, se->path, "at least one webhook secret is required");
    }
    read_ms(r, m, "connect_timeout_ms", a.connect_timeout);
    read_ms(r, m, "request_timeout_ms", a.request_timeout);
    read_optional(r, m, "status_custom_field", a.status_custom_field);
    read_string_map(r, m, "fraud_status", a.fraud_status, fraud_status_rule());
}

namespace {

void read_webhook_auth(reader& r, const map_view& parent, riskos_webhook_auth& w) {
    auto e = parent.get("webhook_auth");
    const entry section =
        e ? *e : entry{YAML::Node(), parent.line(), parent.line(), parent.child("webhook_auth")};
    const std::size_t problems_before = r.problem_count();
    map_view m(r, section, {"bearer_tokens", "basic"});
    read_secret_list(r, m, "bearer_tokens", w.bearer_tokens);
    if (auto be = m.get("basic")) {
        if (auto list = r.items(*be)) {
            std::vector<basic_credential> creds;
            for (const entry& item : *list) {
                if (item.node.IsNull()) {
                    r.report(item.line, item.path, "expected {username, password}");
                    continue;
                }
                if (item.node.IsScalar()) {
                    // "username:password", as in the Authorization header before base64.
                    auto v = r.value(item);
                    if (!v) {
                        continue;
                    }
                    const auto colon = v->text.find(':');
                    if (colon == std::string::npos || colon == 0 || colon + 1 == v->text.size()) {
                        r.report(item.line, item.path,
                                 "expected \"username:password\" or {username, password}");
                        continue;
                    }
                    creds.push_back({v->text.substr(0, colon), secret(v->text.substr(colon + 1))});
                    continue;
                }
                map_view cm(r, item, {"username", "password"});
                if (!item.node.IsMap()) {
                    continue;
                }
                basic_credential c;
                bool ok = true;
                if (!cm.has("username")) {
                    r.report(cm.line(), cm.child("username"), "is required");
                    ok = false;
                } else if (!read_string(r, cm, "username", c.username, true)) {
                    ok = false;
                } else if (c.username.find(':') != std::string::npos) {
                    r.report(cm.get("username")->line, cm.child("username"),
                             "must not contain ':'");
                    ok = false;
                }
                read_secret(r, cm, "password", c.password, true);
                if (ok && !c.password.empty()) {
                    creds.push_back(std::move(c));
                }
            }
            w.basic = std::move(creds);
        } else if (be->node.IsNull()) {
            w.basic.clear();
        }
    }
    // When a token or credential was given but is wrong, that problem says enough.
    if (r.problem_count() == problems_before && w.bearer_tokens.empty() && w.basic.empty()) {
        r.report(m.line(), m.path(), "at least one bearer token or basic credential is required");
    }
}

void read_docv(reader& r, const entry& e, docv_config& d) {
    map_view m(r, e,
               {"send_message", "language", "use_case_key", "document_type", "redirect_url",
                "redirect_method", "link_in_note", "link_lifetime_hours", "expiry_grace_ms",
                "reissue_on_expiry", "remind_after_hours"});
    read_bool(r, m, "send_message", d.send_message);
    read_string(r, m, "language", d.language, true);
    read_optional(r, m, "use_case_key", d.use_case_key);
    read_optional(r, m, "document_type", d.document_type);
    read_optional_url(r, m, "redirect_url", d.redirect_url);
    if (auto me = m.get("redirect_method")) {
        if (auto v = r.value(*me)) {
            const std::string method = to_upper(v->text);
            if (method == "GET" || method == "POST") {
                d.redirect_method = method;
            } else {
                r.report(me->line, me->path, "must be GET or POST");
            }
        }
    }
    read_bool(r, m, "link_in_note", d.link_in_note);
    const std::size_t problems_before_lifetime = r.problem_count();
    long long hours = 0;
    if (read_int(r, m, "link_lifetime_hours", hours, 1, max_link_lifetime_hours) != 0) {
        d.link_lifetime = std::chrono::hours(hours);
    }
    const bool lifetime_read = r.problem_count() == problems_before_lifetime;
    read_ms(r, m, "expiry_grace_ms", d.expiry_grace);
    read_int(r, m, "reissue_on_expiry", d.reissue_on_expiry, 0, max_reissue_on_expiry);
    // A reminder is only of use while the link still works. Against a link_lifetime_hours that
    // is itself wrong (and reported), nothing is compared.
    std::optional<std::chrono::milliseconds> remind_after = d.remind_after;
    const int remind_line =
        read_optional_hours(r, m, "remind_after_hours", remind_after, max_link_lifetime_hours);
    if (remind_line != 0 && lifetime_read && *remind_after >= d.link_lifetime) {
        r.report(remind_line, m.child("remind_after_hours"),
                 "must be less than link_lifetime_hours (" +
                     std::to_string(
                         std::chrono::duration_cast<std::chrono::hours>(d.link_lifetime).count()) +
                     "), how long the capture link stays valid");
    } else {
        d.remind_after = remind_after;
    }
}

/// riskos.event_aliases: a name RiskOS may send -> one of the canonical event types.
std::string canonical_event_types() {
    std::string list;
    for (int i = 0; i < static_cast<int>(riskos_event::other); ++i) {
        list += (list.empty() ? "" : ", ") + std::string(to_string(static_cast<riskos_event>(i)));
    }
    return list;
}

const map_rule& event_alias_rule() {
    static const map_rule rule{
        "an event name",
        [](reader& r, const entry& at, const std::string& key) -> std::optional<std::string> {
            if (!is_event_name(key)) {
                r.report(at.key_line, at.path,
                         "'" + key + "' is not an event name (1 to " +
                             std::to_string(max_event_name_chars) +
                             " letters, digits, '_', '.' or '-')");
                return std::nullopt;
            }
            if (parse_riskos_event(key)) {
                r.report(at.key_line, at.path,
                         "'" + key +
                             "' is a canonical event type itself; an alias must be another name");
                return std::nullopt;
            }
            return key;
        },
        "must be a canonical event type: one of " + canonical_event_types(),
        [](reader& r, const entry& at, const std::string& key, const scalar& v) {
            const std::optional<riskos_event> target = parse_riskos_event(v.text);
            if (!target) {
                r.report(at.line, at.path,
                         "unknown event type" + shown(v) + " (expected one of " +
                             canonical_event_types() + ")");
                return false;
            }
            // The built-in aliases are looked up before the configured ones: another target
            // would never be used.
            if (const riskos_event builtin = classify_riskos_event(key, {});
                builtin != riskos_event::other && builtin != *target) {
                r.report(at.line, at.path,
                         "'" + key + "' is already a built-in alias of " + to_string(builtin));
                return false;
            }
            return true;
        }};
    return rule;
}

}  // namespace

void read_riskos(reader& r, const entry& e, riskos_config& c) {
    map_view m(r, e,
               {"api_base_url", "api_key", "case_url_base", "api_version", "webhook_auth",
                "workflows", "docv", "connect_timeout_ms", "request_timeout_ms",
                "reconcile_after_ms", "reconcile_interval_ms", "event_aliases", "allow_http"});
    read_url(r, m, "api_base_url", c.api_base_url);
    read_bool(r, m, "allow_http", c.allow_http);
    check_api_url_scheme(r, m, c.api_base_url, c.allow_http);
    read_secret(r, m, "api_key", c.api_key, true);
    read_url(r, m, "case_url_base", c.case_url_base);
    read_optional(r, m, "api_version", c.api_version);
    read_webhook_auth(r, m, c.webhook_auth);
    if (auto we = m.get("workflows")) {
        map_view wm(r, *we, {"screening", "document_verification"});
        read_string(r, wm, "screening", c.screening_workflow, true);
        read_string(r, wm, "document_verification", c.document_verification_workflow, true);
    }
    if (auto de = m.get("docv")) {
        read_docv(r, *de, c.docv);
    }
    read_ms(r, m, "connect_timeout_ms", c.connect_timeout);
    read_ms(r, m, "request_timeout_ms", c.request_timeout);
    read_ms(r, m, "reconcile_after_ms", c.reconcile_after);
    read_ms(r, m, "reconcile_interval_ms", c.reconcile_interval);
    read_string_map(r, m, "event_aliases", c.event_aliases, event_alias_rule());
}

void read_triggers(reader& r, const entry& e, std::vector<trigger>& out) {
    auto list = r.items(e);
    if (!list) {
        if (e.node.IsNull()) {
            out.clear();
        }
        return;
    }
    std::vector<trigger> triggers;
    for (const entry& item : *list) {
        if (item.node.IsNull()) {
            r.report(item.line, item.path, "expected {action, stage?, flow}");
            continue;
        }
        map_view m(r, item, {"action", "stage", "flow"});
        if (!item.node.IsMap()) {
            continue;
        }
        trigger t;
        bool ok = true;
        if (auto ae = m.get("action")) {
            auto v = r.value(*ae);
            if (!v) {
                if (ae->node.IsNull()) {
                    r.report(ae->line, ae->path, "must not be empty");
                }
                ok = false;
            } else if (!is_known_ashby_action(v->text)) {
                r.report(ae->line, ae->path, "unknown Ashby webhook action" + shown(*v));
                ok = false;
            } else {
                t.action = v->text;
            }
        } else {
            r.report(m.line(), m.child("action"), "is required");
            ok = false;
        }
        read_optional(r, m, "stage", t.stage);
        if (auto fe = m.get("flow")) {
            auto v = r.value(*fe);
            std::optional<flow_kind> f = v ? parse_flow(v->text) : std::nullopt;
            if (!v) {
                if (fe->node.IsNull()) {
                    r.report(fe->line, fe->path, "must not be empty");
                }
                ok = false;
            } else if (!f) {
                r.report(fe->line, fe->path,
                         "unknown flow" + shown(*v) +
                             " (expected screening or "
                             "document_verification)");
                ok = false;
            } else {
                t.flow = *f;
            }
        } else {
            r.report(m.line(), m.child("flow"), "is required");
            ok = false;
        }
        if (ok) {
            triggers.push_back(std::move(t));
        }
    }
    out = std::move(triggers);
}

void read_consent(reader& r, const entry& e, consent_config& c) {
    map_view m(r, e, {"required", "question", "accepted", "tag"});
    read_bool(r, m, "required", c.required);
    read_string(r, m, "question", c.question, true);
    if (auto ae = m.get("accepted")) {
        if (auto list = r.items(*ae)) {
            std::vector<consent_answer> answers;
            for (const entry& item : *list) {
                auto v = r.value(item);
                if (!v) {
                    if (item.node.IsNull()) {
                        r.report(item.line, item.path, "must not be empty");
                    }
                    continue;
                }
                consent_answer a;
                const std::string l = to_lower(v->text);
                if (v->plain && (l == "true" || l == "false")) {
                    a.is_bool = true;
                    a.boolean = l == "true";
                } else if (v->text.empty()) {
                    r.report(item.line, item.path, "must not be empty");
                    continue;
                } else {
                    a.text = v->text;
                }
                answers.push_back(std::move(a));
            }
            c.accepted = std::move(answers);
        } else if (ae->node.IsNull()) {
            c.accepted.clear();
        }
    }
    read_optional(r, m, "tag", c.tag);
    if (c.required && c.accepted.empty()) {
        auto ae = m.get("accepted");
        r.report(ae ? ae->line : m.line(), m.child("accepted"),
                 "must list at least one accepted answer when consent.required is true");
    }
}

namespace {

/// Decision -> tag title: the keys UPPER_CASE decisions, the titles any non-empty text.
const map_rule& tag_rule() {
    static const map_rule rule{
        "a decision name",
        [](reader& r, const entry& at, const std::string& key) -> std::optional<std::string> {
            if (!is_decision_name(key)) {
                r.report(at.key_line, at.path,
                         "'" + key + "' is not an UPPER_CASE decision such as ACCEPT or REJECT");
                return std::nullopt;
            }
            return key;
        },
        "tag title must not be empty",
        {}};
    return rule;
}

}  // namespace

void read_tags(reader& r, const entry& e, tags_config& t) {
    map_view m(r, e, {"screening", "document_verification"});
    read_string_map(r, m, "screening", t.screening, tag_rule());
    read_string_map(r, m, "document_verification", t.document_verification, tag_rule());
}

void read_notes(reader& r, const entry& e, notes_config& n) {
    map_view m(r, e, {"notify_on", "is_private"});
    read_string_list(r, m, "notify_on", n.notify_on, decision_items);
    read_bool(r, m, "is_private", n.is_private);
}

namespace {

void read_country(reader& r, const map_view& m, std::string_view key, std::string& out,
                  bool allow_empty) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    auto v = r.value(*e);
    if (!v) {
        if (e->node.IsNull() && allow_empty) {
            out.clear();
        } else if (e->node.IsNull()) {
            r.report(e->line, e->path, "must be a two-letter country code such as US");
        }
        return;
    }
    if (v->text.empty() && allow_empty) {
        out.clear();
    } else if (!is_alpha2(v->text)) {
        r.report(e->line, e->path, "must be a two-letter country code such as US");
    } else {
        out = to_upper(v->text);
    }
}

}  // namespace

void read_mapping(reader& r, const entry& e, mapping_config& c) {
    map_view m(r, e,
               {"default_phone_region", "default_country", "custom_fields", "required_fields"});
    read_country(r, m, "default_phone_region", c.default_phone_region, false);
    read_country(r, m, "default_country", c.default_country, true);
    if (auto ce = m.get("custom_fields")) {
        if (auto list = r.items(*ce)) {
            std::vector<field_mapping> fields;
            for (const entry& item : *list) {
                if (item.node.IsNull()) {
                    r.report(item.line, item.path, "expected {ashby_field, riskos_field}");
                    continue;
                }
                map_view fm(r, item, {"ashby_field", "riskos_field", "transform"});
                if (!item.node.IsMap()) {
                    continue;
                }
                field_mapping f;
                bool ok = true;
                for (std::string_view k : {"ashby_field", "riskos_field"}) {
                    if (!fm.has(k)) {
                        r.report(fm.line(), fm.child(k), "is required");
                        ok = false;
                    }
                }
                ok = (!fm.has("ashby_field") ||
                      read_string(r, fm, "ashby_field", f.ashby_field, true)) &&
                     ok;
                if (fm.has("riskos_field")) {
                    if (!read_string(r, fm, "riskos_field", f.riskos_field, true)) {
                        ok = false;
                    } else if (!is_field_path(f.riskos_field)) {
                        r.report(fm.get("riskos_field")->line, fm.child("riskos_field"),
                                 "must be a dotted field path such as address.postal_code");
                        ok = false;
                    }
                }
                if (auto te = fm.get("transform"); te && r.is_map(*te)) {
                    for (const auto& kv : te->node) {
                        const int key_line = line_of(kv.first);
                        if (!kv.first.IsScalar()) {
                            r.report(key_line, te->path, "a key must be a single value");
                            ok = false;
                            continue;
                        }
                        const std::string from = kv.first.Scalar();
                        const std::string path = join_path(te->path, from);
                        const entry value{kv.second,
                                          kv.second.IsNull() ? key_line : line_of(kv.second),
                                          key_line, path};
                        if (kv.second.IsNull()) {
                            f.transform[from] = "";
                        } else if (auto v = r.value(value)) {
                            f.transform[from] = v->text;
                        } else {
                            ok = false;
                        }
                    }
                }
                if (ok) {
                    fields.push_back(std::move(f));
                }
            }
            c.custom_fields = std::move(fields);
        } else if (ce->node.IsNull()) {
            c.custom_fields.clear();
        }
    }
    // A name the mapping never fills would hold every screening back as "missing".
    const item_rule mapped_fields{
        [&c](std::string_view f) {
            return is_standard_field(f) ||
                   std::any_of(c.custom_fields.begin(), c.custom_fields.end(),
                               [&](const field_mapping& m) { return m.riskos_field == f; });
        },
        "a field the mapping fills (given_name, family_name, email, phone_number, ip_address, "
        "address, address.locality, address.major_admin_division, address.country) or the "
        "riskos_field of a mapping.custom_fields entry"};
    read_string_list(r, m, "required_fields", c.required_fields, mapped_fields);
}

}  // namespace riskbridge::config::detail
