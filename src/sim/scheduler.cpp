#include "sim/scheduler.hpp"

#include <vector>

#include "riskbridge/observability/log.hpp"

namespace riskbridge::sim::detail {

scheduler::scheduler() : thread_([this] { run(); }) {}

scheduler::~scheduler() {
    stop();
}

bool scheduler::post_after(std::chrono::milliseconds delay, task fn, bool run_on_stop) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            const auto due = std::chrono::steady_clock::now() + delay;
            tasks_.emplace(key{due, next_seq_++}, entry{std::move(fn), run_on_stop});
            wake_.notify_one();
            return true;
        }
    }
    if (run_on_stop) {
        fn();
    }
    return false;
}

void scheduler::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stopping_) {
            return;
        }
        if (tasks_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto due = tasks_.begin()->first.first;
        if (std::chrono::steady_clock::now() < due) {
            wake_.wait_until(lock, due);
            continue;
        }
        entry e = std::move(tasks_.begin()->second);
        tasks_.erase(tasks_.begin());
        running_task_ = true;
        lock.unlock();
        try {
            e.fn();
        } catch (...) {
            log::error("sim_task_failed", {});
        }
        lock.lock();
        running_task_ = false;
    }
}

void scheduler::stop() {
    std::vector<task> owed;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) {
            return;
        }
        stopping_ = true;
        for (auto& [k, e] : tasks_) {
            if (e.run_on_stop) {
                owed.push_back(std::move(e.fn));
            }
        }
        tasks_.clear();
        wake_.notify_all();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    for (auto& fn : owed) {
        try {
            fn();
        } catch (...) {
            log::error("sim_task_failed", {});
        }
    }
}

bool scheduler::stopped() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

bool scheduler::idle() const {
    std::lock_guard lock(mutex_);
    return tasks_.empty() && !running_task_;
}

}  // namespace riskbridge::sim::detail
