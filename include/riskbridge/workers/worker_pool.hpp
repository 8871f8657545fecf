#pragma once

// The worker pool: threads that lease due jobs from the store, run the handler registered for
// the job's kind, and record the outcome (done, retry with backoff, dead).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::observability {
class metrics;
}

namespace riskbridge::workers {

/// What a handler reports for one attempt.
struct job_outcome {
    enum class kind { done, retry, permanent_failure };
    kind what = kind::done;
    std::string detail;  ///< outcome (done) or error (retry/failure); log-safe, ids only
    std::optional<milliseconds> retry_after;  ///< an upstream's Retry-After, honoured as a floor

    static job_outcome done(std::string detail = "done") {
        return {kind::done, std::move(detail), {}};
    }
    static job_outcome retry(std::string error, std::optional<milliseconds> after = {}) {
        return {kind::retry, std::move(error), after};
    }
    static job_outcome fail(std::string error) {
        return {kind::permanent_failure, std::move(error), {}};
    }
};

/// What a handler sees of its job: the leased job, its checkpoint, and ways to record
/// progress. save_checkpoint() is durable when it returns; call it after every side effect.
class job_context {
public:
    virtual ~job_context() = default;
    virtual const store::job& current() const = 0;
    virtual const std::string& checkpoint() const = 0;
    virtual result<void> save_checkpoint(std::string checkpoint) = 0;
    virtual void audit(std::string_view step, std::string_view outcome,
                       std::string_view detail = {}) = 0;
    /// The evaluations the flows record and look up.
    virtual store::evaluation_store& evaluations() = 0;
    /// For follow-up jobs (add_job).
    virtual store::job_queue& queue() = 0;
    /// The whole audit trail, for a line about another job than this one.
    virtual store::audit_log& audit_trail() = 0;
    virtual clock& now_source() = 0;
    /// True once the pool is stopping: finish the current step and return retry.
    virtual bool stopping() const = 0;
    /// Adds `key: value` to every log line this thread writes for the job from now on, until
    /// the context ends: the pool's own lines about the attempt's outcome included. For the
    /// ids a flow learns as it goes (candidate_id, application_id, eval_id), so one grep
    /// follows a candidate end to end. Ids only: a value that is not 1-128 of A-Z a-z 0-9
    /// '.' '_' '-' is logged as "invalid". The same value again is a no-op; a new value for
    /// the key shadows the earlier one.
    virtual void log_field(std::string_view key, std::string_view value);

private:
    std::vector<std::pair<std::string, std::string>> log_values_;
    std::vector<std::unique_ptr<log::scoped_context>> log_scopes_;
};

using job_handler = std::function<job_outcome(job_context&)>;

class handler_registry {
public:
    void add(std::string kind, job_handler handler);
    const job_handler* find(std::string_view kind) const;
    /// The kinds with a handler, sorted: the pool claims only these.
    std::vector<std::string> kinds() const;

private:
    std::unordered_map<std::string, job_handler> handlers_;
};

/// The defaults are the config's (workers.max_attempts, backoff_base_ms, backoff_max_ms).
struct backoff_policy {
    int max_attempts = config::workers_config{}.max_attempts;
    milliseconds base{config::workers_config{}.backoff_base};
    milliseconds max{config::workers_config{}.backoff_max};
};

/// "<host>:<pid>": how this process names itself as a lease owner (host "localhost" when the
/// host name is unknown).
std::string host_pid_id();

/// The delay before attempt `attempt + 1` after `attempt` failures (attempt >= 1): full
/// jitter, uniform in [0, min(max, base * 2^(attempt-1))], and never less than retry_after
/// (capped at max).
milliseconds compute_backoff(const backoff_policy& policy, int attempt, random_source& rng,
                             std::optional<milliseconds> retry_after = {});

/// The defaults are the config's (workers.threads, store.lease_ms, workers.poll_interval_ms).
struct pool_options {
    int threads = config::workers_config{}.threads;
    backoff_policy backoff;
    milliseconds lease{config::store_config{}.lease};
    milliseconds poll_interval{config::workers_config{}.poll_interval};  ///< longest idle wait
    std::string owner_id;                   ///< lease owner prefix; default host:pid
    std::string thread_name = "rb-worker";  ///< the threads are named <thread_name>-<i>
    /// Job attempts, durations and dead jobs are recorded here when set; must outlive the pool.
    observability::metrics* metrics = nullptr;
};

class worker_pool {
public:
    virtual ~worker_pool() = default;
    virtual void start() = 0;
    /// Stops claiming, lets running handlers finish their attempt, releases nothing it holds
    /// unfinished (their leases expire or are released), and joins the threads.
    virtual void stop() = 0;
    /// A new job may be due: wake an idle worker now instead of at the next poll.
    virtual void notify() = 0;
    virtual bool running() const = 0;
    virtual int busy_workers() const = 0;
};

/// The store roles a pool uses: the queue it claims from and reports to, and the evaluations
/// and audit trail its handlers' job_context hands out.
struct pool_stores {
    store::job_queue& queue;
    store::evaluation_store& evaluations;
    store::audit_log& audit;

    /// Every role from one store.
    static pool_stores of(store::job_store& s) noexcept { return {s, s, s}; }
};

std::unique_ptr<worker_pool> make_worker_pool(pool_stores stores, handler_registry handlers,
                                              pool_options options, clock& clk, random_source& rng);

}  // namespace riskbridge::workers
