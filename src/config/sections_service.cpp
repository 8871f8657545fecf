// The sections of the service itself: server (listeners, limits, timeouts, trusted proxies,
// TLS, /metrics), store (database, encryption keys), workers and logging.

#include "config/sections.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>

#include "config/validators.hpp"
#include "config/value_readers.hpp"
#include "config/yaml_reader.hpp"
#include "riskbridge/core/encoding.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::config::detail {

namespace {

// Upper bounds of the numeric keys: far above any sensible value, low enough to catch a
// typo (an extra digit or two) before it becomes a thread or memory explosion.
constexpr int max_threads = 1024;  ///< server.threads and workers.threads
constexpr int max_auth_failures = 1'000'000;
constexpr std::size_t max_tracked_addresses = 10'000'000;
constexpr std::uint32_t min_header_bytes = 1024;  ///< a request line and a few headers
constexpr int max_connections = 1'000'000;
constexpr int max_postgres_pool_size = 1000;
constexpr std::size_t max_pending_writes = 100'000'000;
constexpr int max_retention_days = 36'500;  ///< a hundred years
constexpr int max_attempts = 1000;

/// trusted_proxies, auth_failure_limit and tls.
void read_server_protection(reader& r, const map_view& m, server_config& s) {
    read_string_list(r, m, "trusted_proxies", s.trusted_proxies, address_items);
    if (auto le = m.get("auth_failure_limit")) {
        map_view lm(r, *le, {"max", "window_ms", "max_addresses"});
        read_int(r, lm, "max", s.auth_failure_limit.max, 0, max_auth_failures);
        read_ms(r, lm, "window_ms", s.auth_failure_limit.window);
        read_int(r, lm, "max_addresses", s.auth_failure_limit.max_addresses, 1,
                 max_tracked_addresses);
    }
    if (auto te = m.get("tls"); te && !te->node.IsNull()) {
        map_view tm(r, *te, {"cert_file", "key_file"});
        if (!te->node.IsMap()) {
            return;
        }
        const auto read_file_key = [&](const char* key, const char* what, std::string& out) {
            auto fe = tm.get(key);
            if (!fe) {
                r.report(tm.line(), tm.child(key), "is required when tls is set");
                return false;
            }
            auto v = r.value(*fe);
            if (!v || v->text.empty()) {
                if (fe->node.IsNull() || v) {
                    r.report(fe->line, fe->path, "must not be empty");
                }
                return false;
            }
            const std::size_t before = r.problem_count();
            check_pem_file(r, *fe, v->text, what);
            out = v->text;
            return r.problem_count() == before;
        };
        server_config::tls_config tls;
        const bool cert_ok = read_file_key("cert_file", "certificate", tls.cert_file);
        const bool key_ok = read_file_key("key_file", "private key", tls.key_file);
        if (cert_ok && key_ok) {
            s.tls = std::move(tls);
        }
    }
}

/// server.metrics_listen: absent, null or "" leaves /metrics on the main listener.
void read_metrics_listen(reader& r, const map_view& m, server_config& s) {
    auto e = m.get("metrics_listen");
    if (!e || e->node.IsNull()) {
        return;
    }
    auto v = r.value(*e);
    if (!v || v->text.empty()) {
        return;
    }
    std::string host;
    std::uint16_t port = 0;
    if (auto err = parse_listen(v->text, host, port)) {
        r.report(e->line, e->path, *err);
        return;
    }
    // Both listeners on one port cannot bind (port 0 picks a free port for each).
    if (port != 0 && port == s.port &&
        (host == s.host || is_any_address(host) || is_any_address(s.host))) {
        r.report(e->line, e->path,
                 "must not be the address of server.listen: give /metrics a port of its own");
        return;
    }
    s.metrics_listen = v->text;
    s.metrics_host = host;
    s.metrics_port = port;
}

}  // namespace

