// Erasure, merge and retention for the SQLite store (sqlite_privacy.hpp). These run rarely
// (an erasure request, a merge, an hourly retention pass), so their statements are prepared
// per call instead of being kept on the connection; the text of those that follow the job
// state machine (the erasure's cancel, retention's finished states) is composed once from
// job_lifecycle.hpp.

#include "store/sqlite_privacy.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_lifecycle.hpp"
#include "store/sqlite_connection.hpp"

namespace riskbridge::store::detail {

namespace {

/// The jobs one erasure reaches, by id, with their state.
using job_states = std::map<job_id, std::string>;

result<void> collect_jobs(const database& db, std::string_view sql, std::string_view key,
                          job_states& out) {
    auto s = db.prepare(sql, false);
    if (!s) {
        return std::move(s).error();
    }
    s->bind(1, key);
    int rc = SQLITE_ROW;
    while ((rc = s->step()) == SQLITE_ROW) {
        out.emplace(s->int64(0), s->text(1));
    }
    if (rc != SQLITE_DONE) {
        return db.fail(rc, "erase_candidate");
    }
    return {};
}

/// Clears one job the erasure reaches (?1: its id, ?2: the erasure's time). The erasure
/// cancels it (job_lifecycle.hpp) when the cancel transition applies, and a job it cancelled
/// before stays cancelled; a done job stays done, its outcome "erased".
std::string erase_job_sql() {
    const job_transition& cancel = transition(job_op::cancel);
    const std::string cancelled = state_sql(cancel.to.value_or(job_state::cancelled));
    const std::string ends_cancelled =
        "(" + guard_sql(job_op::cancel) + " OR state = " + cancelled + ")";
    std::string sql =
        "UPDATE jobs SET payload = '', checkpoint = '', last_error = '', "
        "correlation_id = 'erased', unique_key = NULL, subject = NULL, outcome = iif(" +
        ends_cancelled + ", 'cancelled: candidate erased', 'erased'), state = iif(" +
        ends_cancelled + ", " + cancelled + ", state), ";
    if (cancel.lease == lease_effect::clear) {
        sql += "lease_owner = '', lease_until = 0, ";
    }
    if (cancel.finishes) {
        sql += "finished_at = coalesce(finished_at, ?2), ";
    }
    return sql + "updated_at = ?2 WHERE id = ?1";
}

}  // namespace

result<erasure_report> sqlite_erase_candidate(const database& db, const erasure_request& req) {
    if (req.candidate_id.empty()) {
        return make_error(errc::invalid_argument, "erase_candidate: no candidate id");
    }
    const std::int64_t at = to_unix_ms(req.at);
    erasure_report report;
    occasional_transaction t(db);
    if (auto r = t.begin(); !r) {
        return std::move(r).error();
    }

    // The candidate's evaluations, and every job about them or one of their evaluations.
    std::vector<std::pair<std::string, job_id>> evals;
    {
        auto s = db.prepare(
            "SELECT eval_id, job_id FROM evaluations WHERE candidate_id = ?1 AND "
            "candidate_id <> ''",
            false);
        if (!s) {
            return std::move(s).error();
        }
        s->bind(1, req.candidate_id);
        int rc = SQLITE_ROW;
        while ((rc = s->step()) == SQLITE_ROW) {
            evals.emplace_back(s->text(0), s->int64(1));
        }
        if (rc != SQLITE_DONE) {
            return db.fail(rc, "erase_candidate");
        }
    }
    job_states jobs;
    constexpr std::string_view by_subject = "SELECT id, state FROM jobs WHERE subject = ?1";
    if (auto r = collect_jobs(db, by_subject, req.candidate_id, jobs); !r) {
        return std::move(r).error();
    }
    for (const auto& [eval_id, job] : evals) {
        if (auto r = collect_jobs(db, by_subject, eval_id, jobs); !r) {
            return std::move(r).error();
        }
        if (job != 0) {
            if (auto r = collect_jobs(db, "SELECT id, state FROM jobs WHERE id = ?1",
                                      std::to_string(job), jobs);
                !r) {
                return std::move(r).error();
            }
        }
    }
    jobs.erase(req.requested_by);

    for (const auto& [id, state] : jobs) {
        static const std::string clear_job = erase_job_sql();
        auto cleared = db.run("erase_candidate", clear_job, id, at);
        if (!cleared) {
            return std::move(cleared).error();
        }
        report.jobs += *cleared;
        if (parse_job_state(state) != job_state::done) {
            ++report.jobs_cancelled;
        }
        auto attempts =
            db.run("erase_candidate",
                   "UPDATE job_attempts SET error = '' WHERE job_id = ?1 AND error <> ''", id);
        if (!attempts) {
            return std::move(attempts).error();
        }
        report.attempts += *attempts;
        auto audit = db.run("erase_candidate",
                            "UPDATE audit SET detail = '' WHERE job_id = ?1 AND detail <> ''", id);
        if (!audit) {
            return std::move(audit).error();
        }
        report.audit_entries += *audit;
        if (auto r = db.run("erase_candidate",
                            "INSERT INTO audit (job_id, at, step, outcome, detail) "
                            "VALUES (?1, ?2, 'erasure', 'erased', '')",
                            id, at);
            !r) {
            return std::move(r).error();
        }
    }
    for (const auto& e : evals) {
        auto tomb = db.run("erase_candidate",
                           "UPDATE evaluations SET candidate_id = '', application_id = '', "
                           "decision = '', docv_token = '', state = 'erased', updated_at = ?2 "
                           "WHERE eval_id = ?1",
                           e.first, at);
        if (!tomb) {
            return std::move(tomb).error();
        }
        report.evaluations += *tomb;
    }
    if (req.requested_by != 0) {
        if (auto r = db.run("erase_candidate", "UPDATE jobs SET payload = '' WHERE id = ?1",
                            req.requested_by);
            !r) {
            return std::move(r).error();
        }
    }

    // Quarantined bodies are opaque to SQL (and encrypted): each is looked at by the matcher.
    std::vector<std::int64_t> named;
    {
        auto s = db.prepare(
            "SELECT id, source, reason, request_id, body_bytes, received_at, body FROM "
            "quarantine WHERE body IS NOT NULL",
            false);
        if (!s) {
            return std::move(s).error();
        }
        int rc = SQLITE_ROW;
        while ((rc = s->step()) == SQLITE_ROW) {
            quarantine_entry e;
            e.id = s->int64(0);
            e.source = s->text(1);
            e.reason = s->text(2);
            e.request_id = s->text(3);
            e.body_bytes = static_cast<std::size_t>(s->int64(4));
            e.received_at = from_unix_ms(s->int64(5));
            const std::string body = s->text(6);
            const bool names = req.names(e, body);
            if (names) {
                named.push_back(e.id);
            }
        }
        if (rc != SQLITE_DONE) {
            return db.fail(rc, "erase_candidate");
        }
    }
    for (const std::int64_t id : named) {
        auto gone = db.run("erase_candidate", "DELETE FROM quarantine WHERE id = ?1", id);
        if (!gone) {
            return std::move(gone).error();
        }
        report.quarantined += *gone;
    }
    if (auto r = t.commit(); !r) {
        return std::move(r).error();
    }
    return report;
}

result<int> sqlite_merge_candidate(const database& db, std::string_view from, std::string_view into,
                                   time_point at) {
    if (from.empty() || into.empty()) {
        return make_error(errc::invalid_argument, "merge_candidate: a candidate id is empty");
    }
    if (from == into) {
        return 0;
    }
    const std::int64_t at_ms = to_unix_ms(at);
    occasional_transaction t(db);
    if (auto r = t.begin(); !r) {
        return std::move(r).error();
    }
    job_states jobs;
    if (auto r = collect_jobs(db, "SELECT id, state FROM jobs WHERE subject = ?1", from, jobs);
        !r) {
        return std::move(r).error();
    }
    auto evals = db.run("merge_candidate",
                        "UPDATE evaluations SET candidate_id = ?2, updated_at = ?3 "
                        "WHERE candidate_id = ?1",
                        from, into, at_ms);
    if (!evals) {
        return std::move(evals).error();
    }
    auto moved = db.run("merge_candidate",
                        "UPDATE jobs SET subject = ?2, updated_at = ?3 WHERE subject = ?1", from,
                        into, at_ms);
    if (!moved) {
        return std::move(moved).error();
    }
    for (const auto& j : jobs) {
        if (auto r = db.run("merge_candidate",
                            "INSERT INTO audit (job_id, at, step, outcome, detail) "
                            "VALUES (?1, ?2, 'merge', 'merged', '')",
                            j.first, at_ms);
            !r) {
            return std::move(r).error();
        }
    }
    if (auto r = t.commit(); !r) {
        return std::move(r).error();
    }
    return *evals + *moved;
}

result<int> sqlite_purge(const database& db, time_point older_than) {
    const std::int64_t cutoff = to_unix_ms(older_than);
    occasional_transaction t(db);
    if (auto r = t.begin(); !r) {
        return std::move(r).error();
    }
    // Each statement touches only rows that still hold something, so a pass over an already
    // purged store changes nothing.
    static const std::string finished_jobs =
        "UPDATE jobs SET payload = '', checkpoint = '', last_error = '', outcome = '', "
        "subject = NULL WHERE finished_at IS NOT NULL AND finished_at < ?1 AND " +
        finished_states_sql() +
        " AND (payload <> '' OR checkpoint <> '' OR last_error <> '' OR outcome <> '' OR "
        "subject IS NOT NULL)";
    const std::string_view steps[] = {
        finished_jobs,
        "UPDATE job_attempts SET error = '' WHERE finished_at < ?1 AND error <> ''",
        "UPDATE audit SET detail = '' WHERE at < ?1 AND detail <> ''",
        "DELETE FROM deliveries WHERE received_at < ?1",
        "UPDATE evaluations SET candidate_id = '', application_id = '', docv_token = '' "
        "WHERE updated_at < ?1 AND state NOT IN ('pending', 'requested', 'deciding') "
        "AND (candidate_id <> '' OR application_id <> '' OR docv_token <> '')",
        "UPDATE quarantine SET body = NULL WHERE received_at < ?1 AND body IS NOT NULL",
    };
    int touched = 0;
    for (const auto sql : steps) {
        auto n = db.run("purge_finished", sql, cutoff);
        if (!n) {
            return std::move(n).error();
        }
        touched += *n;
    }
    if (auto r = t.commit(); !r) {
        return std::move(r).error();
    }
    return touched;
}

bool sqlite_truncate_wal(const database& db) {
    int log_frames = 0;
    int done_frames = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                             &log_frames, &done_frames);
    if (rc != SQLITE_OK) {
        log::warn("store_wal_not_truncated", {{"code", rc}, {"frames", log_frames}});
        return false;
    }
    return true;
}

}  // namespace riskbridge::store::detail
