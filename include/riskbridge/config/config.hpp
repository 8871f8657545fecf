#pragma once

// The daemon's configuration as plain values with their defaults. Loaded from one YAML file
// by load_config() (loader.hpp); `${VAR}` and `${VAR:-default}` are replaced from the
// environment before validation. Every key and its default: config/riskbridge.example.yaml.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "riskbridge/core/wipe.hpp"

namespace riskbridge::config {

/// A value that must never be printed. redacted() is what dumps and logs show.
class secret {
public:
    secret() = default;
    explicit secret(std::string v) : value_(std::move(v)) {}
    // The value is wiped (core/wipe.hpp) whenever a secret lets go of it: destroyed, assigned
    // over, or moved from.
    secret(const secret&) = default;
    secret(secret&& other) noexcept : value_(std::move(other.value_)) { wipe(other.value_); }
    secret& operator=(const secret& other) {
        if (this != &other) {
            wipe(value_);
            value_ = other.value_;
        }
        return *this;
    }
    secret& operator=(secret&& other) noexcept {
        if (this != &other) {
            wipe(value_);
            value_ = std::move(other.value_);
            wipe(other.value_);
        }
        return *this;
    }
    ~secret() { wipe(value_); }
    const std::string& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }
    std::string redacted() const { return value_.empty() ? "<empty>" : "<redacted>"; }
    friend bool operator==(const secret&, const secret&) = default;

private:
    std::string value_;
};

