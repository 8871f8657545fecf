// Each backend persists exactly the moves the job state machine (store/job_lifecycle.hpp)
// allows: an operation on a job in a state the machine refuses changes nothing, and an allowed
// one leaves the job in the state the machine names.

#include "riskbridge/store/job_lifecycle.hpp"

#include <functional>
#include <string>

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

class lifecycle : public store_test {
protected:
    void SetUp() override {
        store_test::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        store_ = open();
        ASSERT_TRUE(store_);
    }

    /// A job of its own kind and subject, leased (when it ever was) by `owner(id)`, brought
    /// into state `s` through the store's own operations.
    job_id in_state(job_state s) {
        const std::string kind = "kind" + std::to_string(++jobs_);
        new_job j;
        j.kind = kind;
        j.payload = R"({"p":1})";
        j.subject = subject_of(kind);
        auto id = store_->add_job(j, clock_.now());
        EXPECT_TRUE(id) << id.error().message;
        if (!id || s == job_state::queued) {
            return id ? *id : 0;
        }
        auto claimed = store_->claim(owner(*id), clock_.now(), 60s, {kind});
        EXPECT_TRUE(claimed && claimed->has_value());
        result<void> moved;
        switch (s) {
            case job_state::retry_wait:
                moved = store_->mark_retry(*id, owner(*id), clock_.now(), "again");
                break;
            case job_state::done:
                moved = store_->mark_done(*id, owner(*id), "ok");
                break;
            case job_state::dead:
                moved = store_->mark_dead(*id, owner(*id), "gone");
                break;
            case job_state::cancelled: {
                erasure_request req;
                req.candidate_id = subject_of(kind);
                req.at = clock_.now();
                auto report = store_->erase_candidate(req);
                EXPECT_TRUE(report) << report.error().message;
                break;
            }
            default:
                break;
        }
        EXPECT_TRUE(moved) << moved.error().message;
        EXPECT_EQ(state(*id), s);
        return *id;
    }

    static std::string owner(job_id id) { return "worker-" + std::to_string(id); }
    static std::string subject_of(const std::string& kind) { return "candidate-" + kind; }

    job_state state(job_id id) {
        auto j = store_->get_job(id);
        EXPECT_TRUE(j && j->has_value());
        return j && j->has_value() ? (*j)->state : job_state::queued;
    }

    /// Runs `op_call` on a job in every state and checks the outcome against the table.
    void check(job_op op, const std::function<bool(job_id)>& op_call) {
        for (const job_state from : all_job_states) {
            const job_id id = in_state(from);
            ASSERT_NE(id, 0);
            const bool applied = op_call(id);
            EXPECT_EQ(applied, allowed(op, from)) << to_string(op) << " from " << to_string(from);
            EXPECT_EQ(state(id), next_state(op, from).value_or(from))
                << to_string(op) << " from " << to_string(from);
        }
    }

    std::unique_ptr<job_store> store_;
    int jobs_ = 0;
};
RB_STORE_BACKENDS(lifecycle);

TEST_P(lifecycle, the_lease_holders_operations_apply_only_where_the_machine_allows_them) {
    check(job_op::extend_lease, [&](job_id id) {
        return store_->extend_lease(id, owner(id), clock_.now() + 120s).has_value();
    });
    check(job_op::save_checkpoint, [&](job_id id) {
        return store_->save_checkpoint(id, owner(id), R"({"step":1})").has_value();
    });
    check(job_op::mark_done,
          [&](job_id id) { return store_->mark_done(id, owner(id), "ok").has_value(); });
    check(job_op::mark_retry, [&](job_id id) {
        return store_->mark_retry(id, owner(id), clock_.now() + 60s, "again").has_value();
    });
    check(job_op::mark_dead,
          [&](job_id id) { return store_->mark_dead(id, owner(id), "gone").has_value(); });
}

TEST_P(lifecycle, a_refused_operation_is_a_conflict) {
    const job_id done = in_state(job_state::done);
    auto r = store_->mark_retry(done, owner(done), clock_.now(), "again");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::conflict);
}

TEST_P(lifecycle, claim_takes_only_jobs_in_the_states_the_machine_names) {
    check(job_op::claim, [&](job_id id) {
        const std::string kind = store_->get_job(id).value()->kind;
        auto c = store_->claim("claimer", clock_.now(), 60s, {kind});
        EXPECT_TRUE(c) << c.error().message;
        return c && c->has_value() && (*c)->id == id;
    });
}

TEST_P(lifecycle, release_and_retry_dead_move_only_the_jobs_the_machine_allows) {
    check(job_op::release, [&](job_id id) {
        auto n = store_->release_leases(owner(id));
        EXPECT_TRUE(n) << n.error().message;
        return n && *n == 1;
    });
    check(job_op::retry_dead, [&](job_id id) {
        auto n = store_->retry_dead(id, clock_.now());
        EXPECT_TRUE(n) << n.error().message;
        return n && *n == 1;
    });
}

TEST_P(lifecycle, an_erasure_cancels_every_job_the_machine_lets_it_cancel) {
    for (const job_state from : all_job_states) {
        const job_id id = in_state(from);
        ASSERT_NE(id, 0);
        erasure_request req;
        req.candidate_id = subject_of(store_->get_job(id).value()->kind);
        req.at = clock_.now();
        ASSERT_TRUE(store_->erase_candidate(req));
        // A job cancelled before keeps its state (its subject is gone: the erasure does not
        // reach it again); done stays done.
        EXPECT_EQ(state(id), next_state(job_op::cancel, from).value_or(from)) << to_string(from);
    }
}

}  // namespace
}  // namespace riskbridge::store::testing
