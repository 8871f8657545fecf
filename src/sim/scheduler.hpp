#pragma once

// A thread that runs tasks at a given time: the simulators' delayed answers ("slow" faults)
// and their outbound webhooks, so the HTTP server's I/O threads never wait.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace riskbridge::sim::detail {

class scheduler {
public:
    using task = std::function<void()>;

    scheduler();
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    /// Runs `fn` on the scheduler's thread after `delay` (tasks due at the same time run in
    /// the order posted). `run_on_stop`: when stop() finds the task still waiting, it runs it
    /// at once instead of dropping it (used for answers owed to a client). Returns false
    /// once stopped (a run_on_stop task then runs on the caller's thread).
    bool post_after(std::chrono::milliseconds delay, task fn, bool run_on_stop = false);
    bool post(task fn) { return post_after(std::chrono::milliseconds{0}, std::move(fn)); }

    /// Runs the waiting run_on_stop tasks, drops the others, joins. Idempotent.
    void stop();
    bool stopped() const;
    /// True when nothing is waiting or running.
    bool idle() const;

private:
    struct entry {
        task fn;
        bool run_on_stop = false;
    };
    using key = std::pair<std::chrono::steady_clock::time_point, std::uint64_t>;

    void run();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<key, entry> tasks_;
    std::uint64_t next_seq_ = 0;
    bool stopping_ = false;
    bool running_task_ = false;
    std::thread thread_;
};

}  // namespace riskbridge::sim::detail