void read_server(reader& r, const entry& e, server_config& s) {
    map_view m(
        r, e,
        {"listen", "threads", "max_body_bytes", "max_header_bytes", "read_timeout_ms",
         "idle_timeout_ms", "write_timeout_ms", "drain_timeout_ms", "max_connections",
         "header_timeout_ms", "trusted_proxies", "auth_failure_limit", "tls", "metrics_listen"});
    if (auto le = m.get("listen")) {
        if (le->node.IsNull()) {
            r.report(le->line, le->path, "must not be empty; expected host:port");
        } else if (auto v = r.value(*le)) {
            if (auto err = parse_listen(v->text, s.host, s.port)) {
                r.report(le->line, le->path, *err);
            } else {
                s.listen = v->text;
            }
        }
    }
    read_int(r, m, "threads", s.threads, 1, max_threads);
    read_int(r, m, "max_body_bytes", s.max_body_bytes, 1, no_upper_bound);
    read_int(r, m, "max_header_bytes", s.max_header_bytes, min_header_bytes,
             std::numeric_limits<std::uint32_t>::max());
    read_ms(r, m, "read_timeout_ms", s.read_timeout);
    read_ms(r, m, "idle_timeout_ms", s.idle_timeout);
    read_ms(r, m, "write_timeout_ms", s.write_timeout);
    read_ms(r, m, "drain_timeout_ms", s.drain_timeout);
    read_int(r, m, "max_connections", s.max_connections, 1, max_connections);
    read_ms(r, m, "header_timeout_ms", s.header_timeout);
    read_server_protection(r, m, s);
    read_metrics_listen(r, m, s);
}

namespace {

/// store.encryption: { keys: [{id, key}, ...] }. Absent or null: not encrypted.
void read_encryption(reader& r, const map_view& parent, store_encryption_config& out) {
    auto e = parent.get("encryption");
    if (!e || e->node.IsNull()) {
        return;
    }
    map_view m(r, *e, {"keys"});
    if (!e->node.IsMap()) {
        return;
    }
    constexpr const char* need_key =
        "at least one key is required (or remove store.encryption and set "
        "store.allow_unencrypted: true to store data unencrypted)";
    auto ke = m.get("keys");
    if (!ke || ke->node.IsNull()) {
        r.report(ke ? ke->line : m.line(), m.child("keys"), need_key);
        return;
    }
    auto list = r.items(*ke);
    if (!list) {
        return;
    }
    if (list->empty()) {
        r.report(ke->line, ke->path, need_key);
        return;
    }
    std::vector<data_key_config> keys;
    std::map<std::string, std::string> ids;  // id -> path of the key that has it
    bool ok = true;
    for (const entry& item : *list) {
        if (item.node.IsNull()) {
            r.report(item.line, item.path, "expected {id, key}");
            ok = false;
            continue;
        }
        map_view km(r, item, {"id", "key"});
        if (!item.node.IsMap()) {
            ok = false;
            continue;
        }
        data_key_config k;
        if (!km.has("id")) {
            r.report(km.line(), km.child("id"), "is required");
            ok = false;
        } else if (!read_string(r, km, "id", k.id, true)) {
            ok = false;
        } else if (!is_token(k.id)) {
            r.report(km.get("id")->line, km.child("id"),
                     "must be 1 to 64 letters, digits, '.', '_' or '-'");
            ok = false;
        } else if (auto [it, fresh] = ids.emplace(k.id, item.path); !fresh) {
            r.report(km.get("id")->line, km.child("id"),
                     "duplicate key id (also the id of " + it->second + ")");
            ok = false;
        }
        if (!km.has("key")) {
            r.report(km.line(), km.child("key"), "is required");
            ok = false;
            continue;
        }
        const entry key_entry = *km.get("key");
        auto v = r.value(key_entry);
        if (!v) {
            if (key_entry.node.IsNull()) {
                r.report(key_entry.line, key_entry.path, "is empty");
            }
            ok = false;
            continue;
        }
        if (v->text.empty()) {
            r.report(key_entry.line, key_entry.path, "is empty");
            ok = false;
            continue;
        }
        // Never echo the value: it is the key.
        auto bytes = decode_data_key(v->text);
        if (!bytes || bytes->size() != data_key_bytes) {
            r.report(key_entry.line, key_entry.path,
                     "must be 32 bytes written as base64 (44 characters, e.g. from "
                     "`openssl rand -base64 32`) or as 64 hex digits");
            ok = false;
            continue;
        }
        k.key = secret(std::move(*bytes));
        keys.push_back(std::move(k));
    }
    if (ok) {
        out.keys = std::move(keys);
    }
}

}  // namespace

