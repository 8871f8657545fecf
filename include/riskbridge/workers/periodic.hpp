#pragma once

// Periodic background work off the request path (retention, metrics refresh, later
// reconciliation): one thread runs each task at its interval, one task at a time.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "riskbridge/core/clock.hpp"

namespace riskbridge::workers {

class periodic_runner {
public:
    periodic_runner();
    ~periodic_runner();
    periodic_runner(const periodic_runner&) = delete;
    periodic_runner& operator=(const periodic_runner&) = delete;

    /// Runs `task` every `interval`, the first time right after start(). Add before start().
    /// A task that throws is logged (by name) and runs again at its next time.
    void add(std::string name, milliseconds interval, std::function<void()> task);
    void start();
    /// Waits for a running task to return, then joins. Idempotent.
    void stop();
    /// How many times the named task has completed (tests and diagnostics).
    std::uint64_t runs(const std::string& name) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace riskbridge::workers
