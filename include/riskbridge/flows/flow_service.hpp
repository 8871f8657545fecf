#pragma once

// The service every flow handler runs on: the configuration, the clients (client_pool.hpp),
// the tag-id cache (tag_cache.hpp), the shared evaluation reads (evaluation_reads.hpp), and the
// steps that write to Ashby exactly once (tag, note, decision, status), resumable from the
// job's checkpoint (checkpoint.hpp). Each job kind's handler lives in a file of its own:
// screening.cpp, document_verification.cpp, riskos_event.cpp, finish.cpp, reconcile.cpp.
// The evaluation record's states are in docv_state.hpp.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/flows/checkpoint.hpp"
#include "riskbridge/flows/client_pool.hpp"
#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/evaluation_reads.hpp"
#include "riskbridge/flows/finish_request.hpp"
#include "riskbridge/flows/notes.hpp"
#include "riskbridge/flows/step.hpp"
#include "riskbridge/flows/tag_cache.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows {

/// A decision to write to Ashby: the tag of tags.<flow> and a note with the case link.
struct decision_input {
    config::flow_kind flow = config::flow_kind::screening;
    std::string candidate_id;
    std::string application_id;
    std::string eval_id;
    std::string workflow;
    std::string decision;  ///< upper case: ACCEPT, REVIEW, REJECT, RESUBMIT, ...
    std::vector<reason_code> reasons;
    std::string ref;  ///< the note marker reference, e.g. rb-screening-<application_id>/decision
    /// Extra note lines (plain text), e.g. the DocV document type or why the flow ended.
    std::vector<std::string> details;
    /// The evaluation record's state once applied: completed, declined or expired.
    store::evaluation_state final_state = store::evaluation_state::completed;
    /// The decision written to Ashby before this one (a reviewer's rerun): its tag is removed
    /// unless the new decision has the same tag.
    std::string previous_decision;
};

/// The tag title for a decision of a flow (tags.screening / tags.document_verification);
/// nullopt when the decision has none (e.g. UNKNOWN).
std::optional<std::string> tag_for(const config::tags_config& tags, config::flow_kind flow,
                                   std::string_view decision);

class flow_service {
public:
    /// `observer`, when set, is told about every Ashby and RiskOS call (upstream metrics).
    flow_service(config::config cfg, clock& clk, http_factory make = {},
                 clients::upstream_observer observer = {});

    const config::config& cfg() const noexcept { return cfg_; }
    clock& clk() noexcept { return clk_; }
    client_pool& clients() noexcept { return clients_; }
    tag_cache& tags() noexcept { return tags_; }
    evaluation_reads& reads() noexcept { return reads_; }

    /// The `screening` job handler (screening.cpp).
    workers::job_outcome run_screening(workers::job_context& ctx);
    /// The `document_verification` job handler (document_verification.cpp).
    workers::job_outcome run_document_verification(workers::job_context& ctx);
    /// The `riskos_event` job handler: a stored RiskOS webhook (riskos_event.cpp). A decision
    /// is taken from RiskOS's API (read back through reads()), never from the event's body.
    workers::job_outcome run_riskos_event(workers::job_context& ctx);
    /// The `finish_evaluation` job handler: the one job that ends an evaluation (finish.cpp).
    workers::job_outcome run_finish_evaluation(workers::job_context& ctx);
    /// The `reconcile` job handler: reads a waiting evaluation back (reconcile.cpp).
    workers::job_outcome run_reconcile(workers::job_context& ctx);
    /// The `revise_decision` job handler: a decision changed after it was written to Ashby
    /// (a reviewer in RiskOS); reads the evaluation and, when its decision differs from the
    /// one written, swaps the tags and writes a note (revise.cpp).
    workers::job_outcome run_revise_decision(workers::job_context& ctx);
    /// The `docv_reminder` job handler: a reminder note while capture has not started
    /// (reissue.cpp).
    workers::job_outcome run_docv_reminder(workers::job_context& ctx);
    /// For a DocV evaluation that expired while riskos.docv.reissue_on_expiry allows another
    /// capture session: queues the new session's job, writes a note that a new link is being
    /// sent, records the evaluation expired with no decision, and returns the finish job's
    /// outcome; nullopt when the evaluation ends as usual. Resumable from `cp` (reissue.cpp).
    std::optional<workers::job_outcome> reissue_capture(workers::job_context& ctx,
                                                        flow_checkpoint& cp, flow_clients& c,
                                                        const store::evaluation_record& rec,
                                                        const finish_request& f);
    /// A reviewer's rerun (reevaluation) of one of riskbridge's evaluations, followed like the
    /// first (rerun.cpp); one that cannot be tied to one is acknowledged and logged.
    workers::job_outcome rerun(workers::job_context& ctx, const std::string& new_eval_id,
                               const std::string& previous_eval_id, const std::string& request_id,
                               const std::string& event_id);

