#pragma once

// What the http unit suites build their webhooks from: the credentials every suite configures,
// an Ashby delivery signed with a secret, a RiskOS event with an Authorization header, and the
// value of an answer's header.

#include <string>

#include "riskbridge/config/config.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/security/hmac.hpp"

namespace riskbridge::http::testing {

/// The RiskOS Bearer token webhook_config accepts.
inline constexpr const char* riskos_bearer_token = "bearer-1";

/// A configuration whose Ashby webhooks are signed with `ashby_secret` and whose RiskOS webhooks
/// carry `Bearer <riskos_bearer_token>`; no triggers.
inline config::config webhook_config(const std::string& ashby_secret) {
    config::config cfg;
    cfg.ashby.api_key = config::secret("k");
    cfg.ashby.webhook_secrets = {config::secret(ashby_secret)};
    cfg.riskos.api_key = config::secret("r");
    cfg.riskos.webhook_auth.bearer_tokens = {config::secret(riskos_bearer_token)};
    return cfg;
}

/// `Ashby-Signature` for `body` under `secret`.
inline std::string ashby_signature(const std::string& secret, const std::string& body) {
    return "sha256=" + security::hmac_sha256_hex(secret, body);
}

/// POST /webhooks/ashby with `body`, signed with `secret` unless it is empty.
inline request ashby_post(const std::string& body, const std::string& secret,
                          const std::string& request_id = "req-1") {
    request r;
    r.method = "POST";
    r.target = "/webhooks/ashby";
    r.body = body;
    r.request_id = request_id;
    if (!secret.empty()) {
        r.headers.emplace_back("Ashby-Signature", ashby_signature(secret, body));
    }
    return r;
}

/// POST /webhooks/riskos with `body` and `Authorization: <authorization>` (none when empty).
inline request riskos_post(const std::string& body,
                           const std::string& authorization = std::string("Bearer ") +
                                                              riskos_bearer_token,
                           const std::string& request_id = "req-riskos") {
    request r;
    r.method = "POST";
    r.target = "/webhooks/riskos";
    r.body = body;
    r.request_id = request_id;
    if (!authorization.empty()) {
        r.headers.emplace_back("Authorization", authorization);
    }
    return r;
}

/// The value of the first header `name` of `r` (exact name); empty when it has none.
inline std::string header_of(const response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) {
            return v;
        }
    }
    return {};
}

}  // namespace riskbridge::http::testing
