#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace riskbridge {

using time_point = std::chrono::system_clock::time_point;
using std::chrono::milliseconds;

/// Wall-clock time, injected wherever a decision depends on it so tests need no sleeps.
class clock {
public:
    virtual ~clock() = default;
    virtual time_point now() const = 0;
};

/// The process-wide real clock.
clock& system_clock();

/// A clock that only moves when told to (tests, simulations). Thread-safe.
class manual_clock final : public clock {
public:
    explicit manual_clock(time_point start = time_point{std::chrono::seconds{1'700'000'000}})
        : now_(start.time_since_epoch().count()) {}
    time_point now() const override {
        return time_point{time_point::duration{now_.load(std::memory_order_acquire)}};
    }
    void advance(std::chrono::nanoseconds d) {
        now_.fetch_add(std::chrono::duration_cast<time_point::duration>(d).count(),
                       std::memory_order_acq_rel);
    }
    void set(time_point t) { now_.store(t.time_since_epoch().count(), std::memory_order_release); }

private:
    std::atomic<time_point::duration::rep> now_;
};

/// A source of uniform random numbers, injected for backoff jitter.
class random_source {
public:
    virtual ~random_source() = default;
    /// Uniform in [0, 1).
    virtual double uniform() = 0;
};

/// A thread-safe random source seeded from std::random_device.
std::unique_ptr<random_source> make_random_source();

/// RFC 3339 UTC with milliseconds, e.g. 2026-11-22T03:22:32.123Z.
std::string format_rfc3339(time_point t);

/// Milliseconds since the Unix epoch (the store's time representation).
inline std::int64_t to_unix_ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline time_point from_unix_ms(std::int64_t ms) {
    return time_point{
        std::chrono::duration_cast<time_point::duration>(std::chrono::milliseconds{ms})};
}

}  // namespace riskbridge
