// Erasure of one candidate (erase_candidate), candidate merges (merge_candidate) and retention
// over every table (purge_finished): what is cleared, what is kept, and what can no longer be
// attached to a cancelled job afterwards.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "riskbridge/store/encrypting_store.hpp"
#include "store_test_support.hpp"
#include "support/bytes.hpp"

namespace riskbridge::store::testing {
namespace {

using riskbridge::testing::file_bytes;

/// Everything personal the store is given about one candidate.
struct person {
    std::string tag, cand, app, docv, name, email, address, marker;
    std::vector<std::string> personal() const {
        return {cand, app, docv, name, email, address, marker};
    }
    std::string payload() const {
        return R"({"candidate_id":")" + cand + R"(","application_id":")" + app + R"(","name":")" +
               name + R"(","email":")" + email + R"(","note":")" + marker + R"("})";
    }
    std::string checkpoint() const {
        return R"({"step":"evaluated","address":")" + address + R"(","note":")" + marker + R"("})";
    }
    std::string error() const { return "upstream 503 while screening " + cand + " (" + name + ")"; }
};

person make_person(const std::string& tag, std::string name, std::string email,
                   std::string address) {
    return {tag,
            "cand-" + tag + "-5d1e0a",
            "app-" + tag + "-93c7f2",
            "docv-tok-" + tag + "-4e8b",
            name,
            email,
            address,
            "MARKER-" + tag + "-7c1f0e9a-PERSONAL-5b2d"};
}
const person alpha =
    make_person("alpha", "Philomena Grubwort", "philomena.g@grub.test", "17 Marrowbone Close");
const person beta =
    make_person("beta", "Barnaby Thistlewood", "barnaby.t@thistle.test", "3 Periwinkle Row");

/// The rows seeded for one candidate (see erasure_fixture::seed).
struct held {
    job_id flow = 0, docv = 0, legacy = 0, finish = 0;
    std::string eval1, eval2;
    std::vector<job_id> jobs() const { return {flow, docv, legacy, finish}; }
};

std::string describe(const job& j) {
    return j.kind + "|" + j.payload + "|" + to_string(j.state) + "|" + std::to_string(j.attempts) +
           "|" + j.last_error + "|" + j.checkpoint + "|" + j.correlation_id + "|" +
           j.unique_key.value_or("-") + "|" + j.lease_owner + "|" +
           std::to_string(to_unix_ms(j.updated_at));
}
std::string describe(const evaluation_record& e) {
    return e.eval_id + "|" + e.flow + "|" + e.application_id + "|" + e.candidate_id + "|" +
           std::to_string(e.job) + "|" + to_string(e.state) + "|" + e.decision + "|" +
           e.docv_token + "|" + std::to_string(to_unix_ms(e.updated_at));
}

/// What personal data a job or an evaluation still holds ("" when none).
std::string held_by(const job& j) {
    return j.payload + j.checkpoint + j.last_error + j.unique_key.value_or("");
}
std::string held_by(const evaluation_record& e) {
    return e.candidate_id + e.application_id + e.docv_token;
}

class erasure_fixture : public store_fixture {
protected:
    using store_fixture::store_fixture;

    void SetUp() override {
        store_fixture::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        store_ = open();
        ASSERT_TRUE(store_);
    }

