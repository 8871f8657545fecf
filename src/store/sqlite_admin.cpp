// Operations, retention and erasure of the SQLite store (sqlite_admin.hpp).

#include "store/sqlite_admin.hpp"

#include <sqlite3.h>

#include <mutex>
#include <utility>

#include "riskbridge/observability/log.hpp"
#include "store/rows.hpp"
#include "store/sqlite_privacy.hpp"

namespace riskbridge::store::detail {

result<std::vector<job>> sqlite_admin::list_jobs(std::optional<job_state> state, int limit) {
    std::lock_guard lock(c_.read_mutex);
    if (state) {
        use u(s_.list_jobs_by_state);
        u->bind(1, to_string(*state));
        u->bind(2, sql_limit(limit));
        return collect<job>(c_.read.db(), *u, read_job<statement>, "list_jobs");
    }
    use u(s_.list_jobs);
    u->bind(1, sql_limit(limit));
    return collect<job>(c_.read.db(), *u, read_job<statement>, "list_jobs");
}

result<std::optional<job>> sqlite_admin::get_job(job_id id) {
    std::lock_guard lock(c_.read_mutex);
    use u(s_.get_job);
    u->bind(1, id);
    const int rc = u->step();
    if (rc == SQLITE_DONE) {
        return std::optional<job>{};
    }
    if (rc != SQLITE_ROW) {
        return c_.read.db().fail(rc, "get_job");
    }
    return std::optional<job>{read_job(*u)};
}

result<std::vector<job_attempt>> sqlite_admin::job_attempts(job_id id) {
    std::lock_guard lock(c_.read_mutex);
    use u(s_.job_attempts);
    u->bind(1, id);
    return collect<job_attempt>(c_.read.db(), *u, read_job_attempt<statement>, "job_attempts");
}

result<int> sqlite_admin::retry_dead(std::optional<job_id> id, time_point now) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    statement& s = id ? s_.retry_dead_one : s_.retry_dead_all;
    use u(s);
    u->bind(1, to_unix_ms(now));
    if (id) {
        u->bind(2, *id);
    }
    if (const int rc = u->step(); rc != SQLITE_DONE) {
        return c_.sync.db().fail(rc, "retry_dead");
    }
    return sqlite3_changes(c_.sync.db().get());
}

result<int> sqlite_admin::purge_finished(time_point older_than) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    auto touched = sqlite_purge(c_.sync.db(), older_than);
    if (touched && *touched > 0) {
        log::info("store_purged", {{"rows", *touched}});
    }
    return touched;
}

result<erasure_report> sqlite_admin::erase_candidate(const erasure_request& req) {
    std::lock_guard lock(c_.sync_mutex);
    result<erasure_report> report = [&] {
        std::lock_guard gate(c_.write_gate);
        return sqlite_erase_candidate(c_.sync.db(), req);
    }();
    if (report) {
        // Outside the write gate: the truncation waits for the writer's batch in flight.
        sqlite_truncate_wal(c_.sync.db());
    }
    return report;
}

result<int> sqlite_admin::merge_candidate(std::string_view from, std::string_view into,
                                          time_point at) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    return sqlite_merge_candidate(c_.sync.db(), from, into, at);
}

result<std::vector<quarantine_entry>> sqlite_admin::list_quarantine(int limit) {
    std::lock_guard lock(c_.read_mutex);
    use u(s_.list_quarantine);
    u->bind(1, sql_limit(limit));
    return collect<quarantine_entry>(c_.read.db(), *u, read_quarantine_entry<statement>,
                                     "list_quarantine");
}

result<store_stats> sqlite_admin::stats() {
    store_stats out = empty_stats();
    std::lock_guard lock(c_.read_mutex);
    {
        use u(s_.count_by_state);
        int rc = SQLITE_ROW;
        while ((rc = u->step()) == SQLITE_ROW) {
            if (auto st = parse_job_state(u->text(0))) {
                out.jobs_by_state[*st] = u->int64(1);
            }
        }
        if (rc != SQLITE_DONE) {
            return c_.read.db().fail(rc, "stats");
        }
    }
    for (auto [s, target] : {std::pair{&s_.count_deliveries, &out.deliveries},
                             std::pair{&s_.count_quarantine, &out.quarantined}}) {
        use u(*s);
        if (const int rc = u->step(); rc != SQLITE_ROW) {
            return c_.read.db().fail(rc, "stats");
        }
        *target = u->int64(0);
    }
    return out;
}

}  // namespace riskbridge::store::detail
