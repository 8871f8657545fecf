#pragma once

// A decision that changes after it was written to Ashby: the revise_decision job (revise.cpp)
// and the one way to queue it.

#include <string>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::flows {

/// What made riskos_event queue a revision (ids only).
struct revision_cause {
    std::string event_id;
    std::string event_type;   ///< as RiskOS named it
    std::string reviewer_id;  ///< data.reviewer_id, when the event has one
};

/// "revise:<eval_id>:<updated_at ms>": one revision per version of the record, so every event
/// that saw the same version shares one job, and a later change (after the record stored the
/// new decision) is a job of its own.
std::string revise_job_key(const store::evaluation_record& rec);

/// Queues the revise_decision job for a completed record (or finds the one already queued for
/// its version). Returns its id.
result<store::job_id> enqueue_revision(store::job_queue& queue, const store::evaluation_record& rec,
                                       const revision_cause& cause, time_point now);

}  // namespace riskbridge::flows
