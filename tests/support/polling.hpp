#pragma once

// Waiting for what a test can observe (a simulator's state, the store, a log), and reading
// the daemon's JSON log lines. Polling with a deadline, never a sleep standing in for an event.

#include <chrono>
#include <cstddef>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace riskbridge::testing {

/// Polls `done` every `interval` until it holds or `timeout` passes; then asks once more.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30),
                       std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(interval);  // polling observable state, not synchronising
    }
    return done();
}

/// How often `needle` occurs in `text` (overlapping occurrences count).
inline std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto i = text.find(needle); i != std::string::npos; i = text.find(needle, i + 1)) {
        ++n;
    }
    return n;
}

/// Every line of `logs` that is a JSON object, parsed; other lines are skipped.
inline std::vector<nlohmann::json> log_objects(const std::string& logs) {
    std::vector<nlohmann::json> out;
    std::istringstream in(logs);
    for (std::string line; std::getline(in, line);) {
        nlohmann::json o = nlohmann::json::parse(line, nullptr, false);
        if (o.is_object()) {
            out.push_back(std::move(o));
        }
    }
    return out;
}

}  // namespace riskbridge::testing
