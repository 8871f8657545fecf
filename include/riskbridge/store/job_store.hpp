#pragma once

// The durable job store: deliveries (dedupe), jobs (the queue's state machine), evaluations,
// quarantine and the audit trail; README.md ("What it does") draws how they are used.
//
// Job states: queued → running → done | retry_wait | dead, and cancelled by an erasure; the
// transitions are decided once in job_lifecycle.hpp, which draws the machine.
//
// Delivery is at least once: a worker that dies leaves a lease that expires and the job is
// claimed again. Effects are once: handlers record a checkpoint after each side effect.
//
// Ingestion (enqueue_async, quarantine_async) never blocks the caller: requests go to a single
// writer that commits them in batches (group commit) and calls back after the commit that
// holds them is durable. Everything else is synchronous and meant for worker threads, the CLI
// and tests, never for the HTTP I/O threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"

namespace riskbridge::store {

using job_id = std::int64_t;

enum class job_state { queued, running, retry_wait, done, dead, cancelled };
const char* to_string(job_state s) noexcept;
std::optional<job_state> parse_job_state(std::string_view s) noexcept;

/// The identity of an inbound delivery, unique per source: Ashby's
/// "<webhookActionId>:<action>" (or "sha256:<hex of body>" when the id is missing),
/// RiskOS's event_id.
struct delivery_key {
    std::string source;  ///< "ashby" | "riskos"
    std::string key;
};

struct new_job {
    std::string kind;     ///< names the handler: screening, document_verification, riskos_event...
    std::string payload;  ///< JSON text; may hold personal data, never logged
    std::string correlation_id;  ///< log-safe id that ties log lines together (e.g. delivery key)
    /// At most one job ever exists per unique_key (e.g. "screening:<application_id>"): an
    /// enqueue whose unique_key is taken is answered `duplicate` with the existing job's id.
    std::optional<std::string> unique_key;
    /// Who the job is about, so that erase_candidate finds it: the candidate id for a flow
    /// job, the eval_id for a job about one evaluation. None for jobs about nobody.
    std::optional<std::string> subject = std::nullopt;
};

struct enqueue_request {
    delivery_key delivery;
    std::optional<new_job> job;  ///< none: record the delivery only
};

enum class enqueue_status {
    accepted,     ///< stored durably (delivery, and job when one was given)
    duplicate,    ///< delivery key or job unique_key already stored (or earlier in this batch)
    overloaded,   ///< the writer's queue is full: nothing stored, try again later
    unavailable,  ///< the database failed or the store is shut down: nothing stored
};
const char* to_string(enqueue_status s) noexcept;

struct enqueue_result {
    enqueue_status status = enqueue_status::unavailable;
    job_id id = 0;       ///< the new job (accepted) or the existing one (duplicate), 0 if none
    std::string detail;  ///< reason for overloaded/unavailable, log-safe
    /// duplicate: true when this delivery key was stored before (a replay); false when the
    /// delivery is new and stored, but its job's unique_key already belonged to a job (`id`).
    bool replay = false;
};

struct quarantine_request {
    std::string source;  ///< "ashby" | "riskos"
    std::string reason;  ///< why it was rejected, log-safe
    std::string body;    ///< the raw body, kept so nothing is lost
    std::string request_id;
};

/// Called exactly once per request, possibly on the writer thread and possibly before
/// enqueue_async returns (overloaded/unavailable): must be quick and must not block.
using enqueue_callback = std::function<void(enqueue_result)>;
using quarantine_callback = std::function<void(result<void>)>;

struct job {
    job_id id = 0;
    std::string kind;
    std::string payload;
    job_state state = job_state::queued;
    int attempts = 0;  ///< attempts started so far, including the current one when running
    time_point next_run_at{};
    std::string lease_owner;
    time_point lease_until{};
    std::string last_error;
    std::string checkpoint;  ///< opaque to the store, written by handlers
    std::string correlation_id;
    std::optional<std::string> unique_key;
    time_point created_at{};
    time_point updated_at{};
};

/// One finished attempt of a job (the job's history).
struct job_attempt {
    int attempt = 0;
    time_point finished_at{};
    std::string outcome;  ///< done | retry | dead | lease_expired
    std::string error;
};

/// Where an evaluation a flow started stands (docs/ARCHITECTURE.md draws the machine):
/// pending/requested wait for RiskOS, deciding is being applied by its finish job,
/// completed/declined/expired are final, and erased is the tombstone of an erased candidate.
enum class evaluation_state {
    pending,
    requested,
    deciding,
    completed,
    declined,
    expired,
    erased,
    failed,  ///< RiskOS could not run the workflow (workflow_execution_failed)
};
const char* to_string(evaluation_state s) noexcept;
std::optional<evaluation_state> parse_evaluation_state(std::string_view s) noexcept;

struct evaluation_record {
    std::string eval_id;
    std::string flow;  ///< screening | document_verification
    std::string application_id;
    std::string candidate_id;
    job_id job = 0;
    evaluation_state state = evaluation_state::pending;
    std::string decision;    ///< ACCEPT | REVIEW | REJECT | RESUBMIT | ... (empty while pending)
    std::string docv_token;  ///< DocV transaction token, for the older webhook envelope
    time_point created_at{};
    time_point updated_at{};
    time_point expires_at{};  ///< DocV capture link expiry, epoch when none
};

/// One step of a flow, for the audit trail. Ids and outcomes only: no personal data.
struct audit_entry {
    job_id job = 0;
    time_point at{};
    std::string step;
    std::string outcome;
    std::string detail;
};

struct quarantine_entry {
    std::int64_t id = 0;
    std::string source;
    std::string reason;
    std::string request_id;
    std::size_t body_bytes = 0;
    time_point received_at{};
};

/// An erasure request: everything the store holds about one candidate (see erase_candidate).
struct erasure_request {
    std::string candidate_id;
    time_point at{};
    /// The job that asks for the erasure (a candidateDelete delivery), if any: its own
    /// payload, which names the candidate, is cleared too; its state is left to its worker.
    job_id requested_by = 0;
    /// Whether a quarantined body names the candidate. Unset: the body contains the id. The
    /// encrypting store sets it to look inside the decrypted body.
    std::function<bool(const quarantine_entry& entry, std::string_view body)> names_candidate;

