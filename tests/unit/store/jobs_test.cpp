// The job state machine: claim, leases, checkpoints, retries, dead letters, retention.

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

class jobs : public store_test {
protected:
    void SetUp() override {
        store_test::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        store_ = open();
        ASSERT_TRUE(store_);
    }

    job_id add(const std::string& kind, time_point run_at, const char* unique_key = nullptr) {
        new_job j;
        j.kind = kind;
        j.payload = R"({"p":1})";
        j.correlation_id = "corr";
        if (unique_key != nullptr) {
            j.unique_key = unique_key;
        }
        auto id = store_->add_job(j, run_at);
        EXPECT_TRUE(id) << id.error().message;
        return id ? *id : 0;
    }

    job claim_one(const std::string& owner, milliseconds lease = 60s) {
        auto c = store_->claim(owner, clock_.now(), lease);
        EXPECT_TRUE(c) << c.error().message;
        if (!c || !c->has_value()) {
            ADD_FAILURE() << "nothing claimed";
            return {};
        }
        return **c;
    }

    bool nothing_due(const std::string& owner = "w") {
        auto c = store_->claim(owner, clock_.now(), 60s);
        EXPECT_TRUE(c);
        return c && !c->has_value();
    }

    job get(job_id id) {
        auto j = store_->get_job(id);
        EXPECT_TRUE(j);
        EXPECT_TRUE(j && j->has_value());
        return j && j->has_value() ? **j : job{};
    }

    std::unique_ptr<job_store> store_;
};
RB_STORE_BACKENDS(jobs);

TEST_P(jobs, claim_takes_the_oldest_due_job_first) {
    const time_point t0 = clock_.now();
    const job_id later = add("a", t0 + 10s);
    const job_id first = add("b", t0 - 5s);
    const job_id second = add("c", t0 - 5s);  // same time: lower id first
    const job_id third = add("d", t0);

    job j = claim_one("w1", 30s);
    EXPECT_EQ(j.id, first);
    EXPECT_EQ(j.state, job_state::running);
    EXPECT_EQ(j.lease_owner, "w1");
    EXPECT_EQ(j.lease_until, t0 + 30s);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.kind, "b");
    EXPECT_EQ(j.payload, R"({"p":1})");
    EXPECT_EQ(claim_one("w2").id, second);
    EXPECT_EQ(claim_one("w3").id, third);
    EXPECT_TRUE(nothing_due()) << "a job due in 10 s is not due now";
    clock_.advance(10s);
    EXPECT_EQ(claim_one("w4").id, later);
    EXPECT_TRUE(nothing_due());

    auto running = store_->list_jobs(job_state::running, 0);
    ASSERT_TRUE(running);
    EXPECT_EQ(running->size(), 4u);
}

TEST_P(jobs, claim_takes_only_the_kinds_asked_for) {
    const time_point t0 = clock_.now();
    const job_id unknown = add("not_built_yet", t0 - 10s);
    const job_id screening = add("screening", t0 - 5s);
    const job_id docv = add("document_verification", t0);
    const std::vector<std::string> kinds{"document_verification", "screening"};

    auto a = store_->claim("w", clock_.now(), 60s, kinds);
    ASSERT_TRUE(a && a->has_value());
    EXPECT_EQ((*a)->id, screening);
    auto b = store_->claim("w", clock_.now(), 60s, kinds);
    ASSERT_TRUE(b && b->has_value());
    EXPECT_EQ((*b)->id, docv);
    auto none = store_->claim("w", clock_.now(), 60s, kinds);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
    EXPECT_EQ(get(unknown).state, job_state::queued);

    // An expired lease is taken over only by a claimer of its kind too.
    clock_.advance(61s);
    auto other = store_->claim("x", clock_.now(), 60s, {"riskos_event"});
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->has_value());
    auto any = store_->claim("x", clock_.now(), 60s);
    ASSERT_TRUE(any && any->has_value());
    EXPECT_EQ((*any)->id, unknown);  // no filter: the oldest due job of any kind
}

