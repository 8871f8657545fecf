// `riskbridge demo`: the daemon as a child process (spawn, readiness, stop), the signals the
// demo waits on, and its log.

#include "app/demo_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/config/config.hpp"

extern char** environ;

namespace riskbridge::app::demo {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

namespace {

/// The daemon gets as long to drain as it gives itself (server.drain_timeout_ms, which the
/// demo's config leaves at its default) before SIGKILL.
const auto daemon_stop_timeout = config::server_config{}.drain_timeout;
/// How often stop_daemon looks whether the daemon has exited.
constexpr auto exit_poll_interval = std::chrono::milliseconds{20};
/// A shell's exit status for a process killed by signal N: 128 + N.
constexpr int signal_exit_base = 128;

int exit_code_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : signal_exit_base + WTERMSIG(status);
}

}  // namespace

/// The port of the daemon's `ready` log line, once it has written it.
std::optional<std::uint16_t> ready_port(const fs::path& log_path) {
    std::ifstream in(log_path);
    for (std::string line; std::getline(in, line);) {
        if (line.find("\"event\":\"ready\"") == std::string::npos) {
            continue;
        }
        const auto o = nlohmann::json::parse(line, nullptr, false);
        if (o.is_object() && o.contains("port") && o["port"].is_number_unsigned()) {
            return o["port"].get<std::uint16_t>();
        }
    }
    return std::nullopt;
}
/// `<this binary> serve --config FILE`, stdout and stderr appended to `log_path`.
pid_t spawn_daemon(const std::string& binary, const std::string& config_path,
                   const std::string& log_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);  // this process blocks SIGINT and SIGTERM
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args{binary, "serve", "--config", config_path};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

/// True once the child has exited (reaped).
bool child_exited(pid_t pid, int& status) {
    return pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid;
}

/// Waits up to `timeout` for SIGINT or SIGTERM (blocked in this process): true when one came.
/// The demo's only pause, between two looks at observable state.
bool interrupted_within(const sigset_t& signals, std::chrono::milliseconds timeout) {
    timespec ts{};
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    ts.tv_sec = static_cast<time_t>(secs.count());
    ts.tv_nsec = static_cast<long>(std::chrono::nanoseconds(timeout - secs).count());
    return ::sigtimedwait(&signals, nullptr, &ts) > 0;
}

/// SIGTERM, then waits for the daemon to drain (SIGKILL after its drain timeout, 15 s). Its
/// exit code.
int stop_daemon(pid_t pid, const sigset_t& signals) {
    int status = 0;
    if (child_exited(pid, status)) {
        return exit_code_of(status);
    }
    ::kill(pid, SIGTERM);
    const auto deadline = steady::now() + daemon_stop_timeout;
    while (!child_exited(pid, status)) {
        if (steady::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        interrupted_within(signals, exit_poll_interval);
    }
    return exit_code_of(status);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string tail_lines(const std::string& text, std::size_t n) {
    std::size_t at = text.size();
    if (at > 0 && text[at - 1] == '\n') {
        --at;
    }
    for (std::size_t i = 0; i < n && at > 0; ++i) {
        const auto nl = text.rfind('\n', at - 1);
        at = nl == std::string::npos ? 0 : nl;
        if (at == 0) {
            break;
        }
    }
    return text.substr(at == 0 ? 0 : at + 1);
}

std::string indent(const std::string& text, const std::string& prefix) {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        out += prefix + line + "\n";
    }
    return out;
}

}  // namespace riskbridge::app::demo
