// Schema and opening, evaluations, the audit trail.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "riskbridge/observability/log.hpp"

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

using schema = store_test;
RB_STORE_BACKENDS(schema);

TEST_F(sqlite_only, empty_file_is_migrated_and_reopening_is_a_no_op) {
    { std::ofstream touch(db_path()); }  // a zero-byte file, as an operator might create
    ASSERT_EQ(std::filesystem::file_size(db_path()), 0u);
    {
        auto store = open();
        ASSERT_TRUE(store);
    }
    {
        raw_db raw(db_path());
        EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
        EXPECT_EQ(raw.scalar("SELECT max(version) FROM schema_version"), "4");
        auto tables =
            raw.column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        EXPECT_EQ(tables,
                  (std::vector<std::string>{"audit", "deliveries", "evaluations", "job_attempts",
                                            "jobs", "quarantine", "schema_version", "singletons"}));
    }
    {
        auto store = open();
        ASSERT_TRUE(store);
        EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::accepted);
    }
    raw_db raw(db_path());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM schema_version"), "4");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM jobs"), "1");
}

TEST_F(sqlite_only, a_version_1_file_is_upgraded_in_place) {
    {
        auto store = open();
        ASSERT_TRUE(store);
        EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::accepted);
    }
    {
        raw_db raw(db_path());  // as the first release left it
        ASSERT_TRUE(
            raw.exec("DROP TABLE singletons; DROP INDEX jobs_subject; DROP INDEX jobs_ended; "
                     "DROP INDEX deliveries_received; DROP INDEX job_attempts_finished; "
                     "DROP INDEX audit_at; ALTER TABLE jobs DROP COLUMN subject; "
                     "DELETE FROM schema_version WHERE version >= 2"));
    }
    auto store = open();
    ASSERT_TRUE(store);
    auto held = store->try_acquire_singleton("retention", "me", clock_.now(), 1min);
    ASSERT_TRUE(held) << held.error().message;
    EXPECT_TRUE(*held);
    EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::duplicate);
    EXPECT_EQ(raw()->scalar("SELECT max(version) FROM schema_version"), "4");
    // Step 4: the claim index holds the kind and state, so a claim by kind reads no row.
    EXPECT_NE(raw()
                  ->scalar("SELECT sql FROM sqlite_master WHERE name = 'jobs_due'")
                  .find("(next_run_at, id, kind, state)"),
              std::string::npos);
    // Step 3: jobs have a subject, and 'cancelled' passes the state check.
    EXPECT_TRUE(raw()->exec("UPDATE jobs SET subject = 'c-1', state = 'cancelled'"));
    EXPECT_EQ(raw()->scalar("SELECT count(*) FROM jobs WHERE state = 'cancelled'"), "1");
    const std::string table =
        raw()->scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'jobs'");
    EXPECT_NE(table.find("CHECK (state IN ('queued', 'running', 'retry_wait', 'done', 'dead', "
                         "'cancelled'))"),
              std::string::npos)
        << table;
}

TEST_F(postgres_only, schema_is_migrated_and_reopening_is_a_no_op) {
    {
        auto store = open();
        ASSERT_TRUE(store);
    }
    auto raw_conn = raw();
    EXPECT_EQ(raw_conn->scalar("SELECT max(version) FROM schema_version"), "4");
    const std::string tables_sql =
        "SELECT table_name FROM information_schema.tables WHERE table_schema = '" +
        schema_->name() + "' ORDER BY table_name";
    EXPECT_EQ(raw_conn->column(tables_sql),
              (std::vector<std::string>{"audit", "deliveries", "evaluations", "job_attempts",
                                        "jobs", "quarantine", "schema_version", "singletons"}));
    {
        auto store = open();
        ASSERT_TRUE(store);
        EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::accepted);
    }
    EXPECT_EQ(raw_conn->scalar("SELECT count(*) FROM schema_version"), "4");
    EXPECT_EQ(raw_conn->scalar("SELECT count(*) FROM jobs"), "1");
}

TEST_P(schema, newer_schema_than_the_code_knows_is_refused) {
    { ASSERT_TRUE(open()); }
    ASSERT_TRUE(raw()->exec("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)"));
    auto s = try_open();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, errc::invalid_argument);
    EXPECT_NE(s.error().message.find("99"), std::string::npos);
}

