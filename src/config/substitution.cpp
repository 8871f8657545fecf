#include "config/substitution.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace riskbridge::config::detail {

namespace {

bool is_env_name(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

}  // namespace

bool substitute(const std::string& raw, const env_lookup& env, scalar& out,
                const std::function<void(std::string message)>& report) {
    bool ok = true;
    std::size_t i = 0;
    while (i < raw.size()) {
        const std::size_t start = raw.find("${", i);
        if (start == std::string::npos) {
            out.text.append(raw, i, std::string::npos);
            break;
        }
        out.text.append(raw, i, start - i);
        const std::size_t close = raw.find('}', start + 2);
        if (close == std::string::npos) {
            report("unterminated ${ in value");
            return false;
        }
        const std::string_view inner(raw.data() + start + 2, close - start - 2);
        const std::size_t sep = inner.find(":-");
        const std::string_view name = inner.substr(0, sep);
        out.from_env = true;
        if (!is_env_name(name)) {
            report(
                "invalid environment variable reference (expected ${NAME} or "
                "${NAME:-default})");
            ok = false;
        } else {
            std::optional<std::string> v = env ? env(name) : std::nullopt;
            if (sep != std::string_view::npos) {
                if (!v || v->empty()) {
                    v = std::string(inner.substr(sep + 2));
                }
            } else if (!v) {
                report("environment variable " + std::string(name) + " is not set");
                ok = false;
            }
            if (v) {
                out.text += *v;
            }
        }
        i = close + 1;
    }
    return ok;
}

}  // namespace riskbridge::config::detail
