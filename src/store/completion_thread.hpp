#pragma once

// Runs the callbacks of committed batches on a thread of their own, so the group-commit writer
// starts the next transaction at once instead of first answering every request of the last one
// (building the answer, counting, logging and waking the I/O thread take about as long as the
// commit itself). Private to the store implementations.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "riskbridge/core/thread_name.hpp"

namespace riskbridge::store::detail {

template <class Batch>
class completion_thread {
public:
    /// `run` answers one batch; `max_items` bounds what waits here (the writer's post()
    /// blocks beyond it, which is back-pressure: its own queue then fills and answers 503).
    completion_thread(std::function<void(Batch&)> run, std::size_t max_items)
        : run_(std::move(run)), max_items_(max_items == 0 ? 1 : max_items) {}
    completion_thread(const completion_thread&) = delete;
    completion_thread& operator=(const completion_thread&) = delete;
    ~completion_thread() { stop(); }

    void start() {
        thread_ = std::thread([this] {
            set_thread_name("rb-store-answer");
            loop();
        });
    }

    /// Hands a committed batch over (moved from only once it is queued: when queuing throws,
    /// the caller still has it to answer). Blocks only while more than max_items wait.
    void post(Batch& batch) {
        const std::size_t n = batch.size();
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return waiting_items_ == 0 || waiting_items_ + n <= max_items_; });
        waiting_items_ += n;
        queue_.push_back(std::move(batch));
        lock.unlock();
        ready_.notify_one();
    }

    /// Answers everything posted, then joins. Called from a callback (on this thread) it only
    /// asks the loop to end; the owner's later stop() joins.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        if (on_this_thread()) {
            return;
        }
        std::lock_guard lifecycle(join_mutex_);
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    bool on_this_thread() const { return thread_.get_id() == std::this_thread::get_id(); }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping, and everything posted is answered
            }
            Batch batch = std::move(queue_.front());
            queue_.pop_front();
            const std::size_t n = batch.size();
            lock.unlock();
            run_(batch);
            batch = Batch{};
            lock.lock();
            waiting_items_ -= n;
            space_.notify_all();
        }
    }

    std::function<void(Batch&)> run_;
    const std::size_t max_items_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable space_;
    std::deque<Batch> queue_;
    std::size_t waiting_items_ = 0;
    bool stopping_ = false;
    std::mutex join_mutex_;
    std::thread thread_;
};

}  // namespace riskbridge::store::detail
