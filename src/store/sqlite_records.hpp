#pragma once

// Private to the SQLite store: evaluations and the audit trail (job_store.hpp's
// evaluation_store and audit_log). Writes go through the store's sync connection, reads
// through its read connection.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_statements.hpp"

namespace riskbridge::store::detail {

class sqlite_records final : public evaluation_store, public audit_log {
public:
    sqlite_records(store_connections& connections, clock& clk) : c_(connections), clock_(clk) {}

    sqlite_records(const sqlite_records&) = delete;
    sqlite_records& operator=(const sqlite_records&) = delete;

    /// Once the connections are open.
    result<void> prepare() { return s_.prepare(c_.sync.db(), c_.read.db()); }

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
    result<std::optional<evaluation_record>> one_evaluation(statement& s, std::string_view key);

    store_connections& c_;
    clock& clock_;
    records_statements s_;  ///< writes on c_.sync, reads on c_.read
};

}  // namespace riskbridge::store::detail
