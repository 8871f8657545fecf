// evaluation_reads: the riskos_event handler's reads of GET /api/evaluation/{eval_id}. Callers
// for one evaluation share the read in flight (single flight) and a recent successful read;
// a read that started before a caller's event arrived, an expired one or a failed one is not
// reused; the number of reads kept is bounded.

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "riskbridge/flows/evaluation_reads.hpp"
#include "support/polling.hpp"

namespace riskbridge::flows {
namespace {

using riskbridge::testing::eventually;
using namespace std::chrono_literals;
using read_result = evaluation_reads::read_result;

clients::riskos::evaluation paused(const std::string& eval_id) {
    clients::riskos::evaluation e;
    e.eval_id = eval_id;
    e.eval_status = "evaluation_paused";
    e.state = clients::riskos::eval_state::paused;
    return e;
}

clients::upstream_error unavailable() {
    clients::upstream_error e;
    e.kind = clients::failure_kind::http_status;
    e.status = 503;
    e.transient = true;
    e.code = "http_503";
    e.message = "GET riskos.test/api/evaluation: 503";
    return e;
}

/// A fetch that counts its calls and, once closed, holds each call until the gate opens.
class gated_fetch {
public:
    read_result operator()(const std::string& eval_id) {
        std::unique_lock lock(mutex_);
        ++calls_;
        opened_.wait(lock, [&] { return open_; });
        if (fail_) {
            return unavailable();
        }
        return paused(eval_id);
    }
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }
    void fail(bool f) {
        std::lock_guard lock(mutex_);
        fail_ = f;
    }
    int calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = true;
    bool fail_ = false;
    int calls_ = 0;
};

class EvaluationReads : public ::testing::Test {
protected:
    read_result read(const std::string& eval_id, time_point not_before) {
        return reads_.read(eval_id, not_before, clock_, [&] { return fetch_(eval_id); });
    }

    manual_clock clock_;
    evaluation_reads reads_{2s, 8};
    gated_fetch fetch_;
};

TEST_F(EvaluationReads, CallersForOneEvaluationShareTheReadInFlight) {
    fetch_.close();
    const time_point arrived = clock_.now();
    std::vector<read_result> got(5, read_result(unavailable()));
    std::vector<std::thread> callers;
    callers.emplace_back([&] { got[0] = read("eval-1", arrived); });
    ASSERT_TRUE(eventually([&] { return fetch_.calls() == 1; }));
    for (std::size_t i = 1; i < got.size(); ++i) {
        callers.emplace_back([&, i] { got[i] = read("eval-1", arrived); });
    }
    ASSERT_TRUE(eventually([&] { return reads_.waiting() == got.size() - 1; }));
    fetch_.open();
    for (auto& t : callers) {
        t.join();
    }
    EXPECT_EQ(fetch_.calls(), 1);
    for (const auto& r : got) {
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->eval_id, "eval-1");
        EXPECT_TRUE(r->paused());
    }
    EXPECT_EQ(reads_.waiting(), 0U);
}

TEST_F(EvaluationReads, OtherEvaluationsAreReadEachOnTheirOwn) {
    const time_point arrived = clock_.now();
    EXPECT_TRUE(read("eval-1", arrived).has_value());
    EXPECT_TRUE(read("eval-2", arrived).has_value());
    EXPECT_TRUE(read("eval-1", arrived).has_value());
    EXPECT_EQ(fetch_.calls(), 2);
}

TEST_F(EvaluationReads, AReadIsKeptForItsLifetimeOnly) {
    const time_point arrived = clock_.now();
    ASSERT_TRUE(read("eval-1", arrived).has_value());
    clock_.advance(reads_.ttl() - 1ms);
    ASSERT_TRUE(read("eval-1", arrived).has_value());
    EXPECT_EQ(fetch_.calls(), 1);
    clock_.advance(1ms);
    ASSERT_TRUE(read("eval-1", arrived).has_value());
    EXPECT_EQ(fetch_.calls(), 2);
}