    job_id add(const new_job& j) {
        auto id = store_->add_job(j, clock_.now());
        EXPECT_TRUE(id) << id.error().message;
        return id ? *id : 0;
    }
    /// Claims the due job of `kind` for "w"; it must be `expected`.
    void claim_as_w(job_id expected, const std::string& kind) {
        auto c = store_->claim("w", clock_.now(), 60s, {kind});
        ASSERT_TRUE(c && c->has_value()) << kind << ": nothing claimed";
        ASSERT_EQ((*c)->id, expected);
    }
    /// One failed attempt (its error recorded), then claimed again: running for "w".
    void fail_once(job_id id, const std::string& kind, const std::string& error) {
        claim_as_w(id, kind);
        ASSERT_TRUE(store_->mark_retry(id, "w", clock_.now(), error));
        claim_as_w(id, kind);
    }
    void audit(job_id id, const std::string& step, const std::string& detail) {
        ASSERT_TRUE(store_->append_audit({id, clock_.now(), step, "ok", detail}));
    }
    void upsert(const evaluation_record& e) {
        auto r = store_->upsert_evaluation(e);
        ASSERT_TRUE(r) << r.error().message;
    }
    evaluation_record rec(const std::string& id, const std::string& flow, const person& p,
                          job_id job, const std::string& state, const std::string& decision = "",
                          const std::string& docv = "") {
        const time_point now = clock_.now();
        return {id,       flow, p.app, p.cand, job, parse_evaluation_state(state).value(),
                decision, docv, now,   now,    {}};
    }
    job get(job_id id) {
        auto j = store_->get_job(id);
        EXPECT_TRUE(j && j->has_value()) << id;
        return j && j->has_value() ? **j : job{};
    }
    evaluation_record eval(const std::string& id) {
        auto e = store_->find_evaluation(id);
        EXPECT_TRUE(e && e->has_value()) << id;
        return e && e->has_value() ? **e : evaluation_record{};
    }
    erasure_report erase(const std::string& cand, job_id requested_by = 0) {
        erasure_request req;
        req.candidate_id = cand;
        req.at = clock_.now();
        req.requested_by = requested_by;
        auto r = store_->erase_candidate(req);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : erasure_report{};
    }
    std::string subject_of(job_id id) {
        return raw()->scalar("SELECT subject FROM jobs WHERE id = " + std::to_string(id));
    }

    /// A flow job enqueued from a webhook and one added directly (both about the candidate),
    /// a job reached only through its evaluation, a finish job about an evaluation; two
    /// evaluations; attempts with errors; audit details; a quarantined body naming them.
    held seed(const person& p) {
        held h;
        enqueue_request req;
        req.delivery = {"ashby", "wa-" + p.tag + "-1:applicationSubmit"};
        req.job =
            new_job{"screening", p.payload(), "ashby:wa-" + p.tag, "screening:" + p.app, p.cand};
        const auto r = enqueue_sync(*store_, std::move(req));
        EXPECT_EQ(r.status, enqueue_status::accepted) << r.detail;
        h.flow = r.id;
        h.docv = add(
            {"document_verification", p.payload(), "corr-dv-" + p.tag, "docv:" + p.app, p.cand});
        h.legacy =
            add({"legacy_followup", p.payload(), "corr-l-" + p.tag, std::nullopt, std::nullopt});
        h.eval1 = "eval-" + p.tag + "-1";
        h.eval2 = "eval-" + p.tag + "-2";
        upsert(rec(h.eval1, "screening", p, h.flow, "completed", "ACCEPT"));
        upsert(rec(h.eval2, "document_verification", p, h.legacy, "requested", "", p.docv));
        h.finish =
            add({"finish", R"({"eval_id":")" + h.eval1 + R"(","application_id":")" + p.app + "\"}",
                 "corr-f-" + p.tag, "finish:" + h.eval1, h.eval1});