TEST_F(sqlite_only, claim_queries_are_served_by_their_indexes) {
    { ASSERT_TRUE(open()); }
    raw_db raw(db_path());
    // The plan of the same statements the store prepares for claim().
    auto plan = [&](const std::string& sql) {
        std::string all;
        sqlite3* db = nullptr;
        sqlite3_open(db_path().c_str(), &db);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &s, nullptr);
        while (sqlite3_step(s) == SQLITE_ROW) {
            all += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
            all += "\n";
        }
        sqlite3_finalize(s);
        sqlite3_close(db);
        return all;
    };
    const std::string due_plan = plan(
        "SELECT id, next_run_at FROM jobs INDEXED BY jobs_due WHERE state IN ('queued', "
        "'retry_wait') AND "
        "next_run_at <= 5 ORDER BY next_run_at, id LIMIT 1");
    EXPECT_NE(due_plan.find("jobs_due"), std::string::npos) << due_plan;
    EXPECT_EQ(due_plan.find("TEMP B-TREE"), std::string::npos) << due_plan;
    // A claim for some kinds (the privacy pool's) reads the index alone.
    const std::string kinds_plan = plan(
        "SELECT id, next_run_at FROM jobs INDEXED BY jobs_due WHERE state IN ('queued', "
        "'retry_wait') AND next_run_at <= 5 AND kind IN (SELECT value FROM "
        "json_each('[\"erase_candidate\"]')) ORDER BY next_run_at, id LIMIT 1");
    EXPECT_NE(kinds_plan.find("COVERING INDEX jobs_due"), std::string::npos) << kinds_plan;
    const std::string lease_plan = plan(
        "SELECT id, next_run_at, lease_owner FROM jobs INDEXED BY jobs_lease WHERE state = "
        "'running' AND "
        "lease_until <= 5 ORDER BY lease_until, id LIMIT 1");
    EXPECT_NE(lease_plan.find("jobs_lease"), std::string::npos) << lease_plan;
    EXPECT_EQ(lease_plan.find("TEMP B-TREE"), std::string::npos) << lease_plan;
}

TEST_F(postgres_only, claim_statement_is_served_by_its_indexes) {
    { ASSERT_TRUE(open()); }
    auto raw_conn = raw();
    // Enough rows, half of them leased, for the planner to prefer the indexes on its own.
    ASSERT_TRUE(raw_conn->exec(
        "INSERT INTO jobs (kind, state, next_run_at, lease_until, created_at, updated_at) "
        "SELECT 'k', CASE WHEN i % 2 = 0 THEN 'queued' ELSE 'running' END, i, i, 0, 0 "
        "FROM generate_series(1, 20000) AS i; ANALYZE jobs"));
    // The claim statement's two row sources, as the store prepares them.
    const auto plan = [&](const std::string& sql) {
        std::string all;
        for (const auto& line : raw_conn->column("EXPLAIN " + sql)) {
            all += line + "\n";
        }
        return all;
    };
    const std::string due_plan = plan(
        "SELECT id, next_run_at, attempts, lease_owner, false AS expired FROM jobs "
        "WHERE state IN ('queued', 'retry_wait') AND next_run_at <= 15000 "
        "AND (NULL::text[] IS NULL OR kind = ANY(NULL::text[])) "
        "ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED");
    EXPECT_NE(due_plan.find("Index Scan using jobs_due"), std::string::npos) << due_plan;
    EXPECT_EQ(due_plan.find("Sort"), std::string::npos) << due_plan;
    const std::string lease_plan = plan(
        "SELECT id, next_run_at, attempts, lease_owner, true AS expired FROM jobs "
        "WHERE state = 'running' AND lease_until <= 15000 "
        "AND (ARRAY['k']::text[] IS NULL OR kind = ANY(ARRAY['k']::text[])) "
        "ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED");
    EXPECT_NE(lease_plan.find("Index Scan using jobs_lease"), std::string::npos) << lease_plan;
    EXPECT_EQ(lease_plan.find("Sort"), std::string::npos) << lease_plan;
}

TEST_F(sqlite_only, memory_databases_are_refused) {
    auto s = make_sqlite_store({":memory:"}, clock_);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, errc::invalid_argument);
    auto empty = make_sqlite_store({""}, clock_);
    ASSERT_FALSE(empty);
}

