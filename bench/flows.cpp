// riskbridge-flows: how close the daemon's workers come to the throughput their upstreams allow.
//
// A worker spends most of a screening waiting for Ashby and RiskOS. With W workers and a flow
// that makes C upstream calls of latency L each, no daemon can finish more than W / (C x L)
// flows a second (Little's law: W flows in flight, each C x L long). This tool starts both
// simulators with every API answer delayed by L, the real daemon (`build/riskbridge serve`, a
// fresh SQLite store, encrypted) with W workers, sends N applicationSubmit deliveries at once,
// and measures how long the N screenings take to finish. C is counted, not assumed: the
// simulators' API requests divided by N. The figure is the measured rate over that bound.
//
//   build/bench/riskbridge-flows -n 400 -w 8 --latency-ms 50
//
// See bench/README.md for what it measured. A benchmark, not a test: it asserts nothing.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/prometheus.hpp"

namespace {

using namespace std::chrono;
using namespace riskbridge;

/// API requests a simulator answered (faulted or not): every request draws its fault first.
std::uint64_t api_requests(sim::fault_injector& faults) {
    std::uint64_t n = 0;
    for (const auto& [kind, count] : faults.counts()) {
        n += count;
    }
    return n;
}

std::string write_config(const testing::temp_dir& dir, const sim::ashby_simulator& ashby,
                         const sim::riskos_simulator& riskos, int workers) {
    const std::string path = dir.file("flows.yaml");
    std::ofstream(path) << "server: { listen: \"127.0.0.1:0\", threads: 2 }\n"
                        << "ashby:\n  api_base_url: \"" << ashby.base_url() << "\"\n  api_key: \""
                        << ashby.options().api_key << "\"\n  webhook_secrets: [\""
                        << ashby.options().webhook_secret << "\"]\n  request_timeout_ms: 30000\n"
                        << "riskos:\n  api_base_url: \"" << riskos.base_url() << "\"\n  api_key: \""
                        << riskos.options().api_key << "\"\n  request_timeout_ms: 30000\n"
                        << "  webhook_auth: { bearer_tokens: [\"" << riskos.options().webhook_bearer
                        << "\"] }\n"
                        << "store: "
                        << testing::with_throwaway_encryption("{ sqlite_path: \"" +
                                                              dir.file("flows.db") + "\" }")
                        << "\n"
                        << "workers: { threads: " << workers << " }\n"
                        << "logging: { level: warn, format: json }\n";
    return path;
}

/// Screenings the daemon finished, from its /metrics (-1 when it cannot be read).
double finished_screenings(std::uint16_t port) {
    const auto reply = testing::http_request(port, "GET", "/metrics");
    if (!reply || reply->status != 200) {
        return -1;
    }
    return testing::metric_sample(
        reply->body, R"(riskbridge_job_duration_seconds_count{flow="screening",result="done"})");
}

/// The sum of every sample of the series whose name is `name` (whatever its labels).
double sum_of_series(const std::string& text, const std::string& name) {
    double total = 0;
    std::size_t at = 0;
    while ((at = text.find(name, at)) != std::string::npos) {
        const bool line_start = at == 0 || text[at - 1] == '\n';
        const std::size_t after = at + name.size();
        at = after;
        if (!line_start || after >= text.size() || (text[after] != '{' && text[after] != ' ')) {
            continue;
        }
        const std::size_t value =
            text.find(' ', text[after] == '{' ? text.find('}', after) : after);
        if (value != std::string::npos) {
            total += std::strtod(text.c_str() + value + 1, nullptr);
        }
    }
    return total;
}

/// Where a screening's time went, from the daemon's /metrics: its mean duration in a worker,
/// and the mean time it spent in upstream calls (as the daemon measured them).
void print_time_per_screening(std::uint16_t port, int applications) {
    const auto reply = testing::http_request(port, "GET", "/metrics");
    if (!reply || reply->status != 200) {
        return;
    }
    const std::string& m = reply->body;
    const std::string job =
        R"(riskbridge_job_duration_seconds_sum{flow="screening",result="done"})";
    const double in_worker = testing::metric_sample(m, job) / applications;
    const double upstream =
        sum_of_series(m, "riskbridge_upstream_request_duration_seconds_sum") / applications;
    std::printf(
        "per screening: %.1f ms in a worker, %.1f ms of it in upstream calls, %.1f ms "
        "else\n",
        1e3 * in_worker, 1e3 * upstream, 1e3 * (in_worker - upstream));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"riskbridge-flows: flow throughput against the bound slow upstreams set"};
    int applications = 400;
    int workers = 8;
    int latency_ms = 50;
    std::string binary = testing::daemon_binary();
    app.add_option("-n,--applications", applications, "applicationSubmit deliveries (>= 1)")
        ->check(CLI::Range(1, 100'000));
    app.add_option("-w,--workers", workers, "the daemon's workers.threads")
        ->check(CLI::Range(1, 64));
    app.add_option("--latency-ms", latency_ms, "every Ashby and RiskOS answer's delay")
        ->check(CLI::Range(1, 10'000));
    app.add_option("--daemon", binary, "path of the riskbridge binary to measure");
    CLI11_PARSE(app, argc, argv);
    log::init(log::level::warn);

    sim::ashby_sim_options ao;
    ao.threads = 4;
    sim::ashby_simulator ashby(ao);
    sim::riskos_sim_options ro;
    ro.threads = 4;
    sim::riskos_simulator riskos(ro);
    if (!ashby.start() || !riskos.start()) {
        std::fprintf(stderr, "the simulators did not start\n");
        return 1;
    }
    std::vector<std::string> bodies;
    for (int i = 0; i < applications; ++i) {
        char cid[64];
        char aid[64];
        std::snprintf(cid, sizeof cid, "c0000000-0000-4000-8000-%012d", i);
        std::snprintf(aid, sizeof aid, "a0000000-0000-4000-8000-%012d", i);
        sim::candidate_seed c;
        c.id = cid;
        c.name = "Bench Person" + std::to_string(i);
        c.emails = {"accept.bench" + std::to_string(i) + "@example.com"};  // ACCEPT
        c.phones = {"+1 415 555 " + std::to_string(1000 + i % 9000)};
        ashby.add_candidate(c);
        sim::application_seed a;
        a.id = aid;
        a.candidate_id = cid;
        ashby.add_application(a);
        bodies.push_back(ashby.webhook_body("applicationSubmit", aid).value_or(""));
    }

    testing::temp_dir dir;
    testing::daemon_process daemon({"serve", "--config", write_config(dir, ashby, riskos, workers)},
                                   {}, dir.file("flows.log"), binary);
    if (!daemon.wait_ready()) {
        std::fprintf(stderr, "the daemon did not start:\n%s\n", daemon.logs().c_str());
        return 1;
    }
    // Every API answer from now on comes after the latency (the seeding above is not an API
    // call); the counts start here too.
    sim::fault_settings slow;
    slow.slow_rate = 1.0;
    slow.slow_delay = milliseconds(latency_ms);
    ashby.faults().set(slow);
    riskos.faults().set(slow);
    const std::uint64_t ashby0 = api_requests(ashby.faults());
    const std::uint64_t riskos0 = api_requests(riskos.faults());

    const std::string target =
        "http://127.0.0.1:" + std::to_string(daemon.port()) + "/webhooks/ashby";
    const auto started = steady_clock::now();
    for (const auto& body : bodies) {
        auto r = ashby.send_webhook(target, body);
        if (!r || r->status != 200) {
            std::fprintf(stderr, "a delivery was not accepted\n");
            return 1;
        }
    }
    const auto sent = steady_clock::now();
    // Waiting for the last screening: the daemon's own count, read every 10 ms (a benchmark's
    // sampling, bounded by the deadline).
    const auto deadline = sent + seconds(60) +
                          milliseconds(static_cast<long>(applications) * latency_ms * 20 / workers);
    double done = 0;
    while ((done = finished_screenings(daemon.port())) < applications &&
           steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    const double took = duration<double>(steady_clock::now() - started).count();
    if (done < applications) {
        std::fprintf(stderr, "only %.0f of %d screenings finished in time\n", done, applications);
        return 1;
    }
    const double ashby_calls = static_cast<double>(api_requests(ashby.faults()) - ashby0);
    const double riskos_calls = static_cast<double>(api_requests(riskos.faults()) - riskos0);
    const double calls = (ashby_calls + riskos_calls) / applications;
    const double latency = latency_ms / 1000.0;
    const double rate = applications / took;
    const double bound = workers / (calls * latency);
    std::printf("%d screenings, %d workers, every upstream answer %d ms late\n", applications,
                workers, latency_ms);
    std::printf("upstream calls per screening %.2f (Ashby %.2f, RiskOS %.2f)\n", calls,
                ashby_calls / applications, riskos_calls / applications);
    std::printf("sent in %.2f s; all finished after %.2f s\n",
                duration<double>(sent - started).count(), took);
    std::printf("throughput %.2f screenings/s; bound W/(C x L) %.2f/s; ratio %.3f\n", rate, bound,
                rate / bound);
    print_time_per_screening(daemon.port(), applications);
    daemon.send_signal(SIGTERM);
    daemon.wait_exit(seconds(20));
    return 0;
}
