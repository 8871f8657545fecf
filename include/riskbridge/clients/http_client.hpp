#pragma once

// The outbound HTTP seam: flows talk to Ashby and RiskOS through `http_client`, so tests can
// hand them a fake. The real one is libcurl (make_curl_client).
//
// Failures are values (`upstream_error`) that say what happened (network, timeout, tls,
// http_status, protocol, api_error), whether retrying can help (`transient`), and how long
// the upstream asked us to wait (`retry_after`). Their messages are log-safe: host, path,
// status and error codes only, never a body or a header value.
//
// Retry policy (docs/external-apis.md, "Retries"): network errors, timeouts, 408, 429 and 5xx are
// transient; other 4xx are permanent; 3xx is permanent (redirects are not followed).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"

namespace riskbridge::clients {

enum class http_method { get, post };
const char* to_string(http_method m) noexcept;

struct http_call {
    http_method method = http_method::post;
    std::string url;  ///< absolute http(s) URL
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// Overrides the client's total timeout for this call.
    std::optional<milliseconds> timeout;
    /// Use a new connection. For calls that are not idempotent (Ashby's createNote): libcurl
    /// silently resends a request once when a reused keep-alive connection dies before any
    /// answer, which would apply a non-idempotent call twice; on a fresh connection the
    /// failure is reported instead and the flow's own idempotency check decides.
    bool fresh_connection = false;
};

struct http_response {
    long status = 0;
    std::map<std::string, std::string> headers;  ///< names lower-cased; the last value wins
    std::string body;

    /// `name` must be lower-case.
    std::optional<std::string_view> header(const std::string& name) const;
};

enum class failure_kind {
    network,      ///< could not connect, connection reset or dropped, nothing received
    timeout,      ///< connect or total timeout reached
    tls,          ///< handshake or certificate verification failed
    http_status,  ///< a non-2xx answer
    protocol,     ///< junk, an oversized answer, a body that is not what the API promises
    api_error,    ///< the API said no in its own envelope (Ashby `success: false`)
};
const char* to_string(failure_kind k) noexcept;

/// One failed upstream call.
struct upstream_error {
    failure_kind kind = failure_kind::network;
    long status = 0;                          ///< HTTP status when there was one
    std::optional<milliseconds> retry_after;  ///< Retry-After, when the upstream sent one
    bool transient = false;                   ///< retrying may help
    std::string code;     ///< short machine code: curl's name, "http_429", Ashby's errorInfo.code
    std::string message;  ///< log-safe: no bodies, no header values, no personal data

    /// For module boundaries that speak `riskbridge::error`: unauthorized for 401/403,
    /// timeout, transient, or permanent.
    riskbridge::error to_error() const;
};

/// A value or an upstream_error.
template <class T>
using upstream_result = result<T, upstream_error>;

/// One finished call to an upstream API, for metrics. Every value is bounded: `endpoint` is a
/// name from code (Ashby's "candidate.info", RiskOS's "evaluation_create"), never a URL with
/// ids; `status` is the HTTP status of the answer ("200", "503") or, without one, the failure
/// kind (network, timeout, tls, protocol); Ashby's `success: false` is "api_error".
struct upstream_call {
    std::string_view service;  ///< "ashby" | "riskos"
    std::string_view endpoint;
    std::string_view status;
    std::chrono::microseconds duration{0};  ///< request sent to answer read
};

/// Told about every upstream call (set in ashby_options / riskos_options). Called on the
/// worker's thread: must be quick and must not throw.
using upstream_observer = std::function<void(const upstream_call&)>;

/// The `status` of a failed call, as upstream_call defines it.
std::string status_label(const upstream_error& e);

/// The retry policy for an HTTP status: 408, 429 and 5xx are transient.
bool is_transient_status(long status) noexcept;

/// `Retry-After` as delta-seconds ("120") or an HTTP-date (IMF-fixdate, RFC 850, asctime),
/// relative to `now`. A date in the past gives 0. nullopt when unparsable. Capped at 7 days.
std::optional<milliseconds> parse_retry_after(std::string_view value, time_point now);

/// The error for a non-2xx answer: kind http_status, the status, Retry-After, transient by
/// is_transient_status. `what` names the call (e.g. "POST api.ashbyhq.com/candidate.info").
upstream_error status_error(const http_response& response, std::string_view what, time_point now);

/// "host/path" of a URL, without scheme, credentials, port or query (for messages).
std::string describe_url(std::string_view url);

/// Sends one request and waits for the answer. Any HTTP answer, whatever its status, is a
/// response (callers judge statuses with status_error); failures are transport failures
/// (network, timeout, tls, protocol).
///
/// Implementations are NOT thread-safe: use one client per thread (one per worker).
class http_client {
public:
    virtual ~http_client() = default;
    virtual upstream_result<http_response> send(const http_call& call) = 0;
};

/// The largest answer a client accepts unless told otherwise.
inline constexpr std::size_t default_max_response_bytes = 8 * 1024 * 1024;

struct curl_options {
    /// CURLOPT_CONNECTTIMEOUT_MS, every call
    milliseconds connect_timeout{config::default_upstream_connect_timeout};
    /// CURLOPT_TIMEOUT_MS unless the call overrides it
    milliseconds total_timeout{config::default_upstream_request_timeout};
    std::optional<std::string> ca_file;  ///< CURLOPT_CAINFO; the system store otherwise
    std::size_t max_response_bytes = default_max_response_bytes;  ///< larger answers fail
    std::string user_agent = "riskbridge";
    const clock* clk = nullptr;  ///< for Retry-After dates; the system clock when null
};

/// A libcurl client owning one easy handle, reused across calls so connections are kept
/// alive. TLS peer and host verification are always on; redirects are never followed; only
/// http and https. Not thread-safe: one per thread.
std::unique_ptr<http_client> make_curl_client(curl_options options = {});

}  // namespace riskbridge::clients
