#include "support/hardening_daemon.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

#include "support/daemon_config.hpp"
#include "support/prometheus.hpp"

namespace riskbridge::testing {

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// How long the daemon has to drain and exit once the test is over.
constexpr auto stop_timeout = 20s;

}  // namespace

void hardening_daemon_test::start_daemon(const hardening_config& cfg) {
    const std::string config = dir_.file("riskbridge.yaml");
    std::ofstream out(config);
    out << "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n";
    for (const auto& key : cfg.server_keys) {
        out << "  " << key << "\n";
    }
    out << "  max_connections: " << cfg.max_connections << "\n"
        << "  trusted_proxies: [\"127.0.0.1\"]\n"
        << "  auth_failure_limit: { max: 5, window_ms: 60000 }\n"
        << "ashby: { api_base_url: \"http://127.0.0.1:9\", api_key: k, webhook_secrets: [\""
        << cfg.webhook_secret << "\"] }\n"
        << "riskos: { api_base_url: \"http://127.0.0.1:9\", api_key: k, webhook_auth: { "
           "bearer_tokens: [\""
        << cfg.riskos_token << "\"] } }\n"
        << "store: { sqlite_path: \"" << dir_.file("riskbridge.db") << "\", "
        << throwaway_encryption() << " }\n"
        << "workers: { threads: 1 }\n"
        << "logging: { level: info }\n";
    out.close();
    daemon_ = std::make_unique<daemon_process>(
        std::vector<std::string>{"serve", "--config", config}, std::map<std::string, std::string>{},
        dir_.file("daemon.log"));
    ASSERT_TRUE(daemon_->wait_ready()) << daemon_->logs();
    port_ = daemon_->port();
}

void hardening_daemon_test::TearDown() {
    if (daemon_ && daemon_->running()) {
        EXPECT_EQ(daemon_->terminate(stop_timeout), std::optional<int>(0)) << daemon_->logs();
    }
}

std::string hardening_daemon_test::metrics_text() {
    auto r = http_request(port_, "GET", "/metrics");
    return r && r->status == 200 ? r->body : std::string{};
}

double hardening_daemon_test::metric(const std::string& series, http_connection* on) {
    auto r =
        on != nullptr ? on->request("GET", "/metrics") : http_request(port_, "GET", "/metrics");
    return r && r->status == 200 ? metric_sample(r->body, series) : -2;
}

raw_exchange talk(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    raw_exchange out;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return out;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size())) {
        const auto deadline = steady::now() + timeout;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
            pollfd p{fd, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                break;
            }
            char buf[4096];
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                out.closed = true;  // EOF, or a reset after the answers
                break;
            }
            out.received.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return out;
}

std::vector<int> statuses(const std::string& raw) {
    std::vector<int> out;
    for (auto at = raw.find("HTTP/1.1 "); at != std::string::npos;
         at = raw.find("HTTP/1.1 ", at + 1)) {
        out.push_back(std::atoi(raw.substr(at + 9, 3).c_str()));
    }
    return out;
}

}  // namespace riskbridge::testing
