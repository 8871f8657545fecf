// The effective configuration as YAML, every secret replaced by <redacted>.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "riskbridge/config/loader.hpp"

namespace riskbridge::config {

namespace {

using std::chrono::milliseconds;

void put(YAML::Emitter& out, const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void put(YAML::Emitter& out, const char* key, const std::optional<std::string>& value) {
    out << YAML::Key << key << YAML::Value;
    if (value) {
        out << YAML::DoubleQuoted << *value;
    } else {
        out << YAML::Null;
    }
}

void put(YAML::Emitter& out, const char* key, const secret& value) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value.redacted();
}

void put(YAML::Emitter& out, const char* key, long long value) {
    out << YAML::Key << key << YAML::Value << value;
}

void put(YAML::Emitter& out, const char* key, bool value) {
    out << YAML::Key << key << YAML::Value << value;
}

void put(YAML::Emitter& out, const char* key, milliseconds value) {
    put(out, key, static_cast<long long>(value.count()));
}

/// Hours as the file writes them (remind_after_hours: 0.5), the shortest text that reads back
/// as the same milliseconds; null when unset.
void put_hours(YAML::Emitter& out, const char* key, const std::optional<milliseconds>& value) {
    out << YAML::Key << key << YAML::Value;
    if (!value) {
        out << YAML::Null;
        return;
    }
    constexpr double ms_per_hour = 3'600'000.0;
    char text[64];
    const auto [end, ec] =
        std::to_chars(text, text + sizeof text, static_cast<double>(value->count()) / ms_per_hour,
                      std::chars_format::fixed);
    out << (ec == std::errc() ? std::string(text, end) : std::string("null"));
}

void put(YAML::Emitter& out, const char* key, const std::vector<secret>& values) {
    out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (const auto& v : values) {
        out << YAML::DoubleQuoted << v.redacted();
    }
    out << YAML::EndSeq;
}

void put(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : values) {
        out << YAML::DoubleQuoted << v;
    }
    out << YAML::EndSeq;
}

void put(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& values) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : values) {
        out << YAML::Key << YAML::DoubleQuoted << k << YAML::Value << YAML::DoubleQuoted << v;
    }
    out << YAML::EndMap;
}

void begin(YAML::Emitter& out, const char* key) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
}

