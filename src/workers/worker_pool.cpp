// The worker pool: N threads that lease due jobs, run the handler registered for the job's
// kind and record the outcome; one "lease keeper" thread that extends the leases of the jobs in
// flight every lease/3, so a long handler keeps its job while a crashed process loses it.

#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/observability/metrics.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::workers {

namespace {

/// gethostname's buffer: HOST_NAME_MAX (255 on Linux) and the terminating NUL.
constexpr std::size_t host_name_buffer_bytes = 256;
/// The lease keeper extends running jobs' leases this many times per lease.
constexpr int lease_extensions_per_lease = 3;
/// The shortest wait of a loop whose period comes from the configuration.
constexpr milliseconds min_period{1};

}  // namespace

void job_context::log_field(std::string_view key, std::string_view value) {
    if (key.empty() || value.empty()) {
        return;
    }
    // The ids come from webhooks and upstream answers: whatever is not an id's shape is never
    // written, so a name or an email in the wrong field cannot reach the logs.
    if (!is_token(value, max_peer_id_chars)) {
        value = "invalid";
    }
    for (auto it = log_values_.rbegin(); it != log_values_.rend(); ++it) {
        if (it->first == key) {
            if (it->second == value) {
                return;
            }
            break;
        }
    }
    log_values_.emplace_back(std::string(key), std::string(value));
    log_scopes_.push_back(
        std::make_unique<log::scoped_context>(std::string(key), std::string(value)));
}

void handler_registry::add(std::string kind, job_handler handler) {
    handlers_.insert_or_assign(std::move(kind), std::move(handler));
}

