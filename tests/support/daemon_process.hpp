#pragma once

// Runs build/riskbridge as a child process for integration tests: stdout and stderr go to a
// log file the test can read; readiness and the OS-chosen port come from the "ready" line.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/paths.hpp"

namespace riskbridge::testing {

class daemon_process {
public:
    /// Starts `riskbridge <args...>` (the build's, or `binary`) with `env` added to the
    /// environment.
    daemon_process(std::vector<std::string> args, std::map<std::string, std::string> env,
                   std::string log_path, const std::string& binary = daemon_binary());
    ~daemon_process();
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    /// Waits for the daemon's {"event":"ready","port":N} log line. False if it exits first or
    /// the deadline passes.
    bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    std::uint16_t port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }

    void send_signal(int sig);
    /// The exit code (or 128 + signal) once it exits within `timeout`; nullopt otherwise.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    /// SIGTERM, then wait_exit(timeout): 0 is a clean drain.
    std::optional<int> terminate(std::chrono::milliseconds timeout);
    bool running();
    /// The whole log so far.
    std::string logs() const;

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string log_path_;
    std::optional<int> exit_code_;
};

/// Runs `riskbridge <args...>` to completion; returns exit code and combined output.
struct command_result {
    int exit_code = -1;
    std::string output;
};
command_result run_riskbridge(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace riskbridge::testing