        fail_once(h.flow, "screening", p.error());
        EXPECT_TRUE(store_->save_checkpoint(h.flow, "w", p.checkpoint()));
        EXPECT_TRUE(store_->mark_done(h.flow, "w", "ACCEPT"));
        fail_once(h.docv, "document_verification", p.error());
        EXPECT_TRUE(store_->mark_dead(h.docv, "w", "rejected for " + p.name));
        audit(h.flow, "screening", "candidate " + p.cand + " " + p.email + " " + p.marker);
        audit(h.docv, "docv", "application " + p.app);
        audit(h.finish, "finish", p.name);
        EXPECT_TRUE(quarantine_sync(
            *store_, {"ashby", "body is not valid JSON",
                      R"({"candidate":{"id":")" + p.cand + R"(","name":")" + p.name + "\"}",
                      "req-" + p.tag}));
        return h;
    }

    /// Every row of every table, all columns, as text.
    std::string dump_tables() {
        auto r = raw();
        std::string all;
        for (const std::string table :
             {"jobs", "evaluations", "audit", "job_attempts", "quarantine", "deliveries"}) {
            std::string sql;
            if (is_postgres()) {
                sql = "SELECT t::text" +
                      std::string(table == "quarantine"
                                      ? " || coalesce(convert_from(body, 'UTF8'), '')"
                                      : "") +
                      " FROM " + table + " t";
            } else {
                sql = "SELECT ''";
                for (const auto& c :
                     r->column("SELECT name FROM pragma_table_info('" + table + "')")) {
                    sql += " || '|' || coalesce(CAST(\"" + c + "\" AS TEXT), '')";
                }
                sql += " FROM " + table;
            }
            for (const auto& row : r->column(sql)) {
                all += table + ": " + row + "\n";
            }
        }
        return all;
    }

    /// What is held about a candidate's rows, for comparing before and after.
    std::string snapshot(const held& h) {
        std::string s;
        for (const job_id id : h.jobs()) {
            s += describe(get(id)) + "\n";
            auto trail = store_->audit_for_job(id);
            auto attempts = store_->job_attempts(id);
            EXPECT_TRUE(trail && attempts);
            for (const auto& a : trail ? *trail : std::vector<audit_entry>{}) {
                s += " audit " + a.step + "/" + a.outcome + "/" + a.detail + "\n";
            }
            for (const auto& a : attempts ? *attempts : std::vector<job_attempt>{}) {
                s += " attempt " + a.outcome + "/" + a.error + "\n";
            }
        }
        return s + describe(eval(h.eval1)) + "\n" + describe(eval(h.eval2)) + "\n";
    }

    std::unique_ptr<job_store> store_;
};

class erasure : public erasure_fixture, public ::testing::WithParamInterface<backend> {
protected:
    erasure() : erasure_fixture(GetParam()) {}
};
RB_STORE_BACKENDS(erasure);

class sqlite_erasure : public erasure_fixture {
protected:
    sqlite_erasure() : erasure_fixture(backend::sqlite) {}
};
class postgres_erasure : public erasure_fixture {
protected:
    postgres_erasure() : erasure_fixture(backend::postgres) {}
};

TEST_P(erasure, clears_everything_about_one_candidate_and_nothing_about_another) {
    const held a = seed(alpha);
    const held b = seed(beta);
    ASSERT_FALSE(HasFailure());
    const std::string before = dump_tables();
    for (const auto& s : alpha.personal()) {
        ASSERT_NE(before.find(s), std::string::npos) << s << " was never stored";
    }
    const std::string b_before = snapshot(b);
    clock_.advance(1min);

    const erasure_report report = erase(alpha.cand);
    EXPECT_EQ(report.jobs, 4);
    EXPECT_EQ(report.jobs_cancelled, 3) << "the dead and the two queued ones; done stays done";
    EXPECT_EQ(report.evaluations, 2);
    EXPECT_EQ(report.audit_entries, 3);
    EXPECT_EQ(report.attempts, 3) << "screening's retry, docv's retry and dead";
    EXPECT_EQ(report.quarantined, 1);

    const std::string after = dump_tables();
    for (const auto& s : alpha.personal()) {
        EXPECT_EQ(after.find(s), std::string::npos) << s << " is still stored:\n" << after;
    }
    for (const auto& s : beta.personal()) {
        EXPECT_NE(after.find(s), std::string::npos) << s << " of the other candidate is gone";
    }
    EXPECT_EQ(snapshot(b), b_before) << "the other candidate's rows changed";
    EXPECT_NE(quarantined_body("req-b"), "NULL");

    EXPECT_EQ(get(a.flow).state, job_state::done);
    for (const job_id id : {a.docv, a.legacy, a.finish}) {
        EXPECT_EQ(get(id).state, job_state::cancelled) << id;
    }
    for (const job_id id : a.jobs()) {
        EXPECT_EQ(held_by(get(id)), "") << id;
        EXPECT_EQ(subject_of(id), "NULL") << id;
        auto trail = store_->audit_for_job(id);
        ASSERT_TRUE(trail && !trail->empty());
        EXPECT_EQ(trail->back().step, "erasure") << id;
        EXPECT_EQ(trail->back().outcome, "erased") << id;
        EXPECT_EQ(trail->back().at, clock_.now());
    }
    std::vector<job_id> due;  // only B's queued jobs: cancelled ones are never claimed
    for (auto c = store_->claim("w", clock_.now(), 60s); c && c->has_value();
         c = store_->claim("w", clock_.now(), 60s)) {
        due.push_back((*c)->id);
    }
    EXPECT_EQ(due, (std::vector<job_id>{b.legacy, b.finish}));

    for (const auto& id : {a.eval1, a.eval2}) {
        const evaluation_record e = eval(id);
        EXPECT_EQ(to_string(e.state) + ("/" + e.decision + held_by(e)), "erased/") << id;
        EXPECT_FALSE(e.flow.empty());
    }
    EXPECT_EQ(eval(a.eval2).job, a.legacy);
    EXPECT_FALSE(store_->find_evaluation_by_docv_token(alpha.docv)->has_value());
    EXPECT_TRUE(store_->evaluations_for_candidate(alpha.cand)->empty());
    EXPECT_EQ(store_->evaluations_for_candidate(beta.cand)->size(), 2u);

    // A later event for the erased evaluation finds the tombstone and cannot refill it.
    upsert(rec(a.eval1, "screening", alpha, 0, "completed", "REJECT"));
    EXPECT_EQ(to_string(eval(a.eval1).state) + held_by(eval(a.eval1)), "erased");
}

