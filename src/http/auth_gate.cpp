// See auth_gate.hpp.

#include "http/auth_gate.hpp"

#include <string>
#include <utility>

#include "riskbridge/observability/log.hpp"

namespace riskbridge::http::detail {

response with_retry_after(response r, std::chrono::seconds wait) {
    r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
    return r;
}

auth_gate::auth_gate(const config::server_config::auth_failure_limit_config& limit,
                     observability::metrics* metrics)
    : limit_(limit), metrics_(metrics), failures_(limit) {}

response auth_gate::refuse(const request& req, const refuse_decision& refusal) {
    const char* source = refusal.source.c_str();
    if (const auto wait = failures_.refused_for(req.remote_address)) {
        // Logged at debug only (a flood must not flood the log), and not counted again.
        count_webhook(metrics_, source, "", "rate_limited");
        if (metrics_ != nullptr) {
            metrics_->http_refused("rate_limited");
        }
        log::debug(
            "webhook_rate_limited",
            {{"request_id", req.request_id}, {"source", source}, {"remote", req.remote_address}});
        return with_retry_after(
            json_error(429, "too_many_failures", "too many unauthenticated requests; retry later"),
            *wait);
    }
    count_webhook(metrics_, source, "", "unauthorized");
    if (failures_.record_failure(req.remote_address)) {
        log::warn("client_rate_limited",
                  {{"request_id", req.request_id},
                   {"source", source},
                   {"remote", req.remote_address},
                   {"failures", limit_.max},
                   {"window_ms", static_cast<long long>(limit_.window.count())}});
    }
    log::warn("webhook_unauthorized", {{"request_id", req.request_id},
                                       {"source", source},
                                       {"reason", refusal.reason},
                                       {"remote", req.remote_address}});
    return refusal.answer;
}

}  // namespace riskbridge::http::detail
