#pragma once

// The listener's TLS context (server.tls). Private to the http module's server files.

#include <memory>

#include "http/asio.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/error.hpp"

namespace riskbridge::http::detail {

/// TLS 1.2 and later only, no renegotiation, no compression; the key must match the
/// certificate. Messages name the files, never their contents.
result<std::unique_ptr<boost::asio::ssl::context>> make_tls_context(
    const config::server_config::tls_config& tls);

}  // namespace riskbridge::http::detail