TEST_P(jobs, expired_lease_is_claimed_again_and_the_old_owner_loses_it) {
    const job_id id = add("screening", clock_.now());
    job a = claim_one("owner-a", 1s);
    ASSERT_EQ(a.id, id);
    EXPECT_TRUE(nothing_due()) << "the lease is still valid";
    // The owner can extend its lease while it holds it.
    ASSERT_TRUE(store_->extend_lease(id, "owner-a", clock_.now() + 2s));
    clock_.advance(1500ms);
    EXPECT_TRUE(nothing_due()) << "the extended lease is still valid";
    clock_.advance(1s);

    job b = claim_one("owner-b", 60s);
    EXPECT_EQ(b.id, id);
    EXPECT_EQ(b.attempts, 2);
    EXPECT_EQ(b.lease_owner, "owner-b");

    auto done = store_->mark_done(id, "owner-a", "done");
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, errc::conflict);
    EXPECT_EQ(store_->save_checkpoint(id, "owner-a", "x").error().code, errc::conflict);
    EXPECT_EQ(store_->extend_lease(id, "owner-a", clock_.now() + 1h).error().code, errc::conflict);
    EXPECT_EQ(store_->mark_retry(id, "owner-a", clock_.now(), "e").error().code, errc::conflict);
    EXPECT_EQ(store_->mark_dead(id, "owner-a", "e").error().code, errc::conflict);

    ASSERT_TRUE(store_->mark_done(id, "owner-b", "tagged"));
    EXPECT_EQ(get(id).state, job_state::done);
    auto history = store_->job_attempts(id);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ((*history)[0].attempt, 1);
    EXPECT_EQ((*history)[0].outcome, "lease_expired");
    EXPECT_NE((*history)[0].error.find("owner-a"), std::string::npos);
    EXPECT_EQ((*history)[1].attempt, 2);
    EXPECT_EQ((*history)[1].outcome, "done");
    // A finished job cannot be finished twice.
    EXPECT_EQ(store_->mark_done(id, "owner-b", "again").error().code, errc::conflict);
}

TEST_P(jobs, checkpoint_survives_reopening) {
    const job_id id = add("document_verification", clock_.now());
    ASSERT_EQ(claim_one("w1").id, id);
    ASSERT_TRUE(store_->save_checkpoint(id, "w1", R"({"step":"evaluation_started"})"));
    store_.reset();
    store_ = open();
    ASSERT_TRUE(store_);
    job j = get(id);
    EXPECT_EQ(j.checkpoint, R"({"step":"evaluation_started"})");
    EXPECT_EQ(j.state, job_state::running);
    EXPECT_EQ(j.lease_owner, "w1");
    ASSERT_TRUE(store_->save_checkpoint(id, "w1", "two"));
    EXPECT_EQ(get(id).checkpoint, "two");
}

TEST_P(jobs, retries_and_dead_letters_keep_every_reason) {
    const job_id id = add("screening", clock_.now());
    ASSERT_EQ(claim_one("w1").id, id);
    ASSERT_TRUE(store_->mark_retry(id, "w1", clock_.now() + 30s, "ashby 503"));
    job j = get(id);
    EXPECT_EQ(j.state, job_state::retry_wait);
    EXPECT_EQ(j.last_error, "ashby 503");
    EXPECT_EQ(j.next_run_at, clock_.now() + 30s);
    EXPECT_TRUE(j.lease_owner.empty());
    EXPECT_TRUE(nothing_due()) << "not due before next_run_at";

    clock_.advance(30s);
    job again = claim_one("w2");
    EXPECT_EQ(again.id, id);
    EXPECT_EQ(again.attempts, 2);
    ASSERT_TRUE(store_->mark_dead(id, "w2", "riskos 400: invalid phone"));
    j = get(id);
    EXPECT_EQ(j.state, job_state::dead);
    EXPECT_EQ(j.last_error, "riskos 400: invalid phone");
    EXPECT_TRUE(nothing_due());

    auto history = store_->job_attempts(id);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ((*history)[0].attempt, 1);
    EXPECT_EQ((*history)[0].outcome, "retry");
    EXPECT_EQ((*history)[0].error, "ashby 503");
    EXPECT_EQ((*history)[0].finished_at, clock_.now() - 30s);
    EXPECT_EQ((*history)[1].attempt, 2);
    EXPECT_EQ((*history)[1].outcome, "dead");
    EXPECT_EQ((*history)[1].error, "riskos 400: invalid phone");

    auto dead = store_->list_jobs(job_state::dead, 10);
    ASSERT_TRUE(dead);
    ASSERT_EQ(dead->size(), 1u);
    EXPECT_EQ(dead->front().id, id);
}

