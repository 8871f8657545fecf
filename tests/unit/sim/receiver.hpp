#pragma once

// A webhook receiver for the simulator tests, on the project's HTTP server: it keeps every
// request and answers from a script (200 by default). Tests wait on it with a deadline.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "riskbridge/http/server.hpp"

namespace riskbridge::sim::testing {

class receiver {
public:
    receiver() {
        config::server_config cfg;
        cfg.host = "127.0.0.1";
        cfg.port = 0;
        cfg.listen = "127.0.0.1:0";
        cfg.threads = 1;
        server_ = http::make_server(cfg, [this](http::request req, http::respond_fn respond) {
            unsigned status = 200;
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(std::move(req));
                if (!statuses_.empty()) {
                    status = statuses_.front();
                    statuses_.pop_front();
                }
            }
            changed_.notify_all();
            respond(http::json_status(status, status < 300 ? "accepted" : "unavailable"));
        });
        auto started = server_->start();
        EXPECT_TRUE(started.has_value());
    }
    ~receiver() { server_->drain(std::chrono::milliseconds(500)); }

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    }
    /// The next answers' statuses, in order; then 200 again.
    void answer_with(std::initializer_list<unsigned> statuses) {
        std::lock_guard lock(mutex_);
        statuses_.insert(statuses_.end(), statuses);
    }
    bool wait_for(std::size_t count, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
    }
    std::vector<http::request> requests() const {
        std::lock_guard lock(mutex_);
        return {requests_.begin(), requests_.end()};
    }

private:
    std::unique_ptr<http::server> server_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<http::request> requests_;
    std::deque<unsigned> statuses_;
};

}  // namespace riskbridge::sim::testing