void emit(YAML::Emitter& out, const config& cfg) {
    out << YAML::BeginMap;

    const server_config& s = cfg.server;
    begin(out, "server");
    put(out, "listen", s.listen);
    put(out, "threads", static_cast<long long>(s.threads));
    put(out, "max_body_bytes", static_cast<long long>(s.max_body_bytes));
    put(out, "max_header_bytes", static_cast<long long>(s.max_header_bytes));
    put(out, "read_timeout_ms", s.read_timeout);
    put(out, "idle_timeout_ms", s.idle_timeout);
    put(out, "write_timeout_ms", s.write_timeout);
    put(out, "drain_timeout_ms", s.drain_timeout);
    put(out, "max_connections", static_cast<long long>(s.max_connections));
    put(out, "header_timeout_ms", s.header_timeout);
    put(out, "trusted_proxies", s.trusted_proxies);
    begin(out, "auth_failure_limit");
    put(out, "max", static_cast<long long>(s.auth_failure_limit.max));
    put(out, "window_ms", s.auth_failure_limit.window);
    put(out, "max_addresses", static_cast<long long>(s.auth_failure_limit.max_addresses));
    out << YAML::EndMap;
    out << YAML::Key << "tls" << YAML::Value;
    if (s.tls) {
        out << YAML::BeginMap;
        put(out, "cert_file", s.tls->cert_file);
        put(out, "key_file", s.tls->key_file);
        out << YAML::EndMap;
    } else {
        out << YAML::Null;
    }
    put(out, "metrics_listen", s.metrics_listen);
    out << YAML::EndMap;

    const ashby_config& a = cfg.ashby;
    begin(out, "ashby");
    put(out, "api_base_url", a.api_base_url);
    put(out, "api_key", a.api_key);
    put(out, "webhook_secrets", a.webhook_secrets);
    put(out, "connect_timeout_ms", a.connect_timeout);
    put(out, "request_timeout_ms", a.request_timeout);
    put(out, "status_custom_field", a.status_custom_field);
    put(out, "fraud_status", a.fraud_status);
    put(out, "allow_http", a.allow_http);
    out << YAML::EndMap;

    const riskos_config& r = cfg.riskos;
    begin(out, "riskos");
    put(out, "api_base_url", r.api_base_url);
    put(out, "api_key", r.api_key);
    put(out, "case_url_base", r.case_url_base);
    put(out, "api_version", r.api_version);
    begin(out, "webhook_auth");
    put(out, "bearer_tokens", r.webhook_auth.bearer_tokens);
    out << YAML::Key << "basic" << YAML::Value << YAML::BeginSeq;
    for (const auto& b : r.webhook_auth.basic) {
        out << YAML::BeginMap;
        put(out, "username", b.username);
        put(out, "password", b.password);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    begin(out, "workflows");
    put(out, "screening", r.screening_workflow);
    put(out, "document_verification", r.document_verification_workflow);
    out << YAML::EndMap;
    begin(out, "docv");
    put(out, "send_message", r.docv.send_message);
    put(out, "language", r.docv.language);
    put(out, "use_case_key", r.docv.use_case_key);
    put(out, "document_type", r.docv.document_type);
    put(out, "redirect_url", r.docv.redirect_url);
    put(out, "redirect_method", r.docv.redirect_method);
    put(out, "link_in_note", r.docv.link_in_note);
    put(out, "link_lifetime_hours",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::hours>(r.docv.link_lifetime).count()));
    put(out, "expiry_grace_ms", r.docv.expiry_grace);
    put(out, "reissue_on_expiry", static_cast<long long>(r.docv.reissue_on_expiry));
    put_hours(out, "remind_after_hours", r.docv.remind_after);
    out << YAML::EndMap;
    put(out, "connect_timeout_ms", r.connect_timeout);
    put(out, "request_timeout_ms", r.request_timeout);
    put(out, "reconcile_after_ms", r.reconcile_after);
    put(out, "reconcile_interval_ms", r.reconcile_interval);
    put(out, "event_aliases", r.event_aliases);
    put(out, "allow_http", r.allow_http);
    out << YAML::EndMap;

    out << YAML::Key << "triggers" << YAML::Value << YAML::BeginSeq;
    for (const auto& t : cfg.triggers) {
        out << YAML::Flow << YAML::BeginMap;
        put(out, "action", t.action);
        if (t.stage) {
            put(out, "stage", *t.stage);
        }
        put(out, "flow", std::string(to_string(t.flow)));
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;

    const consent_config& c = cfg.consent;
    begin(out, "consent");
    put(out, "required", c.required);
    put(out, "question", c.question);
    out << YAML::Key << "accepted" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& ans : c.accepted) {
        if (ans.is_bool) {
            out << ans.boolean;
        } else {
            out << YAML::DoubleQuoted << ans.text;
        }
    }
    out << YAML::EndSeq;
    put(out, "tag", c.tag);
    out << YAML::EndMap;

    begin(out, "tags");
    put(out, "screening", cfg.tags.screening);
    put(out, "document_verification", cfg.tags.document_verification);
    out << YAML::EndMap;

    begin(out, "notes");
    put(out, "notify_on", cfg.notes.notify_on);
    put(out, "is_private", cfg.notes.is_private);
    out << YAML::EndMap;

    const mapping_config& mp = cfg.mapping;
    begin(out, "mapping");
    put(out, "default_phone_region", mp.default_phone_region);
    put(out, "default_country", mp.default_country);
    out << YAML::Key << "custom_fields" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : mp.custom_fields) {
        out << YAML::BeginMap;
        put(out, "ashby_field", f.ashby_field);
        put(out, "riskos_field", f.riskos_field);
        put(out, "transform", f.transform);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    put(out, "required_fields", mp.required_fields);
    out << YAML::EndMap;

    const store_config& st = cfg.store;
    begin(out, "store");
    put(out, "sqlite_path", st.sqlite_path);
    out << YAML::Key << "postgres_url" << YAML::Value;
    if (st.postgres_url) {
        out << YAML::DoubleQuoted << st.postgres_url->redacted();
    } else {
        out << YAML::Null;
    }
    put(out, "postgres_pool_size", static_cast<long long>(st.postgres_pool_size));
    put(out, "max_pending_writes", static_cast<long long>(st.max_pending_writes));
    put(out, "lease_ms", st.lease);
    put(out, "retention_days", static_cast<long long>(st.retention_days));
    out << YAML::Key << "encryption" << YAML::Value;
    if (st.encryption.enabled()) {
        out << YAML::BeginMap << YAML::Key << "keys" << YAML::Value << YAML::BeginSeq;
        for (const auto& k : st.encryption.keys) {
            out << YAML::Flow << YAML::BeginMap;
            put(out, "id", k.id);
            put(out, "key", k.key);
            out << YAML::EndMap;
        }
        out << YAML::EndSeq << YAML::EndMap;
    } else {
        out << YAML::Null;
    }
    put(out, "allow_unencrypted", st.allow_unencrypted);
    out << YAML::EndMap;

    const workers_config& w = cfg.workers;
    begin(out, "workers");
    put(out, "threads", static_cast<long long>(w.threads));
    put(out, "max_attempts", static_cast<long long>(w.max_attempts));
    put(out, "backoff_base_ms", w.backoff_base);
    put(out, "backoff_max_ms", w.backoff_max);
    put(out, "poll_interval_ms", w.poll_interval);
    out << YAML::EndMap;

    begin(out, "logging");
    put(out, "level", cfg.logging.level);
    put(out, "format", cfg.logging.format);
    out << YAML::EndMap;

    out << YAML::EndMap;
}

}  // namespace

std::string redacted_dump(const config& cfg) {
    try {
        YAML::Emitter out;
        emit(out, cfg);
        std::string source = cfg.source_path;
        std::replace(source.begin(), source.end(), '\n', ' ');
        std::string header = "# effective configuration";
        if (!source.empty()) {
            header += " from " + source;
        }
        return header + " (secrets redacted)\n" + std::string(out.c_str()) + "\n";
    } catch (const std::exception&) {
        return "# the configuration could not be written\n";
    }
}

}  // namespace riskbridge::config
