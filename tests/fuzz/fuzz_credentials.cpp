// RiskOS's webhook Authorization header (Basic and Bearer): whatever the header, verify
// answers one of its statuses, and only the configured credentials are valid.

#include <algorithm>
#include <cctype>

#include "fuzz_common.hpp"
#include "riskbridge/security/credentials.hpp"

using namespace riskbridge;

namespace {

config::riskos_webhook_auth make_auth() {
    config::riskos_webhook_auth auth;
    auth.bearer_tokens = {config::secret("token-one"), config::secret("token-two")};
    auth.basic = {{"riskos", config::secret("pa:ss word")}};
    return auth;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const security::webhook_authenticator auth(make_auth());
    const std::string_view header = fuzz::as_text(data, size);
    const auto status = auth.verify(header);
    (void)security::to_string(status);
    if (status == security::auth_status::valid) {
        // Bearer tokens are valid only as themselves; Basic may be any base64 spelling of
        // riskos:pa:ss word, so only its scheme is checked.
        const std::size_t start = std::min(header.find_first_not_of(" \t"), header.size());
        const std::string l = lower(header.substr(start, 7));
        fuzz::check(l.rfind("bearer", 0) == 0 || l.rfind("basic", 0) == 0,
                    "valid without a Basic or Bearer scheme");
        if (l.rfind("bearer", 0) == 0) {
            fuzz::check(header.find("token-one") != std::string_view::npos ||
                            header.find("token-two") != std::string_view::npos,
                        "a Bearer token accepted that is not configured");
        }
    }
    fuzz::check(auth.verify("Bearer token-two") == security::auth_status::valid,
                "a configured token rejected");
    return 0;
}
