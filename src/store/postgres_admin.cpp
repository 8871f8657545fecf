// The PostgreSQL store's operations (postgres_admin.hpp). Reads retry once on a fresh
// connection when theirs was found broken; erasure, merge and retention each run on one
// pooled connection for their whole transaction (postgres_privacy.cpp).

#include "store/postgres_admin.hpp"

#include "riskbridge/observability/log.hpp"
#include "store/postgres_privacy.hpp"
#include "store/postgres_statements.hpp"
#include "store/rows.hpp"

namespace riskbridge::store::detail {

result<std::vector<job>> postgres_admin::list_jobs(std::optional<job_state> state, int limit) {
    pg_params p;
    if (state) {
        p.text(std::string_view{to_string(*state)});
    }
    p.int64(sql_limit(limit));
    auto r = run(pool_, state ? stmt::list_jobs_by_state : stmt::list_jobs, p, true);
    if (!r) {
        return std::move(r).error();
    }
    return read_all<job>(*r, read_job<pg_row>);
}

result<std::optional<job>> postgres_admin::get_job(job_id id) {
    pg_params p;
    p.int64(id);
    auto r = run(pool_, stmt::get_job, p, true);
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 0) {
        return std::optional<job>{};
    }
    return std::optional<job>{read_job(pg_row(*r, 0))};
}

result<std::vector<job_attempt>> postgres_admin::job_attempts(job_id id) {
    pg_params p;
    p.int64(id);
    auto r = run(pool_, stmt::job_attempts, p, true);
    if (!r) {
        return std::move(r).error();
    }
    return read_all<job_attempt>(*r, read_job_attempt<pg_row>);
}

result<int> postgres_admin::retry_dead(std::optional<job_id> id, time_point now) {
    pg_params p;
    p.int64(to_unix_ms(now));
    if (id) {
        p.int64(*id);
    }
    auto r = run(pool_, id ? stmt::retry_dead_one : stmt::retry_dead_all, p);
    if (!r) {
        return std::move(r).error();
    }
    return r->affected();
}

result<int> postgres_admin::purge_finished(time_point older_than) {
    auto c = pool_.acquire();
    if (!c) {
        return std::move(c).error();
    }
    auto touched = pg_purge(**c, older_than);
    if (touched && *touched > 0) {
        log::info("store_purged", {{"rows", *touched}});
    }
    return touched;
}

result<erasure_report> postgres_admin::erase_candidate(const erasure_request& req) {
    auto c = pool_.acquire();
    if (!c) {
        return std::move(c).error();
    }
    return pg_erase_candidate(**c, req);
}

result<int> postgres_admin::merge_candidate(std::string_view from, std::string_view into,
                                            time_point at) {
    auto c = pool_.acquire();
    if (!c) {
        return std::move(c).error();
    }
    return pg_merge_candidate(**c, from, into, at);
}

result<std::vector<quarantine_entry>> postgres_admin::list_quarantine(int limit) {
    pg_params p;
    p.int64(sql_limit(limit));
    auto r = run(pool_, stmt::list_quarantine, p, true);
    if (!r) {
        return std::move(r).error();
    }
    return read_all<quarantine_entry>(*r, read_quarantine_entry<pg_row>);
}

result<store_stats> postgres_admin::stats() {
    store_stats out = empty_stats();
    const pg_params none;
    auto by_state = run(pool_, stmt::count_by_state, none, true);
    if (!by_state) {
        return std::move(by_state).error();
    }
    for (int i = 0; i < by_state->rows(); ++i) {
        if (auto st = parse_job_state(by_state->text(i, 0))) {
            out.jobs_by_state[*st] = by_state->int64(i, 1);
        }
    }
    auto totals = run(pool_, stmt::count_totals, none, true);
    if (!totals) {
        return std::move(totals).error();
    }
    out.deliveries = totals->int64(0, 0);
    out.quarantined = totals->int64(0, 1);
    return out;
}

}  // namespace riskbridge::store::detail
