#include "riskbridge/core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace riskbridge {

namespace {

/// "YYYY-MM-DDTHH:MM:SS" (19 characters for years 0-9999) with room to spare, and with
/// ".mmmZ" added.
constexpr std::size_t rfc3339_seconds_buffer_bytes = 40;
constexpr std::size_t rfc3339_buffer_bytes = 48;

class real_clock final : public clock {
public:
    time_point now() const override { return std::chrono::system_clock::now(); }
};

class mt_random_source final : public random_source {
public:
    mt_random_source() : engine_(std::random_device{}()) {}
    double uniform() override {
        std::lock_guard lock(mutex_);
        return dist_(engine_);
    }

private:
    std::mutex mutex_;
    std::mt19937_64 engine_;
    std::uniform_real_distribution<double> dist_{0.0, 1.0};
};

}  // namespace

clock& system_clock() {
    static real_clock instance;
    return instance;
}

std::unique_ptr<random_source> make_random_source() {
    return std::make_unique<mt_random_source>();
}

std::string format_rfc3339(time_point t) {
    // floor, not duration_cast: a time just before the epoch (or any negative time with a
    // sub-millisecond part) must round down to the earlier millisecond, not towards zero.
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    int millis = static_cast<int>(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[rfc3339_seconds_buffer_bytes];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[rfc3339_buffer_bytes];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf, millis);
    return out;
}

}  // namespace riskbridge