struct server_config {
    std::string listen = "0.0.0.0:8080";  ///< host:port; [v6]:port accepted
    std::string host = "0.0.0.0";         ///< parsed from listen
    std::uint16_t port = 8080;            ///< parsed from listen (0 = any free port)
    int threads = 2;
    std::uint64_t max_body_bytes = 1'048'576;
    std::uint32_t max_header_bytes = 16'384;
    std::chrono::milliseconds read_timeout{10'000};  ///< whole request, from first byte
    std::chrono::milliseconds idle_timeout{60'000};  ///< keep-alive idle between requests
    std::chrono::milliseconds write_timeout{10'000};
    std::chrono::milliseconds drain_timeout{15'000};  ///< graceful shutdown limit
    int max_connections = 1024;
    /// First byte and header block of a request (and the TLS handshake); at most read_timeout.
    std::chrono::milliseconds header_timeout{5'000};
    /// Peers (addresses or CIDRs) whose X-Forwarded-For names the client: load balancers.
    std::vector<std::string> trusted_proxies;
    /// After `max` unauthenticated (401) webhook requests from one client address within
    /// `window`, its webhook requests get 429 until the window ends. max 0 = no limit.
    struct auth_failure_limit_config {
        int max = 20;
        std::chrono::milliseconds window{60'000};
        std::size_t max_addresses = 10'000;  ///< addresses tracked at once (memory bound)
    } auth_failure_limit;
    /// TLS on the listener (PEM files); absent = plain HTTP.
    struct tls_config {
        std::string cert_file;  ///< certificate chain, leaf first
        std::string key_file;   ///< private key (unencrypted PEM)
    };
    std::optional<tls_config> tls;
    /// A second listener that serves GET /metrics alone, in plain HTTP (host:port, parsed like
    /// listen); the main listener then answers 404 for /metrics. Unset: /metrics is served on
    /// the main listener.
    std::optional<std::string> metrics_listen;
    std::string metrics_host;        ///< parsed from metrics_listen
    std::uint16_t metrics_port = 0;  ///< parsed from metrics_listen (0 = any free port)
    /// Not read from the file: the prefix of the listener's thread names (top -H, ps -L).
    std::string thread_name = "rb-http";
};

/// The timeouts of calls to Ashby and RiskOS unless the file sets them (and of any
/// clients::curl_options left as it is).
inline constexpr std::chrono::milliseconds default_upstream_connect_timeout{5'000};
inline constexpr std::chrono::milliseconds default_upstream_request_timeout{30'000};

struct ashby_config {
    std::string api_base_url = "https://api.ashbyhq.com";
    secret api_key;
    std::vector<secret> webhook_secrets;  ///< several accepted at once (rotation)
    std::chrono::milliseconds connect_timeout{default_upstream_connect_timeout};
    std::chrono::milliseconds request_timeout{default_upstream_request_timeout};
    std::optional<std::string> status_custom_field;  ///< custom field id for verification state
    /// Decision (upper case: ACCEPT, REVIEW, REJECT, ...) -> the Ashby fraud status written with
    /// candidate.setFraudStatus (Fraudulent, NotFraudulent or Unsure). Empty: never written
    /// (the default; it needs Ashby's Fraud Detection feature).
    std::map<std::string, std::string> fraud_status;
    /// Accept an http:// api_base_url whose host is not loopback (the API key then crosses
    /// the network in clear): for a simulator in another container, never for the real API.
    bool allow_http = false;
};

struct basic_credential {
    std::string username;
    secret password;
    friend bool operator==(const basic_credential&, const basic_credential&) = default;
};

struct riskos_webhook_auth {
    std::vector<secret> bearer_tokens;
    std::vector<basic_credential> basic;
};

struct docv_config {
    bool send_message = true;
    std::string language = "en";
    std::optional<std::string> use_case_key;
    std::optional<std::string> document_type;  ///< e.g. "license", "passport"
    std::optional<std::string> redirect_url;
    std::string redirect_method = "GET";
    bool link_in_note = false;  ///< put the capture link in the Ashby note
    std::chrono::milliseconds link_lifetime{24LL * 3600 * 1000};
    /// How long after link_lifetime a DocV request still paused in RiskOS is ended as expired.
    std::chrono::milliseconds expiry_grace{3600LL * 1000};
    /// How many new capture sessions (new DocV evaluations) are started after one expires;
    /// 0 ends the flow as expired (REJECT).
    int reissue_on_expiry = 0;
    /// A reminder note on the candidate when capture has not started this long after the
    /// link was sent (remind_after_hours); nullopt: no reminder.
    std::optional<std::chrono::milliseconds> remind_after;
};

struct riskos_config {
    std::string api_base_url = "https://riskos.sandbox.socure.com";
    secret api_key;
    std::string case_url_base = "https://riskos.socure.com/cases/detail";
    std::optional<std::string> api_version;  ///< X-API-Version header, e.g. 2025-01-01.orion
    riskos_webhook_auth webhook_auth;
    std::string screening_workflow = "workforce_verification";
    std::string document_verification_workflow = "workforce_docv";
    docv_config docv;
    std::chrono::milliseconds connect_timeout{default_upstream_connect_timeout};
    std::chrono::milliseconds request_timeout{default_upstream_request_timeout};
    std::chrono::milliseconds reconcile_after{15LL * 60 * 1000};
    std::chrono::milliseconds reconcile_interval{60'000};
    /// Other names RiskOS sends for the events riskbridge acts on: name -> canonical event
    /// type (riskos_events.hpp). Adds to the built-in aliases (case_decision_changed,
    /// case_status_changed).
    std::map<std::string, std::string> event_aliases;
    /// As ashby_config::allow_http, for riskos.api_base_url.
    bool allow_http = false;
};

/// Known flows. Parsing an unknown name is a configuration error.
enum class flow_kind { screening, document_verification };
const char* to_string(flow_kind f) noexcept;
std::optional<flow_kind> parse_flow(std::string_view name) noexcept;

/// The documented Ashby webhook actions (docs/external-apis.md); a trigger must name one.
bool is_known_ashby_action(std::string_view action) noexcept;

struct trigger {
    std::string action;                ///< an Ashby webhook action, e.g. applicationSubmit
    std::optional<std::string> stage;  ///< matched case-insensitively to the stage title or type
    flow_kind flow = flow_kind::screening;
};

/// An accepted consent answer: a JSON boolean or a string (the option's value).
struct consent_answer {
    bool is_bool = false;
    bool boolean = false;
    std::string text;
    friend bool operator==(const consent_answer&, const consent_answer&) = default;
};

struct consent_config {
    bool required = false;
    std::string question = "I consent to a background and identity check";
    std::vector<consent_answer> accepted{{true, true, {}}, {false, false, "I Consent"}};
    std::optional<std::string> tag;  ///< tag applied when consent is missing
};

/// decision (ACCEPT, REVIEW, REJECT, RESUBMIT, ...) -> tag title
using tag_map = std::map<std::string, std::string>;

struct tags_config {
    tag_map screening{{"ACCEPT", "LOW_RISK_IDENTITY"},
                      {"REVIEW", "HIGH_RISK_IDENTITY"},
                      {"REJECT", "HIGH_RISK_IDENTITY"}};
    tag_map document_verification{{"ACCEPT", "DOCUMENT_VERIFICATION_PASSED"},
                                  {"REVIEW", "DOCUMENT_VERIFICATION_REVIEW"},
                                  {"RESUBMIT", "DOCUMENT_VERIFICATION_REVIEW"},
                                  {"REJECT", "DOCUMENT_VERIFICATION_FAILED"}};
};

struct notes_config {
    /// decisions whose note notifies the hiring team (sendNotifications: true)
    std::vector<std::string> notify_on;
    bool is_private = false;
};

/// One Ashby custom field mapped to a RiskOS individual field, with an optional transform.
struct field_mapping {
    std::string ashby_field;   ///< custom field title or id
    std::string riskos_field;  ///< dotted path under data.individual, e.g. address.postal_code
    std::map<std::string, std::string> transform;  ///< value -> replacement (e.g. state codes)
};

struct mapping_config {
    std::string default_phone_region = "US";
    std::string default_country;  ///< ISO alpha-2 used when the location has no country
    std::vector<field_mapping> custom_fields;
    std::vector<std::string> required_fields{"given_name", "family_name", "email", "phone_number"};
};

/// The size of a data key: AES-256 (security::data_key_bytes is this constant).
inline constexpr std::size_t data_key_bytes = 32;

/// One key for encrypting personal data at rest (store.encryption.keys[]).
struct data_key_config {
    std::string id;  ///< written beside every value it encrypts: [A-Za-z0-9._-], 1-64 chars
    secret key;      ///< the data_key_bytes key bytes (the file gives them as base64 or as hex)
    friend bool operator==(const data_key_config&, const data_key_config&) = default;
};

/// AES-256-GCM of job payloads, checkpoints and quarantined bodies in the store.
struct store_encryption_config {
    /// The first key encrypts; every key decrypts (rotation: put the new key first and keep
    /// the old ones until nothing they encrypted is left). Empty = not encrypted.
    std::vector<data_key_config> keys;
    bool enabled() const noexcept { return !keys.empty(); }
};

struct store_config {
    std::optional<std::string> sqlite_path = std::string("var/riskbridge.db");
    std::optional<secret> postgres_url;  ///< may embed a password
    int postgres_pool_size = 4;
    std::size_t max_pending_writes = 10'000;  ///< beyond this, webhooks get 503
    std::chrono::milliseconds lease{60'000};
    int retention_days = 30;
    /// Required: the store holds applicants' personal data. Only `allow_unencrypted: true`
    /// lets the daemon run without keys, said explicitly in the file.
    store_encryption_config encryption;
    bool allow_unencrypted = false;
};

struct workers_config {
    int threads = 16;
    int max_attempts = 12;
    std::chrono::milliseconds backoff_base{1'000};
    std::chrono::milliseconds backoff_max{3'600'000};
    std::chrono::milliseconds poll_interval{500};  ///< idle wait when nothing is due
};

struct logging_config {
    std::string level = "info";
    std::string format = "json";  ///< json | text
};

struct config {
    std::string source_path;  ///< the file it was loaded from
    server_config server;
    ashby_config ashby;
    riskos_config riskos;
    std::vector<trigger> triggers{
        {"applicationSubmit", std::nullopt, flow_kind::screening},
        {"candidateHire", std::nullopt, flow_kind::document_verification}};
    consent_config consent;
    tags_config tags;
    notes_config notes;
    mapping_config mapping;
    store_config store;
    workers_config workers;
    logging_config logging;
};

}  // namespace riskbridge::config
