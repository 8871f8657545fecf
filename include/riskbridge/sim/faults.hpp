#pragma once

// Fault injection for the simulators: a fraction of answers replaced by 500, by 429 with
// Retry-After, by a "dropped connection", or by a "lost reply" (the request takes effect, the
// answer is lost), and a fraction of answers delayed. Deterministic for a given seed and
// request order; settable at runtime from C++ or from `POST /_sim/faults` (JSON below).
//
// Dropped connections (and lost replies) close the connection without writing an answer
// (`http::response::close_without_answer`): the client sees a network failure (transient).
//
// JSON form (every key optional; rates in [0, 1]):
//   {"error_rate": 0.1, "rate_limit_rate": 0.05, "retry_after_seconds": 2, "drop_rate": 0,
//    "lost_reply_rate": 0, "slow_rate": 0.2, "slow_ms": 1500, "seed": 7}

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"

namespace riskbridge::sim {

struct fault_settings {
    double error_rate = 0.0;       ///< answered 500 before any effect
    double rate_limit_rate = 0.0;  ///< answered 429 with Retry-After before any effect
    int retry_after_seconds = 1;
    double drop_rate = 0.0;        ///< "dropped" (502, empty) before any effect
    double lost_reply_rate = 0.0;  ///< the request takes effect, then 502 (reply lost)
    double slow_rate = 0.0;        ///< independently of the above, answered after slow_delay
    milliseconds slow_delay{0};
};

enum class fault { none, error_500, rate_limited, drop, lost_reply };
const char* to_string(fault f) noexcept;

struct fault_decision {
    fault kind = fault::none;
    milliseconds delay{0};
};

/// Thread-safe.
class fault_injector {
public:
    explicit fault_injector(std::uint64_t seed = 1);

    void set(const fault_settings& settings);
    fault_settings settings() const;
    void reseed(std::uint64_t seed);
    /// The next `count` requests get `decision` whatever the rates say (queued in order).
    void force_next(fault_decision decision, int count = 1);
    /// Rates back to zero and the forced queue emptied.
    void clear();

    /// The fault for the next request.
    fault_decision next();
    /// How many requests got each kind so far (`none` included).
    std::map<fault, std::uint64_t> counts() const;

    /// Applies the JSON form above on top of the current settings. Unknown keys, wrong
    /// types and rates outside [0, 1] are refused (nothing changes).
    result<void> apply_json(std::string_view json_text);
    std::string to_json_text() const;

private:
    mutable std::mutex mutex_;
    fault_settings settings_;
    std::mt19937_64 rng_;
    std::deque<fault_decision> forced_;
    std::map<fault, std::uint64_t> counts_;
};

}  // namespace riskbridge::sim
