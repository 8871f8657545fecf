#pragma once

// Private to the SQLite store: operations, retention and erasure (job_store.hpp's
// store_admin, without shutdown, which the store does): listings and counts through the
// store's read connection, retry_dead, retention, erasure and merge through its sync
// connection (the last three in sqlite_privacy.hpp).

#include <optional>
#include <string_view>
#include <vector>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_statements.hpp"

namespace riskbridge::store::detail {

class sqlite_admin final : public store_admin {
public:
    explicit sqlite_admin(store_connections& connections) : c_(connections) {}

    sqlite_admin(const sqlite_admin&) = delete;
    sqlite_admin& operator=(const sqlite_admin&) = delete;

    /// Once the connections are open.
    result<void> prepare() { return s_.prepare(c_.sync.db(), c_.read.db()); }

    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) override;
    result<std::optional<job>> get_job(job_id id) override;
    result<std::vector<job_attempt>> job_attempts(job_id id) override;
    result<int> retry_dead(std::optional<job_id> id, time_point now) override;
    result<int> purge_finished(time_point older_than) override;
    result<erasure_report> erase_candidate(const erasure_request& req) override;
    result<int> merge_candidate(std::string_view from, std::string_view into,
                                time_point at) override;
    result<std::vector<quarantine_entry>> list_quarantine(int limit) override;
    /// The counts in the database (pending_writes is the writer's, left at 0).
    result<store_stats> stats() override;

private:
    store_connections& c_;
    admin_statements s_;  ///< retry_dead on c_.sync, the rest on c_.read
};

}  // namespace riskbridge::store::detail
