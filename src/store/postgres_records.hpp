#pragma once

// The PostgreSQL store's records: the evaluations the flows started and the audit trail
// (evaluation_store and audit_log in job_store.hpp). Each call is one statement of the
// catalogue (postgres_statements.hpp) on a pooled connection. Private to the store;
// postgres_store delegates to it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/pg_db.hpp"
#include "store/postgres_statements.hpp"

namespace riskbridge::store::detail {

class postgres_records final : public evaluation_store, public audit_log {
public:
    postgres_records(connection_pool& pool, clock& clk) noexcept : pool_(pool), clock_(clk) {}

    result<void> upsert_evaluation(const evaluation_record& e) override;
    result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) override;
    result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) override;
    result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) override;
    result<std::vector<evaluation_record>> stale_evaluations(
        const std::vector<evaluation_state>& states, time_point before, int limit) override;

    result<void> append_audit(const audit_entry& e) override;
    result<std::vector<audit_entry>> audit_for_job(job_id id) override;

private:
    result<std::optional<evaluation_record>> one_evaluation(stmt s, std::string_view key);

    connection_pool& pool_;
    clock& clock_;
};

}  // namespace riskbridge::store::detail
