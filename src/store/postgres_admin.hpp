#pragma once

// The PostgreSQL store's operations (store_admin in job_store.hpp, but for shutdown, which is
// the writer's): listing jobs and their attempts, requeueing dead jobs, retention, erasure and
// merge (postgres_privacy.hpp), the quarantine list and the counts. Private to the store;
// postgres_store delegates to it.

#include <optional>
#include <string_view>
#include <vector>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/pg_db.hpp"

namespace riskbridge::store::detail {

class postgres_admin final : public store_admin {
public:
    explicit postgres_admin(connection_pool& pool) noexcept : pool_(pool) {}

    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) override;
    result<std::optional<job>> get_job(job_id id) override;
    result<std::vector<job_attempt>> job_attempts(job_id id) override;
    result<int> retry_dead(std::optional<job_id> id, time_point now) override;
    result<int> purge_finished(time_point older_than) override;
    result<erasure_report> erase_candidate(const erasure_request& req) override;
    result<int> merge_candidate(std::string_view from, std::string_view into,
                                time_point at) override;
    result<std::vector<quarantine_entry>> list_quarantine(int limit) override;
    /// The counts, but for pending_writes (the writer's queue, which only the store knows).
    result<store_stats> stats() override;

private:
    connection_pool& pool_;
};

}  // namespace riskbridge::store::detail
