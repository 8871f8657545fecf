#pragma once

// IP address and CIDR literals, the one parser for them: the config loader validates
// server.trusted_proxies with it, the server matches peers and X-Forwarded-For entries, and
// the screening flow checks an applicant's submitter IP.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace riskbridge {

/// An IPv4 or IPv6 address as 16 bytes (IPv4 as IPv4-mapped IPv6).
using ip_bytes = std::array<std::uint8_t, 16>;

/// An address range: the addresses whose first `prefix` bits (of 128) equal `base`'s.
struct ip_range {
    ip_bytes base{};
    unsigned prefix = 128;  ///< in IPv6 bits: an IPv4 /n is 96 + n

    bool contains(const ip_bytes& ip) const noexcept;
};

/// Parses an IPv4 or IPv6 literal (no port, no brackets); nullopt when it is not one.
std::optional<ip_bytes> parse_ip(std::string_view text);
/// An address or CIDR ("10.0.0.0/8", "fd00::/8", "192.0.2.7"). An IPv6 range shorter than /96
/// over IPv4-mapped addresses ("::ffff:10.0.0.0/8") is refused: it would span all of IPv4.
std::optional<ip_range> parse_cidr(std::string_view text);
/// The canonical text of an address: IPv4-mapped addresses print as IPv4.
std::string format_ip(const ip_bytes& ip);
bool is_v4_mapped(const ip_bytes& ip) noexcept;
/// ::1, or an IPv4 address in 127.0.0.0/8.
bool is_loopback(const ip_bytes& ip) noexcept;

}  // namespace riskbridge
