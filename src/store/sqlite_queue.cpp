// The SQLite store's job queue (sqlite_queue.hpp).

#include "store/sqlite_queue.hpp"

#include <sqlite3.h>

#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/checks.hpp"
#include "store/rows.hpp"

namespace riskbridge::store::detail {

/// The job claim() would take now: the oldest due queued/retry_wait job or expired lease, by
/// (next_run_at, id). Each comes from one seek in its partial index (sqlite_statements.cpp).
result<std::optional<sqlite_queue::due_job>> sqlite_queue::find_due(
    std::int64_t now_ms, const std::optional<std::string>& kinds_json) {
    std::optional<due_job> best;
    {
        use u(s_.due_queued);
        u->bind(1, now_ms);
        u->bind(2, kinds_json);
        const int rc = u->step();
        if (rc == SQLITE_ROW) {
            best = due_job{u->int64(0), u->int64(1), false, {}};
        } else if (rc != SQLITE_DONE) {
            return db().fail(rc, "claim");
        }
    }
    use u(s_.due_expired);
    u->bind(1, now_ms);
    u->bind(2, kinds_json);
    const int rc = u->step();
    if (rc == SQLITE_ROW) {
        due_job e{u->int64(0), u->int64(1), true, u->text(2)};
        if (!best || std::pair(e.next_run_at, e.id) < std::pair(best->next_run_at, best->id)) {
            best = std::move(e);
        }
    } else if (rc != SQLITE_DONE) {
        return db().fail(rc, "claim");
    }
    return best;
}

/// Steps an UPDATE guarded by the lease holder (transition_update): no row is a conflict
/// (the lease was lost).
result<void> sqlite_queue::run_owned(statement& s, const char* what) {
    if (const int rc = s.step(); rc != SQLITE_DONE) {
        return db().fail(rc, what);
    }
    if (sqlite3_changes(db().get()) == 0) {
        return lease_not_held(what);
    }
    return {};
}

/// Ends an attempt: the owner-guarded UPDATE `update` of `op` (parameters set by `bind`),
/// then a job_attempts row with op's outcome, in one transaction.
template <class Bind>
result<void> sqlite_queue::finish(job_op op, job_id id, std::string_view error, std::int64_t now_ms,
                                  statement& update, Bind bind) {
    const char* outcome = transition(op).attempt_outcome;
    transaction t(db(), s_.tx);
    if (auto r = t.begin(); !r) {
        return r;
    }
    {
        use u(update);
        bind(*u);
        if (auto r = run_owned(*u, outcome); !r) {
            return r;
        }
    }
    {
        use u(s_.attempt_from_job);
        u->bind(1, id);
        u->bind(2, now_ms);
        u->bind(3, outcome);
        u->bind(4, error);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db().fail(rc, outcome);
        }
    }
    return t.commit();
}

result<std::optional<job>> sqlite_queue::claim(std::string_view owner, time_point now,
                                               milliseconds lease,
                                               const std::vector<std::string>& kinds) {
    if (auto r = check_claim(owner); !r) {
        return r.error();
    }
    const std::int64_t now_ms = to_unix_ms(now);
    // The kinds travel as one JSON array parameter (json_each), so the statement stays
    // prepared whatever their number; none means any kind.
    std::optional<std::string> kinds_json;
    if (!kinds.empty()) {
        kinds_json = nlohmann::json(kinds).dump();
    }
    std::unique_lock sync(c_.sync_mutex);
    // Look first without the write lock and without the ingestion writer's gate: an idle
    // poll (which may read past many due jobs of other kinds) never holds back a commit.
    auto peek = find_due(now_ms, kinds_json);
    if (!peek) {
        return std::move(peek).error();
    }
    if (!*peek) {
        return std::optional<job>{};
    }
    std::lock_guard gate(c_.write_gate);
    transaction t(db(), s_.tx);
    if (auto r = t.begin(); !r) {
        return r.error();
    }
    auto due = find_due(now_ms, kinds_json);
    if (!due) {
        return std::move(due).error();
    }
    if (!*due) {
        return std::optional<job>{};  // taken meanwhile (another process)
    }
    const due_job& d = **due;
    if (d.expired) {
        use u(s_.expired_attempt);
        u->bind(1, d.id);
        u->bind(2, now_ms);
        const std::string why = "lease of " + d.owner + " expired";
        u->bind(3, why);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db().fail(rc, "claim");
        }
    }
    std::optional<job> claimed;
    {
        use u(d.expired ? s_.take_over : s_.claim);
        u->bind(1, d.id);
        u->bind(2, owner);
        u->bind(3, to_unix_ms(now + lease));
        u->bind(4, now_ms);
        const int rc = u->step();
        if (rc != SQLITE_ROW) {
            return db().fail(rc, "claim");
        }
        claimed = read_job(*u);
        if (const int end = u->step(); end != SQLITE_DONE) {
            return db().fail(end, "claim");
        }
    }
    if (auto r = t.commit(); !r) {
        return r.error();
    }
    return claimed;
}

