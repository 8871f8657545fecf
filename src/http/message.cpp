#include "riskbridge/http/message.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace riskbridge::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

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
