#include "store/group_commit_store.hpp"

#include <algorithm>
#include <utility>

#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::store::detail {

namespace {

constexpr const char* overloaded_detail = "write queue full";
constexpr const char* shut_down_detail = "store is shut down";

/// Set on the writer thread, so shutdown() from a callback does not join itself.
thread_local const group_commit_store* writer_on_this_thread = nullptr;

/// A batch holds one request at least.
writer_options with_batches(writer_options o) {
    o.max_batch = std::max<std::size_t>(o.max_batch, 1);
    return o;
}

template <class Callback, class Value>
void call(Callback& cb, Value&& v) noexcept {
    if (!cb) {
        return;
    }
    try {
        cb(std::forward<Value>(v));
    } catch (...) {
        log::error("store_callback_threw", {});
    }
}

}  // namespace

group_commit_store::group_commit_store(clock& clk, writer_options options)
    : clock_(clk),
      writer_options_(with_batches(std::move(options))),
      completions_([](write_batch& batch) { answer(batch); }, writer_options_.max_pending_writes) {}

// --- ingestion ----------------------------------------------------------------------------

void group_commit_store::enqueue_async(enqueue_request req, enqueue_callback done) {
    enqueue_result immediate;
    if (req.delivery.source.empty() || req.delivery.key.empty()) {
        immediate = {enqueue_status::unavailable, 0, "invalid delivery key"};
    } else if (req.job && req.job->kind.empty()) {
        immediate = {enqueue_status::unavailable, 0, "job without a kind"};
    } else {
        write_item item;
        try {
            item.received_ms = to_unix_ms(clock_.now());
            item.request = std::move(req);
            item.on_enqueued = std::move(done);
            switch (push(item)) {
                case push_result::queued:
                    return;
                case push_result::overloaded:
                    immediate = {enqueue_status::overloaded, 0, overloaded_detail};
                    break;
                case push_result::shut_down:
                    immediate = {enqueue_status::unavailable, 0, shut_down_detail};
                    break;
            }
        } catch (...) {
            immediate = {enqueue_status::unavailable, 0, "out of memory"};
        }
        if (item.on_enqueued) {
            done = std::move(item.on_enqueued);  // not queued: answer here
        }
    }
    call(done, std::move(immediate));
}

void group_commit_store::quarantine_async(quarantine_request req, quarantine_callback done) {
    result<void> immediate;
    write_item item;
    try {
        item.is_quarantine = true;
        item.received_ms = to_unix_ms(clock_.now());
        item.quarantine = std::move(req);
        item.on_quarantined = std::move(done);
        switch (push(item)) {
            case push_result::queued:
                return;
            case push_result::overloaded:
                immediate = make_error(errc::overloaded, overloaded_detail);
                break;
            case push_result::shut_down:
                immediate = make_error(errc::unavailable, shut_down_detail);
                break;
        }
    } catch (...) {
        immediate = make_error(errc::unavailable, "out of memory");
    }
    if (item.on_quarantined) {
        done = std::move(item.on_quarantined);  // not queued: answer here
    }
    call(done, std::move(immediate));
}

group_commit_store::push_result group_commit_store::push(write_item& item) {
    std::unique_lock lock(queue_mutex_);
    if (stopping_) {
        return push_result::shut_down;
    }
    if (queue_.size() >= writer_options_.max_pending_writes) {
        return push_result::overloaded;
    }
    queue_.push_back(std::move(item));
    const bool wake = writer_waiting_;
    writer_waiting_ = false;
    lock.unlock();
    if (wake) {
        queue_cv_.notify_one();
    }
    return push_result::queued;
}

std::size_t group_commit_store::pending_writes() {
    std::lock_guard lock(queue_mutex_);
    return queue_.size();
}

// --- the writer ---------------------------------------------------------------------------

void group_commit_store::start_writer() {
    writable_.store(true);
    completions_.start();
    writer_thread_ = std::thread([this] {
        set_thread_name("rb-store-writer");
        writer_loop();
    });
}

void group_commit_store::writer_loop() {
    writer_on_this_thread = this;
    write_batch batch;
    for (;;) {
        {
            std::unique_lock lock(queue_mutex_);
            while (queue_.empty() && !stopping_) {
                writer_waiting_ = true;
                if (writable()) {
                    queue_cv_.wait(lock);
                    continue;
                }
                queue_cv_.wait_for(lock, writer_options_.idle_interval);
                if (queue_.empty() && !stopping_) {
                    lock.unlock();
                    if (probe_writable()) {
                        mark_writable();
                    }
                    lock.lock();
                }
            }
            writer_waiting_ = false;
            if (queue_.empty()) {
                writable_.store(false);
                return;  // stopping, and everything queued is committed
            }
            if (queue_.size() <= writer_options_.max_batch) {
                batch.swap(queue_);
            } else {
                for (std::size_t i = 0; i < writer_options_.max_batch; ++i) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        // Only allocation can throw below. In commit_batch nothing of the batch was committed:
        // every request is answered unavailable. Once committed, each has its outcome and is
        // answered with it, on this thread if the completion thread cannot take the batch.
        bool committed = false;
        try {
            commit_batch(batch);
            committed = true;
            // The answers go out on the completion thread while this one starts the next
            // commit.
            completions_.post(batch);
        } catch (...) {
            log::error("store_writer_exception",
                       {{"batch", batch.size()}, {"committed", committed}});
            if (!committed) {
                mark_unwritable();
                on_writer_exception();
                fail_batch(batch);
            }
            answer(batch);
        }
        batch.clear();
    }
}

void group_commit_store::answer(write_batch& batch) {
    for (auto& item : batch) {
        if (item.is_quarantine) {
            call(item.on_quarantined, std::move(item.quarantine_outcome));
        } else {
            call(item.on_enqueued, std::move(item.outcome));
        }
    }
}

void group_commit_store::note_commit(std::size_t batch_size,
                                     std::chrono::steady_clock::time_point started) {
    mark_writable();
    if (writer_options_.on_commit) {
        try {  // metrics: after the commit, so nothing here may make the batch look failed
            writer_options_.on_commit(batch_size,
                                      std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - started));
        } catch (...) {
            log::warn("store_commit_observer_failed", {});
        }
    }
}

void group_commit_store::mark_writable() {
    if (!writable_.exchange(true)) {
        log::info("store_writable_again", {});
    }
}

void group_commit_store::fail_batch(write_batch& batch) {
    for (auto& item : batch) {
        item.outcome = {enqueue_status::unavailable, 0, "database error"};
        item.quarantine_outcome = make_error(errc::unavailable, "database error");
    }
}

// --- shutdown -----------------------------------------------------------------------------

void group_commit_store::shutdown() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_on_this_thread == this || completions_.on_this_thread()) {
        return;  // from a callback: the writer drains and stops; the destructor joins
    }
    std::lock_guard lifecycle(lifecycle_mutex_);
    if (writer_thread_.joinable()) {
        writer_thread_.join();  // the writer commits everything queued before it returns
        completions_.stop();    // and every committed request is answered
        stop_backend_threads();
        log::info("store_shutdown", {});
    }
    writable_.store(false);
}

}  // namespace riskbridge::store::detail
