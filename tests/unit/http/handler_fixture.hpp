#pragma once

// The webhook handler as a function of the request, on a real SQLite store in a temporary
// directory: the fixture of the handler's test suites. A suite sets cfg_ in its SetUp, then
// calls start().

#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/observability/metrics.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/paths.hpp"

namespace riskbridge::http::testing {

class handler_fixture : public ::testing::Test {
protected:
    void start() {
        auto st = store::make_sqlite_store({dir_.file("h.db")}, clock_);
        ASSERT_TRUE(st.has_value()) << st.error().message;
        store_ = std::move(st).value();
        handler_ = std::make_unique<webhook_handler>(cfg_, *store_, nullptr, &metrics_);
    }
    void TearDown() override {
        handler_.reset();
        if (store_) {
            store_->shutdown();
        }
    }

    /// The handler's answer to `r`, waited for (the store answers on its own thread).
    response call(request r) {
        std::promise<response> p;
        auto f = p.get_future();
        handler_->handle(std::move(r), [&p](response resp) { p.set_value(std::move(resp)); });
        EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        return f.get();
    }

    riskbridge::testing::temp_dir dir_;
    manual_clock clock_;
    config::config cfg_;
    observability::metrics metrics_;
    std::unique_ptr<store::job_store> store_;
    std::unique_ptr<webhook_handler> handler_;
};

}  // namespace riskbridge::http::testing
