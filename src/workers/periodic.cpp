#include "riskbridge/workers/periodic.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::workers {

struct periodic_runner::impl {
    struct task {
        std::string name;
        milliseconds interval;
        std::function<void()> fn;
        std::chrono::steady_clock::time_point next;
        std::uint64_t runs = 0;
    };

    mutable std::mutex mutex;
    std::condition_variable wake;
    std::vector<task> tasks;
    bool stopping = false;
    std::thread thread;

    void loop() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            auto due = tasks.end();
            for (auto it = tasks.begin(); it != tasks.end(); ++it) {
                if (due == tasks.end() || it->next < due->next) {
                    due = it;
                }
            }
            if (due == tasks.end()) {
                wake.wait(lock, [this] { return stopping; });
                break;
            }
            if (wake.wait_until(lock, due->next, [this] { return stopping; })) {
                break;
            }
            auto fn = due->fn;
            const std::string name = due->name;
            const std::size_t index = static_cast<std::size_t>(due - tasks.begin());
            lock.unlock();
            try {
                fn();
            } catch (const std::exception&) {
                log::error("periodic_task_failed", {{"task", name}});
            }
            lock.lock();
            task& t = tasks[index];
            ++t.runs;
            t.next = std::chrono::steady_clock::now() + t.interval;
        }
    }
};

periodic_runner::periodic_runner() : impl_(std::make_unique<impl>()) {}

periodic_runner::~periodic_runner() {
    stop();
}

void periodic_runner::add(std::string name, milliseconds interval, std::function<void()> task) {
    std::lock_guard lock(impl_->mutex);
    impl_->tasks.push_back(
        {std::move(name), interval, std::move(task), std::chrono::steady_clock::now(), 0});
}

void periodic_runner::start() {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->thread.joinable() && !impl_->stopping) {
        impl_->thread = std::thread([this] {
            set_thread_name("rb-periodic");
            impl_->loop();
        });
    }
}

void periodic_runner::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
}

std::uint64_t periodic_runner::runs(const std::string& name) const {
    std::lock_guard lock(impl_->mutex);
    for (const auto& t : impl_->tasks) {
        if (t.name == name) {
            return t.runs;
        }
    }
    return 0;
}

}  // namespace riskbridge::workers
