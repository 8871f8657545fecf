#pragma once

// `riskbridge demo`'s child-process control: starting the daemon, waiting on it and on
// SIGINT/SIGTERM, stopping it, and reading its log.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace riskbridge::app::demo {

/// The port of the daemon's `ready` log line, once it has written it.
std::optional<std::uint16_t> ready_port(const std::filesystem::path& log_path);

/// `<this binary> serve --config FILE`, stdout and stderr appended to `log_path`. The child's
/// pid, or -1.
pid_t spawn_daemon(const std::string& binary, const std::string& config_path,
                   const std::string& log_path);

/// True once the child has exited (reaped).
bool child_exited(pid_t pid, int& status);

/// Waits up to `timeout` for SIGINT or SIGTERM (blocked in this process): true when one came.
bool interrupted_within(const sigset_t& signals, std::chrono::milliseconds timeout);

/// SIGTERM, then waits for the daemon to drain (SIGKILL after its drain timeout, 15 s). Its
/// exit code.
int stop_daemon(pid_t pid, const sigset_t& signals);

/// The whole file; empty when it cannot be read.
std::string read_text(const std::filesystem::path& path);

/// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, std::size_t n);

/// Each line of `text` after `prefix`.
std::string indent(const std::string& text, const std::string& prefix);

}  // namespace riskbridge::app::demo
