// `riskbridge serve`: wires the store, the worker pool and the HTTP server together, and
// shuts them down in order on SIGTERM/SIGINT (the first signal drains, the second forces).

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>

#include "app/commands.hpp"
#include "riskbridge/config/loader.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/version.hpp"
#include "riskbridge/flows/erasure.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/reconcile.hpp"
#include "riskbridge/http/metrics_endpoint.hpp"
#include "riskbridge/http/server.hpp"
#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/observability/metrics.hpp"
#include "riskbridge/store/job_store.hpp"
#include "riskbridge/workers/periodic.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::app {

namespace {

/// Retention runs this often; its singleton lease outlives one run.
constexpr auto retention_interval = std::chrono::hours{1};
constexpr auto retention_lease = std::chrono::hours{2};
/// The riskbridge_jobs gauges are refreshed this often.
constexpr auto queue_metrics_interval = std::chrono::seconds{10};
/// While draining, the main thread looks for a second signal this often.
constexpr long forced_stop_poll_ns = 50'000'000;  // 50 ms

sigset_t shutdown_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

const char* signal_name(int sig) {
    return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

workers::pool_options pool_options_from(const config::config& cfg) {
    workers::pool_options o;
    o.threads = cfg.workers.threads;
    o.backoff.max_attempts = cfg.workers.max_attempts;
    o.backoff.base = cfg.workers.backoff_base;
    o.backoff.max = cfg.workers.backoff_max;
    o.lease = cfg.store.lease;
    o.poll_interval = cfg.workers.poll_interval;
    return o;
}

/// The listener of server.metrics_listen: plain HTTP (a scrape on a private address), one
/// thread, otherwise the main listener's limits.
config::server_config metrics_listener_config(const config::server_config& main) {
    config::server_config m = main;
    m.listen = main.metrics_listen.value_or("");
    m.host = main.metrics_host;
    m.port = main.metrics_port;
    m.threads = 1;
    m.tls.reset();
    m.metrics_listen.reset();
    m.thread_name = "rb-metrics";
    return m;
}

}  // namespace

int run_daemon(const std::string& config_path) {
    auto loaded = config::load_config(config_path);
    if (!loaded.ok()) {
        for (const auto& p : loaded.problems) {
            std::cerr << config::format_problem(p) << '\n';
        }
        std::cerr << "riskbridge: refusing to start: " << loaded.problems.size()
                  << " configuration problem(s)\n";
        return 2;
    }
    const config::config& cfg = loaded.cfg;

    log::level lvl = log::level::info;
    log::parse_level(cfg.logging.level, lvl);
    log::init(lvl, cfg.logging.format == "text" ? log::format::text : log::format::json);

    // Signals are taken synchronously by this thread; block them before any thread starts so
    // that every thread inherits the mask.
    const sigset_t signals = shutdown_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    log::lifecycle("starting", {{"version", version_string},
                                {"config", config_path},
                                {"pid", static_cast<long long>(getpid())},
                                {"listen", cfg.server.listen},
                                {"metrics_listen", cfg.server.metrics_listen.value_or("")},
                                {"workers", cfg.workers.threads},
                                {"store", cfg.store.postgres_url ? "postgresql" : "sqlite"}});

    // Before everything that records into it, so it outlives them all.
    observability::metrics metrics;

    auto opened =
        store::open_store(cfg.store, system_clock(),
                          [&metrics](std::size_t batch, std::chrono::microseconds latency) {
                              metrics.store_commit(batch, latency);
                          });
    if (!opened) {
        log::error("store_open_failed", {{"error", opened.error().message}});
        std::cerr << "riskbridge: cannot open the store: " << opened.error().message << '\n';
        return 1;
    }
    std::unique_ptr<store::job_store> store = std::move(opened).value();
    // Personal data at rest: open_store encrypts when store.encryption has keys.
    if (cfg.store.encryption.enabled()) {
        log::info("store_encrypted",
                  {{"active_key_id", cfg.store.encryption.keys.front().id},
                   {"keys", static_cast<long long>(cfg.store.encryption.keys.size())}});
    } else {
        log::warn("store_unencrypted",
                  {{"hint",
                    "payloads and checkpoints hold personal data in clear; set "
                    "store.encryption.keys"}});
    }
    // A single SQLite node owns every lease: jobs left running by a crash go back to the queue.
    if (!cfg.store.postgres_url) {
        if (auto released = store->release_leases(""); released && *released > 0) {
            log::warn("released_stale_leases", {{"jobs", *released}});
        }
    }

    workers::handler_registry handlers;  // flows register here
    flows::register_flows(handlers, std::make_shared<flows::flow_service>(
                                        cfg, system_clock(), flows::http_factory{},
                                        [&metrics](const clients::upstream_call& call) {
                                            metrics.upstream_request(call.service, call.endpoint,
                                                                     call.status, call.duration);
                                        }));
    auto rng = make_random_source();
    workers::pool_options pool_opts = pool_options_from(cfg);
    pool_opts.metrics = &metrics;
    auto pool = workers::make_worker_pool(workers::pool_stores::of(*store), std::move(handlers),
                                          std::move(pool_opts), system_clock(), *rng);

    // Erasure and merge jobs on a worker of their own: an erasure is done within seconds of
    // its webhook even while every flow worker waits on a slow upstream.
    workers::handler_registry privacy_handlers;
    flows::register_privacy(privacy_handlers, *store);
    workers::pool_options privacy_opts = pool_options_from(cfg);
    privacy_opts.threads = 1;
    privacy_opts.thread_name = "rb-privacy";
    privacy_opts.owner_id =
        workers::host_pid_id() + "/privacy";  // leases apart from the flow workers'
    privacy_opts.metrics = &metrics;
    auto privacy_pool =
        workers::make_worker_pool(workers::pool_stores::of(*store), std::move(privacy_handlers),
                                  std::move(privacy_opts), system_clock(), *rng);

    http::webhook_handler handler(
        cfg, *store, [&pool, &privacy_pool] { return pool->running() && privacy_pool->running(); },
        &metrics);
    // Each stored job wakes the pool that runs its kind. Waking the privacy pool for a flow
    // job made it look for an erasure among every due job at each delivery.
    handler.on_job_stored([&pool, &privacy_pool](std::string_view kind) {
        if (kind == store::erase_candidate_kind || kind == store::merge_candidates_kind) {
            privacy_pool->notify();
        } else {
            pool->notify();
        }
    });
    // With server.metrics_listen, /metrics moves to a listener of its own (a private address
    // for the scrape) and the main listener answers 404 for it.
    const bool own_metrics_listener = cfg.server.metrics_listen.has_value();
    auto server =
        http::make_server(cfg.server,
                          own_metrics_listener ? http::without_metrics(handler.as_request_handler())
                                               : handler.as_request_handler(),
                          &metrics);
    std::unique_ptr<http::server> metrics_server;
    if (own_metrics_listener) {
        metrics_server = http::make_server(metrics_listener_config(cfg.server),
                                           http::make_metrics_handler(&metrics), &metrics);
    }
    const auto start_failed = [&store](const error& e) {
        log::error("server_start_failed", {{"error", e.message}});
        std::cerr << "riskbridge: " << e.message << '\n';
        store->shutdown();
        return 1;
    };
    if (auto started = server->start(); !started) {
        return start_failed(started.error());
    }
    if (metrics_server) {
        if (auto started = metrics_server->start(); !started) {
            server->force_stop();
            return start_failed(started.error());
        }
    }
    pool->start();
    privacy_pool->start();

    // Background upkeep, off the request path: retention and the queue-depth gauges.
    workers::periodic_runner upkeep;
    // Replicas sharing PostgreSQL purge once: the holder of the "retention" lease does it.
    const std::string upkeep_owner = workers::host_pid_id();
    upkeep.add("retention", retention_interval, [&store, &cfg, upkeep_owner] {
        auto held = store->try_acquire_singleton("retention", upkeep_owner, system_clock().now(),
                                                 retention_lease);
        if (!held || !*held) {
            return;
        }
        const auto cutoff = system_clock().now() - std::chrono::days(cfg.store.retention_days);
        if (auto purged = store->purge_finished(cutoff); !purged) {
            log::warn("retention_failed", {{"error", purged.error().message}});
        } else if (*purged > 0) {
            log::info("retention_purged", {{"rows", *purged}, {"days", cfg.store.retention_days}});
        }
    });
    upkeep.add("queue_metrics", queue_metrics_interval, [&store, &metrics] {
        if (auto stats = store->stats(); stats) {
            for (const auto state :
                 {store::job_state::queued, store::job_state::running, store::job_state::retry_wait,
                  store::job_state::done, store::job_state::dead, store::job_state::cancelled}) {
                const auto it = stats->jobs_by_state.find(state);
                metrics.set_jobs(store::to_string(state),
                                 it == stats->jobs_by_state.end() ? 0 : it->second);
            }
        }
    });
    // Reconciliation: waiting evaluations become `reconcile` jobs that the workers run (the
    // upstream calls stay off this thread); one replica schedules at a time.
    upkeep.add("reconcile", cfg.riskos.reconcile_interval, [&store, &cfg, &pool, upkeep_owner] {
        auto n =
            flows::schedule_reconciliation(*store, *store, cfg, upkeep_owner, system_clock().now());
        if (!n) {
            log::warn("reconcile_schedule_failed", {{"error", n.error().message}});
        } else if (*n > 0) {
            pool->notify();
        }
    });
    upkeep.start();
    const auto port = static_cast<unsigned>(server->port());
    if (metrics_server) {
        log::lifecycle("ready", {{"port", port},
                                 {"metrics_port", static_cast<unsigned>(metrics_server->port())}});
    } else {
        log::lifecycle("ready", {{"port", port}});
    }

    int sig = 0;
    sigwait(&signals, &sig);
    log::lifecycle("shutdown_requested",
                   {{"signal", signal_name(sig)},
                    {"drain_ms", static_cast<long long>(cfg.server.drain_timeout.count())}});

    std::atomic<bool> drained{false};
    bool clean = true;
    std::thread drainer([&] {
        clean = server->drain(cfg.server.drain_timeout);
        if (metrics_server) {
            // Scrapes went on during the drain; one in flight finishes at once.
            metrics_server->drain(cfg.server.drain_timeout);
        }
        upkeep.stop();
        pool->stop();
        privacy_pool->stop();
        store->shutdown();
        drained.store(true);
    });
    while (!drained.load()) {
        timespec tick{0, forced_stop_poll_ns};
        const int again = sigtimedwait(&signals, nullptr, &tick);
        if (again > 0) {
            log::warn("forced_shutdown", {{"signal", signal_name(again)}});
            log::flush();
            server->force_stop();
            if (metrics_server) {
                metrics_server->force_stop();
            }
            // Everything acknowledged is already committed; running jobs resume after restart.
            std::_Exit(1);
        }
    }
    drainer.join();
    log::lifecycle("stopped", {{"clean", clean}});
    log::flush();
    return 0;
}

}  // namespace riskbridge::app
