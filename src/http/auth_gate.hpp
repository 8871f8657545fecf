#pragma once

// What the webhook handler answers a request that failed authentication (an intake's
// refuse_decision): 401 and one more failure counted against the client address, or 429 with
// Retry-After once that address has failed too often (auth_failure_limiter.hpp). Private to the
// http module.

#include <chrono>
#include <string_view>

#include "riskbridge/config/config.hpp"
#include "riskbridge/http/auth_failure_limiter.hpp"
#include "riskbridge/http/intake.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/observability/metrics.hpp"

namespace riskbridge::http::detail {

/// Counts a webhook in riskbridge_webhooks_total; `metrics` may be null.
inline void count_webhook(observability::metrics* metrics, std::string_view source,
                          std::string_view action, std::string_view outcome) {
    if (metrics != nullptr) {
        metrics->webhook(source, action, outcome);
    }
}

/// `r` with `Retry-After: <whole seconds>`.
response with_retry_after(response r, std::chrono::seconds wait);

class auth_gate {
public:
    auth_gate(const config::server_config::auth_failure_limit_config& limit,
              observability::metrics* metrics);

    /// The answer to `req`, whose authentication failed as `refusal` says: its 401, or 429
    /// for a client address that failed too often. Counted, and logged by ids only.
    response refuse(const request& req, const refuse_decision& refusal);

private:
    config::server_config::auth_failure_limit_config limit_;
    observability::metrics* metrics_;
    auth_failure_limiter failures_;
};

}  // namespace riskbridge::http::detail
