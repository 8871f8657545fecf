#pragma once

// The mapping between the store's tables and its records, shared by the SQLite and PostgreSQL
// stores: both keep the same columns, with times as unix milliseconds, and both read them in
// the same order into the same records. Private to the store implementations.
//
// The readers take a Row: anything with text(col), opt_text(col) (NULL is nullopt) and
// int64(col) that reads one row of a result by column index (detail::statement after a step
// returned a row, detail::pg_row).

#include <cstdint>
#include <string_view>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::store::detail {

/// Columns: id, kind, payload, state, attempts, next_run_at, lease_owner, lease_until,
/// last_error, checkpoint, correlation_id, unique_key, created_at, updated_at.
template <class Row>
job read_job(const Row& row) {
    job j;
    j.id = row.int64(0);
    j.kind = row.text(1);
    j.payload = row.text(2);
    j.state = parse_job_state(row.text(3)).value_or(job_state::queued);
    j.attempts = static_cast<int>(row.int64(4));
    j.next_run_at = from_unix_ms(row.int64(5));
    j.lease_owner = row.text(6);
    j.lease_until = from_unix_ms(row.int64(7));
    j.last_error = row.text(8);
    j.checkpoint = row.text(9);
    j.correlation_id = row.text(10);
    j.unique_key = row.opt_text(11);
    j.created_at = from_unix_ms(row.int64(12));
    j.updated_at = from_unix_ms(row.int64(13));
    return j;
}

/// Columns: eval_id, flow, application_id, candidate_id, job_id, state, decision, docv_token,
/// created_at, updated_at, expires_at.
template <class Row>
evaluation_record read_evaluation(const Row& row) {
    evaluation_record e;
    e.eval_id = row.text(0);
    e.flow = row.text(1);
    e.application_id = row.text(2);
    e.candidate_id = row.text(3);
    e.job = row.int64(4);
    e.state = parse_evaluation_state(row.text(5)).value_or(evaluation_state::pending);
    e.decision = row.text(6);
    e.docv_token = row.text(7);
    e.created_at = from_unix_ms(row.int64(8));
    e.updated_at = from_unix_ms(row.int64(9));
    e.expires_at = from_unix_ms(row.int64(10));
    return e;
}

/// Columns: attempt, finished_at, outcome, error.
template <class Row>
job_attempt read_job_attempt(const Row& row) {
    job_attempt a;
    a.attempt = static_cast<int>(row.int64(0));
    a.finished_at = from_unix_ms(row.int64(1));
    a.outcome = row.text(2);
    a.error = row.text(3);
    return a;
}

/// Columns: job_id, at, step, outcome, detail.
template <class Row>
audit_entry read_audit_entry(const Row& row) {
    audit_entry e;
    e.job = row.int64(0);
    e.at = from_unix_ms(row.int64(1));
    e.step = row.text(2);
    e.outcome = row.text(3);
    e.detail = row.text(4);
    return e;
}

/// Columns: id, source, reason, request_id, body_bytes, received_at.
template <class Row>
quarantine_entry read_quarantine_entry(const Row& row) {
    quarantine_entry q;
    q.id = row.int64(0);
    q.source = row.text(1);
    q.reason = row.text(2);
    q.request_id = row.text(3);
    q.body_bytes = static_cast<std::size_t>(row.int64(4));
    q.received_at = from_unix_ms(row.int64(5));
    return q;
}

/// `t` in unix milliseconds, or `now` when the caller left `t` unset (the epoch): how
/// evaluations and audit entries without a time are stamped.
std::int64_t unix_ms_or(time_point t, time_point now);

/// Counts with every job state present, at zero, for stats() to fill in.
store_stats empty_stats();

/// The error recorded for the attempts release_leases() ends.
const char* release_reason(std::string_view owner) noexcept;

}  // namespace riskbridge::store::detail