TEST_P(erasure, a_running_job_is_cancelled_and_nothing_can_be_attached_to_it) {
    const job_id id =
        add({"screening", alpha.payload(), "corr", "screening:" + alpha.app, alpha.cand});
    claim_as_w(id, "screening");
    const erasure_report report = erase(alpha.cand);
    EXPECT_EQ(report.jobs, 1);
    EXPECT_EQ(report.jobs_cancelled, 1);

    EXPECT_EQ(get(id).lease_owner, "");
    const auto conflict = [](const result<void>& r) {
        return !r && r.error().code == errc::conflict;
    };
    EXPECT_TRUE(conflict(store_->save_checkpoint(id, "w", alpha.checkpoint())));
    EXPECT_TRUE(conflict(store_->mark_done(id, "w", "ACCEPT")));
    EXPECT_TRUE(conflict(store_->mark_retry(id, "w", clock_.now(), alpha.error())));
    EXPECT_TRUE(conflict(store_->extend_lease(id, "w", clock_.now() + 1h)));
    EXPECT_EQ(get(id).state, job_state::cancelled);
    EXPECT_EQ(held_by(get(id)), "");
    EXPECT_FALSE(store_->claim("w2", clock_.now() + 24h, 60s)->has_value()) << "cancelled is final";

    // The worker, unaware, records its evaluation and an audit line: neither keeps anything.
    upsert(rec("eval-late", "screening", alpha, id, "completed", "ACCEPT", alpha.docv));
    const evaluation_record e = eval("eval-late");
    EXPECT_EQ(to_string(e.state) + ("/" + e.decision + held_by(e)), "erased/");
    EXPECT_EQ(e.job, id);
    EXPECT_TRUE(store_->evaluations_for_candidate(alpha.cand)->empty());
    audit(id, "screening", "candidate " + alpha.cand);
    auto trail = store_->audit_for_job(id);
    ASSERT_TRUE(trail && !trail->empty());
    EXPECT_EQ(trail->back().step, "screening");
    EXPECT_EQ(trail->back().detail, "");
}

