#include "riskbridge/http/message.hpp"
#include "riskbridge/core/text.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace riskbridge::http {

std::optional<std::string_view> request::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) {
            return std::string_view{v};
        }
    }
    return std::nullopt;
}

std::string_view request::path() const {
    std::string_view t{target};
    // The absolute form (RFC 9112 §3.2.2), which a server must accept: the path follows the
    // authority ("http://host:8080/webhooks/ashby"; "http://host" alone is "/").
    for (const std::string_view scheme : {"http://", "https://"}) {
        if (t.size() >= scheme.size() && iequals(t.substr(0, scheme.size()), scheme)) {
            const auto slash = t.find('/', scheme.size());
            const auto query = t.find('?', scheme.size());
            if (slash == std::string_view::npos ||
                (query != std::string_view::npos && query < slash)) {
                return "/";
            }
            t.remove_prefix(slash);
            break;
        }
    }
    const auto q = t.find('?');
    return q == std::string_view::npos ? t : t.substr(0, q);
}

response json_status(unsigned status, std::string_view status_word) {
    response r;
    r.status = status;
    r.body = nlohmann::json{{"status", status_word}}.dump();
    return r;
}

response json_error(unsigned status, std::string_view code, std::string_view message) {
    response r;
    r.status = status;
    r.body = nlohmann::json{{"error", code}, {"message", message}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

}  // namespace riskbridge::http
