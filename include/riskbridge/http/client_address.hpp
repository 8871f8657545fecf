#pragma once

// Who the client of a request is. Behind a load balancer the TCP peer is the balancer; only
// when the peer is one of the configured trusted proxies is X-Forwarded-For believed, and then
// the client is its right-most entry that is not itself a trusted proxy.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace riskbridge::http {

/// An IPv4 or IPv6 address as 16 bytes (IPv4 as IPv4-mapped IPv6).
using ip_bytes = std::array<std::uint8_t, 16>;

/// Parses an IPv4 or IPv6 literal (no port, no brackets); nullopt when it is not one.
std::optional<ip_bytes> parse_ip(std::string_view text);
/// The canonical text of an address: IPv4-mapped addresses print as IPv4.
std::string format_ip(const ip_bytes& ip);

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
    struct range {
        ip_bytes base;
        unsigned prefix = 128;  ///< in IPv6 bits (IPv4 /n is 96 + n)
    };
    std::vector<range> ranges_;
};

/// The client address of a request from `peer` (normalised), given the values of its
/// X-Forwarded-For headers in the order received. An entry may carry a port ("1.2.3.4:5",
/// "[::1]:5"); an entry that is not an address stops the walk at the hop before it.
std::string client_address(std::string_view peer,
                           const std::vector<std::string_view>& forwarded_for,
                           const address_set& trusted);

}  // namespace riskbridge::http
