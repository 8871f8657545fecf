// Several store objects on one database, as replicas behind a load balancer use it: claims
// never hand one job to two of them, copies of a delivery sent to different replicas store one
// job, migrations run once when they all start together, periodic work has one holder, and a
// dead replica's leases are taken over. Plus the PostgreSQL writer's recovery paths.

#include <latch>
#include <map>
#include <set>
#include <sstream>

#include "riskbridge/observability/log.hpp"
#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

using shared = store_test;
RB_STORE_BACKENDS(shared);

TEST_P(shared, two_stores_claiming_at_once_never_share_a_job) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    constexpr int n = 300;
    std::set<job_id> added;
    for (int i = 0; i < n; ++i) {
        auto id =
            (i % 2 == 0 ? a : b)->add_job(new_job{"k", "{}", "c", std::nullopt}, clock_.now());
        ASSERT_TRUE(id) << id.error().message;
        added.insert(*id);
    }
    std::mutex m;
    std::vector<job_id> claimed;
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
        workers.emplace_back([&, t] {
            job_store& store = t % 2 == 0 ? *a : *b;
            const std::string owner = numbered(t % 2 == 0 ? "a/w" : "b/w", t);
            for (;;) {
                auto c = store.claim(owner, clock_.now(), 60s);
                ASSERT_TRUE(c) << c.error().message;
                if (!c->has_value()) {
                    return;
                }
                ASSERT_TRUE(store.mark_done((*c)->id, owner, "ok"));
                std::lock_guard lock(m);
                claimed.push_back((*c)->id);
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    std::sort(claimed.begin(), claimed.end());
    EXPECT_EQ(std::adjacent_find(claimed.begin(), claimed.end()), claimed.end())
        << "a job was claimed twice";
    EXPECT_EQ(std::set<job_id>(claimed.begin(), claimed.end()), added);
    auto st = a->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::done), n);
}

TEST_P(shared, copies_of_deliveries_sent_to_two_stores_are_stored_once) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    constexpr int keys = 200;
    constexpr int senders = 4;  // each sends every key, alternating stores
    collector<std::pair<int, enqueue_result>> results;
    std::vector<std::thread> threads;
    for (int t = 0; t < senders; ++t) {
        threads.emplace_back([&, t] {
            for (int k = 0; k < keys; ++k) {
                const int i = (k + t * 37) % keys;  // each sender in another order
                job_store& store = (i + t) % 2 == 0 ? *a : *b;
                auto cb = results.callback();
                store.enqueue_async(
                    make_request(numbered("wa-", i), "screening",
                                 i % 2 == 0 ? std::optional<std::string>(numbered("app-", i))
                                            : std::nullopt),
                    [i, cb](enqueue_result r) {
                        cb({i, std::move(r)});
                    });
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    ASSERT_TRUE(results.wait_for(keys * senders));
    std::map<int, job_id> accepted;
    std::map<int, std::set<job_id>> ids;
    for (const auto& [i, r] : results.values()) {
        ASSERT_TRUE(r.status == enqueue_status::accepted || r.status == enqueue_status::duplicate)
            << to_string(r.status) << " " << r.detail;
        if (r.status == enqueue_status::accepted) {
            EXPECT_EQ(accepted.count(i), 0u) << "delivery " << i << " accepted twice";
            accepted[i] = r.id;
        }
        ids[i].insert(r.id);
    }
    EXPECT_EQ(accepted.size(), static_cast<std::size_t>(keys));
    for (const auto& [i, set] : ids) {
        EXPECT_EQ(set.size(), 1u) << "delivery " << i << " answered with different job ids";
    }
    auto st = b->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->deliveries, keys);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), keys);
}

