#include "riskbridge/core/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace riskbridge {

namespace {

/// The longest text form of an IPv6 address (an IPv4-mapped one written in full).
constexpr std::size_t max_ip_text_chars = 45;

}  // namespace

bool is_v4_mapped(const ip_bytes& ip) noexcept {
    return std::all_of(ip.begin(), ip.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
           ip[10] == 0xff && ip[11] == 0xff;
}

bool is_loopback(const ip_bytes& ip) noexcept {
    if (is_v4_mapped(ip)) {
        return ip[12] == 127;
    }
    return std::all_of(ip.begin(), ip.begin() + 15, [](std::uint8_t b) { return b == 0; }) &&
           ip[15] == 1;
}

bool ip_range::contains(const ip_bytes& ip) const noexcept {
    const unsigned whole = prefix / 8;
    if (std::memcmp(ip.data(), base.data(), whole) != 0) {
        return false;
    }
    const unsigned rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (ip[whole] & mask) == (base[whole] & mask);
}

std::optional<ip_bytes> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > max_ip_text_chars) {
        return std::nullopt;
    }
    const std::string s(text);
    ip_bytes out{};
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = 0xff;
        out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        return out;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        return out;
    }
    return std::nullopt;
}

std::optional<ip_range> parse_cidr(std::string_view text) {
    const auto slash = text.find('/');
    const auto ip = parse_ip(text.substr(0, slash));
    if (!ip) {
        return std::nullopt;
    }
    const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    if (slash == std::string_view::npos) {
        return ip_range{*ip, 128};
    }
    const auto p = text.substr(slash + 1);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || n > (v4 ? 32u : 128u)) {
        return std::nullopt;
    }
    const unsigned bits = v4 ? 96 + n : n;
    if (!v4 && is_v4_mapped(*ip) && bits < 96) {
        return std::nullopt;
    }
    return ip_range{*ip, bits};
}

std::string format_ip(const ip_bytes& ip) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4_mapped(ip)) {
        in_addr v4{};
        std::memcpy(&v4, ip.data() + 12, 4);
        inet_ntop(AF_INET, &v4, buf, sizeof buf);
    } else {
        in6_addr v6{};
        std::memcpy(&v6, ip.data(), 16);
        inet_ntop(AF_INET6, &v6, buf, sizeof buf);
    }
    return buf;
}

}  // namespace riskbridge
