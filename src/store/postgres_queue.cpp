// The PostgreSQL job queue (postgres_queue.hpp). Claims lock the oldest due row with FOR
// UPDATE SKIP LOCKED: replicas polling at once take different jobs and never wait for each
// other. Expired leases are taken over by claim(), which records the lost attempt in the same
// statement. Every update after a claim is guarded by the lease owner (errc::conflict once it
// is lost).

#include "store/postgres_queue.hpp"

#include "store/checks.hpp"
#include "store/postgres_statements.hpp"
#include "store/rows.hpp"

namespace riskbridge::store::detail {

result<std::optional<job>> postgres_queue::claim(std::string_view owner, time_point now,
                                                 milliseconds lease,
                                                 const std::vector<std::string>& kinds) {
    if (auto r = check_claim(owner); !r) {
        return r.error();
    }
    std::optional<std::vector<std::string>> kind_list;
    if (!kinds.empty()) {
        kind_list = kinds;
    }
    pg_params p;
    p.int64(to_unix_ms(now)).text(owner).int64(to_unix_ms(now + lease)).text_array(kind_list);
    auto r = run(pool_, stmt::claim, p);
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 0) {
        return std::optional<job>{};
    }
    return std::optional<job>{read_job(pg_row(*r, 0))};
}

result<void> postgres_queue::extend_lease(job_id id, std::string_view owner, time_point until) {
    pg_params p;
    p.int64(id).text(owner).int64(to_unix_ms(until)).int64(to_unix_ms(clock_.now()));
    return run_owned(pool_, stmt::extend, p, "extend_lease");
}

result<void> postgres_queue::save_checkpoint(job_id id, std::string_view owner,
                                             std::string_view checkpoint) {
    pg_params p;
    p.int64(id).text(owner).text(checkpoint).int64(to_unix_ms(clock_.now()));
    return run_owned(pool_, stmt::checkpoint, p, "save_checkpoint");
}

result<void> postgres_queue::mark_done(job_id id, std::string_view owner,
                                       std::string_view outcome) {
    pg_params p;
    p.int64(id).text(owner).text(outcome).int64(to_unix_ms(clock_.now()));
    return run_owned(pool_, stmt::done, p, "done");
}

result<void> postgres_queue::mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                                        std::string_view error) {
    pg_params p;
    p.int64(id)
        .text(owner)
        .int64(to_unix_ms(next_run_at))
        .text(error)
        .int64(to_unix_ms(clock_.now()));
    return run_owned(pool_, stmt::retry, p, "retry");
}

result<void> postgres_queue::mark_dead(job_id id, std::string_view owner, std::string_view error) {
    pg_params p;
    p.int64(id).text(owner).text(error).int64(to_unix_ms(clock_.now()));
    return run_owned(pool_, stmt::dead, p, "dead");
}

result<int> postgres_queue::release_leases(std::string_view owner) {
    pg_params p;
    p.text(owner).int64(to_unix_ms(clock_.now())).text(release_reason(owner));
    auto r = run(pool_, stmt::release, p);
    if (!r) {
        return std::move(r).error();
    }
    return static_cast<int>(r->int64(0, 0));
}

result<job_id> postgres_queue::add_job(const new_job& j, time_point run_at) {
    if (auto r = check_new_job(j); !r) {
        return r.error();
    }
    pg_params p;
    p.text(j.kind)
        .text(j.payload)
        .int64(to_unix_ms(run_at))
        .text(j.correlation_id)
        .text(j.unique_key)
        .int64(to_unix_ms(clock_.now()))
        .text(j.subject);
    auto r = run(pool_, stmt::insert_job, p);
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 1) {
        return job_id{r->int64(0, 0)};
    }
    // The unique key is taken (by a committed job: the insert waited for any other).
    pg_params k;
    k.text(j.unique_key);
    auto found = run(pool_, stmt::find_job_by_key, k, true);
    if (!found) {
        return std::move(found).error();
    }
    if (found->rows() != 1) {
        return make_error(errc::unavailable, "add_job: the job holding the key is gone");
    }
    return job_id{found->int64(0, 0)};
}

result<bool> postgres_queue::try_acquire_singleton(std::string_view name, std::string_view owner,
                                                   time_point now, milliseconds ttl) {
    if (auto r = check_singleton(name, owner); !r) {
        return r.error();
    }
    pg_params p;
    p.text(name).text(owner).int64(to_unix_ms(now + ttl)).int64(to_unix_ms(now));
    auto r = run(pool_, stmt::singleton, p);
    if (!r) {
        return std::move(r).error();
    }
    return r->rows() == 1;
}

}  // namespace riskbridge::store::detail
