// Ingestion through the writer: group commit, dedupe, back-pressure, durability.

#include <atomic>
#include <filesystem>
#include <set>

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

using ingestion = store_test;
RB_STORE_BACKENDS(ingestion);

TEST_P(ingestion, accepted_job_is_visible_as_queued) {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->writable());
    auto r = enqueue_sync(*store, make_request("wa-1:applicationSubmit", "screening",
                                               "screening:app-1", R"({"x":1})"));
    ASSERT_EQ(r.status, enqueue_status::accepted) << r.detail;
    ASSERT_GT(r.id, 0);

    auto j = store->get_job(r.id);
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->has_value());
    const job& got = **j;
    EXPECT_EQ(got.state, job_state::queued);
    EXPECT_EQ(got.kind, "screening");
    EXPECT_EQ(got.payload, R"({"x":1})");
    EXPECT_EQ(got.correlation_id, "corr-wa-1:applicationSubmit");
    EXPECT_EQ(got.unique_key, std::optional<std::string>("screening:app-1"));
    EXPECT_EQ(got.attempts, 0);
    EXPECT_EQ(got.created_at, clock_.now());
    EXPECT_EQ(got.next_run_at, clock_.now());

    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), 1);
    EXPECT_EQ(st->deliveries, 1);
    EXPECT_EQ(st->pending_writes, 0u);
}

TEST_P(ingestion, repeated_delivery_is_duplicate_with_the_same_job) {
    auto store = open();
    ASSERT_TRUE(store);
    auto first = enqueue_sync(*store, make_request("wa-1:applicationSubmit"));
    auto second = enqueue_sync(*store, make_request("wa-1:applicationSubmit"));
    ASSERT_EQ(first.status, enqueue_status::accepted);
    EXPECT_FALSE(first.replay);
    EXPECT_EQ(second.status, enqueue_status::duplicate);
    EXPECT_TRUE(second.replay);  // this very delivery was stored before
    EXPECT_EQ(second.id, first.id);
    // Same key from another source is another delivery.
    auto other = make_request("wa-1:applicationSubmit");
    other.delivery.source = "riskos";
    auto third = enqueue_sync(*store, std::move(other));
    EXPECT_EQ(third.status, enqueue_status::accepted);
    EXPECT_NE(third.id, first.id);
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), 2);
    EXPECT_EQ(st->deliveries, 2);
}

TEST_P(ingestion, concurrent_copies_of_one_delivery_store_one_job) {
    auto store = open();
    ASSERT_TRUE(store);
    collector<enqueue_result> results;
    constexpr int threads = 4;
    constexpr int per_thread = 50;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                store->enqueue_async(make_request("same-key:applicationSubmit"),
                                     results.callback());
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    ASSERT_TRUE(results.wait_for(threads * per_thread));
    int accepted = 0;
    int duplicates = 0;
    std::set<job_id> ids;
    for (const auto& r : results.values()) {
        accepted += r.status == enqueue_status::accepted;
        duplicates += r.status == enqueue_status::duplicate;
        ids.insert(r.id);
    }
    EXPECT_EQ(accepted, 1);
    EXPECT_EQ(duplicates, threads * per_thread - 1);
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_GT(*ids.begin(), 0);
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), 1);
}

TEST_P(ingestion, taken_unique_key_is_duplicate_of_the_existing_job) {
    auto store = open();
    ASSERT_TRUE(store);
    auto first = enqueue_sync(
        *store, make_request("wa-1:applicationSubmit", "screening", "screening:app-1"));
    auto second = enqueue_sync(
        *store, make_request("wa-2:applicationSubmit", "screening", "screening:app-1"));
    ASSERT_EQ(first.status, enqueue_status::accepted);
    EXPECT_EQ(second.status, enqueue_status::duplicate);
    EXPECT_FALSE(second.replay);  // a new delivery, its job's key already taken
    EXPECT_EQ(second.id, first.id);
    // The second delivery is remembered too, pointing at the existing job.
    auto again = enqueue_sync(*store, make_request("wa-2:applicationSubmit"));
    EXPECT_EQ(again.status, enqueue_status::duplicate);
    EXPECT_TRUE(again.replay);
    EXPECT_EQ(again.id, first.id);
    // Jobs without a unique key are never merged.
    auto a = enqueue_sync(*store, make_request("wa-3:x", "riskos_event"));
    auto b = enqueue_sync(*store, make_request("wa-4:x", "riskos_event"));
    EXPECT_EQ(a.status, enqueue_status::accepted);
    EXPECT_EQ(b.status, enqueue_status::accepted);
    EXPECT_NE(a.id, b.id);
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), 3);
    EXPECT_EQ(st->deliveries, 4);
}

