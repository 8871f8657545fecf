#pragma once

// Ingestion through one writer thread, shared by the SQLite and PostgreSQL stores.
//
// enqueue_async and quarantine_async check the request and put it on a bounded queue (refused
// as overloaded when it is full, unavailable once the store is shut down). The writer thread
// takes up to max_batch requests at a time and hands them to the backend's commit_batch(),
// which stores them in one transaction (group commit) and sets every request's outcome. The
// committed batch then goes to the completion thread, which calls the callbacks while the
// writer starts the next commit. It never waits for a batch window: when the queue is empty
// the writer sleeps on a condition variable; what arrives while a commit is in flight is the
// next batch.
//
// A backend derives from group_commit_store, calls start_writer() at the end of its open()
// and shutdown() in its destructor (the writer calls the backend until it stops). Private to
// the store implementations.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/completion_thread.hpp"

namespace riskbridge::store::detail {

/// One ingestion request on its way through the writer.
struct write_item {
    bool is_quarantine = false;
    std::int64_t received_ms = 0;
    enqueue_request request;
    enqueue_callback on_enqueued;
    quarantine_request quarantine;
    quarantine_callback on_quarantined;
    enqueue_result outcome;           ///< set by the writer (enqueue)
    result<void> quarantine_outcome;  ///< set by the writer (quarantine)
};

using write_batch = std::deque<write_item>;

struct writer_options {
    std::size_t max_pending_writes = 10'000;  ///< queue bound for back-pressure
    std::size_t max_batch = 512;              ///< requests per transaction at most (>= 1)
    commit_observer on_commit{};              ///< optional
    /// How often an idle writer that is not writable calls probe_writable().
    milliseconds idle_interval{1'000};
};

class group_commit_store : public job_store {
public:
    group_commit_store(const group_commit_store&) = delete;
    group_commit_store& operator=(const group_commit_store&) = delete;

    void enqueue_async(enqueue_request req, enqueue_callback done) final;
    void quarantine_async(quarantine_request req, quarantine_callback done) final;
    bool writable() const final { return writable_.load(std::memory_order_acquire); }
    /// Commits what is queued, answers it, stops the writer (then stop_backend_threads()).
    /// Called from a callback it only asks the writer to stop; the destructor joins.
    void shutdown() final;

protected:
    group_commit_store(clock& clk, writer_options options);
    ~group_commit_store() override = default;

    /// Marks the store writable and starts the writer and completion threads.
    void start_writer();

    /// Writer thread: stores the batch in one transaction and sets every item's outcome
    /// (fail_batch() when nothing was stored), reporting note_commit() or mark_unwritable().
    /// Throws only on allocation failure: the batch is then answered unavailable.
    virtual void commit_batch(write_batch& batch) = 0;
    /// Writer thread, every idle_interval while the queue is empty and the store is not
    /// writable (a commit failed, the connection is gone): true when the database takes
    /// writes again (reconnected, the write lock can be had). Readiness then comes back
    /// without waiting for a request, which a load balancer would not send to an unready
    /// replica.
    virtual bool probe_writable() = 0;
    /// Writer thread, after commit_batch() threw: leave the connection ready for the next
    /// batch (roll back what was begun).
    virtual void on_writer_exception() {}
    /// In shutdown(), once the writer has stopped and every request is answered.
    virtual void stop_backend_threads() {}

    /// After a durable commit of `batch_size` requests begun at `started`: writable (again),
    /// and the commit observer is told.
    void note_commit(std::size_t batch_size, std::chrono::steady_clock::time_point started);
    void mark_writable();
    void mark_unwritable() { writable_.store(false); }
    /// Answers every item of the batch unavailable: nothing of it is stored.
    static void fail_batch(write_batch& batch);
    /// Requests waiting for the writer.
    std::size_t pending_writes();

    clock& clock_;

private:
    enum class push_result { queued, overloaded, shut_down };
    /// Moves the item onto the queue (queued); or leaves it alone and says why not.
    push_result push(write_item& item);
    void writer_loop();
    static void answer(write_batch& batch);

    const writer_options writer_options_;

    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    write_batch queue_;
    bool stopping_ = false;
    bool writer_waiting_ = false;
    std::atomic<bool> writable_{false};

    std::mutex lifecycle_mutex_;
    std::thread writer_thread_;
    completion_thread<write_batch> completions_;
};

}  // namespace riskbridge::store::detail