TEST_P(jobs, retry_dead_requeues_one_or_all) {
    std::vector<job_id> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(add("k", clock_.now()));
    }
    for (int i = 0; i < 3; ++i) {
        job j = claim_one("w");
        ASSERT_TRUE(store_->mark_dead(j.id, "w", "boom"));
    }
    const job_id alive = add("k", clock_.now() + 1h);

    clock_.advance(1min);
    auto one = store_->retry_dead(ids[1], clock_.now());
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, 1);
    job j = get(ids[1]);
    EXPECT_EQ(j.state, job_state::queued);
    EXPECT_EQ(j.attempts, 0);
    EXPECT_EQ(j.next_run_at, clock_.now());
    EXPECT_EQ(get(ids[0]).state, job_state::dead);

    auto not_dead = store_->retry_dead(alive, clock_.now());
    ASSERT_TRUE(not_dead);
    EXPECT_EQ(*not_dead, 0);
    EXPECT_EQ(*store_->retry_dead(job_id{999'999}, clock_.now()), 0);

    auto all = store_->retry_dead(std::nullopt, clock_.now());
    ASSERT_TRUE(all);
    EXPECT_EQ(*all, 2);
    for (job_id id : ids) {
        EXPECT_EQ(get(id).state, job_state::queued);
    }
    job again = claim_one("w");
    EXPECT_EQ(again.attempts, 1);
}

TEST_P(jobs, release_leases_by_owner_or_all) {
    for (int i = 0; i < 4; ++i) {
        add("k", clock_.now());
    }
    const job_id a = claim_one("node/w0").id;
    const job_id b1 = claim_one("node/w1").id;
    const job_id b2 = claim_one("node/w1").id;
    const job_id c = claim_one("other/w0").id;

    auto released = store_->release_leases("node/w1");
    ASSERT_TRUE(released);
    EXPECT_EQ(*released, 2);
    for (job_id id : {b1, b2}) {
        job j = get(id);
        EXPECT_EQ(j.state, job_state::queued);
        EXPECT_TRUE(j.lease_owner.empty());
    }
    EXPECT_EQ(get(a).state, job_state::running);
    EXPECT_EQ(store_->mark_done(b1, "node/w1", "x").error().code, errc::conflict);

    released = store_->release_leases("");
    ASSERT_TRUE(released);
    EXPECT_EQ(*released, 2);
    EXPECT_EQ(get(a).state, job_state::queued);
    EXPECT_EQ(get(c).state, job_state::queued);
    auto history = store_->job_attempts(a);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ(history->front().outcome, "lease_expired");

    released = store_->release_leases("");
    ASSERT_TRUE(released);
    EXPECT_EQ(*released, 0);
    // Released jobs are due again at once.
    EXPECT_EQ(claim_one("w").attempts, 2);
}

TEST_P(jobs, add_job_returns_the_existing_job_for_a_taken_unique_key) {
    const job_id first = add("reconcile", clock_.now(), "reconcile:eval-1");
    const job_id again = add("reconcile", clock_.now(), "reconcile:eval-1");
    EXPECT_EQ(first, again);
    const job_id other = add("reconcile", clock_.now(), "reconcile:eval-2");
    EXPECT_NE(first, other);
    auto bad = store_->add_job(new_job{"", "{}", "c", std::nullopt}, clock_.now());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, errc::invalid_argument);
    // A job added here collides with the same unique key on the webhook path.
    auto r = enqueue_sync(*store_, make_request("wa-9", "reconcile", "reconcile:eval-1"));
    EXPECT_EQ(r.status, enqueue_status::duplicate);
    EXPECT_EQ(r.id, first);
}

TEST_P(jobs, purge_clears_what_old_finished_jobs_and_quarantined_bodies_hold) {
    const time_point t0 = clock_.now();
    const job_id old_done = add("k", t0);
    const job_id old_dead = add("k", t0);
    const job_id old_queued = add("k", t0 + std::chrono::hours(24 * 365));
    ASSERT_EQ(claim_one("w").id, old_done);
    ASSERT_TRUE(store_->save_checkpoint(old_done, "w", "cp"));
    ASSERT_TRUE(store_->mark_done(old_done, "w", "ok"));
    ASSERT_EQ(claim_one("w").id, old_dead);
    ASSERT_TRUE(store_->mark_dead(old_dead, "w", "bad"));
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "old", "old body", "r1"}));

    clock_.advance(std::chrono::hours(24 * 10));
    const time_point cutoff = clock_.now();
    const job_id new_done = add("k", clock_.now());
    ASSERT_EQ(claim_one("w").id, new_done);
    ASSERT_TRUE(store_->save_checkpoint(new_done, "w", "cp"));
    ASSERT_TRUE(store_->mark_done(new_done, "w", "ok"));
    ASSERT_TRUE(quarantine_sync(*store_, {"ashby", "new", "new body", "r2"}));

    auto purged = store_->purge_finished(cutoff);
    ASSERT_TRUE(purged);
    EXPECT_EQ(*purged, 4);  // two jobs, the dead one's attempt error, one quarantined body
    job d = get(old_done);
    EXPECT_TRUE(d.payload.empty());
    EXPECT_TRUE(d.checkpoint.empty());
    EXPECT_EQ(d.state, job_state::done);
    EXPECT_TRUE(get(old_dead).payload.empty());
    EXPECT_EQ(get(old_dead).last_error, "") << "errors may quote what they failed on";
    EXPECT_EQ(get(old_dead).state, job_state::dead) << "ids and states are kept";
    EXPECT_FALSE(get(old_queued).payload.empty()) << "unfinished jobs are never purged";
    EXPECT_FALSE(get(new_done).payload.empty());
    EXPECT_EQ(get(new_done).checkpoint, "cp");

    EXPECT_EQ(quarantined_body("r1"), "NULL");
    EXPECT_EQ(quarantined_body("r2"), "new body");
    auto listed = store_->list_quarantine(10);
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 2u) << "the record stays, only the body goes";

    auto again = store_->purge_finished(cutoff);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0);
}

