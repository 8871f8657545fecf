#pragma once

// One connection of the listener (server.cpp): its state, which the listener reads to pick a
// connection to make room at the cap, and the coroutine that serves it: the TLS handshake,
// then request after request (deadlines, limits, framing, the handler's header check, the
// answer) until it closes. Private to the http module's server files.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "http/asio.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/http/client_address.hpp"
#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/observability/metrics.hpp"

namespace riskbridge::http::detail {

using steady = std::chrono::steady_clock;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// Where a connection is in its current request.
enum class phase {
    /// Waiting for the first byte of a request (a new connection, its TLS handshake included,
    /// or a keep-alive one between requests): closed by the drain, and first to make room at
    /// the connection cap.
    idle,
    /// Part of a request's line and headers has arrived, not all of it: makes room at the cap
    /// when no connection is idle (a client this slow is either broken or an attack).
    head,
    /// The headers are complete: the body is read, the request handled and answered. Never
    /// closed to make room; the drain lets it finish.
    request,
};

/// One connection: a plain TCP stream or a TLS stream over one.
struct session_state {
    std::optional<boost::beast::tcp_stream> plain;
    std::optional<tls_stream> tls;
    std::uint64_t id;
    steady::time_point accepted_at = steady::now();
    std::atomic<phase> at{phase::idle};
    /// Since when it has been without a request in progress: its accept, or the answer to its
    /// previous request. At the cap, the one waiting the longest makes room first.
    std::atomic<steady::rep> waiting_since{steady::now().time_since_epoch().count()};
    std::atomic<bool> evicted{false};  ///< chosen to make room; not counted against the cap
    /// It has been answered at least once: idle now means kept alive between requests.
    std::atomic<bool> kept_alive{false};

    session_state(boost::asio::ip::tcp::socket s, std::uint64_t i, boost::asio::ssl::context* ctx);
    boost::beast::tcp_stream& lowest() { return plain ? *plain : tls->next_layer(); }
    bool idle() const { return at.load() == phase::idle; }
    /// Shuts the socket down and closes it at once (on the session's strand).
    void close_now();
};

/// The counters behind server_stats.
struct server_counters {
    std::atomic<std::uint64_t> accepted{0}, rejected{0}, evicted{0}, tls_failures{0}, requests{0},
        read_timeouts{0}, bad_requests{0}, too_large{0};
};

/// What every connection of one listener shares.
struct session_context {
    config::server_config cfg;
    request_handler handler;
    observability::metrics* metrics;
    address_set trusted;
    /// The header deadline: server.header_timeout, at most server.read_timeout.
    std::chrono::milliseconds header_timeout;
    server_counters counters;
    std::atomic<bool> draining{false};
    std::atomic<bool> forwarded_for_ignored{false};  ///< the warning is logged once

    session_context(const config::server_config& c, request_handler h, observability::metrics* m);
    /// Counts a refused request or connection in riskbridge_http_refused_total.
    void refused(std::string_view reason) const;
};

/// Serves `state` until it closes: the TLS handshake when it has TLS, then its requests, then
/// a graceful close. The caller forgets the session afterwards.
boost::asio::awaitable<void> run_session(session_context& ctx,
                                         std::shared_ptr<session_state> state);

}  // namespace riskbridge::http::detail
