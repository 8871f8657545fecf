#pragma once

// Private to the SQLite store: the job queue (job_store.hpp's job_queue) on the store's sync
// connection: claims, the lease holder's transitions, releases, add_job and the singleton
// leases. Every transition is one the job state machine allows (job_lifecycle.hpp); the
// statements only persist it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_lifecycle.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_statements.hpp"

namespace riskbridge::store::detail {

class sqlite_queue final : public job_queue {
public:
    sqlite_queue(store_connections& connections, clock& clk) : c_(connections), clock_(clk) {}

    sqlite_queue(const sqlite_queue&) = delete;
    sqlite_queue& operator=(const sqlite_queue&) = delete;

    /// Once the connections are open.
    result<void> prepare() { return s_.prepare(c_.sync.db()); }

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
    struct due_job {
        job_id id = 0;
        std::int64_t next_run_at = 0;
        bool expired = false;
        std::string owner;
    };

    result<std::optional<due_job>> find_due(std::int64_t now_ms,
                                            const std::optional<std::string>& kinds_json);
    result<void> run_owned(statement& s, const char* what);
    template <class Bind>
    result<void> finish(job_op op, job_id id, std::string_view error, std::int64_t now_ms,
                        statement& update, Bind bind);

    const database& db() const noexcept { return c_.sync.db(); }

    store_connections& c_;
    clock& clock_;
    queue_statements s_;  ///< on c_.sync, under c_.sync_mutex
};

}  // namespace riskbridge::store::detail
