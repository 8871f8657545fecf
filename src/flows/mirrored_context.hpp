#pragma once

// A job context for the jobs that act on an evaluation another job started (riskos_event,
// finish_evaluation, reconcile).

#include <string>
#include <string_view>

#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows::detail {

/// A job context whose audit lines also go to the evaluation's own job (the flow job that
/// started it), so `riskbridge evaluations show` finds an evaluation's whole trail in one place.
class mirrored_context final : public workers::job_context {
public:
    mirrored_context(workers::job_context& inner, store::job_id mirror)
        : inner_(inner), mirror_(mirror) {}

    const store::job& current() const override { return inner_.current(); }
    const std::string& checkpoint() const override { return inner_.checkpoint(); }
    result<void> save_checkpoint(std::string cp) override {
        return inner_.save_checkpoint(std::move(cp));
    }
    void audit(std::string_view step, std::string_view outcome,
               std::string_view detail = {}) override;
    store::evaluation_store& evaluations() override { return inner_.evaluations(); }
    store::job_queue& queue() override { return inner_.queue(); }
    store::audit_log& audit_trail() override { return inner_.audit_trail(); }
    clock& now_source() override { return inner_.now_source(); }
    bool stopping() const override { return inner_.stopping(); }
    /// On the job's own context, so the fields outlive this wrapper.
    void log_field(std::string_view key, std::string_view value) override {
        inner_.log_field(key, value);
    }

private:
    workers::job_context& inner_;
    store::job_id mirror_;
};

}  // namespace riskbridge::flows::detail
