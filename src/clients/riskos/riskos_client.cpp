#include "riskbridge/clients/riskos/riskos_client.hpp"

#include <algorithm>
#include <cctype>

#include "clients/observed_call.hpp"
#include "riskbridge/core/encoding.hpp"

namespace riskbridge::clients::riskos {

namespace {

bool plain_id(std::string_view id) {
    return !id.empty() && id.size() <= max_peer_id_chars &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
           });
}

}  // namespace

riskos_client::riskos_client(http_client& http, riskos_options options)
    : http_(http), options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
        options_.base_url.pop_back();
    }
}

upstream_result<evaluation> riskos_client::evaluate(const evaluation_request& request) {
    return evaluate_json(to_json_text(request));
}

upstream_result<evaluation> riskos_client::evaluate_json(const std::string& request_json) {
    return exchange(http_method::post, "/api/evaluation", request_json);
}

upstream_result<evaluation> riskos_client::get_evaluation(const std::string& eval_id) {
    if (!plain_id(eval_id)) {
        return detail::protocol_error("GET /api/evaluation", "invalid_eval_id",
                                      "the eval_id is not a plain id");
    }
    return exchange(http_method::get, "/api/evaluation/" + eval_id, {});
}

upstream_result<evaluation> riskos_client::exchange(http_method method, const std::string& path,
                                                    const std::string& body) {
    http_call c;
    c.method = method;
    c.url = options_.base_url + path;
    c.headers = {{"Authorization", "Bearer " + options_.api_key}, {"Accept", "application/json"}};
    if (method == http_method::post) {
        c.headers.emplace_back("Content-Type", "application/json");
        c.body = body;
    }
    if (options_.api_version) {
        c.headers.emplace_back("X-API-Version", *options_.api_version);
    }
    c.timeout = options_.timeout;
    const std::string what = std::string(to_string(method)) + " " + describe_url(c.url);

    detail::observed_call observed(
        options_.observer, "riskos",
        method == http_method::post ? "evaluation_create" : "evaluation_get");
    auto sent = detail::send_observed(http_, c, observed);
    if (!sent) {
        return std::move(sent).error();
    }
    const http_response& r = *sent;
    if (r.status < 200 || r.status > 299) {
        const time_point now = options_.clk != nullptr ? options_.clk->now() : system_clock().now();
        return status_error(r, what, now);
    }
    auto parsed = parse_evaluation(std::string_view{r.body});
    if (!parsed) {
        return detail::protocol_error(what, "bad_evaluation", parsed.error().message, r.status);
    }
    evaluation ev = std::move(parsed).value();
    ev.http_status = r.status;
    return ev;
}

}  // namespace riskbridge::clients::riskos
