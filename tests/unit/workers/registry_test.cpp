#include <cstdlib>

#include <gtest/gtest.h>

#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::workers {
namespace {

/// Just enough context to call a handler that looks at nothing but its job.
class stub_context final : public job_context {
public:
    const store::job& current() const override { return job_; }
    const std::string& checkpoint() const override { return job_.checkpoint; }
    result<void> save_checkpoint(std::string) override {
        return make_error(errc::internal, "not supported");
    }
    void audit(std::string_view, std::string_view, std::string_view) override {}
    store::evaluation_store& evaluations() override { std::abort(); }
    store::job_queue& queue() override { std::abort(); }
    store::audit_log& audit_trail() override { std::abort(); }
    clock& now_source() override { return riskbridge::system_clock(); }
    bool stopping() const override { return false; }

private:
    store::job job_;
};

TEST(HandlerRegistry, FindsRegisteredHandlersByKind) {
    handler_registry registry;
    registry.add("screening", [](job_context&) { return job_outcome::done("screened"); });
    registry.add("riskos_event", [](job_context&) { return job_outcome::fail("bad event"); });

    ASSERT_NE(registry.find("screening"), nullptr);
    ASSERT_NE(registry.find("riskos_event"), nullptr);
    EXPECT_NE(registry.find("screening"), registry.find("riskos_event"));
}

TEST(HandlerRegistry, UnknownKindIsNull) {
    handler_registry registry;
    EXPECT_EQ(registry.find("screening"), nullptr);
    registry.add("screening", [](job_context&) { return job_outcome::done(); });
    EXPECT_EQ(registry.find("Screening"), nullptr);
    EXPECT_EQ(registry.find(""), nullptr);
    EXPECT_EQ(registry.find("screening_extra"), nullptr);
}

TEST(HandlerRegistry, LaterRegistrationReplacesEarlier) {
    handler_registry registry;
    int which = 0;
    registry.add("reconcile", [&](job_context&) {
        which = 1;
        return job_outcome::done();
    });
    registry.add("reconcile", [&](job_context&) {
        which = 2;
        return job_outcome::done();
    });
    const job_handler* h = registry.find("reconcile");
    ASSERT_NE(h, nullptr);
    stub_context ctx;
    EXPECT_EQ((*h)(ctx).what, job_outcome::kind::done);
    EXPECT_EQ(which, 2);
}

TEST(JobOutcome, FactoriesSetKindDetailAndRetryAfter) {
    const auto d = job_outcome::done();
    EXPECT_EQ(d.what, job_outcome::kind::done);
    EXPECT_EQ(d.detail, "done");

    const auto r = job_outcome::retry("upstream 503", milliseconds{1500});
    EXPECT_EQ(r.what, job_outcome::kind::retry);
    EXPECT_EQ(r.detail, "upstream 503");
    ASSERT_TRUE(r.retry_after.has_value());
    EXPECT_EQ(*r.retry_after, milliseconds{1500});

    const auto f = job_outcome::fail("401 from RiskOS");
    EXPECT_EQ(f.what, job_outcome::kind::permanent_failure);
    EXPECT_EQ(f.detail, "401 from RiskOS");
    EXPECT_FALSE(f.retry_after.has_value());
}

}  // namespace
}  // namespace riskbridge::workers
