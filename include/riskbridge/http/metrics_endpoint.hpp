#pragma once

// GET /metrics on a listener of its own (server.metrics_listen), so the Prometheus scrape can
// stay on a private address while the webhooks are public: a handler that answers /metrics
// alone, and a filter that takes /metrics off the main listener's handler. Both answer any
// path they do not serve as an unknown one (404).

#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/observability/metrics.hpp"

namespace riskbridge::http {

/// The answer to GET /metrics: the Prometheus text format of `metrics` (empty when null).
response metrics_answer(const observability::metrics* metrics);

/// GET or HEAD /metrics: the Prometheus text format of `metrics` (empty when null); another
/// method on /metrics: 405 with Allow; any other path: 404.
request_handler make_metrics_handler(observability::metrics* metrics);

/// `inner`, except that /metrics is answered 404 without reaching it.
request_handler without_metrics(request_handler inner);

}  // namespace riskbridge::http