TEST_P(ingestion, delivery_only_request_stores_no_job) {
    auto store = open();
    ASSERT_TRUE(store);
    enqueue_request r;
    r.delivery = {"riskos", "evt-1"};
    auto first = enqueue_sync(*store, r);
    EXPECT_EQ(first.status, enqueue_status::accepted);
    EXPECT_EQ(first.id, 0);
    auto second = enqueue_sync(*store, r);
    EXPECT_EQ(second.status, enqueue_status::duplicate);
    EXPECT_EQ(second.id, 0);
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->deliveries, 1);
    for (const auto& [state, n] : st->jobs_by_state) {
        EXPECT_EQ(n, 0) << to_string(state);
    }
}

TEST_P(ingestion, malformed_requests_are_refused_at_once) {
    auto store = open();
    ASSERT_TRUE(store);
    enqueue_request no_key;
    no_key.delivery = {"ashby", ""};
    EXPECT_EQ(enqueue_sync(*store, no_key).status, enqueue_status::unavailable);
    auto no_kind = make_request("k1", "");
    EXPECT_EQ(enqueue_sync(*store, no_kind).status, enqueue_status::unavailable);
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->deliveries, 0);
}

TEST_P(ingestion, full_queue_answers_overloaded_and_queued_requests_complete_later) {
    test_options opts;
    opts.max_pending_writes = 2;
    // The writer must still be waiting for the lock when the test looks, however slowly the
    // steps below run: its wait ends when the test releases the lock, not at a deadline.
    opts.lock_timeout = wait_limit;
    auto store = open(opts);
    ASSERT_TRUE(store);
    auto blocker = hold_write_lock();  // the writer cannot commit now
    ASSERT_TRUE(blocker->held());

    collector<enqueue_result> results;
    // The writer takes the first request and waits for the lock...
    store->enqueue_async(make_request("k0"), results.callback());
    ASSERT_TRUE(eventually([&] {
        auto st = store->stats();
        return st && st->pending_writes == 0;
    }));
    // ...so the next two fill the queue, and the fourth is refused at once.
    store->enqueue_async(make_request("k1"), results.callback());
    // Two copies of one delivery in the same (next) batch: the second is a duplicate.
    store->enqueue_async(make_request("k1"), results.callback());
    enqueue_result refused;
    bool called = false;
    store->enqueue_async(make_request("k3"), [&](enqueue_result r) {
        refused = std::move(r);
        called = true;
    });
    ASSERT_TRUE(called) << "overloaded must be answered before enqueue_async returns";
    EXPECT_EQ(refused.status, enqueue_status::overloaded);
    EXPECT_EQ(refused.detail, "write queue full");
    auto q = quarantine_sync(*store, {"ashby", "not json", "{", "req-1"});
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().code, errc::overloaded);
    {
        auto st = store->stats();
        ASSERT_TRUE(st);
        EXPECT_EQ(st->pending_writes, 2u);
    }
    EXPECT_EQ(results.size(), 0u) << "nothing is answered before its commit";

    ASSERT_TRUE(blocker->release());
    ASSERT_TRUE(results.wait_for(3));
    auto got = results.values();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].status, enqueue_status::accepted);
    EXPECT_EQ(got[1].status, enqueue_status::accepted);
    EXPECT_EQ(got[2].status, enqueue_status::duplicate);
    EXPECT_EQ(got[2].id, got[1].id);
    EXPECT_TRUE(store->writable());
}

TEST_P(ingestion, database_failure_answers_unavailable_until_a_commit_succeeds) {
    test_options opts;
    opts.lock_timeout = milliseconds{50};
    auto store = open(opts);
    ASSERT_TRUE(store);
    {
        auto blocker = hold_write_lock();
        ASSERT_TRUE(blocker->held());
        auto r = enqueue_sync(*store, make_request("k1"));
        EXPECT_EQ(r.status, enqueue_status::unavailable);
        EXPECT_FALSE(r.detail.empty());
        EXPECT_FALSE(store->writable());
        auto q = quarantine_sync(*store, {"ashby", "bad", "{", "req"});
        EXPECT_FALSE(q);
        ASSERT_TRUE(blocker->release());
    }
    auto r = enqueue_sync(*store, make_request("k1"));
    EXPECT_EQ(r.status, enqueue_status::accepted) << "nothing of the failed batch was stored";
    EXPECT_TRUE(store->writable());
}

