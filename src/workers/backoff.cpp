// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
// Jitter"): the delay is uniform in [0, min(max, base * 2^(attempt-1))], with an upstream's
// Retry-After as a floor, honoured even above max: calling a rate-limited upstream before it
// said to only spends attempts (the HTTP client already bounds Retry-After to 7 days).
// Computed in integers so huge attempt numbers cannot overflow.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::workers {

namespace {

/// From this shift on, base * 2^shift is past any cap (2^62 ms is millions of years): the
/// ceiling is the cap.
constexpr int max_shift = 62;

/// min(cap, base * 2^(attempt-1)) without overflow; base and cap are >= 0, attempt >= 1.
std::int64_t exponential_ceiling(std::int64_t base, std::int64_t cap, int attempt) {
    if (base == 0 || cap == 0) {
        return 0;
    }
    const int shift = attempt - 1;
    if (shift >= max_shift) {
        return cap;
    }
    // base << shift <= cap  <=>  base <= cap >> shift (both non-negative)
    if (base > (cap >> shift)) {
        return cap;
    }
    return std::min(cap, base << shift);
}

/// The random draw clamped to [0, 1): a misbehaving source cannot push the delay out of range.
double clamp_unit(double u) {
    if (!(u >= 0.0)) {  // negative or NaN
        return 0.0;
    }
    if (u >= 1.0) {
        return std::nextafter(1.0, 0.0);
    }
    return u;
}

}  // namespace

milliseconds compute_backoff(const backoff_policy& policy, int attempt, random_source& rng,
                             std::optional<milliseconds> retry_after) {
    const std::int64_t cap = std::max<std::int64_t>(0, policy.max.count());
    const std::int64_t base = std::max<std::int64_t>(0, policy.base.count());
    const std::int64_t ceiling = exponential_ceiling(base, cap, std::max(attempt, 1));

    // Uniform over the integers 0..ceiling inclusive: floor(u * (ceiling + 1)), computed in
    // long double so ceiling + 1 cannot overflow, then clamped against rounding.
    const long double u = clamp_unit(rng.uniform());
    const long double scaled = std::floor(u * (static_cast<long double>(ceiling) + 1.0L));
    std::int64_t delay =
        scaled >= static_cast<long double>(ceiling) ? ceiling : static_cast<std::int64_t>(scaled);

    if (retry_after) {
        const std::int64_t floor_ms = std::max<std::int64_t>(retry_after->count(), 0);
        delay = std::max(delay, floor_ms);
    }
    return milliseconds{delay};
}

}  // namespace riskbridge::workers
