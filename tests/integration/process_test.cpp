// The daemon as a process on its host: what it creates on disk is its owner's only (the store
// and its -wal and -shm files 0600, directories 0700, umask 077), it ignores SIGPIPE and can
// never dump core (whatever it inherited), its threads can still be watched through /proc, and
// /metrics can live on a listener of its own (server.metrics_listen).

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/security/hmac.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"
#include "support/prometheus.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* secret = "process-test-secret";
/// A throw-away data key (32 bytes as hex) for the store's encryption.
constexpr const char* data_key = "6f776e65722d6f6e6c792d66696c65732d746573742d6b65792d3030303030ab";

/// The permission bits of `path`, or -1 when it is not there.
int mode_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return -1;
    }
    return static_cast<int>(st.st_mode & 07777);
}

/// The value of `key:` in /proc/<pid>/<file> (status, limits: the rest of the line).
std::string proc_line(pid_t pid, const std::string& file, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key, 0) == 0) {
            return line.substr(key.size());
        }
    }
    return {};
}

/// The names of the process's threads, as top -H and ps -L read them.
std::set<std::string> thread_names(pid_t pid) {
    std::set<std::string> names;
    std::error_code ec;
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
        std::string name;
        std::getline(std::ifstream(task.path() / "comm"), name);
        names.insert(name);
    }
    return names;
}

/// What a careless parent could hand the daemon: umask 022, SIGPIPE at its default (fatal),
/// core dumps allowed. Set in this process while the daemon is forked, restored afterwards.
class permissive_parent {
public:
    permissive_parent() {
        old_umask_ = ::umask(022);
        old_pipe_ = ::signal(SIGPIPE, SIG_DFL);
        ::getrlimit(RLIMIT_CORE, &old_core_);
        rlimit core = old_core_;
        core.rlim_cur = 1 << 20;
        if (core.rlim_max != RLIM_INFINITY && core.rlim_max < core.rlim_cur) {
            core.rlim_max = core.rlim_cur;  // root may raise its hard limit
        }
        if (::setrlimit(RLIMIT_CORE, &core) != 0) {
            core = {old_core_.rlim_max, old_core_.rlim_max};  // as much as this user may
            ::setrlimit(RLIMIT_CORE, &core);
        }
        ::getrlimit(RLIMIT_CORE, &core);
        core_given_ = core.rlim_cur;
    }
    ~permissive_parent() {
        ::umask(old_umask_);
        ::signal(SIGPIPE, old_pipe_);
        ::setrlimit(RLIMIT_CORE, &old_core_);
    }
    permissive_parent(const permissive_parent&) = delete;
    permissive_parent& operator=(const permissive_parent&) = delete;

    /// The soft core limit the daemon inherits (not 0 unless this host forbids raising it).
    rlim_t core_given() const noexcept { return core_given_; }

private:
    mode_t old_umask_ = 022;
    void (*old_pipe_)(int) = SIG_DFL;
    rlimit old_core_{};
    rlim_t core_given_ = 0;
};

class ProcessTest : public ::testing::Test {
protected:
    /// The store two directory levels below directories that do not exist yet.
    std::filesystem::path state_dir() const { return dir_.path() / "state"; }
    std::filesystem::path db_path() const { return state_dir() / "store" / "riskbridge.db"; }

    void start(const std::string& server_extra = "") {
        const std::string config = dir_.file("riskbridge.yaml");
        std::ofstream(config) << "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n"
                              << server_extra << R"(ashby:
  api_base_url: "http://127.0.0.1:9"
  api_key: k
  webhook_secrets: [")" << secret
                              << R"("]
riskos: { api_base_url: "http://127.0.0.1:9", api_key: k, webhook_auth: { bearer_tokens: [t] } }
store:
  sqlite_path: ")" << db_path().string()
                              << R"("
  encryption: { keys: [{ id: test, key: ")"
                              << data_key << R"(" }] }
workers: { threads: 1, poll_interval_ms: 50, backoff_base_ms: 60000, backoff_max_ms: 60000 }
logging: { level: info, format: json }
)";
        {
            permissive_parent parent;
            core_given_ = parent.core_given();
            daemon_ = std::make_unique<daemon_process>(
                std::vector<std::string>{"serve", "--config", config},
                std::map<std::string, std::string>{}, dir_.file("daemon.log"));
        }
        ASSERT_TRUE(daemon_->wait_ready()) << daemon_->logs();
    }

    void TearDown() override {
        if (daemon_ && daemon_->running()) {
            EXPECT_EQ(daemon_->terminate(20s), std::optional<int>(0)) << daemon_->logs();
        }
    }

    /// A signed applicationSubmit: stored, then answered 200 "accepted".
    void store_a_delivery() {
        const std::string body =
            json{{"webhookActionId", "process-1"},
                 {"action", "applicationSubmit"},
                 {"data",
                  {{"application",
                    {{"id", "app-process-1"},
                     {"candidate", {{"id", "cand-process-1"}, {"name", "X"}}}}}}}}
                .dump();
        auto r =
            http_request(daemon_->port(), "POST", "/webhooks/ashby", body,
                         {{"Ashby-Signature", "sha256=" + security::hmac_sha256_hex(secret, body)},
                          {"Content-Type", "application/json"}});
        ASSERT_TRUE(r.has_value());
        ASSERT_EQ(r->status, 200) << r->body;
        ASSERT_EQ(json::parse(r->body).value("status", ""), "accepted") << r->body;
    }

    /// The metrics_port of the daemon's "ready" line, 0 when it has none.
    std::uint16_t metrics_port() const {
        for (const auto& line : log_objects(daemon_->logs())) {
            if (line.value("event", "") == "ready" && line.contains("metrics_port")) {
                return line["metrics_port"].get<std::uint16_t>();
            }
        }
        return 0;
    }

    temp_dir dir_;
    std::unique_ptr<daemon_process> daemon_;
    rlim_t core_given_ = 0;
};