    // ---- the Ashby write steps shared by the flows (flow_service.cpp) ----

    /// Adds the tag `title` to the candidate once (checkpoint tags.<key>).
    step<void> ensure_tag(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                          std::string_view key, const std::string& candidate_id,
                          const std::string& title);
    /// Removes the tag `title` from the candidate once (checkpoint untag_<key>); removing a
    /// tag the candidate does not have succeeds.
    step<void> ensure_untag(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                            std::string_view key, const std::string& candidate_id,
                            const std::string& title);
    /// Sets the candidate's fraud status mapped from `decision` by ashby.fraud_status, once per
    /// value (checkpoint fraud_status). A permanent failure (the Fraud Detection feature off,
    /// no permission) is logged once and turns the mapping off until a restart; it never
    /// fails the job. Nothing when the mapping is empty or has no entry for the decision.
    step<void> ensure_fraud_status(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                                   const std::string& candidate_id, std::string_view decision);
    /// Writes the note once (checkpoint notes.<key>; marker `ref` in the HTML).
    step<void> ensure_note(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                           std::string_view key, const std::string& candidate_id,
                           std::string_view ref, const std::string& html, bool notify);

    /// Tag by tags.<flow>, note with the decision, reason codes and case link, then the
    /// evaluation record `completed`. Resumable from `cp` (keys tags.decision,
    /// notes.decision); for the screening job and for the riskos_event handler alike.
    workers::job_outcome apply_decision(workers::job_context& ctx, flow_checkpoint& cp,
                                        flow_clients& c, const decision_input& in);

    /// Writes the decision of a finished evaluation (tag, note, record in its final state)
    /// and then, for the DocV flow, the final status. Resumable from `cp`.
    workers::job_outcome finish(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                                const store::evaluation_record& rec, const finish_request& f);
    /// The end of an evaluation RiskOS could not run (finish_outcome::failed): a note saying
    /// so and what to do, the record `failed`, the DocV status failed, and the finish job dead
    /// with the reason. Resumable from `cp`.
    workers::job_outcome finish_failed(workers::job_context& ctx, flow_checkpoint& cp,
                                       flow_clients& c, const store::evaluation_record& rec,
                                       const finish_request& f, config::flow_kind flow);
    /// Pushes the DocV verification status (docv_state.hpp) to ashby.status_custom_field, once
    /// per value (checkpoint key "status"). A non-final status (requested, in progress) is
    /// written only while the evaluation waits, and checked against the record afterwards:
    /// when the evaluation was finished meanwhile, the final status is written again, so the
    /// final one always wins (the finish job writes the record's final state before its
    /// status). Nothing when no field is configured or the flow is not DocV. Permanent
    /// failures are audited and skipped.
    step<void> push_status(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                           const store::evaluation_record& rec, verification_status status);

private:
    /// How many DocV evaluations the record's application has had (the record's included).
    step<int> capture_sessions(workers::job_context& ctx, const store::evaluation_record& rec);
    /// The evaluation a rerun replaces: by its eval_id, else by the request id's application.
    step<std::optional<store::evaluation_record>> rerun_of(workers::job_context& ctx,
                                                           const std::string& previous_eval_id,
                                                           const std::string& request_id);

    config::config cfg_;
    clock& clk_;
    client_pool clients_;
    tag_cache tags_;
    evaluation_reads reads_;  ///< the riskos_event handler's reads (riskos_event.cpp)
    /// ashby.fraud_status turned off after a permanent failure (ensure_fraud_status).
    std::atomic<bool> fraud_status_off_{false};
};

/// Registers the flow handlers (`screening`, `document_verification`, `riskos_event`,
/// `finish_evaluation`, `reconcile`, `revise_decision`) with the worker pool's registry.
void register_flows(workers::handler_registry& registry, std::shared_ptr<flow_service> service);

}  // namespace riskbridge::flows
