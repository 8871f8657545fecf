#pragma once

// The payload of the finish_evaluation job (docv_state.hpp): what finished an evaluation, and
// the one way to queue that job.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/notes.hpp"
#include "riskbridge/flows/step.hpp"
#include "riskbridge/store/job_store.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows {

/// The payload of the finish_evaluation job: what finished the evaluation, without any
/// personal data (decision, reason codes, document type; never documentData).
struct finish_request {
    std::string eval_id;
    finish_outcome outcome = finish_outcome::decision;
    std::string source;    ///< evaluation_completed | case_notes_added | reconcile | link_expired
    std::string decision;  ///< upper case; REJECT for declined and expired
    std::string workflow;  ///< may be empty (the flow's configured workflow is used)
    std::vector<reason_code> reasons;
    std::optional<clients::riskos::docv_result> docv;  ///< the DocV result, when there was one
    std::string event_id;                              ///< the webhook's, when from one
};

std::string to_json_text(const finish_request& f);
/// nullopt when the text is not a finish request (no eval_id).
std::optional<finish_request> parse_finish_request(std::string_view text);
/// From a completed evaluation (API answer or webhook data): the decision as sent (upper
/// case; the DocV decision value when the evaluation has none), top reason codes, DocV result.
finish_request finish_from_evaluation(const clients::riskos::evaluation& e, std::string source);
/// "finish:<eval_id>": at most one finish job per evaluation.
std::string finish_job_key(std::string_view eval_id);
/// Enqueues the finish job (or finds the one already there). Returns its id.
result<store::job_id> enqueue_finish(store::job_queue& st, const finish_request& f, time_point now);
/// enqueue_finish() from a job: audits `<audit_step>: finish_queued` on `ctx` (outcome,
/// decision, the finish job's id). The finish job's id, or the outcome when the store failed.
step<store::job_id> queue_finish(workers::job_context& ctx, const finish_request& f, time_point now,
                                 std::string_view audit_step);

/// Extra note lines for a finish request: the DocV result and document type, or why the
/// flow ended (consent declined, session expired, link expired). Plain text.
std::vector<std::string> finish_note_details(const finish_request& f,
                                             std::chrono::milliseconds link_lifetime);

}  // namespace riskbridge::flows