TEST_P(ingestion, writable_comes_back_without_waiting_for_a_request) {
    // Behind a load balancer an unready replica gets no requests, so the commit that would
    // mark it writable again never comes: the writer probes the database by itself.
    test_options opts;
    opts.lock_timeout = milliseconds{50};
    auto store = open(opts);
    ASSERT_TRUE(store);
    {
        auto blocker = hold_write_lock();
        ASSERT_TRUE(blocker->held());
        EXPECT_EQ(enqueue_sync(*store, make_request("k1")).status, enqueue_status::unavailable);
        EXPECT_FALSE(store->writable());
        ASSERT_TRUE(blocker->release());
    }
    EXPECT_TRUE(eventually([&] { return store->writable(); }));
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->deliveries, 0);  // the probe stored nothing
}

TEST_P(ingestion, after_shutdown_everything_is_unavailable) {
    auto store = open();
    ASSERT_TRUE(store);
    collector<enqueue_result> results;
    for (int i = 0; i < 20; ++i) {
        store->enqueue_async(make_request(numbered("k", i)), results.callback());
    }
    store->shutdown();
    // shutdown() commits what was queued before it returns.
    ASSERT_EQ(results.size(), 20u);
    for (const auto& r : results.values()) {
        EXPECT_EQ(r.status, enqueue_status::accepted);
    }
    EXPECT_FALSE(store->writable());
    bool called = false;
    store->enqueue_async(make_request("late"), [&](enqueue_result r) {
        called = true;
        EXPECT_EQ(r.status, enqueue_status::unavailable);
    });
    EXPECT_TRUE(called);
    auto q = quarantine_sync(*store, {"ashby", "bad", "{", "req"});
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().code, errc::unavailable);
    store->shutdown();  // idempotent
    // Synchronous reads still work.
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->deliveries, 20);
}

TEST_P(ingestion, shutdown_from_a_callback_does_not_deadlock) {
    auto store = open();
    ASSERT_TRUE(store);
    std::promise<enqueue_result> answered;
    store->enqueue_async(make_request("k1"), [&](enqueue_result r) {
        store->shutdown();
        answered.set_value(std::move(r));
    });
    auto f = answered.get_future();
    ASSERT_EQ(f.wait_for(wait_limit), std::future_status::ready);
    EXPECT_EQ(f.get().status, enqueue_status::accepted);
    EXPECT_EQ(enqueue_sync(*store, make_request("k2")).status, enqueue_status::unavailable);
    EXPECT_TRUE(eventually([&] { return !store->writable(); }));
    store.reset();  // joins the writer
}

TEST_P(ingestion, quarantined_body_is_stored_and_listed) {
    auto store = open();
    ASSERT_TRUE(store);
    const std::string body("not json \0 with a nul", 21);
    ASSERT_TRUE(quarantine_sync(*store, {"ashby", "body is not JSON", body, "req-7"}));
    clock_.advance(1s);
    ASSERT_TRUE(quarantine_sync(*store, {"riskos", "no event_id", "{}", "req-8"}));
    auto list = store->list_quarantine(10);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    const auto& newest = (*list)[0];
    EXPECT_EQ(newest.source, "riskos");
    const auto& q = (*list)[1];
    EXPECT_EQ(q.source, "ashby");
    EXPECT_EQ(q.reason, "body is not JSON");
    EXPECT_EQ(q.request_id, "req-7");
    EXPECT_EQ(q.body_bytes, body.size());
    EXPECT_EQ(q.received_at, clock_.now() - 1s);
    EXPECT_EQ(raw()->scalar("SELECT length(body) FROM quarantine WHERE request_id = 'req-7'"),
              std::to_string(body.size()));
    auto limited = store->list_quarantine(1);
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->size(), 1u);
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->quarantined, 2);
}

TEST_P(ingestion, a_throwing_callback_does_not_stop_the_writer) {
    auto store = open();
    ASSERT_TRUE(store);
    std::promise<void> thrown;
    store->enqueue_async(make_request("k1"), [&](enqueue_result) {
        thrown.set_value();
        throw std::runtime_error("handler bug");
    });
    ASSERT_EQ(thrown.get_future().wait_for(wait_limit), std::future_status::ready);
    EXPECT_EQ(enqueue_sync(*store, make_request("k2")).status, enqueue_status::accepted);
}

