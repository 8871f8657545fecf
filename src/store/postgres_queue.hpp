#pragma once

// The PostgreSQL store's job queue (job_queue in job_store.hpp): claims, the lease holder's
// transitions, releases, jobs added outside the webhook path, and the singleton leases. Each
// call is one statement of the catalogue (postgres_statements.hpp) on a pooled connection.
// Private to the store; postgres_store delegates to it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/pg_db.hpp"

namespace riskbridge::store::detail {

class postgres_queue final : public job_queue {
public:
    postgres_queue(connection_pool& pool, clock& clk) noexcept : pool_(pool), clock_(clk) {}

    result<std::optional<job>> claim(std::string_view owner, time_point now, milliseconds lease,
                                     const std::vector<std::string>& kinds) override;
    result<void> extend_lease(job_id id, std::string_view owner, time_point until) override;
    result<void> save_checkpoint(job_id id, std::string_view owner,
                                 std::string_view checkpoint) override;
    result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) override;
    result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                            std::string_view error) override;
    result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) override;
    result<int> release_leases(std::string_view owner) override;
    result<job_id> add_job(const new_job& j, time_point run_at) override;
    result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                       time_point now, milliseconds ttl) override;

private:
    connection_pool& pool_;
    clock& clock_;
};

}  // namespace riskbridge::store::detail
