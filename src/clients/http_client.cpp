#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/core/text.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace riskbridge::clients {

namespace {

constexpr std::int64_t max_retry_after_ms = 7LL * 24 * 3600 * 1000;
/// A Retry-After value longer than this is neither seconds nor an HTTP-date.
constexpr std::size_t max_retry_after_chars = 64;
/// loggable_url keeps at most this much of the path.
constexpr std::size_t max_logged_path_chars = 120;

}  // namespace

const char* to_string(http_method m) noexcept {
    return m == http_method::get ? "GET" : "POST";
}

const char* to_string(failure_kind k) noexcept {
    switch (k) {
        case failure_kind::network:
            return "network";
        case failure_kind::timeout:
            return "timeout";
        case failure_kind::tls:
            return "tls";
        case failure_kind::http_status:
            return "http_status";
        case failure_kind::protocol:
            return "protocol";
        case failure_kind::api_error:
            return "api_error";
    }
    return "unknown";
}

std::optional<std::string_view> http_response::header(const std::string& name) const {
    auto it = headers.find(name);
    if (it == headers.end()) {
        return std::nullopt;
    }
    return std::string_view{it->second};
}

riskbridge::error upstream_error::to_error() const {
    errc c = transient ? errc::transient : errc::permanent;
    if (kind == failure_kind::timeout) {
        c = errc::timeout;
    } else if (kind == failure_kind::http_status && (status == 401 || status == 403)) {
        c = errc::unauthorized;
    }
    return riskbridge::error{c, message};
}

std::string status_label(const upstream_error& e) {
    if (e.kind == failure_kind::http_status && e.status > 0) {
        return std::to_string(e.status);
    }
    return to_string(e.kind);
}

bool is_transient_status(long status) noexcept {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::optional<milliseconds> parse_retry_after(std::string_view value, time_point now) {
    value = trim_ows(value);
    if (value.empty() || value.size() > max_retry_after_chars) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        std::int64_t seconds = 0;
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec == std::errc::result_out_of_range) {
            return milliseconds{max_retry_after_ms};
        }
        if (ec != std::errc{} || ptr != value.data() + value.size()) {
            return std::nullopt;
        }
        if (seconds > max_retry_after_ms / 1000) {
            return milliseconds{max_retry_after_ms};
        }
        return milliseconds{seconds * 1000};
    }
    // An HTTP-date. curl_getdate understands the three formats of RFC 9110 §5.6.7.
    const std::string text(value);
    const time_t when = curl_getdate(text.c_str(), nullptr);
    if (when == static_cast<time_t>(-1)) {
        return std::nullopt;
    }
    const auto target = std::chrono::system_clock::from_time_t(when);
    const auto delta = std::chrono::duration_cast<milliseconds>(target - now);
    if (delta.count() <= 0) {
        return milliseconds{0};
    }
    return std::min(delta, milliseconds{max_retry_after_ms});
}

upstream_error status_error(const http_response& response, std::string_view what, time_point now) {
    upstream_error e;
    e.kind = failure_kind::http_status;
    e.status = response.status;
    e.transient = is_transient_status(response.status);
    e.code = "http_" + std::to_string(response.status);
    if (auto ra = response.header("retry-after")) {
        e.retry_after = parse_retry_after(*ra, now);
    }
    e.message = std::string(what) + ": HTTP " + std::to_string(response.status);
    if (e.retry_after) {
        e.message += " (retry after " + std::to_string(e.retry_after->count()) + " ms)";
    }
    return e;
}

std::string describe_url(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme != std::string_view::npos) {
        url.remove_prefix(scheme + 3);
    }
    const auto q = url.find_first_of("?#");
    if (q != std::string_view::npos) {
        url = url.substr(0, q);
    }
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);  // never user:password
    }
    if (!authority.empty() && authority.front() != '[') {
        if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
            authority = authority.substr(0, colon);
        }
    }
    std::string out;
    out.reserve(authority.size() + path.size());
    for (const char c :
         std::string(authority) + std::string(path.substr(0, max_logged_path_chars))) {
        out.push_back(std::isgraph(static_cast<unsigned char>(c)) ? c : '?');
    }
    return out;
}

}  // namespace riskbridge::clients
