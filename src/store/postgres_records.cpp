// The PostgreSQL store's evaluations and audit trail (postgres_records.hpp).

#include "store/postgres_records.hpp"

#include "store/checks.hpp"
#include "store/rows.hpp"

namespace riskbridge::store::detail {

result<void> postgres_records::upsert_evaluation(const evaluation_record& e) {
    if (auto r = check_evaluation(e); !r) {
        return r;
    }
    const time_point now = clock_.now();
    pg_params p;
    p.text(e.eval_id)
        .text(e.flow)
        .text(e.application_id)
        .text(e.candidate_id)
        .int64(e.job)
        .text(to_string(e.state))
        .text(e.decision)
        .text(e.docv_token)
        .int64(unix_ms_or(e.created_at, now))
        .int64(unix_ms_or(e.updated_at, now))
        .int64(to_unix_ms(e.expires_at));
    auto r = run(pool_, stmt::upsert_evaluation, p);
    if (!r) {
        return std::move(r).error();
    }
    return {};
}

result<std::optional<evaluation_record>> postgres_records::find_evaluation(
    std::string_view eval_id) {
    return one_evaluation(stmt::find_evaluation, eval_id);
}

result<std::optional<evaluation_record>> postgres_records::find_evaluation_by_docv_token(
    std::string_view token) {
    if (token.empty()) {
        return std::optional<evaluation_record>{};
    }
    return one_evaluation(stmt::find_evaluation_by_token, token);
}

result<std::vector<evaluation_record>> postgres_records::evaluations_for_candidate(
    std::string_view candidate_id) {
    pg_params p;
    p.text(candidate_id);
    auto r = run(pool_, stmt::evaluations_for_candidate, p, true);
    if (!r) {
        return std::move(r).error();
    }
    return read_all<evaluation_record>(*r, read_evaluation<pg_row>);
}

result<std::vector<evaluation_record>> postgres_records::stale_evaluations(
    const std::vector<evaluation_state>& states, time_point before, int limit) {
    if (states.empty()) {
        return std::vector<evaluation_record>{};
    }
    std::vector<std::string> names;
    for (auto s : states) {
        names.emplace_back(to_string(s));
    }
    pg_params p;
    p.text_array(names).int64(to_unix_ms(before)).int64(sql_limit(limit));
    auto r = run(pool_, stmt::stale_evaluations, p, true);
    if (!r) {
        return std::move(r).error();
    }
    return read_all<evaluation_record>(*r, read_evaluation<pg_row>);
}

result<void> postgres_records::append_audit(const audit_entry& e) {
    pg_params p;
    p.int64(e.job)
        .int64(unix_ms_or(e.at, clock_.now()))
        .text(e.step)
        .text(e.outcome)
        .text(e.detail);
    auto r = run(pool_, stmt::insert_audit, p);
    if (!r) {
        return std::move(r).error();
    }
    return {};
}

result<std::vector<audit_entry>> postgres_records::audit_for_job(job_id id) {
    pg_params p;
    p.int64(id);
    auto r = run(pool_, stmt::audit_for_job, p, true);
    if (!r) {
        return std::move(r).error();
    }
    return read_all<audit_entry>(*r, read_audit_entry<pg_row>);
}

result<std::optional<evaluation_record>> postgres_records::one_evaluation(stmt s,
                                                                          std::string_view key) {
    pg_params p;
    p.text(key);
    auto r = run(pool_, s, p, true);
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 0) {
        return std::optional<evaluation_record>{};
    }
    return std::optional<evaluation_record>{read_evaluation(pg_row(*r, 0))};
}

}  // namespace riskbridge::store::detail