TEST_P(erasure, the_requesting_job_loses_its_payload_but_its_worker_finishes_it) {
    const job_id flow = add({"screening", alpha.payload(), "corr", std::nullopt, alpha.cand});
    const job_id eraser = add({erase_candidate_kind, R"({"candidate_id":")" + alpha.cand + "\"}",
                               "ashby:wa-9:candidateDelete", std::nullopt, std::nullopt});
    auto c = store_->claim("eraser", clock_.now(), 60s, {erase_candidate_kind});
    ASSERT_TRUE(c && c->has_value());
    ASSERT_EQ((*c)->id, eraser);

    const erasure_report report = erase(alpha.cand, eraser);
    EXPECT_EQ(report.jobs, 1) << "the requesting job is not one of the erased";
    EXPECT_EQ(get(flow).state, job_state::cancelled);
    const job e = get(eraser);
    EXPECT_EQ(e.payload, "");
    EXPECT_EQ(e.state, job_state::running);
    EXPECT_EQ(e.lease_owner, "eraser");
    auto trail = store_->audit_for_job(eraser);
    ASSERT_TRUE(trail);
    EXPECT_TRUE(trail->empty()) << "no erasure line for the requesting job";
    EXPECT_TRUE(store_->mark_done(eraser, "eraser", "erased"));
    EXPECT_EQ(get(eraser).state, job_state::done);
}

TEST_P(erasure, nothing_held_is_an_empty_report_and_a_second_erasure_finds_nothing) {
    const erasure_report none = erase("cand-never-seen");
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.jobs_cancelled, 0);

    seed(alpha);
    EXPECT_FALSE(erase(alpha.cand).empty());
    const erasure_report again = erase(alpha.cand);
    EXPECT_TRUE(again.empty());
    EXPECT_EQ(again.jobs_cancelled, 0);

    erasure_request blank;
    EXPECT_FALSE(store_->erase_candidate(blank)) << "an empty candidate id is refused";
}

TEST_P(erasure, merged_rows_belong_to_the_survivor_and_are_erased_with_it) {
    const person from = make_person("merged-away", "M. Away", "away@m.test", "1 Lane");
    const person into = make_person("survivor", "S. Urvivor", "s@m.test", "2 Lane");
    const job_id from_flow = add({"screening", from.payload(), "c1", std::nullopt, from.cand});
    upsert(rec("eval-m-1", "screening", from, from_flow, "completed", "ACCEPT"));
    const job_id finish = add({"finish", "{}", "c2", std::nullopt, std::string("eval-m-1")});
    const job_id into_flow = add({"screening", into.payload(), "c3", std::nullopt, into.cand});
    upsert(rec("eval-m-2", "screening", into, into_flow, "completed", "REVIEW"));

    auto moved = store_->merge_candidate(from.cand, into.cand, clock_.now());
    ASSERT_TRUE(moved) << moved.error().message;
    EXPECT_EQ(*moved, 2) << "one evaluation and one job's subject";
    EXPECT_EQ(subject_of(from_flow), into.cand);
    EXPECT_EQ(subject_of(finish), "eval-m-1") << "a job about an evaluation keeps its subject";
    EXPECT_TRUE(store_->evaluations_for_candidate(from.cand)->empty());
    EXPECT_EQ(store_->evaluations_for_candidate(into.cand)->size(), 2u);
    auto trail = store_->audit_for_job(from_flow);
    ASSERT_TRUE(trail && !trail->empty());
    EXPECT_EQ(trail->back().step, "merge");
    EXPECT_EQ(trail->back().outcome, "merged");
    EXPECT_EQ(*store_->merge_candidate(from.cand, into.cand, clock_.now()), 0)
        << "nothing left to move";

    EXPECT_TRUE(erase(from.cand).empty()) << "nothing is held under the merged-away id any more";
    const erasure_report report = erase(into.cand);
    EXPECT_EQ(report.jobs, 3);
    EXPECT_EQ(report.evaluations, 2);
    EXPECT_EQ(get(from_flow).payload, "");
    EXPECT_EQ(get(finish).state, job_state::cancelled);
    EXPECT_EQ(eval("eval-m-1").state, evaluation_state::erased);
}

