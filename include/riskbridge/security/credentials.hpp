#pragma once

#include <string_view>

#include "riskbridge/config/config.hpp"

namespace riskbridge::security {

enum class auth_status {
    valid,
    missing,      ///< no Authorization header
    unsupported,  ///< a scheme other than Basic or Bearer
    malformed,    ///< Basic with bad base64 or no colon, empty token, ...
    rejected,     ///< well-formed, but not one of the configured credentials
};
const char* to_string(auth_status s) noexcept;

/// Checks RiskOS's webhook `Authorization` header against the configured Bearer tokens and
/// Basic credentials, in constant time per candidate, trying every configured credential.
/// Scheme names are case-insensitive (RFC 7235).
class webhook_authenticator {
public:
    explicit webhook_authenticator(config::riskos_webhook_auth auth);
    auth_status verify(std::string_view authorization_header) const;

private:
    config::riskos_webhook_auth auth_;
};

}  // namespace riskbridge::security
