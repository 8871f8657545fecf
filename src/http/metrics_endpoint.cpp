#include "riskbridge/http/metrics_endpoint.hpp"

#include <utility>

namespace riskbridge::http {

namespace {

constexpr std::string_view metrics_path = "/metrics";

}  // namespace

response metrics_answer(const observability::metrics* metrics) {
    response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics != nullptr ? metrics->serialize() : std::string{};
    return r;
}

request_handler make_metrics_handler(observability::metrics* metrics) {
    return [metrics](request req, respond_fn respond) {
        if (req.path() != metrics_path) {
            return respond(not_found());
        }
        if (req.method != "GET" && req.method != "HEAD") {
            return respond(method_not_allowed("use GET", "GET, HEAD"));
        }
        respond(metrics_answer(metrics));
    };
}

request_handler without_metrics(request_handler inner) {
    // The inner handler's check of the headers (RiskOS credentials before the body) is kept.
    header_check headers = inner.on_headers;
    return request_handler(
        [inner = std::move(inner)](request req, respond_fn respond) {
            if (req.path() == metrics_path) {
                return respond(not_found());
            }
            inner(std::move(req), std::move(respond));
        },
        std::move(headers));
}

}  // namespace riskbridge::http
