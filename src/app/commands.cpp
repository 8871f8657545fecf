// The command line: serve, check-config, preview, jobs, evaluations, erase, sim, demo,
// --version.

#include "app/commands.hpp"
#include "app/demo_command.hpp"
#include "app/hardening.hpp"
#include "app/sim_command.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/config/loader.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/version.hpp"
#include "riskbridge/flows/erasure.hpp"
#include "riskbridge/flows/preview.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::app {

namespace {

/// `jobs list --limit`: its default and its largest value.
constexpr int default_list_limit = 100;
constexpr int max_list_limit = 100'000;
/// `demo --timeout-s`: at most an hour.
constexpr int max_demo_timeout_s = 3600;
constexpr int max_port = std::numeric_limits<std::uint16_t>::max();

int check_config(const std::string& path, bool dump) {
    auto loaded = config::load_config(path);
    for (const auto& p : loaded.problems) {
        std::cout << config::format_problem(p) << '\n';
    }
    if (!loaded.ok()) {
        return 1;  // every line printed is a problem, `FILE:LINE: key.path: what is wrong`
    }
    std::cout << path << ": OK\n";
    if (dump) {
        std::cout << config::redacted_dump(loaded.cfg);
    }
    return 0;
}

/// An SQLite store the operations commands inspect must be there already: opening it would
/// create an empty one, and a mistyped path would look like an empty queue.
result<void> sqlite_store_exists(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
        return {};
    }
    return make_error(errc::not_found, "no SQLite store at " + path +
                                           " (the daemon creates it when it first starts)");
}

/// "riskbridge frobnicate" fails as "a subcommand is required" in CLI11, which does not say
/// that the word given is not one: name it, and the commands there are.
std::optional<std::string> unknown_command(CLI::App& app, int argc, const char* const* argv) {
    CLI::App* level = &app;
    std::string path = "riskbridge";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.empty() || arg.front() == '-') {
            continue;  // the levels with commands take flags only (--help, --version)
        }
        const auto commands = level->get_subcommands([](CLI::App*) { return true; });
        if (commands.empty()) {
            return std::nullopt;
        }
        const auto it = std::find_if(commands.begin(), commands.end(),
                                     [&](CLI::App* c) { return c->get_name() == arg; });
        if (it == commands.end()) {
            std::string names;
            for (const auto* c : commands) {
                names += (names.empty() ? "" : ", ") + c->get_name();
            }
            return path + ": unknown command '" + arg + "' (one of: " + names +
                   ")\nRun with --help for more information.\n";
        }
        level = *it;
        path += " " + arg;
    }
    return std::nullopt;
}

/// Opens the store for the operations commands: from --db (an SQLite file) or the config.
result<std::unique_ptr<store::job_store>> open_for_ops(const std::string& config_path,
                                                       const std::string& db_path) {
    if (!db_path.empty()) {
        if (auto exists = sqlite_store_exists(db_path); !exists) {
            return exists.error();
        }
        return store::make_sqlite_store({db_path}, system_clock());
    }
    if (config_path.empty()) {
        return make_error(errc::invalid_argument, "give --config FILE or --db FILE");
    }
    auto loaded = config::load_config(config_path);
    if (!loaded.ok()) {
        std::string msg;
        for (const auto& p : loaded.problems) {
            msg += config::format_problem(p) + "\n";
        }
        return make_error(errc::invalid_argument, msg + "configuration is invalid");
    }
    if (!loaded.cfg.store.postgres_url && loaded.cfg.store.sqlite_path) {
        if (auto exists = sqlite_store_exists(*loaded.cfg.store.sqlite_path); !exists) {
            return exists.error();
        }
    }
    return store::open_store(loaded.cfg.store, system_clock());
}

std::string when(time_point t) {
    return t.time_since_epoch().count() == 0 ? std::string("-") : format_rfc3339(t);
}

