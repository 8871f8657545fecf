// Erasure, merge and retention for the PostgreSQL store (postgres_privacy.hpp). Each is one
// data-modifying statement (CTEs), so it is atomic on its own and other replicas' workers,
// which lock the jobs they claim, wait for it or see its result.

#include "store/postgres_privacy.hpp"

#include <string>
#include <utility>
#include <vector>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/store/job_lifecycle.hpp"

namespace riskbridge::store::detail {

namespace {

/// Rolls back unless committed.
class pg_transaction {
public:
    explicit pg_transaction(const pg_connection& c) : c_(c) {}
    ~pg_transaction() {
        if (open_) {
            (void)c_.exec("ROLLBACK", "rollback");
        }
    }
    pg_transaction(const pg_transaction&) = delete;
    pg_transaction& operator=(const pg_transaction&) = delete;

    result<void> begin() {
        auto r = c_.exec("BEGIN", "begin");
        open_ = r.has_value();
        return r;
    }
    result<void> commit() {
        auto r = c_.exec("COMMIT", "commit");
        open_ = false;
        return r;
    }

private:
    const pg_connection& c_;
    bool open_ = false;
};

// $1 candidate id, $2 time (ms), $3 the requesting job (0: none). The jobs the cancel of the
// state machine applies to (job_lifecycle.hpp) end cancelled; the others (done, or already
// cancelled) keep their state. Composed once, on first use.
const std::string& erase_sql() {
    static const std::string sql = [] {
        const std::string cancellable = "t." + guard_sql(job_op::cancel);
        const std::string cancelled = state_sql(*transition(job_op::cancel).to);
        return "WITH evals AS ("
               "  SELECT eval_id, job_id FROM evaluations"
               "  WHERE candidate_id = $1::text AND candidate_id <> '' FOR UPDATE"
               "), targets AS ("
               "  SELECT id, state FROM jobs"
               "  WHERE (subject = $1::text OR subject IN (SELECT eval_id FROM evals)"
               "         OR id IN (SELECT job_id FROM evals)) AND id <> $3::bigint"
               "  FOR UPDATE"
               "), j AS ("
               "  UPDATE jobs SET payload = '', checkpoint = '', last_error = '',"
               "    correlation_id = 'erased', unique_key = NULL, subject = NULL,"
               "    outcome = CASE WHEN " +
               cancellable + " OR t.state = " + cancelled +
               " THEN 'cancelled: candidate erased' ELSE 'erased' END,"
               "    state = CASE WHEN " +
               cancellable + " THEN " + cancelled +
               " ELSE t.state END,"
               "    lease_owner = '', lease_until = 0,"
               "    finished_at = coalesce(jobs.finished_at, $2::bigint), updated_at = $2::bigint"
               "  FROM targets t WHERE jobs.id = t.id RETURNING jobs.id, jobs.state"
               "), e AS ("
               "  UPDATE evaluations SET candidate_id = '', application_id = '', decision = '',"
               "    docv_token = '', state = 'erased', updated_at = $2::bigint"
               "  WHERE eval_id IN (SELECT eval_id FROM evals) RETURNING 1"
               "), a AS ("
               "  UPDATE audit SET detail = '' WHERE job_id IN (SELECT id FROM j) AND detail <> ''"
               "  RETURNING 1"
               "), t2 AS ("
               "  UPDATE job_attempts SET error = '' WHERE job_id IN (SELECT id FROM j)"
               "  AND error <> '' RETURNING 1"
               "), marks AS ("
               "  INSERT INTO audit (job_id, at, step, outcome, detail)"
               "  SELECT id, $2::bigint, 'erasure', 'erased', '' FROM j RETURNING 1"
               "), me AS ("
               "  UPDATE jobs SET payload = '' WHERE id = $3::bigint AND $3::bigint <> 0"
               "  RETURNING 1"
               ") SELECT (SELECT count(*) FROM j), (SELECT count(*) FROM j WHERE state = " +
               cancelled +
               "),"
               "  (SELECT count(*) FROM e), (SELECT count(*) FROM a), (SELECT count(*) FROM t2),"
               "  (SELECT count(*) FROM marks), (SELECT count(*) FROM me),"
               "  (SELECT coalesce(array_agg(id), '{}') FROM j)";
    }();
    return sql;
}

// What a job of the candidate recorded while the statement above ran (a worker's evaluation
// or audit line that waited for a job row it had locked): this statement's snapshot is newer.
// $1 the erased jobs' ids, $2 time (ms).
constexpr const char* erase_late_sql =
    "WITH e AS ("
    "  UPDATE evaluations SET candidate_id = '', application_id = '', decision = '',"
    "    docv_token = '', state = 'erased', updated_at = $2::bigint"
    "  WHERE job_id = ANY($1::bigint[]) AND state <> 'erased' RETURNING 1"
    "), a AS ("
    "  UPDATE audit SET detail = '' WHERE job_id = ANY($1::bigint[]) AND detail <> ''"
    "  RETURNING 1"
    ") SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM a)";

// $1 the time (ms) before which what ended is cleared. Each step touches only rows that still
// hold something, so a pass over an already purged store changes nothing. Composed once, on
// first use: the finished states are the state machine's (job_lifecycle.hpp).
const std::string& purge_sql() {
    static const std::string sql =
        "WITH j AS ("
        "  UPDATE jobs SET payload = '', checkpoint = '', last_error = '', outcome = '',"
        "  subject = NULL WHERE finished_at IS NOT NULL AND finished_at < $1::bigint"
        "  AND " +
        finished_states_sql() +
        " AND (payload <> '' OR checkpoint <> ''"
        "  OR last_error <> '' OR outcome <> '' OR subject IS NOT NULL) RETURNING 1"
        "), t AS ("
        "  UPDATE job_attempts SET error = '' WHERE finished_at < $1::bigint AND error <> ''"
        "  RETURNING 1"
        "), a AS ("
        "  UPDATE audit SET detail = '' WHERE at < $1::bigint AND detail <> '' RETURNING 1"
        "), d AS ("
        "  DELETE FROM deliveries WHERE received_at < $1::bigint RETURNING 1"
        "), e AS ("
        "  UPDATE evaluations SET candidate_id = '', application_id = '', docv_token = ''"
        "  WHERE updated_at < $1::bigint AND state NOT IN ('pending', 'requested', 'deciding')"
        "  AND (candidate_id <> '' OR application_id <> '' OR docv_token <> '') RETURNING 1"
        "), q AS ("
        "  UPDATE quarantine SET body = NULL WHERE received_at < $1::bigint"
        "  AND body IS NOT NULL RETURNING 1"
        ") SELECT (SELECT count(*) FROM j) + (SELECT count(*) FROM t) + (SELECT count(*) FROM a)"
        "  + (SELECT count(*) FROM d) + (SELECT count(*) FROM e) + (SELECT count(*) FROM q)";
    return sql;
}

/// "{1,2,3}" (an int8[] in text form) → {"1", "2", "3"}.
std::vector<std::string> array_items(std::string_view text) {
    std::vector<std::string> out;
    std::string item;
    for (const char ch : text) {
        if (ch >= '0' && ch <= '9') {
            item += ch;
        } else if (!item.empty()) {
            out.push_back(std::move(item));
            item.clear();
        }
    }
    if (!item.empty()) {
        out.push_back(std::move(item));
    }
    return out;
}

}  // namespace

result<erasure_report> pg_erase_candidate(const pg_connection& c, const erasure_request& req) {
    if (req.candidate_id.empty()) {
        return make_error(errc::invalid_argument, "erase_candidate: no candidate id");
    }
    pg_transaction t(c);
    if (auto r = t.begin(); !r) {
        return std::move(r).error();
    }
    erasure_report report;
    {
        pg_params p;
        p.text(req.candidate_id).int64(to_unix_ms(req.at)).int64(req.requested_by);
        pg_result r = c.exec_params(erase_sql().c_str(), p);
        if (!r.ok()) {
            return c.fail(r, "erase_candidate");
        }
        report.jobs = static_cast<int>(r.int64(0, 0));
        report.jobs_cancelled = static_cast<int>(r.int64(0, 1));
        report.evaluations = static_cast<int>(r.int64(0, 2));
        report.audit_entries = static_cast<int>(r.int64(0, 3));
        report.attempts = static_cast<int>(r.int64(0, 4));
        const std::vector<std::string> ids = array_items(r.text(0, 7));
        if (!ids.empty()) {
            pg_params late;
            late.text_array(ids).int64(to_unix_ms(req.at));
            pg_result l = c.exec_params(erase_late_sql, late);
            if (!l.ok()) {
                return c.fail(l, "erase_candidate");
            }
            report.evaluations += static_cast<int>(l.int64(0, 0));
            report.audit_entries += static_cast<int>(l.int64(0, 1));
        }
    }
    // Quarantined bodies are opaque to SQL (and encrypted): each is looked at by the matcher.
    std::vector<std::int64_t> named;
    {
        const pg_params none;
        pg_result r = c.exec_params(
            "SELECT id, source, reason, request_id, body_bytes, received_at, "
            "encode(body, 'hex') FROM quarantine WHERE body IS NOT NULL FOR UPDATE",
            none);
        if (!r.ok()) {
            return c.fail(r, "erase_candidate");
        }
        for (int i = 0; i < r.rows(); ++i) {
            quarantine_entry e;
            e.id = r.int64(i, 0);
            e.source = r.text(i, 1);
            e.reason = r.text(i, 2);
            e.request_id = r.text(i, 3);
            e.body_bytes = static_cast<std::size_t>(r.int64(i, 4));
            e.received_at = from_unix_ms(r.int64(i, 5));
            const std::string body = hex_decode(r.text(i, 6)).value_or(std::string{});
            if (req.names(e, body)) {
                named.push_back(e.id);
            }
        }
    }
    for (const std::int64_t id : named) {
        pg_params p;
        p.int64(id);
        pg_result r = c.exec_params("DELETE FROM quarantine WHERE id = $1::bigint", p);
        if (!r.ok()) {
            return c.fail(r, "erase_candidate");
        }
        report.quarantined += r.affected();
    }
    if (auto r = t.commit(); !r) {
        return std::move(r).error();
    }
    return report;
}

result<int> pg_merge_candidate(const pg_connection& c, std::string_view from, std::string_view into,
                               time_point at) {
    if (from.empty() || into.empty()) {
        return make_error(errc::invalid_argument, "merge_candidate: a candidate id is empty");
    }
    if (from == into) {
        return 0;
    }
    pg_params p;
    p.text(from).text(into).int64(to_unix_ms(at));
    pg_result r = c.exec_params(
        "WITH moved AS ("
        "  UPDATE jobs SET subject = $2::text, updated_at = $3::bigint"
        "  WHERE subject = $1::text RETURNING id"
        "), e AS ("
        "  UPDATE evaluations SET candidate_id = $2::text, updated_at = $3::bigint"
        "  WHERE candidate_id = $1::text RETURNING 1"
        "), marks AS ("
        "  INSERT INTO audit (job_id, at, step, outcome, detail)"
        "  SELECT id, $3::bigint, 'merge', 'merged', '' FROM moved RETURNING 1"
        ") SELECT (SELECT count(*) FROM moved) + (SELECT count(*) FROM e),"
        "  (SELECT count(*) FROM marks)",
        p);
    if (!r.ok()) {
        return c.fail(r, "merge_candidate");
    }
    return static_cast<int>(r.int64(0, 0));
}

result<int> pg_purge(const pg_connection& c, time_point older_than) {
    pg_params p;
    p.int64(to_unix_ms(older_than));
    pg_result r = c.exec_params(purge_sql().c_str(), p);
    if (!r.ok()) {
        return c.fail(r, "purge_finished");
    }
    return static_cast<int>(r.int64(0, 0));
}

}  // namespace riskbridge::store::detail
