// The PostgreSQL claim composed from the job state machine (store/job_lifecycle.hpp): its
// two row sources, with the guards guard_sql gives them, are still served by the partial
// indexes jobs_due and jobs_lease (whose predicates the guards must match), in index order,
// with FOR UPDATE SKIP LOCKED; and the one UPDATE that serves both is the same move.

#include <gtest/gtest.h>

#include <string>

#include "riskbridge/store/job_lifecycle.hpp"

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

TEST(PostgresClaimTest, ClaimAndTakeOverMakeTheSameMove) {
    // postgres_statements.cpp runs both as one UPDATE (and refuses to compose it otherwise).
    EXPECT_EQ(effects_sql(job_op::claim), effects_sql(job_op::take_over));
    EXPECT_EQ(transition(job_op::claim).lease, transition(job_op::take_over).lease);
    EXPECT_EQ(transition(job_op::claim).finishes, transition(job_op::take_over).finishes);
}

TEST_F(postgres_only, claim_guards_from_the_state_machine_are_served_by_the_partial_indexes) {
    { ASSERT_TRUE(open()); }
    auto raw_conn = raw();
    // Enough rows, half of them leased, for the planner to prefer the indexes on its own.
    ASSERT_TRUE(raw_conn->exec(
        "INSERT INTO jobs (kind, state, next_run_at, lease_until, created_at, updated_at) "
        "SELECT 'k', CASE WHEN i % 2 = 0 THEN 'queued' ELSE 'running' END, i, i, 0, 0 "
        "FROM generate_series(1, 20000) AS i; ANALYZE jobs"));
    const auto plan = [&](const std::string& sql) {
        std::string all;
        for (const auto& line : raw_conn->column("EXPLAIN " + sql)) {
            all += line + "\n";
        }
        return all;
    };
    for (const char* kinds : {"NULL::text[]", "ARRAY['k']::text[]"}) {
        const std::string k(kinds);
        const std::string due_plan =
            plan("SELECT id FROM jobs WHERE " + guard_sql(job_op::claim) +
                 " AND next_run_at <= 15000 AND (" + k + " IS NULL OR kind = ANY(" + k +
                 ")) ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED");
        EXPECT_NE(due_plan.find("Index Scan using jobs_due"), std::string::npos) << due_plan;
        EXPECT_NE(due_plan.find("LockRows"), std::string::npos) << due_plan;
        EXPECT_EQ(due_plan.find("Sort"), std::string::npos) << due_plan;
        const std::string lease_plan =
            plan("SELECT id FROM jobs WHERE " + guard_sql(job_op::take_over) +
                 " AND lease_until <= 15000 AND (" + k + " IS NULL OR kind = ANY(" + k +
                 ")) ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED");
        EXPECT_NE(lease_plan.find("Index Scan using jobs_lease"), std::string::npos) << lease_plan;
        EXPECT_NE(lease_plan.find("LockRows"), std::string::npos) << lease_plan;
        EXPECT_EQ(lease_plan.find("Sort"), std::string::npos) << lease_plan;
    }
}

TEST_F(postgres_only, the_guards_match_the_partial_index_predicates) {
    { ASSERT_TRUE(open()); }
    auto raw_conn = raw();
    // The server's own rendering of each index predicate and of the guard, compared as
    // expressions: the guard of take_over ("state IN ('running')") is parsed as the
    // predicate of jobs_lease ("state = 'running'").
    const auto predicate = [&](const std::string& index) {
        return raw_conn->scalar(
            "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = '" + index +
            "'::regclass");
    };
    const auto rendered = [&](const std::string& guard) {
        raw_conn->exec(
            "DROP INDEX IF EXISTS guard_probe; CREATE INDEX guard_probe ON jobs (id) "
            "WHERE " +
            guard);
        return predicate("guard_probe");
    };
    EXPECT_EQ(rendered(guard_sql(job_op::claim)), predicate("jobs_due"));
    EXPECT_EQ(rendered(guard_sql(job_op::take_over)), predicate("jobs_lease"));
}

}  // namespace
}  // namespace riskbridge::store::testing