TEST_P(ingestion, acknowledged_jobs_survive_closing_and_reopening) {
    constexpr int n = 600;
    std::vector<enqueue_result> acked;
    {
        auto store = open();
        ASSERT_TRUE(store);
        collector<enqueue_result> results;
        std::vector<std::thread> pool;
        for (int t = 0; t < 3; ++t) {
            pool.emplace_back([&, t] {
                for (int i = t; i < n; i += 3) {
                    store->enqueue_async(
                        make_request(numbered("k", i), "screening", numbered("u", i)),
                        results.callback());
                }
            });
        }
        for (auto& t : pool) {
            t.join();
        }
        ASSERT_TRUE(results.wait_for(n));
        acked = results.values();
    }  // destroyed: no shutdown() call, the destructor does it
    auto store = open();
    ASSERT_TRUE(store);
    std::set<job_id> ids;
    for (const auto& r : acked) {
        ASSERT_EQ(r.status, enqueue_status::accepted);
        ids.insert(r.id);
        auto j = store->get_job(r.id);
        ASSERT_TRUE(j);
        ASSERT_TRUE(j->has_value()) << r.id;
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
    auto st = store->stats();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), n);
    EXPECT_EQ(st->deliveries, n);
    // Every copy is a duplicate now.
    EXPECT_EQ(enqueue_sync(*store, make_request("k7")).status, enqueue_status::duplicate);
}

TEST_P(ingestion, throughput_of_10000_enqueues_from_4_threads) {
    auto store = open();
    ASSERT_TRUE(store);
    constexpr int n = 10'000;
    constexpr int threads = 4;
    std::atomic<int> accepted{0};
    collector<int> done;  // one value per thread, once all of its requests are answered
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto left = std::make_shared<std::atomic<int>>(n / threads);
            auto finished = done.callback();
            for (int i = 0; i < n / threads; ++i) {
                store->enqueue_async(make_request(numbered(numbered("t", t) + "-", i)),
                                     [&accepted, left, finished, t](enqueue_result r) {
                                         if (r.status == enqueue_status::accepted) {
                                             accepted.fetch_add(1);
                                         }
                                         if (left->fetch_sub(1) == 1) {
                                             finished(t);
                                         }
                                     });
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    ASSERT_TRUE(done.wait_for(threads));
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(accepted.load(), n);
    const double rate = n / secs;
    std::printf("[ throughput ] %d enqueues from %d threads in %.3f s: %.0f accepted/s\n", n,
                threads, secs, rate);
    RecordProperty("accepted_per_second", static_cast<int>(rate));
}

TEST_P(ingestion, a_steady_stream_of_commits_keeps_the_wal_small) {
    // The group-commit writer begins the next transaction as soon as one commits, so a PASSIVE
    // checkpoint alone never lets SQLite start the WAL over: the file grew to the 64 MB
    // TRUNCATE threshold, and every commit's flush had to grow it. The checkpointer now
    // restarts the WAL once it has caught up; the file stays near the 32 MB at which the
    // checkpointer starts (checkpoint_wake_pages), well below TRUNCATE's 64 MB, however long
    // the stream.
    if (is_postgres()) {
        GTEST_SKIP() << "SQLite's write-ahead log only";
    }
    auto store = open();
    ASSERT_TRUE(store);
    constexpr int submitters = 8;
    constexpr int per_submitter = 1'500;  // ~40k WAL frames (~160 MB) in small commits
    const std::string wal = db_path() + "-wal";
    std::atomic<bool> streaming{true};
    std::uintmax_t largest = 0;
    std::thread watcher([&] {
        while (streaming.load()) {
            std::error_code ec;
            const auto size = std::filesystem::file_size(wal, ec);
            largest = ec ? largest : std::max(largest, size);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // sampling a size
        }
    });
    std::vector<std::thread> pool;
    std::atomic<int> accepted{0};
    for (int t = 0; t < submitters; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_submitter; ++i) {
                const std::string key = numbered(numbered("s", t) + "-", i);
                if (enqueue_sync(*store, make_request(key, "screening", key)).status ==
                    enqueue_status::accepted) {
                    accepted.fetch_add(1);
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    streaming.store(false);
    watcher.join();
    EXPECT_EQ(accepted.load(), submitters * per_submitter);
    EXPECT_GT(largest, 0U);
    EXPECT_LT(largest, std::uintmax_t{48} << 20) << "the WAL grew to " << (largest >> 20) << " MB";
}

}  // namespace
}  // namespace riskbridge::store::testing
