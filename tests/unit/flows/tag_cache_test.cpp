// tag_cache: each tag title is created once per process, also when several workers ask for it
// at the same moment, and a failed creation leaves the next caller to try again.

#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/flows/tag_cache.hpp"
#include "support/polling.hpp"

namespace riskbridge::flows {
namespace {

using clients::http_call;
using clients::http_response;
using clients::upstream_result;
using riskbridge::testing::eventually;

/// Answers candidateTag.create with a tag whose id names the call; each answer waits until the
/// test opens the gate, so a test can hold a creation in flight.
class gated_ashby final : public clients::http_client {
public:
    upstream_result<http_response> send(const http_call& call) override {
        std::unique_lock lock(mutex_);
        ++calls_;
        const int n = calls_;
        opened_.wait(lock, [&] { return open_; });
        if (fail_next_) {
            fail_next_ = false;
            clients::upstream_error e;
            e.kind = clients::failure_kind::network;
            e.transient = true;
            e.code = "reset";
            e.message = "connection reset";
            return e;
        }
        const auto title = nlohmann::json::parse(call.body).value("title", "");
        http_response r;
        r.status = 200;
        r.body = nlohmann::json{{"success", true},
                                {"results", {{"id", "tag-" + std::to_string(n)}, {"title", title}}}}
                     .dump();
        return r;
    }

    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }
    void fail_next() {
        std::lock_guard lock(mutex_);
        fail_next_ = true;
    }
    int calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
    bool fail_next_ = false;
    int calls_ = 0;
};

class TagCacheTest : public ::testing::Test {
protected:
    /// The id, or "" on failure.
    std::string id(clients::ashby::ashby_client& ashby, const std::string& title) {
        auto r = cache_.id_for(ashby, title);
        return r ? *r : std::string();
    }

    clients::ashby::ashby_options options() const {
        clients::ashby::ashby_options o;
        o.base_url = "http://ashby.invalid";
        o.api_key = "k";
        return o;
    }

    gated_ashby http_;
    clients::ashby::ashby_client first_{http_, options()};  // one client per worker
    clients::ashby::ashby_client second_{http_, options()};
    tag_cache cache_;
};

TEST_F(TagCacheTest, WorkersAskingForOneTitleAtOnceShareOneCreation) {
    upstream_result<std::string> a = std::string(), b = std::string();
    std::thread creator([&] { a = cache_.id_for(first_, "LOW_RISK_IDENTITY"); });
    ASSERT_TRUE(eventually([&] { return http_.calls() == 1; }));  // in flight, held
    std::thread waiter([&] { b = cache_.id_for(second_, "LOW_RISK_IDENTITY"); });
    ASSERT_TRUE(eventually([&] { return cache_.waiting() == 1; }));
    http_.open();
    creator.join();
    waiter.join();

    EXPECT_EQ(http_.calls(), 1);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(*a, "tag-1");
    EXPECT_EQ(*b, "tag-1");
    EXPECT_EQ(cache_.cached("LOW_RISK_IDENTITY"), std::optional<std::string>("tag-1"));
    EXPECT_EQ(cache_.waiting(), 0u);

    // Cached from now on; another title is its own creation.
    EXPECT_EQ(id(first_, "LOW_RISK_IDENTITY"), "tag-1");
    EXPECT_EQ(id(second_, "HIGH_RISK_IDENTITY"), "tag-2");
    EXPECT_EQ(http_.calls(), 2);
}

TEST_F(TagCacheTest, WhenTheCreationFailsAWaiterCreatesItItself) {
    http_.fail_next();
    upstream_result<std::string> a = std::string(), b = std::string();
    std::thread creator([&] { a = cache_.id_for(first_, "DOCUMENT_VERIFICATION_PASSED"); });
    ASSERT_TRUE(eventually([&] { return http_.calls() == 1; }));
    std::thread waiter([&] { b = cache_.id_for(second_, "DOCUMENT_VERIFICATION_PASSED"); });
    ASSERT_TRUE(eventually([&] { return cache_.waiting() == 1; }));
    http_.open();
    creator.join();
    waiter.join();

    EXPECT_FALSE(a.has_value());  // the creator's own failure, for its job to retry
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(*b, "tag-2");
    EXPECT_EQ(http_.calls(), 2);
    EXPECT_EQ(cache_.cached("DOCUMENT_VERIFICATION_PASSED"), std::optional<std::string>("tag-2"));
}

TEST_F(TagCacheTest, ForgetMakesTheNextCallCreateAgain) {
    http_.open();
    EXPECT_EQ(id(first_, "LOW_RISK_IDENTITY"), "tag-1");
    cache_.forget("LOW_RISK_IDENTITY");
    EXPECT_FALSE(cache_.cached("LOW_RISK_IDENTITY").has_value());
    EXPECT_EQ(id(first_, "LOW_RISK_IDENTITY"), "tag-2");
}

}  // namespace
}  // namespace riskbridge::flows
