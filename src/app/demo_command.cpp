// `riskbridge demo`: the simulators in this process, the daemon as a child process on a
// temporary directory (config, SQLite store, logs), signed webhooks for eight fictional
// applicants, a wait on observable state (the simulators' tags and notes, the store's jobs
// and evaluations) with a deadline, then a table, a verdict per applicant and how to go live.
//
// Applicant names are the simulators' made-up sample data: they are printed to the terminal,
// never logged.
//
// The run itself is here; demo_scenario holds the applicants, the expected outcomes and the
// daemon's configuration, demo_process the child process and signals, demo_report the
// terminal output and the result table.

#include "app/demo_command.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/demo_process.hpp"
#include "app/demo_report.hpp"
#include "app/demo_scenario.hpp"
#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/core/wipe.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/aead.hpp"
#include "riskbridge/security/digest.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::app {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace demo;
/// The demo's own calls to the daemon (GET /readyz) on loopback.
constexpr auto probe_connect_timeout = std::chrono::milliseconds{500};
constexpr auto probe_total_timeout = std::chrono::milliseconds{2'000};
/// How long the daemon may take to become ready.
constexpr auto daemon_ready_timeout = std::chrono::seconds{20};
/// How often the demo looks at the daemon and the flows, and prints who it is waiting for.
constexpr auto poll_interval = std::chrono::milliseconds{50};
constexpr auto progress_interval = std::chrono::seconds{3};

/// One run of the demo: its directory, simulators, daemon and applicants. Each stage returns
/// false (after saying why) when the run cannot go on; finish() always cleans up.
class demo_run {
public:
    explicit demo_run(const demo_command_options& options)
        : options_(options), t_(make_term()), keep_(options.keep) {
        // SIGINT and SIGTERM are taken with sigtimedwait between looks at the flows, so an
        // interrupted demo still stops its daemon and removes its directory. Blocked before
        // any thread starts, so every thread inherits the mask.
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
        ::signal(SIGPIPE, SIG_IGN);
    }

    ~demo_run() { pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr); }
    demo_run(const demo_run&) = delete;
    demo_run& operator=(const demo_run&) = delete;

    int run() {
        if (!make_directory()) {
            return 2;
        }
        std::cout << t_.bold("riskbridge demo")
                  << ": the Ashby and RiskOS simulators, the daemon and " << demo_cases().size()
                  << " fictional applicants\n\n";
        if (!start_simulators() || !start_daemon() || !open_store() || !prepare_rows()) {
            return finish(interrupted_ ? 130 : 2);
        }
        send_webhooks();
        if (!wait_for_flows()) {
            return finish(130);
        }
        return finish(print_report(rows_, t_, w_name_, steady::now() - started_) ? 0 : 1);
    }

private:
    bool make_directory() {
        std::error_code ec;
        fs::path base = fs::temp_directory_path(ec);
        if (ec) {
            base = "/tmp";
        }
        std::string dir_template = (base / "riskbridge-demo-XXXXXX").string();
        if (::mkdtemp(dir_template.data()) == nullptr) {
            std::cerr << "riskbridge demo: cannot create a directory under " << base << '\n';
            return false;
        }
        dir_ = dir_template;
        // The simulators log (ids only) to a file of their own, out of the way of the table.
        sim_log_.open(sim_log_path());
        log::init_to_stream(sim_log_, options_.verbose ? log::level::info : log::level::warn);
        return true;
    }

    fs::path config_path() const { return dir_ / "riskbridge.yaml"; }
    fs::path daemon_log() const { return dir_ / "riskbridge.log"; }
    fs::path sim_log_path() const { return dir_ / "simulators.log"; }
    fs::path db_path() const { return dir_ / "riskbridge.db"; }
    std::string daemon_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    bool start_simulators() {
        ashby_ = std::make_unique<sim::ashby_simulator>(demo_ashby_options());
        riskos_ = std::make_unique<sim::riskos_simulator>(demo_riskos_options());
        if (auto s = ashby_->start(); !s) {
            std::cerr << "riskbridge demo: Ashby simulator: " << s.error().message << '\n';
            return false;
        }
        if (auto s = riskos_->start(); !s) {
            std::cerr << "riskbridge demo: RiskOS simulator: " << s.error().message << '\n';
            return false;
        }
        samples_ = sim::seed_sample_data(*ashby_, demo_consent_question);
        return true;
    }

    /// `riskbridge serve` on a free loopback port (it binds port 0 and logs the port it got
    /// in its `ready` line), until GET /readyz answers 200.
    bool start_daemon() {
        std::error_code ec;
        std::string binary = fs::read_symlink("/proc/self/exe", ec).string();
        if (ec || binary.empty()) {
            binary = "/proc/self/exe";
        }
        clients::curl_options co;
        co.connect_timeout = probe_connect_timeout;
        co.total_timeout = probe_total_timeout;
        auto http = clients::make_curl_client(co);
        std::ofstream(config_path()) << demo_config(ashby_->base_url(), riskos_->base_url(), dir_);
        // The store is encrypted as in production, under a key that lives as long as this run
        // (64 hex digits from the system's randomness); the child inherits it.
        std::string key = security::random_hex(security::data_key_bytes);
        ::setenv(demo_data_key_variable, key.c_str(), 1);
        wipe(key);
        daemon_pid_ = spawn_daemon(binary, config_path().string(), daemon_log().string());
        if (daemon_pid_ <= 0) {
            std::cerr << "riskbridge demo: cannot start " << binary << '\n';
            return false;
        }
        bool ready = false;
        const auto deadline = steady::now() + daemon_ready_timeout;
        while (!ready && steady::now() < deadline) {
            if (int status = 0; child_exited(daemon_pid_, status)) {
                daemon_pid_ = -1;
                break;
            }
            if (port_ == 0) {
                port_ = ready_port(daemon_log()).value_or(0);
            }
            if (port_ != 0) {
                clients::http_call call;
                call.method = clients::http_method::get;
                call.url = daemon_url() + "/readyz";
                auto resp = http->send(call);
                ready = resp && resp->status == 200;
            }
            if (!ready && pause(poll_interval)) {
                return false;
            }
        }
        if (!ready) {
            std::cout << t_.red("the daemon did not become ready") << '\n';
            return false;
        }
        riskos_->set_webhook_target(daemon_url() + "/webhooks/riskos", demo_riskos_token);
        std::cout << "  fake Ashby    " << ashby_->base_url() << '\n'
                  << "  fake RiskOS   " << riskos_->base_url() << '\n'
                  << "  riskbridge    " << daemon_url() << "   (`riskbridge serve`, pid "
                  << daemon_pid_ << ")\n"
                  << "  directory     " << dir_.string() << "   (config, SQLite store, logs)\n\n"
                  << t_.bold("The configuration it runs on") << " (" << config_path().string()
                  << "; the secrets are demo values):\n"
                  << indent(read_text(config_path()), "  | ") << '\n';
        return true;
    }

    /// The daemon's store, read beside it (WAL): jobs and evaluations.
    bool open_store() {
        auto opened = store::make_sqlite_store({db_path().string()}, system_clock());
        if (!opened) {
            std::cout << t_.red("cannot read the store: " + opened.error().message) << '\n';
            return false;
        }
        store_ = std::move(*opened);
        return true;
    }

    bool prepare_rows() {
        for (const auto& c : demo_cases()) {
            const auto s = std::find_if(samples_.begin(), samples_.end(),
                                        [&](const auto& x) { return x.label == c.sample; });
            if (s == samples_.end()) {
                std::cerr << "riskbridge demo: no sample applicant " << c.sample << '\n';
                return false;
            }
            row rw;
            rw.expect = &c;
            rw.sample = *s;
            // The payload Ashby would send (docs/external-apis.md), with the applicant's
            // name in it.
            if (auto body = ashby_->webhook_body(c.action, s->application_id)) {
                rw.body = std::move(*body);
            } else {
                rw.send_error = "no payload";
            }
            rw.name = s->name;
            w_name_ = std::max(w_name_, rw.name.size());
            rows_.push_back(std::move(rw));
        }
        return true;
    }

    void send_webhooks() {
        std::cout << t_.bold("Sending signed Ashby webhooks") << " to " << daemon_url()
                  << "/webhooks/ashby\n"
                  << "  (Ashby-Signature: sha256=<HMAC-SHA256 of the raw body, keyed with the "
                     "webhook secret>)\n";
        for (auto& rw : rows_) {
            if (!rw.send_error.empty()) {
                continue;
            }
            rw.sent_at = steady::now();
            auto resp = ashby_->send_webhook(daemon_url() + "/webhooks/ashby", rw.body);
            std::string answer;
            if (!resp) {
                rw.send_error = resp.error().message;
                answer = t_.red("failed: " + rw.send_error);
            } else {
                const json reply = json::parse(resp->body, nullptr, false);
                const std::string status =
                    reply.is_object() ? reply.value("status", std::string{}) : std::string{};
                if (resp->status == 200 && status == "accepted" && reply.contains("job_id") &&
                    reply["job_id"].is_number_integer()) {
                    rw.job_id = reply["job_id"].get<long long>();
                    answer = "HTTP 200, accepted as job " + std::to_string(rw.job_id);
                } else {
                    rw.send_error = "HTTP " + std::to_string(resp->status) + " " + status;
                    answer = t_.red(rw.send_error);
                }
            }
            std::cout << "  " << pad(rw.name, w_name_) << "  " << pad(rw.expect->action, 17)
                      << "  -> " << answer << '\n';
        }
        std::cout << '\n'
                  << t_.bold("Waiting for every flow") << " (RiskOS callbacks included; at most "
                  << options_.timeout_s << " s)\n";
        std::cout.flush();
    }

    /// Looks at the flows every 50 ms until each has finished, the deadline passes or the
    /// daemon exits, printing each change. False when interrupted.
    bool wait_for_flows() {
        const auto deadline = steady::now() + std::chrono::seconds(std::max(1, options_.timeout_s));
        last_print_ = steady::now();
        while (
            !std::all_of(rows_.begin(), rows_.end(), [](const row& r) { return r.finished(); })) {
            if (print_riskos_webhooks(rows_, *riskos_, deliveries_seen_, w_name_, t_)) {
                last_print_ = steady::now();
            }
            look_at_flows();
            if (std::all_of(rows_.begin(), rows_.end(),
                            [](const row& r) { return r.finished(); })) {
                break;
            }
            if (steady::now() >= deadline) {
                std::cout << t_.red("  timed out after " + std::to_string(options_.timeout_s) +
                                    " s")
                          << '\n';
                break;
            }
            if (int status = 0; daemon_pid_ > 0 && child_exited(daemon_pid_, status)) {
                daemon_pid_ = -1;
                std::cout << "  " << t_.red("the daemon exited before every flow finished") << '\n';
                break;
            }
            if (steady::now() - last_print_ >= progress_interval) {
                std::vector<std::string> waiting;
                for (const auto& rw : rows_) {
                    if (!rw.finished()) {
                        waiting.push_back(rw.name + " (" + rw.phase + ")");
                    }
                }
                std::cout << "  "
                          << t_.dim("... waiting for " + std::to_string(waiting.size()) +
                                    " flow(s): " + join(waiting, ", "))
                          << '\n';
                last_print_ = steady::now();
            }
            std::cout.flush();
            if (pause(poll_interval)) {
                return false;
            }
        }
        for (auto& rw : rows_) {
            if (rw.send_error.empty()) {
                observe(rw, *ashby_, *riskos_, *store_);
            }
        }
        return true;
    }

    /// Each unfinished flow: the job first (once it is finished, its tags and notes are
    /// written), then what the Ashby simulator holds.
    void look_at_flows() {
        for (auto& rw : rows_) {
            if (rw.finished()) {
                continue;
            }
            progress p = flow_progress(rw, *store_);
            observe(rw, *ashby_, *riskos_, *store_);
            if (p == progress::finished && rw.dead_error.empty() &&
                *rw.expect->reviewer_decision != '\0') {
                p = review(rw);
            }
            if (p == progress::finished) {
                rw.finished_at = steady::now();
                ++done_;
                const std::string line = finished_text(rw, done_, rows_.size());
                std::cout << "  " << (judge(rw).ok ? t_.green(line) : t_.red(line)) << '\n';
                rw.notes_seen = rw.notes.size();
                last_print_ = steady::now();
            } else if (p == progress::waiting) {
                // Notes written before RiskOS's answer (DocV: "requested").
                for (; rw.notes_seen < rw.notes.size(); ++rw.notes_seen) {
                    std::cout << "  " << pad(rw.name, w_name_) << "  note written: \""
                              << headline(rw.notes[rw.notes_seen].content) << "\"\n";
                    last_print_ = steady::now();
                }
            }
        }
    }

    /// A case whose first decision a reviewer in RiskOS changes: once the first decision is
    /// written, the RiskOS simulator makes the reviewer's change (and sends its webhook);
    /// finished once the daemon wrote the new decision and its note.
    progress review(row& rw) {
        const std::string to = rw.expect->reviewer_decision;
        if (!rw.reviewed) {
            rw.reviewed = true;
            rw.phase = "a reviewer changes the decision";
            auto sent = riskos_->review(rw.eval_id, to, "demo-reviewer");
            std::cout << "  " << pad(rw.name, w_name_) << "  "
                      << (sent ? "a reviewer in RiskOS sets " + to + " (" + sent->event_type +
                                     " webhook)"
                               : t_.red("the reviewer's change failed: " + sent.error().message))
                      << '\n';
            last_print_ = steady::now();
            return progress::waiting;
        }
        if (rw.decision != to || rw.notes.size() < rw.expect->notes) {
            rw.phase = "the reviewer's change";
            return progress::waiting;
        }
        return progress::finished;
    }

    /// Stops everything; keeps the directory when asked or when the demo failed.
    int finish(int code) {
        if (store_) {
            store_->shutdown();
            store_.reset();
        }
        if (daemon_pid_ > 0) {
            const int daemon_exit = stop_daemon(daemon_pid_, signals_);
            daemon_pid_ = -1;
            if (code == 0 && daemon_exit != 0) {
                std::cout << t_.red("the daemon exited with code " + std::to_string(daemon_exit))
                          << '\n';
                code = 1;
            }
        }
        if (riskos_) {
            riskos_->stop();
            riskos_.reset();
        }
        if (ashby_) {
            ashby_->stop();
            ashby_.reset();
        }
        log::flush();
        log::init(log::level::warn);  // off the file before it closes
        sim_log_.close();
        if (code == 130) {
            std::cout << "\ninterrupted\n";
        } else if (code != 0) {
            keep_ = true;
            std::cout << "\nDaemon log: " << daemon_log().string() << "\nLast lines:\n"
                      << indent(tail_lines(read_text(daemon_log()), 15), "  ");
        } else if (options_.verbose) {
            std::cout << "\nDaemon log (" << daemon_log().string() << "), last lines:\n"
                      << indent(tail_lines(read_text(daemon_log()), 15), "  ")
                      << "Simulator log: " << sim_log_path().string() << '\n';
        }
        if (keep_) {
            std::cout << "\nKept " << dir_.string()
                      << " (riskbridge.yaml, riskbridge.db, riskbridge.log, simulators.log)\n";
        } else {
            std::error_code ec;
            fs::remove_all(dir_, ec);
        }
        std::cout.flush();
        return code;
    }

    /// The demo's only pause, between two looks at observable state. True when SIGINT or
    /// SIGTERM came.
    bool pause(std::chrono::milliseconds d) {
        interrupted_ = interrupted_ || interrupted_within(signals_, d);
        return interrupted_;
    }

    const demo_command_options options_;
    const term t_;
    const steady::time_point started_ = steady::now();
    sigset_t signals_{};
    sigset_t previous_mask_{};
    bool interrupted_ = false;
    bool keep_ = false;
    fs::path dir_;
    std::ofstream sim_log_;
    std::unique_ptr<sim::ashby_simulator> ashby_;
    std::unique_ptr<sim::riskos_simulator> riskos_;
    std::vector<sim::sample_applicant> samples_;
    std::uint16_t port_ = 0;
    pid_t daemon_pid_ = -1;
    std::unique_ptr<store::job_store> store_;
    std::vector<row> rows_;
    std::size_t w_name_ = 0;
    std::size_t deliveries_seen_ = 0;
    std::size_t done_ = 0;
    steady::time_point last_print_{};
};

}  // namespace

int run_demo(const demo_command_options& options) {
    demo_run demo(options);
    return demo.run();
}

}  // namespace riskbridge::app