TEST_P(shared, stores_opening_at_once_migrate_once) {
    constexpr int n = 4;
    std::latch start(n);
    std::vector<std::unique_ptr<job_store>> stores(n);
    std::vector<std::string> errors(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();  // all open together on the empty database
            auto s = try_open();
            if (s) {
                stores[static_cast<std::size_t>(i)] = std::move(s).value();
            } else {
                errors[static_cast<std::size_t>(i)] = s.error().message;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (int i = 0; i < n; ++i) {
        EXPECT_TRUE(stores[static_cast<std::size_t>(i)]) << errors[static_cast<std::size_t>(i)];
    }
    auto conn = raw();
    EXPECT_EQ(conn->column("SELECT version FROM schema_version ORDER BY version"),
              (std::vector<std::string>{"1", "2", "3", "4"}));
    for (int i = 0; i < n; ++i) {  // and every one of them works
        if (auto& s = stores[static_cast<std::size_t>(i)]) {
            EXPECT_EQ(enqueue_sync(*s, make_request(numbered("k", i))).status,
                      enqueue_status::accepted);
        }
    }
}

TEST_P(shared, singleton_lease_is_exclusive_and_taken_over_after_its_ttl) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    auto take = [&](job_store& s, const char* name, const char* owner, milliseconds ttl) {
        auto r = s.try_acquire_singleton(name, owner, clock_.now(), ttl);
        EXPECT_TRUE(r) << r.error().message;
        return r && *r;
    };
    EXPECT_TRUE(take(*a, "reconcile", "host-a:1", 30s));
    EXPECT_FALSE(take(*b, "reconcile", "host-b:2", 30s)) << "held by host-a";
    EXPECT_TRUE(take(*b, "retention", "host-b:2", 30s)) << "another name is another lease";

    clock_.advance(20s);
    EXPECT_TRUE(take(*a, "reconcile", "host-a:1", 30s)) << "the holder renews";
    clock_.advance(20s);  // 40 s after taking it, 20 s after renewing: still held
    EXPECT_FALSE(take(*b, "reconcile", "host-b:2", 30s));

    clock_.advance(10s);  // host-a stopped renewing 30 s ago: the lease expired
    EXPECT_TRUE(take(*b, "reconcile", "host-b:2", 30s));
    EXPECT_FALSE(take(*a, "reconcile", "host-a:1", 30s)) << "host-b holds it now";

    auto bad = a->try_acquire_singleton("", "x", clock_.now(), 1s);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, errc::invalid_argument);
}

