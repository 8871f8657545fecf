#include "riskbridge/store/job_store.hpp"

namespace riskbridge::store {

const char* to_string(job_state s) noexcept {
    switch (s) {
        case job_state::queued:
            return "queued";
        case job_state::running:
            return "running";
        case job_state::retry_wait:
            return "retry_wait";
        case job_state::done:
            return "done";
        case job_state::dead:
            return "dead";
    }
    return "unknown";
}

std::optional<job_state> parse_job_state(std::string_view s) noexcept {
    if (s == "queued") {
        return job_state::queued;
    }
    if (s == "running") {
        return job_state::running;
    }
    if (s == "retry_wait") {
        return job_state::retry_wait;
    }
    if (s == "done") {
        return job_state::done;
    }
    if (s == "dead") {
        return job_state::dead;
    }
    return std::nullopt;
}

const char* to_string(enqueue_status s) noexcept {
    switch (s) {
        case enqueue_status::accepted:
            return "accepted";
        case enqueue_status::duplicate:
            return "duplicate";
        case enqueue_status::overloaded:
            return "overloaded";
        case enqueue_status::unavailable:
            return "unavailable";
    }
    return "unknown";
}

result<std::unique_ptr<job_store>> open_store(const config::store_config& cfg, clock& clk) {
    if (cfg.postgres_url) {
        // The URL may hold a password: it is never logged (make_postgres_store logs the host
        // and database name only, parsed by libpq).
        postgres_options options;
        options.url = cfg.postgres_url->reveal();
        options.pool_size = cfg.postgres_pool_size;
        options.max_pending_writes = cfg.max_pending_writes;
        return make_postgres_store(options, clk);
    }
    if (!cfg.sqlite_path || cfg.sqlite_path->empty()) {
        return make_error(errc::invalid_argument, "store: set sqlite_path or postgres_url");
    }
    sqlite_options options;
    options.path = *cfg.sqlite_path;
    options.max_pending_writes = cfg.max_pending_writes;
    return make_sqlite_store(options, clk);
}

}  // namespace riskbridge::store
