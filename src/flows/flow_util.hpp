#pragma once

// Private helpers of the DocV, RiskOS event, finish and reconcile handlers.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/notes.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows::detail {

using nlohmann::json;

inline std::string text_of(const json& doc, std::string_view key) {
    if (!doc.is_object()) {
        return {};
    }
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

inline const json* object_of(const json& doc, std::string_view key) {
    if (!doc.is_object()) {
        return nullptr;
    }
    const auto it = doc.find(key);
    return it != doc.end() && it->is_object() ? &*it : nullptr;
}

/// The checkpoint's short name of an evaluation state: "completed", "paused", "in_progress",
/// "unknown". Stored in checkpoints (eval_state) and audit lines, so these strings must not
/// change; they are not clients::riskos::to_string(eval_state) ("evaluation_completed", ...).
inline const char* state_name(clients::riskos::eval_state s) noexcept {
    switch (s) {
        case clients::riskos::eval_state::completed:
            return "completed";
        case clients::riskos::eval_state::paused:
            return "paused";
        case clients::riskos::eval_state::in_progress:
            return "in_progress";
        case clients::riskos::eval_state::unknown:
            break;
    }
    return "unknown";
}

inline json reasons_json(const std::vector<reason_code>& reasons) {
    json out = json::array();
    for (const auto& r : reasons) {
        out.push_back({{"code", r.code}, {"module", r.module}, {"enrichment", r.enrichment}});
    }
    return out;
}

inline std::vector<reason_code> reasons_of(const json& list) {
    std::vector<reason_code> out;
    if (!list.is_array()) {
        return out;
    }
    for (const auto& r : list) {
        if (r.is_object()) {
            out.push_back({text_of(r, "code"), text_of(r, "module"), text_of(r, "enrichment")});
        }
    }
    return out;
}

inline workers::job_outcome checkpoint_failed(const error& e) {
    return workers::job_outcome::retry("checkpoint not saved: " + std::string(to_string(e.code)));
}

inline workers::job_outcome store_failed(std::string_view what, const error& e) {
    return workers::job_outcome::retry(std::string(what) + ": " + std::string(to_string(e.code)));
}

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
               std::string_view detail = {}) override {
        inner_.audit(step, outcome, detail);
        if (mirror_ != 0 && mirror_ != inner_.current().id) {
            store::audit_entry e;
            e.job = mirror_;
            e.at = inner_.now_source().now();
            e.step = std::string(step);
            e.outcome = std::string(outcome);
            e.detail = "[" + inner_.current().kind + " job " + std::to_string(inner_.current().id) +
                       "]" + (detail.empty() ? std::string{} : " " + std::string(detail));
            (void)inner_.store().append_audit(e);  // the job's own line is the one that counts
        }
    }
    store::job_store& store() override { return inner_.store(); }
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