std::string clip(const std::string& s, std::size_t n) {
    return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

int jobs_list(store::store_admin& st, const std::string& state_name, int limit) {
    std::optional<store::job_state> state;
    if (!state_name.empty()) {
        state = store::parse_job_state(state_name);
        if (!state) {
            std::cerr << "unknown state '" << state_name
                      << "' (queued, running, retry_wait, done, dead)\n";
            return 2;
        }
    }
    auto jobs = st.list_jobs(state, limit);
    if (!jobs) {
        std::cerr << "riskbridge: " << jobs.error().message << '\n';
        return 1;
    }
    std::printf("%-8s %-22s %-10s %-8s %-24s %-40s %s\n", "ID", "KIND", "STATE", "ATTEMPTS",
                "NEXT RUN", "CORRELATION", "LAST ERROR");
    for (const auto& j : *jobs) {
        std::printf("%-8lld %-22s %-10s %-8d %-24s %-40s %s\n", static_cast<long long>(j.id),
                    clip(j.kind, 22).c_str(), store::to_string(j.state), j.attempts,
                    when(j.next_run_at).c_str(), clip(j.correlation_id, 40).c_str(),
                    clip(j.last_error, 60).c_str());
    }
    std::printf("%zu job(s)\n", jobs->size());
    return 0;
}

int jobs_show(store::store_admin& st, store::audit_log& audit, long long id) {
    auto found = st.get_job(id);
    if (!found) {
        std::cerr << "riskbridge: " << found.error().message << '\n';
        return 1;
    }
    if (!found->has_value()) {
        std::cerr << "no job " << id << '\n';
        return 1;
    }
    const store::job& j = **found;
    // Ids, states and errors only: the payload holds personal data and is never printed.
    std::printf("job %lld\n  kind:        %s\n  state:       %s\n  attempts:    %d\n",
                static_cast<long long>(j.id), j.kind.c_str(), store::to_string(j.state),
                j.attempts);
    std::printf("  created:     %s\n  updated:     %s\n  next run:    %s\n",
                when(j.created_at).c_str(), when(j.updated_at).c_str(),
                when(j.next_run_at).c_str());
    std::printf("  correlation: %s\n  unique key:  %s\n  lease:       %s until %s\n",
                j.correlation_id.c_str(), j.unique_key.value_or("-").c_str(),
                j.lease_owner.empty() ? "-" : j.lease_owner.c_str(), when(j.lease_until).c_str());
    std::printf("  last error:  %s\n  checkpoint:  %s\n",
                j.last_error.empty() ? "-" : j.last_error.c_str(),
                j.checkpoint.empty() ? "-" : "present");
    if (auto attempts = st.job_attempts(id); attempts && !attempts->empty()) {
        std::printf("history:\n");
        for (const auto& a : *attempts) {
            std::printf("  #%d %s %-13s %s\n", a.attempt, when(a.finished_at).c_str(),
                        a.outcome.c_str(), a.error.c_str());
        }
    }
    if (auto trail = audit.audit_for_job(id); trail && !trail->empty()) {
        std::printf("audit:\n");
        for (const auto& e : *trail) {
            std::printf("  %s %-24s %-12s %s\n", when(e.at).c_str(), e.step.c_str(),
                        e.outcome.c_str(), e.detail.c_str());
        }
    }
    return 0;
}

int jobs_retry(store::store_admin& st, std::optional<long long> id, bool all_dead) {
    if (!id && !all_dead) {
        std::cerr << "give a job id or --all-dead\n";
        return 2;
    }
    auto n = st.retry_dead(all_dead ? std::nullopt : std::optional<store::job_id>(*id),
                           system_clock().now());
    if (!n) {
        std::cerr << "riskbridge: " << n.error().message << '\n';
        return 1;
    }
    std::printf("%d job(s) queued again\n", *n);
    if (id && *n == 0) {
        std::cerr << "job " << *id << " is not dead (only dead jobs are retried)\n";
        return 1;
    }
    return 0;
}

/// `riskbridge evaluations show --candidate ID`: the candidate's evaluations, their states and
/// each one's audit trail (the flow job's, which also holds the lines of the RiskOS event,
/// reconcile and finish jobs). Ids, states, decisions and codes only: no personal data, and
/// not the DocV transaction token (it opens the candidate's capture session).
int evaluations_show(store::evaluation_store& st, store::audit_log& audit,
                     const std::string& candidate_id) {
    auto list = st.evaluations_for_candidate(candidate_id);
    if (!list) {
        std::cerr << "riskbridge: " << list.error().message << '\n';
        return 1;
    }
    if (list->empty()) {
        std::cerr << "no evaluations for candidate " << candidate_id << '\n';
        return 1;
    }
    std::printf("candidate %s: %zu evaluation(s)\n", candidate_id.c_str(), list->size());
    for (const auto& e : *list) {
        std::printf("\nevaluation %s\n  flow:        %s\n  state:       %s\n  decision:    %s\n",
                    e.eval_id.c_str(), e.flow.c_str(), store::to_string(e.state),
                    e.decision.empty() ? "-" : e.decision.c_str());
        std::printf(
            "  application: %s\n  job:         %lld\n  created:     %s\n"
            "  updated:     %s\n  link until:  %s\n  docv token:  %s\n",
            e.application_id.c_str(), static_cast<long long>(e.job), when(e.created_at).c_str(),
            when(e.updated_at).c_str(), when(e.expires_at).c_str(),
            e.docv_token.empty() ? "-" : "present");
        if (auto trail = audit.audit_for_job(e.job); trail && !trail->empty()) {
            std::printf("  audit:\n");
            for (const auto& a : *trail) {
                std::printf("    %s %-22s %-16s %s\n", when(a.at).c_str(), a.step.c_str(),
                            a.outcome.c_str(), a.detail.c_str());
            }
        }
    }
    return 0;
}

/// `riskbridge erase --candidate ID`: an erasure request, done at once (the same as Ashby's
/// candidateDelete webhook, whose job runs it in the daemon). Prints what was erased, per
/// kind; exit 0 also when nothing was held (or no store exists yet), 1 when the store fails.
int erase_candidate(const std::string& config_path, const std::string& db_path,
                    const std::string& candidate_id) {
    if (candidate_id.empty()) {
        std::cerr << "riskbridge: --candidate must not be empty\n";
        return 2;
    }
    auto st = open_for_ops(config_path, db_path);
    if (!st) {
        if (st.error().code == errc::not_found) {  // no SQLite store yet: nothing is held
            std::printf("candidate %s: nothing held (%s)\n", candidate_id.c_str(),
                        st.error().message.c_str());
            return 0;
        }
        std::cerr << "riskbridge: " << st.error().message << '\n';
        return 1;
    }
    store::erasure_request req;
    req.candidate_id = candidate_id;
    req.at = system_clock().now();
    auto report = (*st)->erase_candidate(req);
    if (!report) {
        std::cerr << "riskbridge: erasure failed: " << report.error().message << '\n';
        (*st)->shutdown();
        return 1;
    }
    // The request itself, in the audit trail (job 0: not a job's), with counts only.
    (void)(*st)->append_audit(
        {0, req.at, "erasure", "erased_on_request", flows::describe(*report)});
    (*st)->shutdown();
    const auto& r = *report;
    std::printf("candidate %s: %s\n", candidate_id.c_str(), r.empty() ? "nothing held" : "erased");
    std::printf("  jobs:               %d (%d cancelled)\n", r.jobs, r.jobs_cancelled);
    std::printf("  evaluations:        %d\n", r.evaluations);
    std::printf("  audit entries:      %d\n", r.audit_entries);
    std::printf("  attempt errors:     %d\n", r.attempts);
    std::printf("  quarantined bodies: %d\n", r.quarantined);
    return 0;
}

/// `riskbridge preview`: reads the application through the Ashby API and prints the request
/// the screening flow would send (masked), the consent result and what is missing. Exit 0 when
/// the request would be sent, 3 when consent or required fields block it, 1 on errors.
int run_preview(const std::string& path, const std::string& application_id) {
    auto loaded = config::load_config(path);
    for (const auto& p : loaded.problems) {
        std::cerr << config::format_problem(p) << '\n';
    }
    if (!loaded.ok()) {
        return 1;
    }
    log::init(log::level::warn);
    clients::curl_options o;
    o.connect_timeout = loaded.cfg.ashby.connect_timeout;
    o.total_timeout = loaded.cfg.ashby.request_timeout;
    auto http = clients::make_curl_client(o);
    const auto r = flows::preview_application(loaded.cfg, application_id, *http, system_clock());
    (r.exit_code == 1 ? std::cerr : std::cout) << r.report;
    return r.exit_code;
}

}  // namespace

