#pragma once

// Private to the store: a backend made of parts. Ingestion is group_commit_store's writer;
// every other role is a part of the backend that implements that role's interface
// (job_store.hpp), and this class forwards to it, so a backend only builds its parts and
// binds them (bind_parts) in its constructor. stats() adds the writer's queue length to the
// part's counts.

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/store/job_store.hpp"
#include "store/group_commit_store.hpp"

namespace riskbridge::store::detail {

/// The parts a backend delegates to; each outlives the store's use of it (they are members
/// of the backend, bound in its constructor).
struct store_parts {
    job_queue* queue = nullptr;
    evaluation_store* evaluations = nullptr;
    audit_log* audit = nullptr;
    store_admin* admin = nullptr;
};

class composed_store : public group_commit_store {
public:
    // --- job_queue ------------------------------------------------------------------------
    result<std::optional<job>> claim(std::string_view owner, time_point now, milliseconds lease,
                                     const std::vector<std::string>& kinds) final {
        return p_.queue->claim(owner, now, lease, kinds);
    }
    result<void> extend_lease(job_id id, std::string_view owner, time_point until) final {
        return p_.queue->extend_lease(id, owner, until);
    }
    result<void> save_checkpoint(job_id id, std::string_view owner,
                                 std::string_view checkpoint) final {
        return p_.queue->save_checkpoint(id, owner, checkpoint);
    }
    result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) final {
        return p_.queue->mark_done(id, owner, outcome);
    }
    result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                            std::string_view error) final {
        return p_.queue->mark_retry(id, owner, next_run_at, error);
    }
    result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) final {
        return p_.queue->mark_dead(id, owner, error);
    }
    result<int> release_leases(std::string_view owner) final {
        return p_.queue->release_leases(owner);
    }
    result<job_id> add_job(const new_job& j, time_point run_at) final {
        return p_.queue->add_job(j, run_at);
    }
    result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                       time_point now, milliseconds ttl) final {
        return p_.queue->try_acquire_singleton(name, owner, now, ttl);
    }

    // --- evaluation_store and audit_log ---------------------------------------------------
    result<void> upsert_evaluation(const evaluation_record& e) final {
        return p_.evaluations->upsert_evaluation(e);
    }
    result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) final {
        return p_.evaluations->find_evaluation(eval_id);
    }
    result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) final {
        return p_.evaluations->find_evaluation_by_docv_token(token);
    }
    result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) final {
        return p_.evaluations->evaluations_for_candidate(candidate_id);
    }
    result<std::vector<evaluation_record>> stale_evaluations(
        const std::vector<evaluation_state>& states, time_point before, int limit) final {
        return p_.evaluations->stale_evaluations(states, before, limit);
    }
    result<void> append_audit(const audit_entry& e) final { return p_.audit->append_audit(e); }
    result<std::vector<audit_entry>> audit_for_job(job_id id) final {
        return p_.audit->audit_for_job(id);
    }

    // --- store_admin ----------------------------------------------------------------------
    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) final {
        return p_.admin->list_jobs(state, limit);
    }
    result<std::optional<job>> get_job(job_id id) final { return p_.admin->get_job(id); }
    result<std::vector<job_attempt>> job_attempts(job_id id) final {
        return p_.admin->job_attempts(id);
    }
    result<int> retry_dead(std::optional<job_id> id, time_point now) final {
        return p_.admin->retry_dead(id, now);
    }
    result<int> purge_finished(time_point older_than) final {
        return p_.admin->purge_finished(older_than);
    }
    result<erasure_report> erase_candidate(const erasure_request& req) final {
        return p_.admin->erase_candidate(req);
    }
    result<int> merge_candidate(std::string_view from, std::string_view into, time_point at) final {
        return p_.admin->merge_candidate(from, into, at);
    }
    result<std::vector<quarantine_entry>> list_quarantine(int limit) final {
        return p_.admin->list_quarantine(limit);
    }
    /// The part's counts, with the writer's queue length (which only the store knows).
    result<store_stats> stats() final {
        auto out = p_.admin->stats();
        if (out) {
            out->pending_writes = pending_writes();
        }
        return out;
    }

protected:
    using group_commit_store::group_commit_store;

    /// In the backend's constructor, once its parts are built; before any call.
    void bind_parts(store_parts parts) noexcept {
        assert(parts.queue && parts.evaluations && parts.audit && parts.admin);
        p_ = parts;
    }

private:
    store_parts p_;
};

}  // namespace riskbridge::store::detail