    /// names_candidate, or by default whether the body contains the candidate id.
    bool names(const quarantine_entry& entry, std::string_view body) const;
};

/// What one erasure cleared, per kind.
struct erasure_report {
    int jobs = 0;            ///< jobs whose payload, checkpoint, errors and keys were cleared
    int jobs_cancelled = 0;  ///< of those, the ones not done: they end cancelled
    int evaluations = 0;     ///< evaluations reduced to a tombstone (eval id, state "erased")
    int audit_entries = 0;   ///< audit lines whose detail was cleared
    int attempts = 0;        ///< attempt errors cleared
    int quarantined = 0;     ///< quarantined bodies deleted because they name the candidate
    bool empty() const noexcept {
        return jobs == 0 && evaluations == 0 && audit_entries == 0 && attempts == 0 &&
               quarantined == 0;
    }
};

/// The jobs of Ashby's candidateDelete and candidateMerge webhooks (and of `riskbridge
/// erase`'s callers): their handlers (flows/erasure.hpp) call erase_candidate and
/// merge_candidate. Payloads: {"candidate_id"} and {"deleted_candidate_id",
/// "merged_candidate_id"}, plus the delivery's ids.
inline constexpr const char* erase_candidate_kind = "erase_candidate";
inline constexpr const char* merge_candidates_kind = "merge_candidates";

struct store_stats {
    std::map<job_state, std::int64_t> jobs_by_state;
    std::int64_t deliveries = 0;
    std::int64_t quarantined = 0;
    std::size_t pending_writes = 0;  ///< requests waiting for the writer
};

// The store is used through role interfaces, each handed only to the code that needs it:
// ingest_store to the HTTP side, job_queue to the worker pool and the periodic runner,
// evaluation_store and audit_log to the flows, store_admin to the command line. A backend
// implements job_store, which is all of them.

/// Ingestion: non-blocking, for the HTTP I/O threads.
class ingest_store {
public:
    virtual ~ingest_store() = default;

