// riskbridge-load: how much of a bare Beast server's throughput the daemon keeps once every
// webhook is durably committed before it is answered.
//
// In one invocation it measures, with the same client and the same request mix:
//   1. "bare":   riskbridge's own HTTP server with a handler that answers 200 at once;
//   2. "daemon": the real daemon (build/riskbridge serve) on a fresh SQLite store;
//   3. with --postgres-url (or RISKBRIDGE_BENCH_POSTGRES_URL): "pg-1", the daemon on a fresh
//      PostgreSQL schema, and "pg-2", two daemons sharing one fresh schema as replicas behind
//      a load balancer (the connections split between them).
// For each: peak accepted/s over C keep-alive connections (closed loop), then latency at half
// of that peak (open loop, measured from each request's scheduled time).

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "riskbridge/http/server.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/hmac.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/prometheus.hpp"
#include "unit/store/pg_scratch.hpp"

namespace {

using namespace std::chrono;
using riskbridge::testing::http_connection;
using riskbridge::testing::metric_sample;

constexpr const char* secret = "bench-secret";

struct run_result {
    std::size_t ok = 0;
    std::size_t failed = 0;
    double seconds = 0;
    double client_cpu_seconds = 0;  // the connection threads' run time
    std::vector<double> latencies_ms;

    double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
    double percentile(double p) {
        if (latencies_ms.empty())
            return 0;
        std::sort(latencies_ms.begin(), latencies_ms.end());
        const auto i = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1));
        return latencies_ms[i];
    }
};

/// A unique applicationSubmit of about 800 bytes, shaped like Ashby's (ids, the candidate's
/// contact details with some UTF-8, the stage, the job, the submitter's address).
std::string delivery(const std::string& run, std::size_t i) {
    const std::string id = run + "-" + std::to_string(i);
    const std::string n = std::to_string(i);
    return nlohmann::json{
        {"webhookActionId", "bench-" + id},
        {"action", "applicationSubmit"},
        {"data",
         {{"application",
           {{"id", "app-" + id},
            {"createdAt", "2026-12-08T10:00:00.000Z"},
            {"updatedAt", "2026-12-08T10:00:00.000Z"},
            {"status", "Active"},
            {"submitterClientIp", "203.0.113." + std::to_string(i % 250)},
            {"candidate",
             {{"id", "cand-" + id},
              {"name", "Zoë Bench-Ångström " + n},
              {"primaryEmailAddress",
               {{"value", "zoe.bench." + n + "@example.com"},
                {"type", "Personal"},
                {"isPrimary", true}}},
              {"primaryPhoneNumber",
               {{"value", "+1 415 555 " + std::to_string(1000 + i % 9000)},
                {"type", "Mobile"},
                {"isPrimary", true}}}}},
            {"currentInterviewStage",
             {{"id", "stage-application-review"},
              {"title", "Application Review"},
              {"type", "PreInterviewScreen"},
              {"orderInInterviewPlan", 1}}},
            {"job", {{"id", "job-backend-engineer"}, {"title", "Backend Engineer, Payments"}}},
            {"source", {{"id", "source-careers"}, {"title", "Careers page"}}}}}}}}
        .dump();
}

/// Seconds a thread has run on a CPU, from its /proc/.../schedstat (nanoseconds, exact, unlike
/// the tick-sampled times of /proc/.../stat); 0 when it cannot be read.
double run_seconds(const std::string& task_dir) {
    std::ifstream in(task_dir + "/schedstat");
    double ns = 0;
    return in >> ns ? ns / 1e9 : 0;
}

/// Run seconds of process `pid`'s threads by thread name (numbered siblings such as
/// rb-http-0 and rb-http-1 counted apart).
std::map<std::string, double> run_seconds_by_thread(const std::string& pid) {
    std::map<std::string, double> out;
    const std::string tasks = "/proc/" + pid + "/task";
    DIR* dir = ::opendir(tasks.c_str());
    if (dir == nullptr) {
        return out;
    }
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        const std::string task = tasks + "/" + e->d_name;
        std::ifstream comm(task + "/comm");
        std::string name;
        if (std::getline(comm, name)) {
            out[name] += run_seconds(task);
        }
    }
    ::closedir(dir);
    return out;
}

