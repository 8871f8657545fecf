#pragma once

// The HTTP listener: Boost.Beast over Asio with C++20 coroutines, one session per connection
// on its own strand, a fresh parser per request with limits from config, a deadline on every
// read and write (a shorter one for the headers), a cap on connections where a new connection
// replaces the longest-idle one or else the one sending its headers the longest, body framing
// checked on the headers (a single chunked or Content-Length, nothing ambiguous), the
// handler's header check before any body is read, optional TLS (1.2+), the client address
// taken from X-Forwarded-For only behind trusted proxies, and a graceful drain. Beast stays
// out of this header.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/observability/metrics.hpp"

namespace riskbridge::http {

struct server_stats {
    std::uint64_t connections_accepted = 0;
    /// over max_connections, every connection with its headers complete: none to replace
    std::uint64_t connections_rejected = 0;
    /// idle ones, or ones still sending their headers, closed to make room at the cap
    std::uint64_t connections_evicted = 0;
    std::uint64_t tls_handshake_failures = 0;
    std::uint64_t requests = 0;
    std::uint64_t read_timeouts = 0;
    std::uint64_t bad_requests = 0;  ///< unparsable HTTP, or a body framing refused
    std::uint64_t too_large = 0;     ///< 413 and 431
    int active_connections = 0;
};

class server {
public:
    virtual ~server() = default;
    /// Binds and starts the I/O threads. Errors name the address.
    virtual result<void> start() = 0;
    /// The bound port (useful when configured with port 0).
    virtual std::uint16_t port() const = 0;
    /// Stops accepting, closes idle keep-alive connections, lets in-flight requests finish.
    /// Returns true when every connection closed within `deadline`, false if it had to cut
    /// them. Then stops the I/O threads. Idempotent.
    virtual bool drain(std::chrono::milliseconds deadline) = 0;
    /// Cuts every connection at once and stops (the second signal).
    virtual void force_stop() = 0;
    virtual server_stats stats() const = 0;
};

/// `metrics` (optional) counts refused requests and connections.
std::unique_ptr<server> make_server(const config::server_config& cfg, request_handler handler,
                                    observability::metrics* metrics = nullptr);

}  // namespace riskbridge::http
