// `riskbridge sim --config FILE`: the fake Ashby and fake RiskOS on the ports of the config's
// api_base_url values, seeded with the sample applicants, their keys and webhook credentials
// taken from the same config as the daemon, until SIGINT/SIGTERM.

#include "app/sim_command.hpp"

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <iostream>
#include <limits>

#include "riskbridge/config/loader.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"

namespace riskbridge::app {

namespace {

/// Between the events of an automatic DocV capture: slow enough to follow in the logs.
constexpr auto docv_step_interval = milliseconds{200};

/// The explicit port of an http(s) URL, if it has one.
std::optional<std::uint16_t> url_port(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto bracket = rest.rfind(']'); bracket != std::string_view::npos) {
        rest.remove_prefix(bracket + 1);
    }
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    unsigned value = 0;
    const auto digits = rest.substr(colon + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || value == 0 ||
        value > std::numeric_limits<std::uint16_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

std::string first_secret(const std::vector<config::secret>& list, const char* fallback) {
    return list.empty() || list.front().empty() ? std::string(fallback) : list.front().reveal();
}

}  // namespace

int run_sim(const sim_command_options& options) {
    auto loaded = config::load_config(options.config_path);
    if (!loaded.ok()) {
        for (const auto& p : loaded.problems) {
            std::cerr << config::format_problem(p) << '\n';
        }
        std::cerr << "riskbridge sim: " << loaded.problems.size() << " configuration problem(s)\n";
        return 2;
    }
    const config::config& cfg = loaded.cfg;
    log::level lvl = log::level::info;
    log::parse_level(cfg.logging.level, lvl);
    log::init(lvl, cfg.logging.format == "text" ? log::format::text : log::format::json);

    const sigset_t signals = [] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        return set;
    }();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const std::string daemon =
        !options.daemon_url.empty()
            ? options.daemon_url
            : "http://" +
                  std::string(cfg.server.host == "0.0.0.0" || cfg.server.host == "::"
                                  ? "127.0.0.1"
                                  : cfg.server.host) +
                  ":" + std::to_string(cfg.server.port);

    sim::ashby_sim_options a;
    a.host = options.host;
    a.port = options.ashby_port.value_or(
        url_port(cfg.ashby.api_base_url).value_or(default_ashby_sim_port));
    a.threads = 2;
    a.api_key = cfg.ashby.api_key.reveal();
    a.webhook_secret = first_secret(cfg.ashby.webhook_secrets, "sim-ashby-webhook-secret");
    a.webhook_target = daemon + "/webhooks/ashby";
    a.seed = options.seed;
    a.fraud_detection = options.fraud_detection;

    sim::riskos_sim_options r;
    r.host = options.host;
    r.port = options.riskos_port.value_or(
        url_port(cfg.riskos.api_base_url).value_or(default_riskos_sim_port));
    r.threads = 2;
    r.api_key = cfg.riskos.api_key.reveal();
    r.docv_workflow = cfg.riskos.document_verification_workflow;
    r.webhook_url = daemon + "/webhooks/riskos";
    r.webhook_bearer =
        first_secret(cfg.riskos.webhook_auth.bearer_tokens, "sim-riskos-webhook-token");
    if (options.docv_delay_ms >= 0) {
        r.docv_auto_delay = milliseconds{options.docv_delay_ms};
    }
    r.docv_step_interval = docv_step_interval;
    r.case_url_base = cfg.riskos.case_url_base;
    r.seed = options.seed;

    sim::ashby_simulator ashby(a);
    sim::riskos_simulator riskos(r);
    if (auto started = ashby.start(); !started) {
        std::cerr << "riskbridge sim: fake Ashby: " << started.error().message << '\n';
        return 1;
    }
    if (auto started = riskos.start(); !started) {
        std::cerr << "riskbridge sim: fake RiskOS: " << started.error().message << '\n';
        return 1;
    }
    const auto samples = sim::seed_sample_data(ashby, cfg.consent.question);

    std::cout << "fake Ashby:  " << ashby.base_url() << "   (ashby.api_base_url)\n"
              << "fake RiskOS: " << riskos.base_url() << "   (riskos.api_base_url)\n"
              << "webhooks go to " << daemon << "/webhooks/{ashby,riskos}\n"
              << "inspect:     GET " << ashby.base_url() << "/_sim/state, GET " << riskos.base_url()
              << "/_sim/state\n"
              << "faults:      POST <sim>/_sim/faults {\"error_rate\":0.1,\"slow_rate\":0.2,"
                 "\"slow_ms\":2000}\n"
              << "reviewers:   POST " << riskos.base_url()
              << "/_sim/review/{eval_id} {\"decision\":\"REJECT\"}; also /_sim/rerun/{eval_id} "
                 "{\"decision\"}, /_sim/expire/{eval_id}, /_sim/fail/{eval_id}, "
                 "/_sim/event/{eval_id} {\"event_type\",\"data\"}, /_sim/redeliver/{event_id}\n"
              << "\nsample applicants (send one with POST " << ashby.base_url()
              << "/_sim/webhook {\"action\":\"applicationSubmit\",\"application_id\":ID}):\n";
    for (const auto& s : samples) {
        std::cout << "  " << s.label
                  << std::string(14 - std::min<std::size_t>(13, s.label.size()), ' ')
                  << s.application_id << "  " << s.expectation << '\n';
    }
    std::cout.flush();

    int sig = 0;
    sigwait(&signals, &sig);
    log::info("sim_shutdown", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    riskos.stop();
    ashby.stop();
    log::flush();
    return 0;
}

}  // namespace riskbridge::app