TEST_F(ProcessTest, TheStoreAndTheDirectoriesItCreatesAreOwnerOnly) {
    ASSERT_FALSE(std::filesystem::exists(state_dir()));
    start();
    store_a_delivery();

    // Created under umask 022, yet owner-only: the database and, in WAL mode, its -wal and
    // -shm files, which hold the same rows.
    for (const std::string suffix : {"", "-wal", "-shm"}) {
        const std::filesystem::path file = db_path().string() + suffix;
        EXPECT_EQ(mode_of(file), 0600) << file;
    }
    EXPECT_EQ(mode_of(state_dir()), 0700);
    EXPECT_EQ(mode_of(state_dir() / "store"), 0700);
    // Whatever else it creates gets no group or other bits either.
    EXPECT_EQ(proc_line(daemon_->pid(), "status", "Umask:"), "\t0077");

    // Without server.metrics_listen, /metrics stays where it was.
    auto metrics = http_request(daemon_->port(), "GET", "/metrics");
    ASSERT_TRUE(metrics.has_value());
    EXPECT_EQ(metrics->status, 200);
}

TEST_F(ProcessTest, IgnoresSigpipeAndCannotDumpCore) {
    start();
    // SigIgn is a hexadecimal mask with bit (signal - 1) per ignored signal; SIGPIPE was at its
    // default when the daemon was started.
    const std::string ignored = proc_line(daemon_->pid(), "status", "SigIgn:");
    ASSERT_FALSE(ignored.empty());
    const unsigned long long mask = std::stoull(ignored, nullptr, 16);
    EXPECT_NE(mask & (1ULL << (SIGPIPE - 1)), 0u) << ignored;

    // Max core file size: soft and hard 0, although it was started with core dumps allowed.
    EXPECT_NE(core_given_, 0u) << "this host did not let the test allow core dumps";
    std::istringstream limits(proc_line(daemon_->pid(), "limits", "Max core file size"));
    std::string soft;
    std::string hard;
    limits >> soft >> hard;
    EXPECT_EQ(soft, "0");
    EXPECT_EQ(hard, "0");

    // Not dumpable, and still observable: thread names and CPU times are read from /proc as
    // top -H, ps -L and the load tool do.
    EXPECT_TRUE(eventually([&] { return thread_names(daemon_->pid()).count("rb-http-0") == 1; }));
    std::ifstream schedstat("/proc/" + std::to_string(daemon_->pid()) + "/schedstat");
    unsigned long long run_ns = 0;
    EXPECT_TRUE(static_cast<bool>(schedstat >> run_ns));
}

TEST_F(ProcessTest, MetricsListenServesMetricsOnlyThereAndTheMainPortAnswers404) {
    start("  metrics_listen: \"127.0.0.1:0\"\n");
    const std::uint16_t port = metrics_port();
    ASSERT_NE(port, 0) << daemon_->logs();
    ASSERT_NE(port, daemon_->port());

    // Something to count: a delivery with a forged signature, on the main port.
    auto forged = http_request(daemon_->port(), "POST", "/webhooks/ashby", "{}",
                               {{"Ashby-Signature", "sha256=" + std::string(64, '0')},
                                {"Content-Type", "application/json"}});
    ASSERT_TRUE(forged.has_value());
    EXPECT_EQ(forged->status, 401);

    auto main_metrics = http_request(daemon_->port(), "GET", "/metrics");
    ASSERT_TRUE(main_metrics.has_value());
    EXPECT_EQ(main_metrics->status, 404);
    EXPECT_EQ(main_metrics->body.find("riskbridge_"), std::string::npos);

    auto scrape = http_request(port, "GET", "/metrics");
    ASSERT_TRUE(scrape.has_value());
    EXPECT_EQ(scrape->status, 200);
    EXPECT_NE(scrape->header("content-type").find("text/plain"), std::string::npos);
    EXPECT_EQ(
        metric_sample(
            scrape->body,
            R"(riskbridge_webhooks_total{action="none",outcome="unauthorized",source="ashby"})"),
        1)
        << scrape->body;

    // The metrics listener serves /metrics alone; the main one everything else.
    for (const char* path : {"/healthz", "/readyz", "/webhooks/ashby"}) {
        auto other = http_request(port, "GET", path);
        ASSERT_TRUE(other.has_value()) << path;
        EXPECT_EQ(other->status, 404) << path;
    }
    auto post = http_request(port, "POST", "/metrics", "x");
    ASSERT_TRUE(post.has_value());
    EXPECT_EQ(post->status, 405);
    for (const char* path : {"/healthz", "/readyz"}) {
        auto main = http_request(daemon_->port(), "GET", path);
        ASSERT_TRUE(main.has_value()) << path;
        EXPECT_EQ(main->status, 200) << path;
    }
    // Its thread is named for what it does.
    EXPECT_TRUE(
        eventually([&] { return thread_names(daemon_->pid()).count("rb-metrics-0") == 1; }));
}

}  // namespace
}  // namespace riskbridge::testing
