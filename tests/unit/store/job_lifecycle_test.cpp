// The job state machine's table (store/job_lifecycle.hpp): the moves it allows, the SQL both
// backends take from it.

#include "riskbridge/store/job_lifecycle.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

namespace riskbridge::store {
namespace {

using enum job_state;

// Every allowed (op, from) → to, written out by hand; everything else is refused.
const std::map<std::pair<job_op, job_state>, job_state>& expected_moves() {
    static const std::map<std::pair<job_op, job_state>, job_state> moves = {
        {{job_op::claim, queued}, running},
        {{job_op::claim, retry_wait}, running},
        {{job_op::take_over, running}, running},
        {{job_op::extend_lease, running}, running},
        {{job_op::save_checkpoint, running}, running},
        {{job_op::mark_done, running}, done},
        {{job_op::mark_retry, running}, retry_wait},
        {{job_op::mark_dead, running}, dead},
        {{job_op::release, running}, queued},
        {{job_op::retry_dead, dead}, queued},
        {{job_op::cancel, queued}, cancelled},
        {{job_op::cancel, running}, cancelled},
        {{job_op::cancel, retry_wait}, cancelled},
        {{job_op::cancel, dead}, cancelled},
    };
    return moves;
}

TEST(JobLifecycleTest, AllowsExactlyTheMovesOfTheStateMachine) {
    for (auto op : all_job_ops) {
        for (auto from : all_job_states) {
            auto it = expected_moves().find({op, from});
            auto next = next_state(op, from);
            if (it == expected_moves().end()) {
                EXPECT_FALSE(next) << to_string(op) << " from " << to_string(from);
                EXPECT_FALSE(allowed(op, from));
            } else {
                ASSERT_TRUE(next) << to_string(op) << " from " << to_string(from);
                EXPECT_EQ(*next, it->second) << to_string(op) << " from " << to_string(from);
                EXPECT_TRUE(allowed(op, from));
            }
        }
    }
}

TEST(JobLifecycleTest, CancelledIsFinalAndDoneOnlyLeavesNothing) {
    for (auto op : all_job_ops) {
        EXPECT_FALSE(allowed(op, cancelled)) << to_string(op);
        EXPECT_FALSE(allowed(op, done)) << to_string(op);
    }
    EXPECT_TRUE(is_finished(done));
    EXPECT_TRUE(is_finished(dead));
    EXPECT_TRUE(is_finished(cancelled));
    EXPECT_FALSE(is_finished(queued));
    EXPECT_FALSE(is_finished(running));
    EXPECT_FALSE(is_finished(retry_wait));
}

TEST(JobLifecycleTest, OnlyTheLeaseHolderFinishesOrExtendsAJob) {
    std::set<job_op> holder_ops;
    for (auto op : all_job_ops) {
        if (transition(op).needs_lease_holder)
            holder_ops.insert(op);
    }
    EXPECT_EQ(holder_ops,
              (std::set<job_op>{job_op::extend_lease, job_op::save_checkpoint, job_op::mark_done,
                                job_op::mark_retry, job_op::mark_dead}));
}

TEST(JobLifecycleTest, EveryAttemptThatEndsIsRecorded) {
    EXPECT_STREQ(transition(job_op::mark_done).attempt_outcome, "done");
    EXPECT_STREQ(transition(job_op::mark_retry).attempt_outcome, "retry");
    EXPECT_STREQ(transition(job_op::mark_dead).attempt_outcome, "dead");
    EXPECT_STREQ(transition(job_op::take_over).attempt_outcome, "lease_expired");
    EXPECT_STREQ(transition(job_op::release).attempt_outcome, "lease_expired");
    EXPECT_EQ(transition(job_op::claim).attempt_outcome, nullptr);
    EXPECT_EQ(transition(job_op::cancel).attempt_outcome, nullptr);
}

TEST(JobLifecycleTest, GuardsAndEffectsAreTheSqlBothBackendsRun) {
    EXPECT_EQ(guard_sql(job_op::claim), "state IN ('queued', 'retry_wait')");
    EXPECT_EQ(guard_sql(job_op::mark_done), "state IN ('running')");
    EXPECT_EQ(guard_sql(job_op::cancel), "state IN ('queued', 'running', 'retry_wait', 'dead')");
    EXPECT_EQ(effects_sql(job_op::claim), "state = 'running', attempts = attempts + 1");
    EXPECT_EQ(effects_sql(job_op::mark_done), "state = 'done', lease_owner = '', lease_until = 0");
    EXPECT_EQ(effects_sql(job_op::retry_dead),
              "state = 'queued', lease_owner = '', lease_until = 0, attempts = 0, outcome = '', "
              "finished_at = NULL");
    EXPECT_EQ(effects_sql(job_op::extend_lease), "");
    EXPECT_EQ(finished_states_sql(), "state IN ('done', 'dead', 'cancelled')");
}

}  // namespace
}  // namespace riskbridge::store