TEST_P(jobs, list_jobs_newest_first_with_limit) {
    std::vector<job_id> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(add(numbered("k", i), clock_.now()));
    }
    auto listed = store_->list_jobs(std::nullopt, 3);
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 3u);
    EXPECT_EQ((*listed)[0].id, ids[4]);
    EXPECT_EQ((*listed)[2].id, ids[2]);
    auto none = store_->list_jobs(job_state::done, 10);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    auto missing = store_->get_job(12345);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());
}

TEST_P(jobs, stats_count_jobs_by_state) {
    add("a", clock_.now());
    add("b", clock_.now());
    add("c", clock_.now() + 1h);
    const job_id running = claim_one("w").id;
    const job_id retrying = claim_one("w").id;
    ASSERT_TRUE(store_->mark_retry(retrying, "w", clock_.now() + 1h, "later"));
    (void)running;
    auto st = store_->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), 1);
    EXPECT_EQ(st->jobs_by_state.at(job_state::running), 1);
    EXPECT_EQ(st->jobs_by_state.at(job_state::retry_wait), 1);
    EXPECT_EQ(st->jobs_by_state.at(job_state::done), 0);
    EXPECT_EQ(st->jobs_by_state.at(job_state::dead), 0);
}

TEST_P(jobs, claims_from_many_threads_never_share_a_job) {
    constexpr int n = 200;
    for (int i = 0; i < n; ++i) {
        add("k", clock_.now());
    }
    std::mutex m;
    std::vector<job_id> claimed;
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&, t] {
            const std::string owner = numbered("w", t);
            for (;;) {
                auto c = store_->claim(owner, clock_.now(), 60s);
                ASSERT_TRUE(c) << c.error().message;
                if (!c->has_value()) {
                    return;
                }
                ASSERT_TRUE(store_->mark_done((*c)->id, owner, "ok"));
                std::lock_guard lock(m);
                claimed.push_back((*c)->id);
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    std::sort(claimed.begin(), claimed.end());
    EXPECT_EQ(claimed.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(std::adjacent_find(claimed.begin(), claimed.end()), claimed.end());
}

}  // namespace
}  // namespace riskbridge::store::testing