int run_cli(int argc, char** argv) {
    // Owner-only files, no death by SIGPIPE, no core dumps: for every command, before it
    // reads a secret or creates a file.
    harden_process();
    CLI::App app{"riskbridge: screens Ashby applicants with Socure RiskOS"};
    app.set_version_flag("--version", std::string("riskbridge ") + version_string);
    app.require_subcommand(1);

    std::string config_path;
    auto* serve = app.add_subcommand("serve", "run the daemon");
    serve->add_option("-c,--config", config_path, "configuration file")->required();

    bool dump = false;
    auto* check = app.add_subcommand("check-config", "validate a configuration file");
    check->add_option("-c,--config", config_path, "configuration file")->required();
    check->add_flag("--dump", dump, "print the effective configuration, secrets redacted");

    std::string db_path;
    auto* jobs = app.add_subcommand("jobs", "inspect the job store and replay dead jobs");
    jobs->require_subcommand(1);
    auto add_store_options = [&](CLI::App* cmd) {
        cmd->add_option("-c,--config", config_path, "configuration file (its store section)");
        cmd->add_option("--db", db_path, "an SQLite store file, instead of --config");
    };
    std::string state;
    int limit = default_list_limit;
    auto* list = jobs->add_subcommand("list", "list jobs, newest first");
    add_store_options(list);
    list->add_option("--state", state, "queued | running | retry_wait | done | dead | cancelled");
    list->add_option("--limit", limit, "at most this many")->check(CLI::Range(1, max_list_limit));
    long long show_id = 0;
    auto* show = jobs->add_subcommand("show", "one job: state, history, audit (no personal data)");
    add_store_options(show);
    show->add_option("id", show_id, "job id")->required();
    std::optional<long long> retry_id;
    bool all_dead = false;
    auto* retry = jobs->add_subcommand("retry", "queue dead jobs again");
    add_store_options(retry);
    retry->add_option("id", retry_id, "job id");
    retry->add_flag("--all-dead", all_dead, "every dead job");

    std::string candidate_id;
    auto* evaluations =
        app.add_subcommand("evaluations", "inspect evaluations (states, audit; no personal data)");
    evaluations->require_subcommand(1);
    auto* eval_show =
        evaluations->add_subcommand("show", "a candidate's evaluations and their audit trail");
    add_store_options(eval_show);
    eval_show->add_option("--candidate", candidate_id, "Ashby candidate id")->required();

    std::string erase_candidate_id;
    auto* erase =
        app.add_subcommand("erase", "erase what the store holds about one candidate, now");
    add_store_options(erase);
    erase->add_option("--candidate", erase_candidate_id, "Ashby candidate id")->required();

    std::string preview_application;
    auto* preview = app.add_subcommand(
        "preview", "print the RiskOS request for an application, personal values masked");
    preview->add_option("-c,--config", config_path, "configuration file")->required();
    preview->add_option("--application", preview_application, "Ashby application id")->required();

    sim_command_options sim_options;
    auto* sim_cmd = app.add_subcommand("sim", "run the Ashby and RiskOS simulators");
    sim_cmd->add_option("-c,--config", sim_options.config_path, "configuration file")->required();
    sim_cmd->add_option("--ashby-port", sim_options.ashby_port, "default: ashby.api_base_url's")
        ->check(CLI::Range(1, max_port));
    sim_cmd->add_option("--riskos-port", sim_options.riskos_port, "default: riskos.api_base_url's")
        ->check(CLI::Range(1, max_port));
    sim_cmd->add_option("--host", sim_options.host, "listen address (default 127.0.0.1)");
    sim_cmd->add_option("--daemon-url", sim_options.daemon_url,
                        "where webhooks go (default: the config's server.listen)");
    sim_cmd->add_option("--docv-delay-ms", sim_options.docv_delay_ms,
                        "DocV captures complete by themselves after this (-1: never)");
    sim_cmd->add_option("--seed", sim_options.seed, "seed for ids and faults");
    bool no_fraud_detection = false;
    sim_cmd->add_flag("--no-fraud-detection", no_fraud_detection,
                      "the fake Ashby's organisation has no Fraud Detection "
                      "(candidate.setFraudStatus fails)");

    demo_command_options demo_options;
    auto* demo_cmd = app.add_subcommand(
        "demo", "run the simulators, the daemon and sample applicants; print what happened");
    demo_cmd->add_flag("--keep", demo_options.keep,
                       "keep the temporary directory (config, store, logs)");
    demo_cmd
        ->add_option("--timeout-s", demo_options.timeout_s,
                     "how long to wait for every flow (default " +
                         std::to_string(demo_command_options{}.timeout_s) + ")")
        ->check(CLI::Range(1, max_demo_timeout_s));
    demo_cmd->add_flag("--verbose", demo_options.verbose, "show the daemon's log at the end");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (const auto unknown = unknown_command(app, argc, argv)) {
            std::cerr << *unknown;
            return e.get_exit_code();
        }
        return app.exit(e);
    }

    if (serve->parsed()) {
        return run_daemon(config_path);
    }
    if (check->parsed()) {
        return check_config(config_path, dump);
    }
    if (preview->parsed()) {
        return run_preview(config_path, preview_application);
    }
    if (sim_cmd->parsed()) {
        sim_options.fraud_detection = !no_fraud_detection;
        return run_sim(sim_options);
    }
    if (demo_cmd->parsed()) {
        return run_demo(demo_options);
    }
    if (erase->parsed()) {
        log::init(log::level::warn);
        return erase_candidate(config_path, db_path, erase_candidate_id);
    }
    if (evaluations->parsed()) {
        log::init(log::level::warn);
        auto st = open_for_ops(config_path, db_path);
        if (!st) {
            std::cerr << "riskbridge: " << st.error().message << '\n';
            return 1;
        }
        const int rc = evaluations_show(**st, **st, candidate_id);
        (*st)->shutdown();
        return rc;
    }
    if (jobs->parsed()) {
        log::init(log::level::warn);
        auto st = open_for_ops(config_path, db_path);
        if (!st) {
            std::cerr << "riskbridge: " << st.error().message << '\n';
            return 1;
        }
        int rc = 0;
        if (list->parsed()) {
            rc = jobs_list(**st, state, limit);
        } else if (show->parsed()) {
            rc = jobs_show(**st, **st, show_id);
        } else if (retry->parsed()) {
            rc = jobs_retry(**st, retry_id, all_dead);
        }
        (*st)->shutdown();
        return rc;
    }
    return 2;
}

}  // namespace riskbridge::app
