#pragma once

// A random source that returns a chosen value, so jittered delays are exact in tests.

#include <atomic>

#include "riskbridge/core/clock.hpp"

namespace riskbridge::workers::testing {

class fixed_random final : public random_source {
public:
    explicit fixed_random(double value) : value_(value) {}
    double uniform() override { return value_.load(); }
    void set(double value) { value_.store(value); }

private:
    std::atomic<double> value_;
};

}  // namespace riskbridge::workers::testing
