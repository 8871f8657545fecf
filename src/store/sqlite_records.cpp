// Evaluations and the audit trail of the SQLite store (sqlite_records.hpp).

#include "store/sqlite_records.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "store/checks.hpp"
#include "store/rows.hpp"

namespace riskbridge::store::detail {

result<void> sqlite_records::upsert_evaluation(const evaluation_record& e) {
    if (auto r = check_evaluation(e); !r) {
        return r;
    }
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    const time_point now = clock_.now();
    use u(s_.upsert_evaluation);
    u->bind(1, e.eval_id);
    u->bind(2, e.flow);
    u->bind(3, e.application_id);
    u->bind(4, e.candidate_id);
    u->bind(5, e.job);
    u->bind(6, to_string(e.state));
    u->bind(7, e.decision);
    u->bind(8, e.docv_token);
    u->bind(9, unix_ms_or(e.created_at, now));
    u->bind(10, unix_ms_or(e.updated_at, now));
    u->bind(11, to_unix_ms(e.expires_at));
    if (const int rc = u->step(); rc != SQLITE_DONE) {
        return c_.sync.db().fail(rc, "upsert_evaluation");
    }
    return {};
}

result<std::optional<evaluation_record>> sqlite_records::find_evaluation(std::string_view eval_id) {
    std::lock_guard lock(c_.read_mutex);
    return one_evaluation(s_.find_evaluation, eval_id);
}

result<std::optional<evaluation_record>> sqlite_records::find_evaluation_by_docv_token(
    std::string_view token) {
    if (token.empty()) {
        return std::optional<evaluation_record>{};
    }
    std::lock_guard lock(c_.read_mutex);
    return one_evaluation(s_.find_evaluation_by_token, token);
}

result<std::vector<evaluation_record>> sqlite_records::evaluations_for_candidate(
    std::string_view candidate_id) {
    std::lock_guard lock(c_.read_mutex);
    use u(s_.evaluations_for_candidate);
    u->bind(1, candidate_id);
    return collect<evaluation_record>(c_.read.db(), *u, read_evaluation<statement>,
                                      "evaluations_for_candidate");
}

result<std::vector<evaluation_record>> sqlite_records::stale_evaluations(
    const std::vector<evaluation_state>& states, time_point before, int limit) {
    std::vector<evaluation_record> all;
    std::lock_guard lock(c_.read_mutex);
    // One indexed query per state (state, updated_at), merged: no SQL built from values.
    for (const auto& state : states) {
        use u(s_.stale_evaluations);
        u->bind(1, to_string(state));
        u->bind(2, to_unix_ms(before));
        u->bind(3, sql_limit(limit));
        auto part = collect<evaluation_record>(c_.read.db(), *u, read_evaluation<statement>,
                                               "stale_evaluations");
        if (!part) {
            return std::move(part).error();
        }
        for (auto& e : *part) {
            all.push_back(std::move(e));
        }
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.updated_at != b.updated_at ? a.updated_at < b.updated_at : a.eval_id < b.eval_id;
    });
    all.erase(std::unique(all.begin(), all.end(),
                          [](const auto& a, const auto& b) { return a.eval_id == b.eval_id; }),
              all.end());
    if (limit > 0 && all.size() > static_cast<std::size_t>(limit)) {
        all.resize(static_cast<std::size_t>(limit));
    }
    return all;
}

result<void> sqlite_records::append_audit(const audit_entry& e) {
    std::scoped_lock lock(c_.sync_mutex, c_.write_gate);
    use u(s_.insert_audit);
    u->bind(1, e.job);
    u->bind(2, unix_ms_or(e.at, clock_.now()));
    u->bind(3, e.step);
    u->bind(4, e.outcome);
    u->bind(5, e.detail);
    if (const int rc = u->step(); rc != SQLITE_DONE) {
        return c_.sync.db().fail(rc, "append_audit");
    }
    return {};
}

result<std::vector<audit_entry>> sqlite_records::audit_for_job(job_id id) {
    std::lock_guard lock(c_.read_mutex);
    use u(s_.audit_for_job);
    u->bind(1, id);
    return collect<audit_entry>(c_.read.db(), *u, read_audit_entry<statement>, "audit_for_job");
}

result<std::optional<evaluation_record>> sqlite_records::one_evaluation(statement& s,
                                                                        std::string_view key) {
    use u(s);
    u->bind(1, key);
    const int rc = u->step();
    if (rc == SQLITE_DONE) {
        return std::optional<evaluation_record>{};
    }
    if (rc != SQLITE_ROW) {
        return c_.read.db().fail(rc, "find_evaluation");
    }
    return std::optional<evaluation_record>{read_evaluation(*u)};
}

}  // namespace riskbridge::store::detail