    virtual void enqueue_async(enqueue_request req, enqueue_callback done) = 0;
    virtual void quarantine_async(quarantine_request req, quarantine_callback done) = 0;

    /// Readiness: the writer is running and its last commit succeeded.
    virtual bool writable() const = 0;
};

/// The queue: synchronous, for the worker threads.
class job_queue {
public:
    virtual ~job_queue() = default;

    /// Leases the oldest due job: queued or retry_wait with next_run_at <= now, or running
    /// with lease_until <= now (its owner died). Sets running, owner, lease_until = now +
    /// lease, attempts + 1. Returns nullopt when nothing is due. With `kinds`, only jobs of
    /// those kinds are taken: a process leaves alone the work it has no handler for (e.g. an
    /// older replica during a rolling deployment) instead of dead-lettering it.
    virtual result<std::optional<job>> claim(std::string_view owner, time_point now,
                                             milliseconds lease,
                                             const std::vector<std::string>& kinds = {}) = 0;
    /// The operations below fail with errc::conflict when `owner` no longer holds the lease.
    virtual result<void> extend_lease(job_id id, std::string_view owner, time_point until) = 0;
    virtual result<void> save_checkpoint(job_id id, std::string_view owner,
                                         std::string_view checkpoint) = 0;
    virtual result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) = 0;
    virtual result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                                    std::string_view error) = 0;
    virtual result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) = 0;
    /// running → queued for jobs leased by `owner` (graceful stop) or, with an empty owner,
    /// for every running job (start-up of a single-node store after a crash).
    virtual result<int> release_leases(std::string_view owner) = 0;
    /// Adds a job outside the webhook path (follow-ups, reconciliation). Synchronous;
    /// returns the existing job's id when unique_key is taken.
    virtual result<job_id> add_job(const new_job& j, time_point run_at) = 0;

    // --- periodic work, once across replicas --------------------------------------------
    /// A named lease for periodic work that must run in one process at a time even when
    /// several replicas share the store (reconciliation, retention). Takes the lease `name`
    /// for `owner` until now + ttl when it is free or expired, or renews it when `owner`
    /// already holds it; true when `owner` holds it afterwards, false while another owner's
    /// lease runs. Call it before every run, with a ttl longer than the interval between
    /// runs, so the holder keeps the work and another replica takes over only once the
    /// holder has stopped renewing (crashed or shut down). `owner` must be unique per process
    /// (e.g. "<host>:<pid>"). SQLite keeps the same lease in its file: with one node (one
    /// owner) the answer is always true.
    virtual result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                               time_point now, milliseconds ttl) = 0;
};

/// The evaluations the flows started, by eval_id, DocV token or candidate.
class evaluation_store {
public:
    virtual ~evaluation_store() = default;

    virtual result<void> upsert_evaluation(const evaluation_record& e) = 0;
    virtual result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) = 0;
    virtual result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) = 0;
    virtual result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) = 0;
    /// Evaluations in one of `states` last updated before `before`, oldest first.
    virtual result<std::vector<evaluation_record>> stale_evaluations(
        const std::vector<evaluation_state>& states, time_point before, int limit) = 0;
};

/// The audit trail of each job's steps.
class audit_log {
public:
    virtual ~audit_log() = default;

    virtual result<void> append_audit(const audit_entry& e) = 0;
    virtual result<std::vector<audit_entry>> audit_for_job(job_id id) = 0;
};

/// Operations, retention and erasure: the command line, the periodic jobs, the erasure
/// handlers.
class store_admin {
public:
    virtual ~store_admin() = default;

