#include "riskbridge/http/client_address.hpp"
#include "riskbridge/core/text.hpp"

#include <algorithm>

namespace riskbridge::http {

namespace {

constexpr std::size_t max_forwarded_entries = 64;

/// One X-Forwarded-For entry: an address, "[v6]", "[v6]:port" or "v4:port".
std::optional<ip_bytes> parse_forwarded_entry(std::string_view e) {
    e = trim_ows(e);
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

}  // namespace

address_set::address_set(const std::vector<std::string>& entries) {
    for (const auto& e : entries) {
        if (auto r = parse_cidr(e)) {
            ranges_.push_back(*r);
        }
    }
}

bool address_set::contains(const ip_bytes& ip) const noexcept {
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [&](const ip_range& r) { return r.contains(ip); });
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
