#include "riskbridge/store/job_store.hpp"

#include <utility>

#include "riskbridge/store/encrypting_store.hpp"

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
        case job_state::cancelled:
            return "cancelled";
    }
    return "unknown";
}

namespace {
constexpr std::pair<evaluation_state, const char*> evaluation_state_names[] = {
    {evaluation_state::pending, "pending"},   {evaluation_state::requested, "requested"},
    {evaluation_state::deciding, "deciding"}, {evaluation_state::completed, "completed"},
    {evaluation_state::declined, "declined"}, {evaluation_state::expired, "expired"},
    {evaluation_state::erased, "erased"},     {evaluation_state::failed, "failed"},
};
}  // namespace

const char* to_string(evaluation_state s) noexcept {
    for (const auto& [state, name] : evaluation_state_names) {
        if (state == s) {
            return name;
        }
    }
    return "unknown";
}

std::optional<evaluation_state> parse_evaluation_state(std::string_view s) noexcept {
    for (const auto& [state, name] : evaluation_state_names) {
        if (s == name) {
            return state;
        }
    }
    return std::nullopt;
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
    if (s == "cancelled") {
        return job_state::cancelled;
    }
    return std::nullopt;
}

bool erasure_request::names(const quarantine_entry& entry, std::string_view body) const {
    return names_candidate ? names_candidate(entry, body)
                           : body.find(candidate_id) != std::string_view::npos;
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

namespace {

result<std::unique_ptr<job_store>> open_backend(const config::store_config& cfg, clock& clk,
                                                commit_observer on_commit) {
    if (cfg.postgres_url) {
        // The URL may hold a password: it is never logged (make_postgres_store logs the host
        // and database name only, parsed by libpq).
        postgres_options options;
        options.url = cfg.postgres_url->reveal();
        options.pool_size = cfg.postgres_pool_size;
        options.max_pending_writes = cfg.max_pending_writes;
        options.on_commit = std::move(on_commit);
        return make_postgres_store(options, clk);
    }
    if (!cfg.sqlite_path || cfg.sqlite_path->empty()) {
        return make_error(errc::invalid_argument, "store: set sqlite_path or postgres_url");
    }
    sqlite_options options;
    options.path = *cfg.sqlite_path;
    options.max_pending_writes = cfg.max_pending_writes;
    options.on_commit = std::move(on_commit);
    return make_sqlite_store(options, clk);
}

}  // namespace

result<std::unique_ptr<job_store>> open_store(const config::store_config& cfg, clock& clk,
                                              commit_observer on_commit) {
    // store.encryption: every opener (daemon, CLI) gets the same keyring, and a bad keyring
    // fails before the database is touched.
    std::shared_ptr<const security::data_cipher> cipher;
    if (cfg.encryption.enabled()) {
        auto made = security::make_data_cipher(cfg.encryption);
        if (!made) {
            return make_error(errc::invalid_argument,
                              "store.encryption: " + std::move(made).error().message);
        }
        cipher = std::move(made).value();
    }
    auto opened = open_backend(cfg, clk, std::move(on_commit));
    if (!opened || !cipher) {
        return opened;
    }
    return make_encrypting_store(std::move(opened).value(), std::move(cipher));
}

}  // namespace riskbridge::store
