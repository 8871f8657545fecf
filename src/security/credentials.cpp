#include "riskbridge/security/credentials.hpp"
#include "riskbridge/core/text.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/security/hmac.hpp"

namespace riskbridge::security {

namespace {

/// Longer headers are rejected before any decoding (a Basic header of a sane credential is
/// well under 1 KiB).
constexpr std::size_t k_max_header_bytes = 8 * 1024;

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

/// Visible ASCII only: a token with spaces, controls or non-ASCII bytes is malformed.
bool is_token_text(std::string_view s) noexcept {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e) {
            return false;
        }
    }
    return true;
}

/// true when `candidate` equals any non-empty configured token. Every token is compared.
bool match_bearer(std::string_view candidate, const std::vector<config::secret>& tokens) {
    unsigned matched = 0;
    for (const auto& token : tokens) {
        if (token.empty()) {
            continue;  // an empty configured token never matches
        }
        matched |= static_cast<unsigned>(constant_time_equal(candidate, token.reveal()));
    }
    return matched != 0;
}

/// true when (user, password) equals any configured credential. Every credential is compared,
/// both halves always, with no short circuit. A credential with an empty user name or an
/// empty password is treated as unset and never matches.
bool match_basic(std::string_view user, std::string_view password,
                 const std::vector<config::basic_credential>& creds) {
    unsigned matched = 0;
    for (const auto& cred : creds) {
        if (cred.username.empty() || cred.password.empty()) {
            continue;
        }
        const auto user_ok = static_cast<unsigned>(constant_time_equal(user, cred.username));
        const auto pass_ok =
            static_cast<unsigned>(constant_time_equal(password, cred.password.reveal()));
        matched |= user_ok & pass_ok;
    }
    return matched != 0;
}

}  // namespace

const char* to_string(auth_status s) noexcept {
    switch (s) {
        case auth_status::valid:
            return "valid";
        case auth_status::missing:
            return "missing";
        case auth_status::unsupported:
            return "unsupported";
        case auth_status::malformed:
            return "malformed";
        case auth_status::rejected:
            return "rejected";
    }
    return "unknown";
}

webhook_authenticator::webhook_authenticator(config::riskos_webhook_auth auth)
    : auth_(std::move(auth)) {}

auth_status webhook_authenticator::verify(std::string_view authorization_header) const {
    if (authorization_header.size() > k_max_header_bytes) {
        return auth_status::malformed;
    }
    const std::string_view value = trim_ows(authorization_header);
    if (value.empty()) {
        return auth_status::missing;
    }

    std::size_t scheme_end = 0;
    while (scheme_end < value.size() && !is_ows(value[scheme_end])) {
        ++scheme_end;
    }
    const std::string_view scheme = value.substr(0, scheme_end);
    const std::string_view credentials = trim_ows(value.substr(scheme_end));

    if (iequals(scheme, "bearer")) {
        if (credentials.empty() || !is_token_text(credentials)) {
            return auth_status::malformed;
        }
        return match_bearer(credentials, auth_.bearer_tokens) ? auth_status::valid
                                                              : auth_status::rejected;
    }
    if (iequals(scheme, "basic")) {
        if (credentials.empty()) {
            return auth_status::malformed;
        }
        const auto decoded = base64_decode(credentials);
        if (!decoded) {
            return auth_status::malformed;
        }
        // RFC 7617: the user-id cannot contain a colon, so split at the first one.
        const auto colon = decoded->find(':');
        if (colon == std::string::npos) {
            return auth_status::malformed;
        }
        const std::string_view user = std::string_view(*decoded).substr(0, colon);
        const std::string_view password = std::string_view(*decoded).substr(colon + 1);
        return match_basic(user, password, auth_.basic) ? auth_status::valid
                                                        : auth_status::rejected;
    }
    return auth_status::unsupported;
}

}  // namespace riskbridge::security
