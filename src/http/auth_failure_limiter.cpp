#include "riskbridge/http/auth_failure_limiter.hpp"

#include <algorithm>

#include "riskbridge/http/client_address.hpp"

namespace riskbridge::http {

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
    lru_.erase(it);
    return true;
}

std::optional<std::chrono::seconds> auth_failure_limiter::refused_for(std::string_view address) {
    if (opts_.max <= 0) {
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
    if (opts_.max <= 0) {
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
        // Full: forget the address touched least recently (expired ones first, as they are
        // not touched any more).
        while (lru_.size() >= opts_.max_addresses) {
            index_.erase(lru_.front().key);
            lru_.pop_front();
        }
        lru_.push_back(entry{key, now, 0, std::nullopt});
        it = std::prev(lru_.end());
        index_.emplace(key, it);
    } else {
        it = found->second;
        lru_.splice(lru_.end(), lru_, it);  // now the most recently touched
    }
    if (it->blocked_until) {
        return false;  // already refused (a request that was in flight when the limit hit)
    }
    if (++it->failures >= opts_.max) {
        it->blocked_until = now + opts_.window;
        return true;
    }
    return false;
}

std::size_t auth_failure_limiter::tracked() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

std::string address_key(std::string_view address) {
    auto ip = parse_ip(address);
    if (!ip) {
        return std::string(address);
    }
    const bool v4_mapped =
        std::all_of(ip->begin(), ip->begin() + 10, [](auto b) { return b == 0; }) &&
        (*ip)[10] == 0xff && (*ip)[11] == 0xff;
    if (v4_mapped) {
        return format_ip(*ip);
    }
    std::fill(ip->begin() + 8, ip->end(), std::uint8_t{0});
    return format_ip(*ip) + "/64";
}

}  // namespace riskbridge::http