TEST_P(erasure, retention_clears_old_finished_rows_in_every_table) {
    auto enq = [&](const std::string& key, const std::string& kind) {
        const auto r =
            enqueue_sync(*store_, make_request(key, kind, std::nullopt, alpha.payload()));
        EXPECT_EQ(r.status, enqueue_status::accepted);
        return r.id;
    };
    const job_id old_done = enq("wa-old", "old_done");
    const job_id old_dead = add({"old_dead", alpha.payload(), "c", std::nullopt, alpha.cand});
    const job_id old_queued = add({"old_queued", alpha.payload(), "c", std::nullopt, alpha.cand});
    fail_once(old_done, "old_done", alpha.error());
    ASSERT_TRUE(store_->save_checkpoint(old_done, "w", alpha.checkpoint()));
    ASSERT_TRUE(store_->mark_done(old_done, "w", "ACCEPT"));
    claim_as_w(old_dead, "old_dead");
    ASSERT_TRUE(store_->mark_dead(old_dead, "w", alpha.error()));
    audit(old_done, "screening", alpha.marker);
    upsert(rec("eval-old-done", "screening", alpha, old_done, "completed", "ACCEPT", alpha.docv));
    upsert(rec("eval-old-wait", "docv", alpha, old_queued, "requested", "", alpha.docv));
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "old", "old body", "r-old"}));

    clock_.advance(std::chrono::hours(24 * 10));
    const time_point t1 = clock_.now();
    const job_id new_done = enq("wa-new", "new_done");
    fail_once(new_done, "new_done", beta.error());
    ASSERT_TRUE(store_->mark_done(new_done, "w", "ACCEPT"));
    audit(new_done, "screening", beta.marker);
    upsert(rec("eval-new-done", "screening", beta, new_done, "completed", "ACCEPT", beta.docv));
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "new", "new body", "r-new"}));

    auto purged = store_->purge_finished(t1 - 24h);
    ASSERT_TRUE(purged) << purged.error().message;
    // 2 jobs, 2 attempt errors, 1 audit detail, 1 delivery, 1 evaluation, 1 quarantined body.
    EXPECT_EQ(*purged, 8);
    for (const job_id id : {old_done, old_dead}) {
        EXPECT_EQ(held_by(get(id)), "") << id;
        EXPECT_EQ(subject_of(id), "NULL") << id;
        EXPECT_EQ(raw()->scalar("SELECT outcome FROM jobs WHERE id = " + std::to_string(id)), "");
    }
    EXPECT_EQ(get(old_done).state, job_state::done);
    EXPECT_EQ(get(old_dead).state, job_state::dead);
    EXPECT_EQ(get(old_queued).payload, alpha.payload()) << "an unfinished job keeps its payload";
    const auto old_attempts = store_->job_attempts(old_done);
    ASSERT_TRUE(old_attempts);
    for (const auto& a : *old_attempts) {
        EXPECT_EQ(a.error, "");
    }
    EXPECT_EQ(store_->job_attempts(old_dead)->back().error, "");
    EXPECT_EQ(store_->audit_for_job(old_done)->back().detail, "");
    EXPECT_EQ(raw()->column("SELECT key FROM deliveries"), std::vector<std::string>{"wa-new"});
    EXPECT_EQ(held_by(eval("eval-old-done")), "");
    EXPECT_EQ(eval("eval-old-done").state, store::evaluation_state::completed);
    EXPECT_EQ(held_by(eval("eval-old-wait")), alpha.cand + alpha.app + alpha.docv)
        << "a waiting evaluation is kept";
    EXPECT_EQ(quarantined_body("r-old"), "NULL");

    // Recent rows are untouched.
    EXPECT_EQ(get(new_done).payload, alpha.payload());
    EXPECT_EQ(store_->job_attempts(new_done)->front().error, beta.error());
    EXPECT_EQ(store_->audit_for_job(new_done)->back().detail, beta.marker);
    EXPECT_EQ(eval("eval-new-done").candidate_id, beta.cand);
    EXPECT_EQ(quarantined_body("r-new"), "new body");

    auto again = store_->purge_finished(t1 - 24h);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0);
}