    virtual result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) = 0;
    virtual result<std::optional<job>> get_job(job_id id) = 0;
    virtual result<std::vector<job_attempt>> job_attempts(job_id id) = 0;
    /// dead → queued with attempts reset; one job, or every dead job when id is nullopt.
    virtual result<int> retry_dead(std::optional<job_id> id, time_point now) = 0;
    /// Retention, over every table, for what ended before `older_than`: finished jobs
    /// (done, dead, cancelled) lose payload, checkpoint, errors, outcome and subject; their
    /// attempts' errors and the audit's details are cleared; deliveries are deleted;
    /// finished evaluations lose candidate, application and DocV token; quarantined bodies
    /// are deleted. Returns rows touched.
    virtual result<int> purge_finished(time_point older_than) = 0;

    // --- erasure --------------------------------------------------------------------------
    /// Erases what the store holds about one candidate, in one transaction: every job about
    /// them (subject = the candidate or one of their evaluations, or an evaluation's own job)
    /// loses payload, checkpoint, errors, outcome, correlation id, unique key and subject, and
    /// ends cancelled unless it is done (a running job's worker then loses its lease); their
    /// evaluations become tombstones (eval_id, flow, job, state "erased"); those jobs' audit
    /// details and attempt errors are cleared, and one audit line "erasure/erased" is added
    /// per job; quarantined bodies that name them are deleted. Afterwards nothing can be
    /// attached to a cancelled job: its audit lines keep no detail and an evaluation recorded
    /// for it is stored as a tombstone. SQLite overwrites the freed bytes (secure_delete) and
    /// checkpoints and truncates its WAL. Nothing held is not an error: an empty report.
    virtual result<erasure_report> erase_candidate(const erasure_request& req) = 0;
    /// candidateMerge: what is held about `from` (evaluations, jobs' subjects) now belongs to
    /// `into`. Returns rows moved.
    virtual result<int> merge_candidate(std::string_view from, std::string_view into,
                                        time_point at) = 0;
    virtual result<std::vector<quarantine_entry>> list_quarantine(int limit) = 0;
    virtual result<store_stats> stats() = 0;
};

/// Everything a backend provides.
class job_store : public ingest_store,
                  public job_queue,
                  public evaluation_store,
                  public audit_log,
                  public store_admin {
public:
    /// Commits what is pending, then stops the writer; later enqueues answer unavailable.
    virtual void shutdown() = 0;
};

/// Told about every group commit of the writer that stored its requests: how many requests
/// the transaction held and how long it took (begin to durable commit). Called on the
/// writer thread: must be quick, must not block and must not throw (metrics).
using commit_observer =
    std::function<void(std::size_t batch_size, std::chrono::microseconds latency)>;

struct sqlite_options {
    std::string path;                         ///< ":memory:" is not durable and not allowed
    std::size_t max_pending_writes = 10'000;  ///< queue bound for back-pressure (503)
    std::size_t max_batch = 512;              ///< requests per transaction at most
    milliseconds busy_timeout{5'000};         ///< how long a connection waits for a lock
    commit_observer on_commit{};              ///< optional
};

result<std::unique_ptr<job_store>> make_sqlite_store(const sqlite_options& options, clock& clk);

/// The store shared by several replicas. Same semantics as SQLite; claims use
/// SELECT ... FOR UPDATE SKIP LOCKED, so replicas never take the same job, and expired leases
/// are taken over by claim() (release_leases("") must not be called at start-up: the other
/// replicas' leases are alive). Migrations run under an advisory lock, once.
struct postgres_options {
    /// libpq connection URI ("postgresql://user:password@host:port/db?...") or key=value
    /// string. May hold a password: never logged.
    std::string url;
    int pool_size = 4;  ///< connections for the synchronous calls; the writer has its own
    std::size_t max_pending_writes = 10'000;  ///< queue bound for back-pressure (503)
    std::size_t max_batch = 512;              ///< requests per transaction at most
    milliseconds lock_timeout{5'000};         ///< how long a statement waits for a lock
    milliseconds statement_timeout{30'000};   ///< server-side limit for any one statement
    milliseconds connect_timeout{5'000};
    commit_observer on_commit{};  ///< optional
};

result<std::unique_ptr<job_store>> make_postgres_store(const postgres_options& options, clock& clk);

/// Opens the store the configuration names: PostgreSQL when postgres_url is set, else SQLite;
/// wrapped in make_encrypting_store (encrypting_store.hpp) when store.encryption has keys.
/// `on_commit`, when given, is told about every group commit (see commit_observer).
result<std::unique_ptr<job_store>> open_store(const config::store_config& cfg, clock& clk,
                                              commit_observer on_commit = {});

}  // namespace riskbridge::store
