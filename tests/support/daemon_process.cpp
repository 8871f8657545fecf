#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/paths.hpp"

namespace riskbridge::testing {

namespace {

pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env, const std::string& log_path) {
    const pid_t pid = ::fork();
    if (pid != 0) {
        return pid;
    }
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        ::dup2(devnull, STDIN_FILENO);
    }
    // Unblock what the test runner may have blocked, so signals reach the daemon normally.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& [k, v] : env) {
        ::setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<std::string> full{binary};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

daemon_process::daemon_process(std::vector<std::string> args,
                               std::map<std::string, std::string> env, std::string log_path,
                               const std::string& binary)
    : log_path_(std::move(log_path)) {
    pid_ = spawn(binary, args, env, log_path_);
}

daemon_process::~daemon_process() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

bool daemon_process::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::istringstream lines(read_file(log_path_));
        std::string line;
        while (std::getline(lines, line)) {
            if (line.find("\"event\":\"ready\"") == std::string::npos)
                continue;
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_discarded() && j.contains("port")) {
                port_ = j["port"].get<std::uint16_t>();
                return true;
            }
        }
        if (!running())
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the log file
    }
    return false;
}

void daemon_process::send_signal(int sig) {
    if (pid_ > 0 && !exit_code_)
        ::kill(pid_, sig);
}

std::optional<int> daemon_process::terminate(std::chrono::milliseconds timeout) {
    send_signal(SIGTERM);
    return wait_exit(timeout);
}

std::optional<int> daemon_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = decode_status(status);
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling waitpid
    }
    return exit_code_;
}

bool daemon_process::running() {
    if (pid_ <= 0 || exit_code_)
        return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_code_ = decode_status(status);
        return false;
    }
    return true;
}

std::string daemon_process::logs() const {
    return read_file(log_path_);
}

command_result run_riskbridge(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env,
                              std::chrono::milliseconds timeout) {
    temp_dir dir;
    const std::string out = dir.file("out.log");
    daemon_process p(args, env, out);
    command_result r;
    auto code = p.wait_exit(timeout);
    if (!code) {
        p.send_signal(SIGKILL);
        code = p.wait_exit(std::chrono::seconds(5));
    }
    r.exit_code = code.value_or(-1);
    r.output = p.logs();
    return r;
}

}  // namespace riskbridge::testing
