#pragma once

// A flow job's checkpoint: one JSON object per job, saved after every side effect, e.g.
//   {"v":1,"step":"evaluated","eval_id":"...","eval_state":"completed","decision":"REJECT",
//    "workflow":"workforce_verification","reasons":[{"code":"R201","module":"fraud",
//    "enrichment":"..."}],"tags":{"decision":"HIGH_RISK_IDENTITY"},
//    "notes":{"decision":"done"},"note_ids":{"decision":"<ashby note id>"}}
// `notes.<key>` is "pending" (saved before candidate.createNote: the outcome is uncertain
// until "done"), then "done". A step whose note is "pending" lists the candidate's notes and
// looks for the step's marker (notes.hpp) before writing again.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows {

/// A job's checkpoint as JSON. Unreadable text starts empty (the flow starts over; every
/// effect is idempotent or marked).
class flow_checkpoint {
public:
    static flow_checkpoint parse(std::string_view text);
    std::string dump() const;

    nlohmann::json& doc() { return doc_; }
    const nlohmann::json& doc() const { return doc_; }
    std::string step() const;
    void set_step(std::string_view step);
    /// A string member, "" when absent.
    std::string text(std::string_view key) const;
    /// notes.<key> / tags.<key>
    std::string note_state(std::string_view key) const;
    bool tag_done(std::string_view key) const;
    /// notes.<key> = state ("pending" | "done"), note_ids.<key> = note_id when given.
    void set_note(std::string_view key, std::string_view state, std::string_view note_id = {});
    /// tags.<key> = title.
    void set_tag(std::string_view key, std::string_view title);

    /// Saves through the job context (durable when it returns).
    result<void> save(workers::job_context& ctx) const;

private:
    nlohmann::json doc_ = nlohmann::json::object();
};

/// The checkpoint's short name of an evaluation state: "completed", "paused", "in_progress",
/// "unknown". Stored in checkpoints (eval_state) and audit lines, so these strings must not
/// change; they are not clients::riskos::to_string(eval_state) ("evaluation_completed", ...).
const char* state_name(clients::riskos::eval_state s) noexcept;

}  // namespace riskbridge::flows