TEST_P(shared, singleton_lease_has_one_holder_among_racing_owners) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    constexpr int racers = 6;
    std::latch start(racers);
    std::atomic<int> holders{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < racers; ++i) {
        threads.emplace_back([&, i] {
            job_store& s = i % 2 == 0 ? *a : *b;
            start.arrive_and_wait();
            auto r =
                s.try_acquire_singleton("reconcile", numbered("owner-", i), clock_.now(), 1min);
            ASSERT_TRUE(r) << r.error().message;
            holders += *r ? 1 : 0;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(holders.load(), 1);
}

TEST_P(shared, a_dead_replicas_lease_is_taken_over_by_another) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    auto id = a->add_job(new_job{"screening", "{}", "c", std::nullopt}, clock_.now());
    ASSERT_TRUE(id);
    auto first = a->claim("replica-a/w0", clock_.now(), 2s);
    ASSERT_TRUE(first && first->has_value());
    ASSERT_TRUE(a->save_checkpoint(*id, "replica-a/w0", "step-1"));
    a.reset();  // replica a is gone without releasing anything

    auto early = b->claim("replica-b/w0", clock_.now(), 60s);
    ASSERT_TRUE(early);
    EXPECT_FALSE(early->has_value()) << "the lease is still valid";
    clock_.advance(3s);
    auto taken = b->claim("replica-b/w0", clock_.now(), 60s);
    ASSERT_TRUE(taken && taken->has_value());
    EXPECT_EQ((*taken)->id, *id);
    EXPECT_EQ((*taken)->attempts, 2);
    EXPECT_EQ((*taken)->checkpoint, "step-1") << "the new owner resumes where a stopped";
    ASSERT_TRUE(b->mark_done(*id, "replica-b/w0", "ok"));
    auto history = b->job_attempts(*id);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ((*history)[0].outcome, "lease_expired");
    EXPECT_NE((*history)[0].error.find("replica-a/w0"), std::string::npos);
    EXPECT_EQ((*history)[1].outcome, "done");
}

TEST_P(shared, a_request_the_database_refuses_does_not_sink_its_batch) {
    std::ostringstream logged;
    log::init_to_stream(logged, log::level::info);
    test_options opts;
    // The writer waits for the test's lock until the test releases it, however slowly the
    // test runs: a lock wait that timed out first would fail k0's batch.
    opts.lock_timeout = wait_limit;
    auto store = open(opts);
    ASSERT_TRUE(store);
    collector<enqueue_result> results;
    {
        auto blocker = hold_write_lock();
        ASSERT_TRUE(blocker->held());
        store->enqueue_async(make_request("k0"), results.callback());
        ASSERT_TRUE(eventually([&] {  // the writer holds k0 and waits for the lock...
            auto st = store->stats();
            return st && st->pending_writes == 0;
        }));
        // ...so these three are the next batch. The middle key is not UTF-8 and holds a NUL:
        // PostgreSQL refuses it as text, SQLite stores the bytes.
        store->enqueue_async(make_request("k1"), results.callback());
        store->enqueue_async(make_request(std::string("bad\xff\0key", 8)), results.callback());
        store->enqueue_async(make_request("k2"), results.callback());
        ASSERT_TRUE(eventually([&] {
            auto st = store->stats();
            return st && st->pending_writes == 3;
        }));
        ASSERT_TRUE(blocker->release());
    }
    ASSERT_TRUE(results.wait_for(4));
    auto got = results.values();
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].status, enqueue_status::accepted);
    EXPECT_EQ(got[1].status, enqueue_status::accepted) << got[1].detail;
    EXPECT_EQ(got[2].status,
              is_postgres() ? enqueue_status::unavailable : enqueue_status::accepted);
    EXPECT_EQ(got[3].status, enqueue_status::accepted) << got[3].detail;
    EXPECT_TRUE(store->writable());
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->deliveries, is_postgres() ? 3 : 4);
    store->shutdown();
    log::init(log::level::off);  // detach from `logged`
    // PostgreSQL's own message quotes the refused bytes ("invalid byte sequence ...: 0xff");
    // what reaches the log is the SQLSTATE and a fixed text.
    EXPECT_EQ(logged.str().find("0xff"), std::string::npos) << logged.str();
    if (is_postgres()) {
        EXPECT_NE(logged.str().find("\"sqlstate\":\"22021\""), std::string::npos) << logged.str();
        EXPECT_NE(logged.str().find("data exception"), std::string::npos) << logged.str();
    }
}

TEST_F(postgres_only, the_store_reconnects_when_the_server_drops_its_connections) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_EQ(enqueue_sync(*store, make_request("before")).status, enqueue_status::accepted);
    ASSERT_TRUE(store->get_job(1));

    // The store's connections carry the schema's name as application_name (pg_scratch.hpp).
    auto admin = raw();
    const std::string mine = "FROM pg_stat_activity WHERE application_name = '" + schema_->name() +
                             "' AND pid <> pg_backend_pid()";
    ASSERT_NE(admin->scalar("SELECT count(*) " + mine), "0");
    ASSERT_TRUE(admin->exec("SELECT pg_terminate_backend(pid) " + mine));
    ASSERT_TRUE(eventually([&] { return admin->scalar("SELECT count(*) " + mine) == "0"; }));

    // The writer finds its connection gone and runs the batch again on a new one.
    auto after = enqueue_sync(*store, make_request("after"));
    EXPECT_EQ(after.status, enqueue_status::accepted) << after.detail;
    EXPECT_TRUE(store->writable());
    // A read runs again on a new connection at once.
    auto j = store->get_job(after.id);
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_TRUE(j->has_value());
    // A write on a dropped connection is reported unavailable (it may or may not have run)
    // and the connection is replaced for the next call.
    std::optional<job> claimed;
    for (int i = 0; i < 5 && !claimed; ++i) {
        auto c = store->claim("w", clock_.now(), 60s);
        if (!c) {
            EXPECT_EQ(c.error().code, errc::unavailable) << c.error().message;
            continue;
        }
        ASSERT_TRUE(c->has_value());
        claimed = **c;
    }
    ASSERT_TRUE(claimed) << "no claim succeeded after the connections were dropped";
    EXPECT_NE(admin->scalar("SELECT count(*) " + mine), "0") << "the store reconnected";
}

}  // namespace
}  // namespace riskbridge::store::testing
