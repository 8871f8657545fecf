#pragma once

// The RiskOS Evaluation API client (docs/external-apis.md): `Authorization: Bearer <key>`,
// `Content-Type: application/json`, optional `X-API-Version`.
//
//   POST /api/evaluation            start (or re-run, same `id`) an evaluation
//   GET  /api/evaluation/{eval_id}  read it back (reconcile a missed webhook)
//
// 200 (done) and 201 (accepted, paused or asynchronous), like any 2xx, are success: the body
// is parsed with parse_evaluation and `http_status` says which. 408/429/5xx are transient
// (Retry-After honoured), other statuses permanent (400 bad request, 401/403 credentials, 404
// unknown eval_id). A success body that does not parse is a protocol error (permanent).
// Not thread-safe (as its http_client): one per worker thread.

#include <optional>
#include <string>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/clients/riskos/evaluation.hpp"

namespace riskbridge::clients::riskos {

struct riskos_options {
    std::string base_url = "https://riskos.sandbox.socure.com";
    std::string api_key;
    std::optional<std::string> api_version;  ///< X-API-Version, e.g. 2025-01-01.orion
    std::optional<milliseconds> timeout;     ///< per call; the http_client's default otherwise
    const clock* clk = nullptr;              ///< for Retry-After dates; system clock when null
    /// Told about every call (metrics): endpoint evaluation_create (POST) or evaluation_get.
    upstream_observer observer{};
};

class riskos_client {
public:
    /// `http` must outlive the client.
    riskos_client(http_client& http, riskos_options options);

    upstream_result<evaluation> evaluate(const evaluation_request& request);
    /// The same with a request body the caller built.
    upstream_result<evaluation> evaluate_json(const std::string& request_json);
    /// `eval_id` must be a plain id (letters, digits, '-', '_'); others are refused unsent.
    upstream_result<evaluation> get_evaluation(const std::string& eval_id);

private:
    upstream_result<evaluation> exchange(http_method method, const std::string& path,
                                         const std::string& body);

    http_client& http_;
    riskos_options options_;
};

}  // namespace riskbridge::clients::riskos