TEST_F(EvaluationReads, AReadThatStartedBeforeTheEventArrivedIsNotReused) {
    ASSERT_TRUE(read("eval-1", clock_.now()).has_value());
    clock_.advance(10ms);
    ASSERT_TRUE(read("eval-1", clock_.now()).has_value());  // an event that came after it
    EXPECT_EQ(fetch_.calls(), 2);
}

TEST_F(EvaluationReads, AWaiterWhoseEventCameAfterTheReadInFlightStartedReadsAgain) {
    fetch_.close();
    const time_point first = clock_.now();
    std::thread a([&] { EXPECT_TRUE(read("eval-1", first).has_value()); });
    ASSERT_TRUE(eventually([&] { return fetch_.calls() == 1; }));
    clock_.advance(5ms);
    const time_point later = clock_.now();
    std::thread b([&] { EXPECT_TRUE(read("eval-1", later).has_value()); });
    ASSERT_TRUE(eventually([&] { return reads_.waiting() == 1; }));
    fetch_.open();
    a.join();
    b.join();
    EXPECT_EQ(fetch_.calls(), 2);
}

TEST_F(EvaluationReads, AFailedReadGoesToItsWaitersButIsNotKept) {
    fetch_.fail(true);
    fetch_.close();
    const time_point arrived = clock_.now();
    std::vector<read_result> got(3, read_result(paused("none")));
    std::vector<std::thread> callers;
    callers.emplace_back([&] { got[0] = read("eval-1", arrived); });
    ASSERT_TRUE(eventually([&] { return fetch_.calls() == 1; }));
    callers.emplace_back([&] { got[1] = read("eval-1", arrived); });
    callers.emplace_back([&] { got[2] = read("eval-1", arrived); });
    ASSERT_TRUE(eventually([&] { return reads_.waiting() == 2; }));
    fetch_.open();
    for (auto& t : callers) {
        t.join();
    }
    EXPECT_EQ(fetch_.calls(), 1);
    for (const auto& r : got) {
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, "http_503");
    }
    EXPECT_EQ(reads_.size(), 0U);
    fetch_.fail(false);
    EXPECT_TRUE(read("eval-1", arrived).has_value());  // the next caller reads again
    EXPECT_EQ(fetch_.calls(), 2);
}

TEST_F(EvaluationReads, AReadThatThrowsWakesItsWaitersAndIsRethrown) {
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    int fetches = 0;
    const time_point arrived = clock_.now();
    const auto throwing = [&]() -> read_result {
        std::unique_lock lock(m);
        ++fetches;
        cv.wait(lock, [&] { return go; });
        throw std::runtime_error("crash");
    };
    std::thread a([&] {
        EXPECT_THROW((void)reads_.read("eval-1", arrived, clock_, throwing), std::runtime_error);
    });
    ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(m);
        return fetches == 1;
    }));
    std::thread b([&] { EXPECT_TRUE(read("eval-1", arrived).has_value()); });
    ASSERT_TRUE(eventually([&] { return reads_.waiting() == 1; }));
    {
        std::lock_guard lock(m);
        go = true;
    }
    cv.notify_all();
    a.join();
    b.join();
    EXPECT_EQ(fetch_.calls(), 1);  // the waiter made the read itself
}

TEST_F(EvaluationReads, TheReadsKeptAreBounded) {
    const time_point arrived = clock_.now();
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(read("eval-" + std::to_string(i), arrived).has_value());
        clock_.advance(1ms);
        EXPECT_LE(reads_.size(), 8U);
    }
    // The most recent ones are the ones kept.
    const int before = fetch_.calls();
    ASSERT_TRUE(read("eval-49", arrived).has_value());
    EXPECT_EQ(fetch_.calls(), before);
    ASSERT_TRUE(read("eval-0", arrived).has_value());
    EXPECT_EQ(fetch_.calls(), before + 1);
}

}  // namespace
}  // namespace riskbridge::flows
