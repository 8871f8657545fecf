#include "riskbridge/http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace riskbridge::http {

namespace {

constexpr std::size_t max_forwarded_entries = 64;

bool is_v4_mapped(const ip_bytes& ip) {
    return std::all_of(ip.begin(), ip.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
           ip[10] == 0xff && ip[11] == 0xff;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// One X-Forwarded-For entry: an address, "[v6]", "[v6]:port" or "v4:port".
std::optional<ip_bytes> parse_forwarded_entry(std::string_view e) {
    e = trim(e);
    if (!e.empty() && e.front() == '[') {
        const auto close = e.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        return parse_ip(e.substr(1, close - 1));
    }
    if (auto ip = parse_ip(e)) {
        return ip;
    }
    // v4:port (a bare IPv6 address has several colons and was parsed above)
    const auto colon = e.find(':');
    if (colon != std::string_view::npos && e.find(':', colon + 1) == std::string_view::npos) {
        if (auto ip = parse_ip(e.substr(0, colon)); ip && is_v4_mapped(*ip)) {
            return ip;
        }
    }
    return std::nullopt;
}

bool prefix_matches(const ip_bytes& a, const ip_bytes& b, unsigned bits) {
    const unsigned whole = bits / 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) {
        return false;
    }
    const unsigned rest = bits % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<ip_bytes> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > 45) {
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

address_set::address_set(const std::vector<std::string>& entries) {
    for (const auto& e : entries) {
        const std::string_view text(e);
        const auto slash = text.find('/');
        auto ip = parse_ip(text.substr(0, slash));
        if (!ip) {
            continue;
        }
        const bool v4 = is_v4_mapped(*ip) && text.find(':') == std::string_view::npos;
        unsigned bits = 128;
        if (slash != std::string_view::npos) {
            const auto p = text.substr(slash + 1);
            unsigned n = 0;
            const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
            if (p.empty() || ec != std::errc() || end != p.data() + p.size() ||
                n > (v4 ? 32u : 128u)) {
                continue;
            }
            bits = v4 ? 96 + n : n;
        }
        ranges_.push_back({*ip, bits});
    }
}

bool address_set::contains(const ip_bytes& ip) const noexcept {
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [&](const range& r) { return prefix_matches(ip, r.base, r.prefix); });
}

bool address_set::contains(std::string_view address) const {
    const auto ip = parse_ip(address);
    return ip && contains(*ip);
}

std::string client_address(std::string_view peer,
                           const std::vector<std::string_view>& forwarded_for,
                           const address_set& trusted) {
    const auto peer_ip = parse_ip(peer);
    if (!peer_ip) {
        return std::string(peer);
    }
    ip_bytes client = *peer_ip;
    if (trusted.empty() || !trusted.contains(client)) {
        return format_ip(client);
    }
    // All the entries, in order, across every X-Forwarded-For header; at most a bounded number
    // from the right are looked at.
    std::vector<std::string_view> hops;
    for (const auto header : forwarded_for) {
        std::size_t start = 0;
        while (start <= header.size()) {
            const auto comma = std::min(header.find(',', start), header.size());
            hops.push_back(header.substr(start, comma - start));
            start = comma + 1;
        }
    }
    std::size_t looked = 0;
    for (auto it = hops.rbegin(); it != hops.rend() && looked < max_forwarded_entries;
         ++it, ++looked) {
        const auto ip = parse_forwarded_entry(*it);
        if (!ip) {
            break;  // not an address: believe nothing further left
        }
        client = *ip;
        if (!trusted.contains(client)) {
            break;
        }
    }
    return format_ip(client);
}

}  // namespace riskbridge::http
