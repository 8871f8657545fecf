#pragma once

// The start both evaluation flows share (screening.cpp, document_verification.cpp): the job's
// ids, then read -> consent -> mapping, which ends in the applicant to send to RiskOS or in a
// skip the checkpoint records, then the evaluation request:
//
//   read      application.info (with form submissions), candidate.info
//   consent   when consent.required: no consent -> step "skipped", skip "consent",
//             consent "refused" | "missing"
//   mapping   missing required fields -> step "skipped", skip "missing", missing [paths]
//   evaluate  POST /api/evaluation -> step "evaluated", eval_id, eval_state, workflow

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/flows/checkpoint.hpp"
#include "riskbridge/flows/client_pool.hpp"
#include "riskbridge/flows/mapping.hpp"
#include "riskbridge/flows/step.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows::detail {

/// What a flow job starts from: its payload's ids, its checkpoint and, once started, the
/// clients it calls the APIs with.
struct flow_job {
    nlohmann::json payload;  ///< the job's payload (ids, submitter_client_ip)
    std::string application_id;
    /// The checkpoint's, else the webhook's; prepare_applicant() sets the one Ashby confirms.
    std::string candidate_id;
    flow_checkpoint cp;
    std::optional<client_pool::lease> lease;  ///< set by start_flow()

    flow_clients& clients() { return **lease; }
};

/// Parses the job's payload and checkpoint and adds the ids to the job's log fields. A payload
/// without application_id fails the job.
step<flow_job> open_flow_job(workers::job_context& ctx);

/// What both flows read first: the application (with its form submissions) and its candidate.
struct applicant_read {
    clients::ashby::application app;
    clients::ashby::candidate cand;
    std::string candidate_id;  ///< the application's candidate, else the one given
};

/// Reads the application, then its candidate, auditing each step. On failure: the job's
/// outcome (retry with Retry-After when transient, a permanent failure otherwise).
/// `webhook_payload` is the job's payload: what the API's application lacks and the webhook's
/// `data.application` carries (submitterClientIp) is taken from it.
step<applicant_read> read_applicant(workers::job_context& ctx, flow_clients& c,
                                    const std::string& application_id, std::string candidate_id,
                                    const nlohmann::json& webhook_payload);

/// Read -> consent -> mapping for a job whose checkpoint has no step yet: the applicant mapped
/// for RiskOS, or nullopt when the flow is skipped (the checkpoint, not yet saved, says why;
/// missing_labels() lists what was missing). Records the confirmed candidate id in `job` and
/// its checkpoint. A failed read, or a pool that is stopping before the evaluation, ends the
/// job.
step<std::optional<mapped_applicant>> prepare_applicant(workers::job_context& ctx,
                                                        const config::config& cfg, flow_clients& c,
                                                        flow_job& job);

/// POST /api/evaluation with the request `body`. On success, records in the checkpoint (not
/// yet saved) step "evaluated", eval_id, eval_state (state_name()) and workflow (RiskOS's,
/// else `workflow`); on failure, the job's outcome.
step<clients::riskos::evaluation> request_evaluation(workers::job_context& ctx, flow_clients& c,
                                                     flow_checkpoint& cp, const std::string& body,
                                                     const std::string& workflow);

/// A flow's evaluation request for a mapped applicant: request_evaluation() with the flow's
/// body, and what the flow records of the answer in the job's checkpoint (not yet saved).
using evaluate_fn = std::function<step<void>(flow_job& job, const mapped_applicant&)>;

/// How both flows start: open_flow_job(), lease the clients, then the first step, run once:
/// for a checkpoint without a step, prepare_applicant() and, when the applicant maps,
/// `evaluate`; then the checkpoint is saved. Either way the candidate id joins the job's log
/// fields.
step<flow_job> start_flow(workers::job_context& ctx, const config::config& cfg,
                          client_pool& clients, const evaluate_fn& evaluate);

/// The labels of the missing fields a skip recorded ("phone", "given name", ...).
std::vector<std::string> missing_labels(const flow_checkpoint& cp);

/// The eval_id of an "evaluated" checkpoint; any other step fails the job.
step<std::string> evaluated_eval_id(workers::job_context& ctx, const flow_checkpoint& cp);

}  // namespace riskbridge::flows::detail
