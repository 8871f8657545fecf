#pragma once

// Who the client of a request is. Behind a load balancer the TCP peer is the balancer; only
// when the peer is one of the configured trusted proxies is X-Forwarded-For believed, and then
// the client is its right-most entry that is not itself a trusted proxy.

#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/core/ip_address.hpp"

namespace riskbridge::http {

/// A set of addresses and CIDR ranges (the trusted proxies).
class address_set {
public:
    address_set() = default;
    /// Entries that are neither an address nor a CIDR are skipped (the loader reports them).
    explicit address_set(const std::vector<std::string>& entries);
    bool empty() const noexcept { return ranges_.empty(); }
    bool contains(const ip_bytes& ip) const noexcept;
    bool contains(std::string_view address) const;

private:
    std::vector<ip_range> ranges_;
};

/// The client address of a request from `peer` (normalised), given the values of its
/// X-Forwarded-For headers in the order received. An entry may carry a port ("1.2.3.4:5",
/// "[::1]:5"); an entry that is not an address stops the walk at the hop before it.
std::string client_address(std::string_view peer,
                           const std::vector<std::string_view>& forwarded_for,
                           const address_set& trusted);

}  // namespace riskbridge::http
