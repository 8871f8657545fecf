#include "riskbridge/http/auth_failure_limiter.hpp"

#include <algorithm>

#include "riskbridge/core/ip_address.hpp"
#include "riskbridge/http/client_address.hpp"

namespace riskbridge::http {

namespace {

/// Not limited: see the header.
bool exempt(std::string_view address) {
    const auto ip = parse_ip(address);
    return ip && is_loopback(*ip);
}

}  // namespace

auth_failure_limiter::auth_failure_limiter(options opts, const clock& clk)
    : opts_(opts), clock_(clk) {
    opts_.max_addresses = std::max<std::size_t>(opts_.max_addresses, 1);
}

bool auth_failure_limiter::expire(entries::iterator it, time_point now) {
    const bool blocked = it->blocked_until && *it->blocked_until > now;
    if (blocked || it->window_start + opts_.window > now) {
        return false;
    }
    index_.erase(it->key);
    list_of(*it).erase(it);
    return true;
}

bool auth_failure_limiter::make_room(time_point now) {
    while (counting_.size() + blocked_.size() >= opts_.max_addresses) {
        if (!blocked_.empty() && expire(blocked_.begin(), now)) {
            continue;  // a block that has ended
        }
        if (counting_.empty()) {
            return false;
        }
        index_.erase(counting_.front().key);
        counting_.pop_front();
    }
    return true;
}

std::optional<std::chrono::seconds> auth_failure_limiter::refused_for(std::string_view address) {
    if (opts_.max <= 0 || exempt(address)) {
        return std::nullopt;
    }
    const std::string key = address_key(address);
    const time_point now = clock_.now();
    std::lock_guard lock(mutex_);
    const auto found = index_.find(key);
    if (found == index_.end() || expire(found->second, now)) {
        return std::nullopt;
    }
    const entry& e = *found->second;
    if (!e.blocked_until) {
        return std::nullopt;
    }
    // Rounded up, so a client that waits Retry-After seconds is served.
    const auto left = std::chrono::ceil<std::chrono::seconds>(*e.blocked_until - now);
    return std::max(left, std::chrono::seconds(1));
}

bool auth_failure_limiter::record_failure(std::string_view address) {
    if (opts_.max <= 0 || exempt(address)) {
        return false;
    }
    const std::string key = address_key(address);
    const time_point now = clock_.now();
    std::lock_guard lock(mutex_);
    auto found = index_.find(key);
    if (found != index_.end() && expire(found->second, now)) {
        found = index_.end();
    }
    entries::iterator it;
    if (found == index_.end()) {
        if (!make_room(now)) {
            return false;  // every tracked address is refused: this one goes uncounted
        }
        counting_.push_back(entry{key, now, 0, std::nullopt});
        it = std::prev(counting_.end());
        index_.emplace(key, it);
    } else {
        it = found->second;
        if (it->blocked_until) {
            return false;  // already refused (a request that was in flight when the limit hit)
        }
        counting_.splice(counting_.end(), counting_, it);  // now the most recently touched
    }
    if (++it->failures >= opts_.max) {
        it->blocked_until = now + opts_.window;
        blocked_.splice(blocked_.end(), counting_, it);  // blocks end in the order they began
        return true;
    }
    return false;
}

std::size_t auth_failure_limiter::tracked() const {
    std::lock_guard lock(mutex_);
    return counting_.size() + blocked_.size();
}

std::string address_key(std::string_view address) {
    auto ip = parse_ip(address);
    if (!ip) {
        return std::string(address);
    }
    if (is_v4_mapped(*ip)) {
        return format_ip(*ip);
    }
    std::fill(ip->begin() + 8, ip->end(), std::uint8_t{0});
    return format_ip(*ip) + "/64";
}

}  // namespace riskbridge::http
