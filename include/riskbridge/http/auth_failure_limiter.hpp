#pragma once

// Per-client limit on unauthenticated requests: after `max` 401s from one client address within
// `window`, that address's requests that fail authentication get 429 with Retry-After instead
// of 401 until the window ends. Authentication is always checked first: a request that carries a
// valid signature or valid credentials is served whatever its address did before (an attacker
// who shares or forges that address must not lock the real sender out). The table of addresses is
// bounded by `max_addresses`: when it is full, an address still counting its failures is forgotten
// (the one touched least recently), never one that is refused, so a flood from other addresses
// cannot lift a block; when every tracked address is refused, new ones go uncounted until a block
// ends. Thread-safe; time comes from an injected clock.
//
// Loopback addresses are never counted or refused: a loopback peer is this host itself or a
// proxy beside it (a sidecar, a local balancer not listed in server.trusted_proxies), and
// refusing it would refuse every client behind it, Ashby included, because of one attacker.

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"

namespace riskbridge::http {

class auth_failure_limiter {
public:
    /// `max` failures allowed per `window` (0 = no limit), `max_addresses` tracked at once;
    /// the defaults are the configuration's (server.auth_failure_limit).
    using options = config::server_config::auth_failure_limit_config;

    explicit auth_failure_limiter(options opts, const clock& clk = system_clock());
    auth_failure_limiter(const auth_failure_limiter&) = delete;
    auth_failure_limiter& operator=(const auth_failure_limiter&) = delete;

    /// How long failed requests from `address` are still answered 429; nullopt when not.
    std::optional<std::chrono::seconds> refused_for(std::string_view address);
    /// Records one unauthenticated request from `address`; true when this one reached the limit
    /// (the address is refused from now on, for one window).
    bool record_failure(std::string_view address);
    /// Addresses currently tracked (at most max_addresses).
    std::size_t tracked() const;

private:
    struct entry {
        std::string key;
        time_point window_start;
        int failures = 0;
        std::optional<time_point> blocked_until;
    };
    using entries = std::list<entry>;

    /// Drops an entry whose window and block are over; true when it did.
    bool expire(entries::iterator it, time_point now);
    /// Makes room for one more address; false when every tracked address is refused.
    bool make_room(time_point now);
    entries& list_of(const entry& e) { return e.blocked_until ? blocked_ : counting_; }

    options opts_;
    const clock& clock_;
    mutable std::mutex mutex_;
    entries counting_;  ///< addresses not refused, least recently touched first
    entries blocked_;   ///< refused addresses, in the order their blocks end
    std::unordered_map<std::string, entries::iterator> index_;
};

/// The key a client is counted under: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by
/// its /64 prefix (one host usually holds a whole /64); anything else unchanged.
std::string address_key(std::string_view address);

}  // namespace riskbridge::http