void read_store(reader& r, const entry& e, store_config& s) {
    map_view m(r, e,
               {"sqlite_path", "postgres_url", "postgres_pool_size", "max_pending_writes",
                "lease_ms", "retention_days", "encryption", "allow_unencrypted"});
    std::string sqlite;
    bool sqlite_bad = false;
    if (auto se = m.get("sqlite_path"); se && !se->node.IsNull()) {
        if (auto v = r.value(*se)) {
            sqlite = v->text;
        } else {
            sqlite_bad = true;
        }
    }
    secret pg;
    bool pg_bad = false;
    if (auto pe = m.get("postgres_url"); pe && !pe->node.IsNull()) {
        if (auto v = r.value(*pe)) {
            pg = secret(v->text);
        } else {
            pg_bad = true;
        }
    }
    const bool sqlite_given = m.get("sqlite_path").has_value();
    const bool pg_given = m.get("postgres_url").has_value();
    if (!sqlite_bad && !pg_bad) {
        if (!sqlite.empty() && !pg.empty()) {
            r.report(m.get("postgres_url")->line, m.path(),
                     "set exactly one of sqlite_path or postgres_url, not both");
        } else if (!pg.empty()) {
            s.postgres_url = std::move(pg);
            s.sqlite_path.reset();
        } else if (!sqlite.empty()) {
            s.sqlite_path = sqlite;
            s.postgres_url.reset();
        } else if (sqlite_given || pg_given) {
            const auto first = sqlite_given ? m.get("sqlite_path") : m.get("postgres_url");
            r.report(first->line, m.path(),
                     "set exactly one of sqlite_path or postgres_url (both are empty)");
        }
    }
    read_int(r, m, "postgres_pool_size", s.postgres_pool_size, 1, max_postgres_pool_size);
    read_int(r, m, "max_pending_writes", s.max_pending_writes, 1, max_pending_writes);
    read_ms(r, m, "lease_ms", s.lease);
    read_int(r, m, "retention_days", s.retention_days, 1, max_retention_days);
    read_encryption(r, m, s.encryption);
    read_bool(r, m, "allow_unencrypted", s.allow_unencrypted);
    // Encryption is the default, not an option: the store holds names, emails, phones and
    // addresses. A store.encryption that is there but wrong has been reported already.
    const auto enc = m.get("encryption");
    if (!s.encryption.enabled() && !s.allow_unencrypted && (!enc || enc->node.IsNull())) {
        r.report(enc ? enc->line : m.line(), m.child("encryption"),
                 "is required: the store holds applicants' personal data. Add "
                 "keys: [{id: \"1\", key: \"${RISKBRIDGE_DATA_KEY}\"}] with a key made by "
                 "`openssl rand -base64 32`, or set store.allow_unencrypted: true to keep it "
                 "in clear");
    }
}

void read_workers(reader& r, const entry& e, workers_config& w) {
    map_view m(
        r, e, {"threads", "max_attempts", "backoff_base_ms", "backoff_max_ms", "poll_interval_ms"});
    read_int(r, m, "threads", w.threads, 1, max_threads);
    read_int(r, m, "max_attempts", w.max_attempts, 1, max_attempts);
    // 0 is allowed: retries at once (tests, or an upstream known to recover quickly).
    const int base_line = read_ms(r, m, "backoff_base_ms", w.backoff_base, 0);
    const int max_line = read_ms(r, m, "backoff_max_ms", w.backoff_max, 0);
    read_ms(r, m, "poll_interval_ms", w.poll_interval);
    if (w.backoff_base > w.backoff_max) {
        const int line = base_line != 0 ? base_line : (max_line != 0 ? max_line : m.line());
        r.report(line, m.child(base_line != 0 ? "backoff_base_ms" : "backoff_max_ms"),
                 "backoff_base_ms (" + std::to_string(w.backoff_base.count()) +
                     ") must not exceed backoff_max_ms (" + std::to_string(w.backoff_max.count()) +
                     ")");
    }
}

void read_logging(reader& r, const entry& e, logging_config& l) {
    map_view m(r, e, {"level", "format"});
    if (auto le = m.get("level")) {
        if (auto v = r.value(*le)) {
            static constexpr std::array<std::string_view, 7> levels{
                "trace", "debug", "info", "warn", "error", "critical", "off"};
            const std::string lv = to_lower(v->text);
            if (std::find(levels.begin(), levels.end(), lv) != levels.end()) {
                l.level = lv;
            } else {
                r.report(le->line, le->path,
                         "must be one of trace, debug, info, warn, error, critical, off");
            }
        }
    }
    if (auto fe = m.get("format")) {
        if (auto v = r.value(*fe)) {
            const std::string f = to_lower(v->text);
            if (f == "json" || f == "text") {
                l.format = f;
            } else {
                r.report(fe->line, fe->path, "must be json or text");
            }
        }
    }
}

}  // namespace riskbridge::config::detail