TEST_F(sqlite_only, open_store_creates_directories) {
    config::store_config cfg;
    cfg.sqlite_path = dir_.file("nested/deeper/riskbridge.db");
    cfg.max_pending_writes = 7;
    auto s = open_store(cfg, clock_);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(std::filesystem::exists(*cfg.sqlite_path));
    EXPECT_EQ(enqueue_sync(**s, make_request("k")).status, enqueue_status::accepted);
}

TEST_F(postgres_only, open_store_opens_postgres_when_postgres_url_is_set) {
    config::store_config cfg;
    cfg.sqlite_path = dir_.file("not-used.db");  // postgres_url wins
    cfg.postgres_url = config::secret{schema_->url()};
    cfg.postgres_pool_size = 2;
    auto s = open_store(cfg, clock_);
    ASSERT_TRUE(s) << s.error().message;
    auto r = enqueue_sync(**s, make_request("k"));
    EXPECT_EQ(r.status, enqueue_status::accepted);
    EXPECT_EQ(raw()->scalar("SELECT count(*) FROM deliveries"), "1");
    EXPECT_FALSE(std::filesystem::exists(*cfg.sqlite_path));
}

// No server needed: a wrong or unreachable URL fails fast, and neither the error nor the
// logs ever show the password it holds.
TEST(postgres_url, failures_never_show_the_password) {
    std::ostringstream logs;
    log::init_to_stream(logs, log::level::debug);
    manual_clock clk;
    config::store_config cfg;
    cfg.postgres_url = config::secret{"postgresql://rb:hunter2-secret@127.0.0.1:1/rb"};
    auto unreachable = open_store(cfg, clk);
    ASSERT_FALSE(unreachable);
    EXPECT_EQ(unreachable.error().code, errc::unavailable);
    EXPECT_EQ(unreachable.error().message.find("hunter2"), std::string::npos)
        << unreachable.error().message;

    cfg.postgres_url = config::secret{"postgresql://rb:hunter2%zz@127.0.0.1/rb"};
    auto malformed = open_store(cfg, clk);
    ASSERT_FALSE(malformed);
    EXPECT_EQ(malformed.error().code, errc::invalid_argument);
    EXPECT_EQ(malformed.error().message.find("hunter2"), std::string::npos)
        << malformed.error().message;
    log::init(log::level::info);
    EXPECT_EQ(logs.str().find("hunter2"), std::string::npos) << logs.str();
}

TEST(store_names, states_and_statuses_round_trip) {
    for (auto s : {job_state::queued, job_state::running, job_state::retry_wait, job_state::done,
                   job_state::dead}) {
        EXPECT_EQ(parse_job_state(to_string(s)), s);
    }
    EXPECT_FALSE(parse_job_state("Queued"));
    EXPECT_FALSE(parse_job_state(""));
    EXPECT_STREQ(to_string(enqueue_status::accepted), "accepted");
    EXPECT_STREQ(to_string(enqueue_status::duplicate), "duplicate");
    EXPECT_STREQ(to_string(enqueue_status::overloaded), "overloaded");
    EXPECT_STREQ(to_string(enqueue_status::unavailable), "unavailable");
}

class records : public store_test {
protected:
    void SetUp() override {
        store_test::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        store_ = open();
        ASSERT_TRUE(store_);
    }
    evaluation_record eval(const std::string& id, const std::string& candidate,
                           const std::string& state) {
        evaluation_record e;
        e.eval_id = id;
        e.flow = "screening";
        e.application_id = "app-" + id;
        e.candidate_id = candidate;
        e.job = 42;
        e.state = parse_evaluation_state(state).value();
        return e;
    }
    std::unique_ptr<job_store> store_;
};
RB_STORE_BACKENDS(records);