result<void> sqlite_queue::extend_lease(job_id id, std::string_view owner, time_point until) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    use u(s_.extend);
    u->bind(1, id);
    u->bind(2, owner);
    u->bind(3, to_unix_ms(until));
    u->bind(4, to_unix_ms(clock_.now()));
    return run_owned(*u, "extend_lease");
}

result<void> sqlite_queue::save_checkpoint(job_id id, std::string_view owner,
                                           std::string_view checkpoint) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    // Durable when it returns: a handler writes a checkpoint before and after each side
    // effect, and relies on it after a power cut as much as after a crash.
    full_sync durable(db());
    use u(s_.checkpoint);
    u->bind(1, id);
    u->bind(2, owner);
    u->bind(3, checkpoint);
    u->bind(4, to_unix_ms(clock_.now()));
    return run_owned(*u, "save_checkpoint");
}

result<void> sqlite_queue::mark_done(job_id id, std::string_view owner, std::string_view outcome) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    const std::int64_t now_ms = to_unix_ms(clock_.now());
    return finish(job_op::mark_done, id, {}, now_ms, s_.done, [&](statement& s) {
        s.bind(1, id);
        s.bind(2, owner);
        s.bind(3, outcome);
        s.bind(4, now_ms);
    });
}

result<void> sqlite_queue::mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                                      std::string_view error) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    const std::int64_t now_ms = to_unix_ms(clock_.now());
    return finish(job_op::mark_retry, id, error, now_ms, s_.retry, [&](statement& s) {
        s.bind(1, id);
        s.bind(2, owner);
        s.bind(3, to_unix_ms(next_run_at));
        s.bind(4, error);
        s.bind(5, now_ms);
    });
}

result<void> sqlite_queue::mark_dead(job_id id, std::string_view owner, std::string_view error) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    const std::int64_t now_ms = to_unix_ms(clock_.now());
    return finish(job_op::mark_dead, id, error, now_ms, s_.dead, [&](statement& s) {
        s.bind(1, id);
        s.bind(2, owner);
        s.bind(3, error);
        s.bind(4, now_ms);
    });
}

result<int> sqlite_queue::release_leases(std::string_view owner) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    const std::int64_t now_ms = to_unix_ms(clock_.now());
    transaction t(db(), s_.tx);
    if (auto r = t.begin(); !r) {
        return r.error();
    }
    {
        use u(s_.release_attempts);
        u->bind(1, owner);
        u->bind(2, now_ms);
        u->bind(3, release_reason(owner));
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db().fail(rc, "release_leases");
        }
    }
    int released = 0;
    {
        use u(s_.release);
        u->bind(1, owner);
        u->bind(2, now_ms);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db().fail(rc, "release_leases");
        }
        released = sqlite3_changes(db().get());
    }
    if (auto r = t.commit(); !r) {
        return r.error();
    }
    return released;
}

result<job_id> sqlite_queue::add_job(const new_job& j, time_point run_at) {
    if (auto r = check_new_job(j); !r) {
        return r.error();
    }
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    const std::int64_t now_ms = to_unix_ms(clock_.now());
    {
        use u(s_.insert_job);
        u->bind(1, j.kind);
        u->bind(2, j.payload);
        u->bind(3, to_unix_ms(run_at));
        u->bind(4, j.correlation_id);
        u->bind(5, j.unique_key);
        u->bind(6, now_ms);
        u->bind(7, j.subject);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return db().fail(rc, "add_job");
        }
        if (sqlite3_changes(db().get()) == 1) {
            return job_id{sqlite3_last_insert_rowid(db().get())};
        }
    }
    use u(s_.find_job_by_key);
    u->bind(1, j.unique_key);
    if (const int rc = u->step(); rc != SQLITE_ROW) {
        return db().fail(rc, "add_job");
    }
    return job_id{u->int64(0)};
}

result<bool> sqlite_queue::try_acquire_singleton(std::string_view name, std::string_view owner,
                                                 time_point now, milliseconds ttl) {
    if (auto r = check_singleton(name, owner); !r) {
        return r.error();
    }
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    use u(s_.singleton);
    u->bind(1, name);
    u->bind(2, owner);
    u->bind(3, to_unix_ms(now + ttl));
    u->bind(4, to_unix_ms(now));
    if (const int rc = u->step(); rc != SQLITE_DONE) {
        return db().fail(rc, "try_acquire_singleton");
    }
    return sqlite3_changes(db().get()) == 1;
}

}  // namespace riskbridge::store::detail