const job_handler* handler_registry::find(std::string_view kind) const {
    const auto it = handlers_.find(std::string(kind));
    return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> handler_registry::kinds() const {
    std::vector<std::string> out;
    out.reserve(handlers_.size());
    for (const auto& [kind, handler] : handlers_) {
        out.push_back(kind);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string host_pid_id() {
    char host[host_name_buffer_bytes] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        std::snprintf(host, sizeof host, "%s", "localhost");
    }
    return std::string(host) + ":" + std::to_string(getpid());
}

namespace {

/// The demangled name of an exception's type: log-safe, unlike its message.
std::string type_name(const std::type_info& type) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    std::string name = (status == 0 && demangled != nullptr) ? demangled : type.name();
    std::free(demangled);  // NOLINT(cppcoreguidelines-no-malloc): __cxa_demangle uses malloc
    return name;
}

/// The type of the exception being handled, or "unknown" for non-class throws.
std::string current_exception_type() {
    try {
        throw;
    } catch (const std::exception& e) {
        return type_name(typeid(e));
    } catch (...) {
        const std::type_info* t = abi::__cxa_current_exception_type();
        return t != nullptr ? type_name(*t) : "unknown";
    }
}

/// What the metrics call the end of an attempt whose final store update failed.
std::string_view store_failure_result(const error& e) {
    return e.code == errc::conflict ? "lease_lost" : "store_error";
}

/// The log field that ties a job's lines to what started it. A job from a webhook (correlation
/// "ashby:<webhookActionId>:<action>" or "riskos:<event_id>") gets `delivery` with the same
/// value as the webhook's own log line ("<webhookActionId>:<action>", "<event_id>"); any
/// other job keeps its `correlation_id` (e.g. "eval:<eval_id>" for follow-up jobs).
std::pair<std::string, std::string> correlation_field(std::string_view correlation_id) {
    for (const std::string_view source : {"ashby:", "riskos:"}) {
        if (correlation_id.size() > source.size() && correlation_id.rfind(source, 0) == 0) {
            return {"delivery", std::string(correlation_id.substr(source.size()))};
        }
    }
    return {"correlation_id", std::string(correlation_id)};
}

void log_store_failure(std::string_view operation, const error& e) {
    if (e.code == errc::conflict) {
        log::warn("job_lease_lost", {{"operation", operation}});
    } else {
        log::error("job_store_failed",
                   {{"operation", operation}, {"code", to_string(e.code)}, {"error", e.message}});
    }
}

class pool_job_context final : public job_context {
public:
    pool_job_context(store::job j, std::string owner, pool_stores st, clock& clk,
                     milliseconds lease, const std::atomic<bool>& stopping)
        : job_(std::move(j)),
          owner_(std::move(owner)),
          store_(st),
          clock_(clk),
          lease_(lease),
          stopping_(stopping) {}

    const store::job& current() const override { return job_; }
    const std::string& checkpoint() const override { return job_.checkpoint; }

    result<void> save_checkpoint(std::string checkpoint) override {
        auto saved = store_.queue.save_checkpoint(job_.id, owner_, checkpoint);
        if (!saved) {
            log_store_failure("save_checkpoint", saved.error());
            return saved;
        }
        job_.checkpoint = std::move(checkpoint);
        extend_lease();
        return {};
    }

    void audit(std::string_view step, std::string_view outcome, std::string_view detail) override {
        store::audit_entry entry;
        entry.job = job_.id;
        entry.at = clock_.now();
        entry.step = std::string(step);
        entry.outcome = std::string(outcome);
        entry.detail = std::string(detail);
        if (auto r = store_.audit.append_audit(entry); !r) {
            log::warn("job_audit_failed", {{"step", step}, {"code", to_string(r.error().code)}});
            return;
        }
        extend_lease();
    }

    store::evaluation_store& evaluations() override { return store_.evaluations; }
    store::job_queue& queue() override { return store_.queue; }
    store::audit_log& audit_trail() override { return store_.audit; }
    clock& now_source() override { return clock_; }
    bool stopping() const override { return stopping_.load(std::memory_order_acquire); }

private:
    /// Progress is proof of life: push the lease forward (the lease keeper does it too).
    void extend_lease() {
        if (auto r = store_.queue.extend_lease(job_.id, owner_, clock_.now() + lease_); !r) {
            log_store_failure("extend_lease", r.error());
        }
    }

    store::job job_;
    std::string owner_;
    pool_stores store_;  ///< the roles this job uses
    clock& clock_;
    milliseconds lease_;
    const std::atomic<bool>& stopping_;
};

class pool_impl final : public worker_pool {
public:
    pool_impl(pool_stores st, handler_registry handlers, pool_options options, clock& clk,
              random_source& rng)
        : stores_(st),
          handlers_(std::move(handlers)),
          kinds_(handlers_.kinds()),
          options_(std::move(options)),
          clock_(clk),
          rng_(rng) {
        if (options_.owner_id.empty()) {
            options_.owner_id = host_pid_id();
        }
        options_.threads = std::max(options_.threads, 1);
        options_.lease = std::max(options_.lease, min_period);
        options_.poll_interval = std::max(options_.poll_interval, min_period);
        for (int i = 0; i < options_.threads; ++i) {
            owners_.push_back(options_.owner_id + "/w" + std::to_string(i));
        }
        in_flight_.resize(owners_.size());
    }

    ~pool_impl() override { stop(); }

    pool_impl(const pool_impl&) = delete;
    pool_impl& operator=(const pool_impl&) = delete;

    void start() override {
        std::lock_guard lifecycle(lifecycle_mutex_);
        if (running_.load()) {
            return;
        }
        {
            std::lock_guard lock(mutex_);
            stopping_.store(false, std::memory_order_release);
            keeper_stop_ = false;
        }
        running_.store(true);
        for (std::size_t i = 0; i < owners_.size(); ++i) {
            threads_.emplace_back([this, i] {
                set_thread_name(options_.thread_name + "-" + std::to_string(i));
                worker_loop(i);
            });
        }
        keeper_ = std::thread([this] {
            set_thread_name("rb-lease-keeper");
            keeper_loop();
        });
        log::info("worker_pool_started",
                  {{"threads", options_.threads}, {"lease_ms", options_.lease.count()}});
    }

    void stop() override {
        std::lock_guard lifecycle(lifecycle_mutex_);
        if (!running_.load()) {
            return;
        }
        {
            std::lock_guard lock(mutex_);
            stopping_.store(true, std::memory_order_release);
        }
        cv_.notify_all();
        for (auto& t : threads_) {
            t.join();
        }
        threads_.clear();
        {
            std::lock_guard lock(mutex_);
            keeper_stop_ = true;
        }
        keeper_cv_.notify_all();
        keeper_.join();

        // Every attempt finished before its thread returned; whatever is still running under
        // our names (a store update that failed) goes back to the queue instead of waiting for
        // its lease to expire.
        int released = 0;
        for (const auto& owner : owners_) {
            if (auto r = stores_.queue.release_leases(owner); r) {
                released += *r;
            } else {
                log_store_failure("release_leases", r.error());
            }
        }
        running_.store(false);
        log::info("worker_pool_stopped", {{"released", released}});
    }

    void notify() override {
        {
            std::lock_guard lock(mutex_);
            ++wake_seq_;
        }
        cv_.notify_one();
    }

    bool running() const override { return running_.load(); }
    int busy_workers() const override { return busy_.load(); }

private:
    void worker_loop(std::size_t index) {
        const std::string& owner = owners_[index];
        while (!stopping_.load(std::memory_order_acquire)) {
            std::uint64_t seen = 0;
            {
                std::lock_guard lock(mutex_);
                seen = wake_seq_;
            }
            bool claimed = false;
            try {
                // No handler at all: claim nothing (an empty list would mean any kind).
                auto c = kinds_.empty()
                             ? result<std::optional<store::job>>(std::nullopt)
                             : stores_.queue.claim(owner, clock_.now(), options_.lease, kinds_);
                if (!c) {
                    log::warn("job_claim_failed",
                              {{"code", to_string(c.error().code)}, {"error", c.error().message}});
                } else if (c->has_value()) {
                    claimed = true;
                    run_job(index, std::move(**c));
                }
            } catch (...) {
                // Nothing may end a worker thread; the job, if any, is left to its lease.
                log::error("worker_loop_failed", {{"exception_type", current_exception_type()}});
                claimed = false;
            }
            if (claimed) {
                continue;  // there may be more due jobs: claim again before sleeping
            }
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, options_.poll_interval, [&] {
                return stopping_.load(std::memory_order_acquire) || wake_seq_ != seen;
            });
        }
    }

    void run_job(std::size_t index, store::job job) {
        const std::string& owner = owners_[index];
        log::scoped_context ctx_job("job_id", std::to_string(job.id));
        log::scoped_context ctx_kind("kind", job.kind);
        auto [corr_key, corr_value] = correlation_field(job.correlation_id);
        log::scoped_context ctx_corr(std::move(corr_key), std::move(corr_value));
        log::scoped_context ctx_attempt("attempt", std::to_string(job.attempts));

        busy_guard busy(*this, index, job.id);
        const store::job_id id = job.id;
        const int attempts = job.attempts;
        const std::string kind = job.kind;
        const auto started = std::chrono::steady_clock::now();
        log::debug("job_claimed");

        // Lives until the outcome is recorded, so the ids the handler added to the log
        // context (ctx.log_field) are on the outcome's line too.
        pool_job_context ctx(std::move(job), owner, stores_, clock_, options_.lease, stopping_);
        job_outcome outcome;
        if (const job_handler* handler = handlers_.find(kind); handler == nullptr) {
            outcome = job_outcome::fail("no handler for kind " + kind);
        } else {
            try {
                outcome = (*handler)(ctx);
            } catch (...) {
                const std::string type = current_exception_type();
                // The message could carry personal data: only the type is kept and logged.
                log::error("handler_threw", {{"exception_type", type}});
                outcome = job_outcome::retry("handler threw " + type);
            }
        }

        // Leave the keeper's list before the final update, so it never extends a finished job.
        set_in_flight(index, std::nullopt);
        const std::string_view result = record_outcome(id, owner, attempts, outcome);
        if (options_.metrics != nullptr) {
            options_.metrics->job_attempt(kind, result,
                                          std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - started));
            if (result == "dead") {
                options_.metrics->job_dead(kind);
            }
        }
    }

    /// Counts a worker as busy and lists its job for the lease keeper while it lives.
    class busy_guard {
    public:
        busy_guard(pool_impl& pool, std::size_t index, store::job_id id)
            : pool_(pool), index_(index) {
            pool_.busy_.fetch_add(1);
            pool_.set_in_flight(index_, id);
        }
        ~busy_guard() {
            pool_.set_in_flight(index_, std::nullopt);
            pool_.busy_.fetch_sub(1);
        }
        busy_guard(const busy_guard&) = delete;
        busy_guard& operator=(const busy_guard&) = delete;

    private:
        pool_impl& pool_;
        std::size_t index_;
    };

    /// Records the attempt's outcome in the store and returns what became of it: done, retry,
    /// dead, lease_lost (another worker took the job) or store_error.
    std::string_view record_outcome(store::job_id id, const std::string& owner, int attempts,
                                    const job_outcome& outcome) {
        switch (outcome.what) {
            case job_outcome::kind::done: {
                if (auto r = stores_.queue.mark_done(id, owner, outcome.detail); !r) {
                    log_store_failure("mark_done", r.error());
                    return store_failure_result(r.error());
                }
                log::info("job_done");
                return "done";
            }
            case job_outcome::kind::retry: {
                if (attempts >= options_.backoff.max_attempts) {
                    return mark_dead(id, owner, "attempts exhausted: " + outcome.detail);
                }
                milliseconds delay{0};
                {
                    std::lock_guard lock(rng_mutex_);
                    delay = compute_backoff(options_.backoff, attempts, rng_, outcome.retry_after);
                }
                if (auto r =
                        stores_.queue.mark_retry(id, owner, clock_.now() + delay, outcome.detail);
                    !r) {
                    log_store_failure("mark_retry", r.error());
                    return store_failure_result(r.error());
                }
                log::info("job_retry", {{"delay_ms", delay.count()}, {"error", outcome.detail}});
                return "retry";
            }
            case job_outcome::kind::permanent_failure:
                return mark_dead(id, owner, outcome.detail);
        }
        return "store_error";  // not reached: every kind is handled above
    }

    std::string_view mark_dead(store::job_id id, const std::string& owner,
                               const std::string& reason) {
        if (auto r = stores_.queue.mark_dead(id, owner, reason); !r) {
            log_store_failure("mark_dead", r.error());
            return store_failure_result(r.error());
        }
        log::warn("job_dead", {{"error", reason}});
        return "dead";
    }

    void set_in_flight(std::size_t index, std::optional<store::job_id> id) {
        std::lock_guard lock(in_flight_mutex_);
        in_flight_[index] = id;
    }

    void keeper_loop() {
        const milliseconds period =
            std::max(options_.lease / lease_extensions_per_lease, min_period);
        std::unique_lock lock(mutex_);
        while (!keeper_stop_) {
            keeper_cv_.wait_for(lock, period, [&] { return keeper_stop_; });
            if (keeper_stop_) {
                break;
            }
            lock.unlock();
            extend_in_flight();
            lock.lock();
        }
    }

    /// Holds in_flight_mutex_ throughout, so a worker cannot finish a job in between reading
    /// the list and extending: a job off the list is never extended.
    void extend_in_flight() {
        std::lock_guard lock(in_flight_mutex_);
        for (std::size_t i = 0; i < in_flight_.size(); ++i) {
            if (!in_flight_[i]) {
                continue;
            }
            const auto until = clock_.now() + options_.lease;
            if (auto r = stores_.queue.extend_lease(*in_flight_[i], owners_[i], until); !r) {
                log::warn("job_lease_extend_failed", {{"job_id", std::to_string(*in_flight_[i])},
                                                      {"code", to_string(r.error().code)}});
            }
        }
    }

    pool_stores stores_;
    const handler_registry handlers_;
    const std::vector<std::string> kinds_;  ///< claimed kinds: those with a handler
    pool_options options_;
    clock& clock_;
    random_source& rng_;
    std::mutex rng_mutex_;

    std::vector<std::string> owners_;  ///< one lease owner per worker: "<owner_id>/w<N>"

    std::mutex lifecycle_mutex_;  ///< serialises start() and stop()
    std::atomic<bool> running_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<int> busy_{0};

    std::mutex mutex_;            ///< guards wake_seq_ and keeper_stop_
    std::condition_variable cv_;  ///< idle workers wait here (notify() wakes one)
    std::condition_variable keeper_cv_;
    std::uint64_t wake_seq_ = 0;
    bool keeper_stop_ = false;

    std::mutex in_flight_mutex_;
    std::vector<std::optional<store::job_id>> in_flight_;  ///< per worker, for the keeper

    std::vector<std::thread> threads_;
    std::thread keeper_;
};

}  // namespace

std::unique_ptr<worker_pool> make_worker_pool(pool_stores stores, handler_registry handlers,
                                              pool_options options, clock& clk,
                                              random_source& rng) {
    return std::make_unique<pool_impl>(stores, std::move(handlers), std::move(options), clk, rng);
}

}  // namespace riskbridge::workers