/// Run seconds of the threads of process `pid` ("self" for this one) whose name starts with
/// `prefix` (all of them for an empty prefix).
double threads_run_seconds(const std::string& pid, const std::string& prefix = "") {
    double total = 0;
    for (const auto& [name, seconds] : run_seconds_by_thread(pid)) {
        if (name.rfind(prefix, 0) == 0) {
            total += seconds;
        }
    }
    return total;
}

/// Bytes process `pid` has caused to be written to storage (write_bytes of /proc/<pid>/io:
/// its writes to files as the page cache takes them, the WAL's and the checkpoint's alike);
/// 0 when it cannot be read.
double storage_write_bytes(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/io");
    std::string key;
    double value = 0;
    while (in >> key >> value) {
        if (key == "write_bytes:") {
            return value;
        }
    }
    return 0;
}

/// The machine's busy and total jiffies, from the first line of /proc/stat.
std::pair<double, double> machine_jiffies() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    double v = 0, busy = 0, total = 0;
    in >> cpu;
    for (int i = 0; i < 8 && in >> v; ++i) {
        total += v;
        if (i != 3 && i != 4) {  // idle, iowait
            busy += v;
        }
    }
    return {busy, total};
}

/// Sends `total` deliveries over `connections` connections, connection c to ports[c % n]. With
/// rate > 0 the sends follow a fixed schedule (open loop) and latency counts from the
/// scheduled time.
run_result load(const std::vector<std::uint16_t>& ports, const std::string& run, std::size_t total,
                int connections, double rate) {
    // Bodies and signatures are prepared up front so the client costs little while measuring.
    std::vector<std::string> requests(total);
    for (std::size_t i = 0; i < total; ++i) {
        const std::string body = delivery(run, i);
        requests[i] = riskbridge::testing::build_request(
            "POST", "/webhooks/ashby", body,
            {{"Ashby-Signature", "sha256=" + riskbridge::security::hmac_sha256_hex(secret, body)},
             {"Content-Type", "application/json"}});
    }
    std::atomic<std::size_t> next{0}, ok{0}, failed{0};
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(connections));
    std::vector<double> cpu(static_cast<std::size_t>(connections));
    const auto start = steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c) {
        threads.emplace_back([&, c] {
            struct account {  // this thread's run time, however it leaves
                double& out;
                ~account() { out = run_seconds("/proc/thread-self"); }
            } account{cpu[static_cast<std::size_t>(c)]};
            const std::uint16_t port = ports[static_cast<std::size_t>(c) % ports.size()];
            http_connection conn;
            if (!conn.connect(port)) {
                failed += 1;
                return;
            }
            for (;;) {
                const std::size_t i = next.fetch_add(1);
                if (i >= total)
                    break;
                auto scheduled = steady_clock::now();
                if (rate > 0) {
                    scheduled = start + duration_cast<steady_clock::duration>(
                                            duration<double>(static_cast<double>(i) / rate));
                    std::this_thread::sleep_until(scheduled);  // pacing, not synchronisation
                }
                if (!conn.is_open() && !conn.connect(port)) {
                    ++failed;
                    continue;
                }
                auto reply =
                    conn.send_raw(requests[i]) ? conn.read_reply(seconds(30)) : std::nullopt;
                const auto took = duration<double, std::milli>(steady_clock::now() - scheduled);
                if (reply && reply->status == 200) {
                    ++ok;
                    lat[static_cast<std::size_t>(c)].push_back(took.count());
                } else {
                    ++failed;
                    conn.close();
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    run_result r;
    r.seconds = duration<double>(steady_clock::now() - start).count();
    r.ok = ok;
    r.failed = failed;
    for (auto& v : lat)
        r.latencies_ms.insert(r.latencies_ms.end(), v.begin(), v.end());
    for (const double seconds : cpu)
        r.client_cpu_seconds += seconds;
    return r;
}

struct measured {
    run_result peak, half;
};

/// Where the CPU went during one run: the server's threads (the bare server's, or every
/// thread of the daemons), the client's connection threads and the whole machine's share.
class cpu_meter {
public:
    /// `pids`: the daemons' processes, whose threads and storage writes are reported one by one
    /// (none for the bare server, which is this process and writes nothing).
    explicit cpu_meter(std::function<double()> server, std::vector<std::string> pids = {})
        : server_(std::move(server)), pids_(std::move(pids)) {
        start();
    }

    void start() {
        server0_ = server_();
        machine0_ = machine_jiffies();
        threads0_.clear();
        written0_ = 0;
        for (const auto& pid : pids_) {
            for (const auto& [name, seconds] : run_seconds_by_thread(pid)) {
                threads0_[name] += seconds;
            }
            written0_ += storage_write_bytes(pid);
        }
    }

    void print(const char* name, const run_result& r) const {
        const double server = server_() - server0_;
        const auto [busy, total] = machine_jiffies();
        const double n = static_cast<double>(std::max<std::size_t>(r.ok, 1));
        std::printf(
            "%-7s cpu: server %.1f us/request, client %.1f us/request, machine %.0f%% busy\n", name,
            1e6 * server / n, 1e6 * r.client_cpu_seconds / n,
            100.0 * (busy - machine0_.first) / std::max(1.0, total - machine0_.second));
        if (pids_.empty()) {
            return;
        }
        std::map<std::string, double> threads;
        double written = 0;
        for (const auto& pid : pids_) {
            for (const auto& [thread, seconds] : run_seconds_by_thread(pid)) {
                threads[thread] += seconds;
            }
            written += storage_write_bytes(pid);
        }
        std::printf("%-7s store: %.0f bytes written per request\n", name,
                    (written - written0_) / n);
        std::vector<std::pair<double, std::string>> by_cost;
        for (const auto& [thread, seconds] : threads) {
            const auto before = threads0_.find(thread);
            const double spent = seconds - (before != threads0_.end() ? before->second : 0.0);
            if (1e6 * spent / n >= 0.5) {
                by_cost.emplace_back(spent, thread);
            }
        }
        std::sort(by_cost.rbegin(), by_cost.rend());
        std::printf("%-7s threads:", name);
        for (const auto& [spent, thread] : by_cost) {
            std::printf(" %s %.1f", thread.c_str(), 1e6 * spent / n);
        }
        std::printf(" (us/request)\n");
    }

private:
    std::function<double()> server_;
    std::vector<std::string> pids_;
    double server0_ = 0;
    std::pair<double, double> machine0_;
    std::map<std::string, double> threads0_;
    double written0_ = 0;
};

measured measure(const char* name, const std::vector<std::uint16_t>& ports, std::size_t n,
                 int connections, cpu_meter& cpu) {
    load(ports, std::string(name) + "-warm", std::min<std::size_t>(n / 10, 2000), connections, 0);
    measured m;
    cpu.start();
    m.peak = load(ports, std::string(name) + "-peak", n, connections, 0);
    cpu.print(name, m.peak);
    m.half = load(ports, std::string(name) + "-half", n / 2, connections, m.peak.rate() / 2);
    std::printf("%-7s peak %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  (failed %zu)\n",
                name, m.peak.rate(), m.peak.percentile(0.5), m.peak.percentile(0.99),
                m.peak.percentile(1.0), m.peak.failed);
    std::printf("%-7s @%6.0f/s        p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  (failed %zu)\n",
                name, m.peak.rate() / 2, m.half.percentile(0.5), m.half.percentile(0.99),
                m.half.percentile(1.0), m.half.failed);
    return m;
}

/// Where the daemon's workers send their Ashby and RiskOS calls (see bench/README.md):
/// "stalled", a loopback listener that never answers, so workers sit on one job each as they
/// do behind a slow upstream; or "fail-fast", a closed port, so every job fails at once and
/// backs off, the worst case of worker traffic beside the acknowledgement path.
std::string g_upstream = "http://127.0.0.1:9";
std::string g_log_level = "info";
std::string g_binary = riskbridge::testing::daemon_binary();  ///< --daemon

/// The daemon's configuration, with `store` as the store line.
std::string write_config(const riskbridge::testing::temp_dir& dir, const std::string& name,
                         const std::string& store) {
    riskbridge::testing::daemon_config c;
    c.webhook_secret = secret;
    c.store = store;
    c.upstream = g_upstream;
    c.ashby_extra = "request_timeout_ms: 600000";
    c.workers = "{ threads: 2, backoff_base_ms: 600000 }";
    c.log_level = g_log_level;
    return c.write(dir, name);
}

/// A loopback port that completes TCP handshakes (the kernel's backlog) and never answers.
int stalled_listener(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 128) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return -1;
    }
    port = ntohs(addr.sin_port);
    return fd;
}

/// What the daemon's /metrics says of its group commits over the whole invocation: how many,
/// how many requests each held, and how long each took (its flush included).
void print_commit_figures(const char* name, std::uint16_t port) {
    const auto reply = riskbridge::testing::http_request(port, "GET", "/metrics");
    if (!reply || reply->status != 200) {
        return;
    }
    const double commits = metric_sample(reply->body, "riskbridge_store_commit_seconds_count");
    if (commits <= 0) {
        return;
    }
    const double seconds = metric_sample(reply->body, "riskbridge_store_commit_seconds_sum");
    const double requests = metric_sample(reply->body, "riskbridge_store_commit_batch_size_sum");
    std::printf("%-7s %.0f commits, %.1f requests each, %.3f ms each on average\n", name, commits,
                requests / commits, 1000.0 * seconds / commits);
}

/// Runs `replicas` daemons on one configuration and measures them together; nullopt when one
/// did not start.
std::optional<measured> measure_daemons(const char* name, const riskbridge::testing::temp_dir& dir,
                                        const std::string& cfg,
                                        const std::map<std::string, std::string>& env, int replicas,
                                        std::size_t requests, int connections) {
    std::vector<std::unique_ptr<riskbridge::testing::daemon_process>> daemons;
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < replicas; ++i) {
        daemons.push_back(std::make_unique<riskbridge::testing::daemon_process>(
            std::vector<std::string>{"serve", "--config", cfg}, env,
            dir.file(std::string(name) + "-" + std::to_string(i) + ".log"), g_binary));
    }
    for (auto& d : daemons) {
        if (!d->wait_ready()) {
            std::fprintf(stderr, "%s: a daemon did not start:\n%s\n", name, d->logs().c_str());
            return std::nullopt;
        }
        ports.push_back(d->port());
    }
    std::vector<std::string> pids;
    for (const auto& d : daemons) {
        pids.push_back(std::to_string(d->pid()));
    }
    cpu_meter cpu(
        [&daemons] {
            double total = 0;
            for (const auto& d : daemons) {
                total += threads_run_seconds(std::to_string(d->pid()));
            }
            return total;
        },
        pids);
    measured m = measure(name, ports, requests, connections, cpu);
    for (std::size_t i = 0; i < ports.size(); ++i) {
        print_commit_figures(name, ports[i]);
    }
    for (auto& d : daemons) {
        d->send_signal(SIGTERM);
    }
    for (auto& d : daemons) {
        d->wait_exit(seconds(20));
    }
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"riskbridge-load: durable ingestion versus a bare server"};
    std::size_t requests = 20000;
    int connections = 16;
    std::string postgres_url;
    app.add_option("-n,--requests", requests, "deliveries per measured run");
    app.add_option("-c,--connections", connections, "keep-alive connections");
    app.add_option("--daemon", g_binary, "path of the riskbridge binary to measure");
    app.add_option("--postgres-url", postgres_url,
                   "also measure the daemon on PostgreSQL, one and two replicas (a fresh schema "
                   "in this database each time, dropped afterwards)")
        ->envname("RISKBRIDGE_BENCH_POSTGRES_URL");
    std::string upstream = "stalled";
    app.add_option("--upstream", upstream, "the workers' upstreams: stalled | fail-fast")
        ->check(CLI::IsMember({"stalled", "fail-fast"}));
    app.add_option("--daemon-log-level", g_log_level, "the daemon's logging.level");
    CLI11_PARSE(app, argc, argv);
    int stalled_fd = -1;
    if (upstream == "stalled") {
        std::uint16_t port = 0;
        stalled_fd = stalled_listener(port);
        if (stalled_fd < 0) {
            return 1;
        }
        g_upstream = "http://127.0.0.1:" + std::to_string(port);
    }
    if (::access(g_binary.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "--daemon %s: not an executable file\n", g_binary.c_str());
        return 1;
    }
    std::printf("upstream %s, daemon %s\n", upstream.c_str(), g_binary.c_str());
    riskbridge::log::init(riskbridge::log::level::warn);

    riskbridge::config::server_config scfg;
    scfg.host = "127.0.0.1";
    scfg.port = 0;
    scfg.threads = 2;
    auto bare = riskbridge::http::make_server(
        scfg, [](riskbridge::http::request, riskbridge::http::respond_fn respond) {
            riskbridge::http::response r;
            r.body = R"({"status":"accepted","job_id":1})";
            respond(std::move(r));
        });
    if (!bare->start())
        return 1;
    cpu_meter bare_cpu([] { return threads_run_seconds("self", "rb-http"); });
    measured b = measure("bare", {bare->port()}, requests, connections, bare_cpu);
    bare->drain(seconds(5));

    riskbridge::testing::temp_dir dir;
    const std::string sqlite_cfg =
        write_config(dir, "sqlite", "{ sqlite_path: \"" + dir.file("bench.db") + "\" }");
    auto d = measure_daemons("daemon", dir, sqlite_cfg, {}, 1, requests, connections);
    if (!d) {
        return 1;
    }
    std::printf("ratio   %.0f%% of the bare server's peak; p99 at half peak %.2f ms\n",
                100.0 * d->peak.rate() / std::max(1.0, b.peak.rate()), d->half.percentile(0.99));

    if (postgres_url.empty()) {
        return 0;
    }
    // The URL (it may hold a password) reaches the daemons through the environment only.
    const std::string pg_cfg =
        write_config(dir, "postgres", "{ postgres_url: \"${RB_BENCH_PG_URL}\" }");
    for (int replicas : {1, 2}) {
        riskbridge::store::testing::pg_scratch_schema schema(postgres_url, "rb_bench");
        if (!schema.ok()) {
            std::fprintf(stderr, "postgres: %s\n", schema.error().c_str());
            return 1;
        }
        const std::string name = "pg-" + std::to_string(replicas);
        auto p = measure_daemons(name.c_str(), dir, pg_cfg, {{"RB_BENCH_PG_URL", schema.url()}},
                                 replicas, requests, connections);
        if (!p) {
            return 1;
        }
        std::printf(
            "ratio   %.0f%% of the bare server's peak, %.0f%% of SQLite's; p99 at half "
            "peak %.2f ms\n",
            100.0 * p->peak.rate() / std::max(1.0, b.peak.rate()),
            100.0 * p->peak.rate() / std::max(1.0, d->peak.rate()), p->half.percentile(0.99));
    }
    return 0;
}
