#pragma once

// The job state machine, decided once: which operation may move a job from which state to
// which, and what the move does to the lease, the attempt count and the finish time. Both
// store backends take the state guard and the state/lease/attempt assignments of their
// statements from this table (guard_sql, effects_sql), so they only persist transitions
// decided here; docs/ARCHITECTURE.md draws the machine.
//
//   queued ──claim──▶ running ──mark_done──▶ done
//      ▲                │ ├──mark_retry──▶ retry_wait ──claim (when due)──▶ running ...
//      │                │ └──mark_dead───▶ dead (permanent error or attempts exhausted)
//      ├── release (graceful stop, start-up) ◀── running
//      ├── take_over (lease expired: another worker claims it) ◀── running
//      └── retry_dead ◀── dead
//   queued, running, retry_wait, dead ──cancel (erasure)──▶ cancelled (final)

#include <optional>
#include <string>
#include <string_view>

#include "riskbridge/store/job_store.hpp"

namespace riskbridge::store {

enum class job_op {
    claim,            ///< a due queued or retry_wait job is leased to a worker
    take_over,        ///< a running job whose lease expired is leased to another worker
    extend_lease,     ///< the lease holder keeps the job longer
    save_checkpoint,  ///< the lease holder records progress
    mark_done,
    mark_retry,
    mark_dead,
    release,     ///< running → queued, the lease given back (graceful stop, start-up)
    retry_dead,  ///< an operator requeues a dead job with its attempts reset
    cancel,      ///< the candidate was erased: the job ends, whatever it was doing
};
inline constexpr job_op all_job_ops[] = {
    job_op::claim,      job_op::take_over,  job_op::extend_lease, job_op::save_checkpoint,
    job_op::mark_done,  job_op::mark_retry, job_op::mark_dead,    job_op::release,
    job_op::retry_dead, job_op::cancel};
inline constexpr job_state all_job_states[] = {job_state::queued,     job_state::running,
                                               job_state::retry_wait, job_state::done,
                                               job_state::dead,       job_state::cancelled};
const char* to_string(job_op op) noexcept;

enum class lease_effect { keep, take, clear };
enum class attempts_effect { keep, increment, reset };

struct job_transition {
    job_op op;
    unsigned from;                ///< bit set of the job_states the op applies to (state_bit)
    std::optional<job_state> to;  ///< nullopt: the state stays
    /// Only the worker holding the lease may do it (otherwise errc::conflict).
    bool needs_lease_holder = false;
    lease_effect lease = lease_effect::keep;
    attempts_effect attempts = attempts_effect::keep;
    /// The job ends: finished_at is set (and retention may clear it later).
    bool finishes = false;
    /// The job starts over: its outcome and finished_at are cleared.
    bool reopens = false;
    /// The attempt this op ends is written to the job's history with this outcome; null:
    /// no attempt ends.
    const char* attempt_outcome = nullptr;
};

constexpr unsigned state_bit(job_state s) noexcept {
    return 1u << static_cast<unsigned>(s);
}

/// The transition table's row for `op`.
const job_transition& transition(job_op op) noexcept;
/// Whether `op` applies to a job in state `from`.
bool allowed(job_op op, job_state from) noexcept;
/// The state a job in `from` is in after `op`, or nullopt when `op` does not apply to it.
std::optional<job_state> next_state(job_op op, job_state from) noexcept;
/// Whether a job in `s` has ended (done, dead, cancelled): no worker will run it again
/// unless an operator requeues a dead one.
bool is_finished(job_state s) noexcept;

/// SQL, the same in both backends' dialects. "state IN ('running')": the rows `op` may
/// move. The lease holder check (lease_owner = <owner parameter>) is the backend's, as only
/// it knows its parameter numbering.
std::string guard_sql(job_op op);
/// "state = 'done', lease_owner = '', lease_until = 0": the assignments `op` decides that
/// need no parameter (the new state, a cleared lease, the attempt count, a cleared outcome
/// and finish time). An op that takes the lease or finishes the job gets its values from
/// the backend's parameters (lease_owner, lease_until, finished_at).
std::string effects_sql(job_op op);
/// "state IN ('done', 'dead', 'cancelled')": the finished states (retention).
std::string finished_states_sql();
/// "'queued'": a state as an SQL literal.
std::string state_sql(job_state s);

}  // namespace riskbridge::store
