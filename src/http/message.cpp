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

response not_found() {
    return json_error(404, "not_found", "no such endpoint");
}

response method_not_allowed(std::string_view message, std::string_view allow) {
    auto r = json_error(405, "method_not_allowed", message);
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
}

const char* to_string(framing f) noexcept {
    switch (f) {
        case framing::ok:
            return "ok";
        case framing::bad_transfer_encoding:
            return "unsupported Transfer-Encoding (only a single chunked is accepted)";
        case framing::with_content_length:
            return "Transfer-Encoding together with Content-Length";
        case framing::http10_transfer_encoding:
            return "Transfer-Encoding in an HTTP/1.0 request";
    }
    return "?";
}

framing check_framing(const std::vector<std::string_view>& transfer_encodings,
                      bool has_content_length, unsigned version) {
    if (transfer_encodings.empty()) {
        return framing::ok;
    }
    // RFC 9112 section 6.1: a request with both is an attempt at smuggling, or at best
    // ambiguous; and HTTP/1.0 has no transfer codings, so its framing is faulty.
    if (has_content_length) {
        return framing::with_content_length;
    }
    if (version < 11) {
        return framing::http10_transfer_encoding;
    }
    std::size_t codings = 0;
    bool chunked = false;
    for (const std::string_view line : transfer_encodings) {
        std::string_view rest = line;
        for (;;) {
            const auto comma = rest.find(',');
            const std::string_view element = trim_ows(rest.substr(0, comma));
            ++codings;
            chunked = iequals(element, "chunked");
            if (!chunked || codings > 1) {
                return framing::bad_transfer_encoding;  // another coding, a parameter, empty
            }
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    }
    return chunked && codings == 1 ? framing::ok : framing::bad_transfer_encoding;
}

}  // namespace riskbridge::http