TEST_P(erasure, the_encrypting_store_matches_quarantined_bodies_decrypted) {
    // One body quarantined before encryption was turned on (clear), then encrypted ones.
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "bad", "clear " + alpha.cand, "req-clear"}));
    std::vector<security::data_key> keys{{"2026-11", std::string(security::data_key_bytes, 'k')}};
    auto cipher = security::data_cipher::make(std::move(keys));
    ASSERT_TRUE(cipher);
    store_ = make_encrypting_store(std::move(store_), *cipher);
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "bad", "about " + alpha.cand, "req-a"}));
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "bad", "about " + beta.cand, "req-b"}));
    ASSERT_EQ(quarantined_body("req-a").find(alpha.cand), std::string::npos) << "stored in clear";
    const job_id flow = add({"screening", alpha.payload(), "c", std::nullopt, alpha.cand});

    const erasure_report report = erase(alpha.cand);
    EXPECT_EQ(report.quarantined, 2);
    EXPECT_EQ(report.jobs, 1);
    EXPECT_EQ(get(flow).payload, "");
    auto left = store_->list_quarantine(10);
    ASSERT_TRUE(left);
    ASSERT_EQ(left->size(), 1u);
    EXPECT_EQ(left->front().request_id, "req-b");
}

TEST_F(sqlite_erasure, freed_bytes_are_overwritten_and_the_wal_is_truncated) {
    seed(alpha);
    seed(beta);
    ASSERT_FALSE(HasFailure());
    {
        raw_db r(db_path());
        ASSERT_TRUE(r.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    ASSERT_NE(file_bytes(db_path()).find(alpha.marker), std::string::npos)
        << "precondition: the candidate's bytes are in the database file";

    EXPECT_FALSE(erase(alpha.cand).empty());
    const std::string wal = db_path() + "-wal";
    EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0)
        << std::filesystem::file_size(wal) << " bytes left in the WAL";
    std::string bytes = file_bytes(db_path());
    if (std::filesystem::exists(wal)) {
        bytes += file_bytes(wal);
    }
    for (const auto& s : alpha.personal()) {
        EXPECT_EQ(bytes.find(s), std::string::npos) << s << " lingers in the database file";
    }
    EXPECT_NE(bytes.find(beta.marker), std::string::npos)
        << "the other candidate's rows were checkpointed into the file";
}

// FAILS (implementation bug, left in place on purpose): with PostgreSQL, what a running job's
// worker records while the erasure statement is in flight keeps the candidate's data. The
// erasure (postgres_privacy.cpp, erase_sql) is one statement whose snapshot is taken when it
// starts; upsert_evaluation and insert_audit (postgres_store.cpp) test "job is cancelled" with
// a plain read that neither waits for the erasure's row locks nor is seen by its snapshot. Here
// another transaction holds the job's row lock so the window is held open deterministically;
// in production it is the statement's run time plus any wait for a worker's row lock.
TEST_F(postgres_erasure, what_a_running_job_records_while_the_erasure_runs_is_erased_too) {
    const job_id id = add({"docv", alpha.payload(), "c", std::nullopt, alpha.cand});
    claim_as_w(id, "docv");
    auto locker = raw();
    ASSERT_TRUE(locker->exec("BEGIN"));
    ASSERT_EQ(
        locker->column("SELECT id FROM jobs WHERE id = " + std::to_string(id) + " FOR UPDATE"),
        std::vector<std::string>{std::to_string(id)});
    auto erased = std::async(std::launch::async, [&] { return erase(alpha.cand); });
    auto watcher = raw();
    ASSERT_TRUE(eventually([&] {
        return watcher->scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                   "'Lock' AND application_name = '" +
                   schema_->name() + "'") != "0";
    })) << "the erasure never waited for the job's row";

    // The worker, not yet cancelled, records its evaluation and an audit line meanwhile.
    upsert(rec("eval-race", "document_verification", alpha, id, "requested", "", alpha.docv));
    audit(id, "docv", "capture link sent to " + alpha.email);
    ASSERT_TRUE(locker->exec("COMMIT"));
    EXPECT_EQ(erased.get().jobs, 1);
    EXPECT_EQ(get(id).state, job_state::cancelled);
    EXPECT_EQ(held_by(eval("eval-race")), "") << "the evaluation recorded meanwhile kept its data";
    const auto trail = store_->audit_for_job(id);
    ASSERT_TRUE(trail && !trail->empty());
    EXPECT_EQ(trail->front().detail, "") << "audit detail written during the erasure was kept";
}

}  // namespace
}  // namespace riskbridge::store::testing