TEST_P(records, evaluation_upsert_and_lookups) {
    const time_point t0 = clock_.now();
    ASSERT_TRUE(store_->upsert_evaluation(eval("ev-1", "cand-1", "requested")));
    auto found = store_->find_evaluation("ev-1");
    ASSERT_TRUE(found);
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->flow, "screening");
    EXPECT_EQ((*found)->application_id, "app-ev-1");
    EXPECT_EQ((*found)->job, 42);
    EXPECT_EQ((*found)->created_at, t0);
    EXPECT_EQ((*found)->updated_at, t0);

    clock_.advance(5min);
    evaluation_record e = **found;
    e.state = evaluation_state::deciding;
    e.flow = "document_verification";
    e.docv_token = "tok-123";
    e.expires_at = t0 + 24h;
    e.updated_at = {};  // let the store stamp it
    ASSERT_TRUE(store_->upsert_evaluation(e));
    auto updated = store_->find_evaluation("ev-1");
    ASSERT_TRUE(updated && updated->has_value());
    EXPECT_EQ((*updated)->state, evaluation_state::deciding);
    EXPECT_EQ((*updated)->created_at, t0) << "creation time is kept";
    EXPECT_EQ((*updated)->updated_at, t0 + 5min);
    EXPECT_EQ((*updated)->expires_at, t0 + 24h);

    auto by_token = store_->find_evaluation_by_docv_token("tok-123");
    ASSERT_TRUE(by_token && by_token->has_value());
    EXPECT_EQ((*by_token)->eval_id, "ev-1");
    auto no_token = store_->find_evaluation_by_docv_token("nope");
    ASSERT_TRUE(no_token);
    EXPECT_FALSE(no_token->has_value());
    auto empty_token = store_->find_evaluation_by_docv_token("");
    ASSERT_TRUE(empty_token);
    EXPECT_FALSE(empty_token->has_value());

    ASSERT_TRUE(store_->upsert_evaluation(eval("ev-2", "cand-1", "completed")));
    ASSERT_TRUE(store_->upsert_evaluation(eval("ev-3", "cand-2", "requested")));
    auto for_candidate = store_->evaluations_for_candidate("cand-1");
    ASSERT_TRUE(for_candidate);
    ASSERT_EQ(for_candidate->size(), 2u);
    EXPECT_EQ((*for_candidate)[0].eval_id, "ev-1");
    EXPECT_EQ((*for_candidate)[1].eval_id, "ev-2");
    auto missing = store_->find_evaluation("ev-404");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());
    auto bad = store_->upsert_evaluation(eval("", "c", "requested"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, errc::invalid_argument);
}

TEST_P(records, stale_evaluations_oldest_first_in_the_given_states) {
    const time_point t0 = clock_.now();
    auto at = [&](const std::string& id, const std::string& state, std::chrono::minutes m) {
        auto e = eval(id, "c", state);
        e.updated_at = t0 + m;
        ASSERT_TRUE(store_->upsert_evaluation(e));
    };
    at("a", "requested", 3min);
    at("b", "pending", 1min);
    at("c", "completed", 0min);
    at("d", "requested", 2min);
    at("e", "requested", 30min);  // not stale yet
    auto stale = store_->stale_evaluations({evaluation_state::requested, evaluation_state::pending},
                                           t0 + 10min, 10);
    ASSERT_TRUE(stale);
    std::vector<std::string> ids;
    for (const auto& e : *stale) {
        ids.push_back(e.eval_id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"b", "d", "a"}));
    auto limited = store_->stale_evaluations(
        {evaluation_state::requested, evaluation_state::pending}, t0 + 10min, 2);
    ASSERT_TRUE(limited);
    ASSERT_EQ(limited->size(), 2u);
    EXPECT_EQ((*limited)[1].eval_id, "d");
    auto none = store_->stale_evaluations({}, t0 + 10min, 10);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST_P(records, audit_trail_in_order_per_job) {
    const time_point t0 = clock_.now();
    ASSERT_TRUE(store_->append_audit({7, t0, "candidate_read", "ok", ""}));
    ASSERT_TRUE(store_->append_audit({8, t0, "other_job", "ok", ""}));
    clock_.advance(1s);
    ASSERT_TRUE(store_->append_audit({7, {}, "evaluation_started", "ok", "eval_id=ev-1"}));
    auto trail = store_->audit_for_job(7);
    ASSERT_TRUE(trail);
    ASSERT_EQ(trail->size(), 2u);
    EXPECT_EQ((*trail)[0].step, "candidate_read");
    EXPECT_EQ((*trail)[0].at, t0);
    EXPECT_EQ((*trail)[1].step, "evaluation_started");
    EXPECT_EQ((*trail)[1].detail, "eval_id=ev-1");
    EXPECT_EQ((*trail)[1].at, t0 + 1s) << "an unset time is stamped by the store's clock";
    EXPECT_EQ((*trail)[1].job, 7);
    auto empty = store_->audit_for_job(9);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace riskbridge::store::testing
