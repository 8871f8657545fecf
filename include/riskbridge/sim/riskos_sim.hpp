#pragma once

// A fake RiskOS Evaluation API on a loopback port, for tests, the demo and `riskbridge sim`.
//
//   POST /api/evaluation            start an evaluation (200 completed, 201 paused)
//   GET  /api/evaluation/{eval_id}  its current state (404 when unknown)
// `Authorization: Bearer <api_key>` is required (missing or wrong → 401). A body without
// `id`, `workflow` or `data.individual` → 400. Answers are shaped like the recorded sandbox
// responses in tests/fixtures/riskos (same envelope, enrichment names and providers, reason
// codes under response.<module>.reasonCodes, scores under response.<module>.scores).
//
// Decision rules (deterministic, from the request; `local` is the lower-cased local part of
// data.individual.email):
//
//   Screening (any workflow other than options.docv_workflow):
//     no email                → 200 REJECT, "Email Risk" enrichment failed (status 400, its
//                                response JSON inside a string), tag "Email Risk Error"
//     no phone_number         → 200 REJECT, the same for "Phone Risk", tag "Phone Risk Error"
//     local starts "accept"   → 200 ACCEPT  evaluation_completed CLOSED   tags []
//     local starts "review"   → 200 REVIEW  evaluation_completed ON_HOLD  tag "Email Risk Review"
//     local starts "reject"   → 200 REJECT  evaluation_completed CLOSED   tags "Sigma Identity
//                                Fraud Reject", "High Risk Individual" (sigma score 0.991)
//     local starts "docv"     → 201 REVIEW  evaluation_paused ON_HOLD, tag "Document
//                                Verification Step Up", a SocureDocRequest enrichment with
//                                docvTransactionToken, url and qrCode (DocV step-up)
//     anything else           → 200 ACCEPT
//   DocV (workflow == options.docv_workflow, default "workforce_docv"): always 201 paused with
//   the SocureDocRequest enrichment, whatever the local part.
//
//   The DocV capture, once driven (run_docv(), `POST /_sim/docv/{eval_id}`, or by itself
//   after options.docv_auto_delay), sends to options.webhook_url `case_notes_added` events
//   (reviewer_id "Webhook") and then `evaluation_completed`, chosen by the first keyword
//   found in `local`:
//     "expire"   → Process Initiated, Session Expired; no completion (stays paused)
//     "decline"  → Process Initiated, Capture App Opened, Consent Declined; no completion
//     "reject"   → full capture, then evaluation_completed REJECT (document reject, R827)
//     "resubmit" → full capture, then RESUBMIT        "review" → full capture, then REVIEW
//     otherwise  → full capture (Process Initiated, Capture App Opened, Document Front/Back/
//                  Selfie Uploaded, Documents Upload Successful, Session Complete), then
//                  evaluation_completed ACCEPT (document accept, I831 I836, Drivers License)
//   Webhooks carry `Authorization: Bearer <options.webhook_bearer>`.
//
// The same request `id` again returns the same evaluation (same eval_id: a re-run) in its
// current state, and never restarts its DocV capture; a new request id (e.g. a second DocV
// request, rb-docv-<application_id>-2) starts a new evaluation with a new capture token and
// link. eval_ids and tokens derive from the seed and the request id, so runs are
// reproducible. Faults: faults() or POST /_sim/faults (see faults.hpp). Inspection:
// GET /_sim/state (ids, decisions, deliveries; no personal data). Logs carry ids only.
//
// What a RiskOS user or RiskOS itself does to an evaluation after it started, each sending one
// webhook (an envelope {event_id, event_at, event_type, data}) and recorded in deliveries().
// The C++ methods send on the caller's thread; the /_sim/ requests do the same change at once
// and answer with the delivery once it was sent (from the outbox thread):
//   review(eval_id, decision, reviewer_id, event_type, send)
//                     POST /_sim/review/{eval_id} {"decision", "reviewer_id"? (sim-reviewer),
//                     "event_type"?, "send"?}: a reviewer decides. The evaluation becomes
//                     evaluation_completed, `decision`, status CLOSED, with a new decision_at
//                     (strictly later than any earlier one of the evaluation); a DocV capture
//                     still running stops. The event (decision_update by default;
//                     case_decision_changed, case_status_updated, ...) carries {eval_id, id,
//                     workflow, decision, reviewer_id, status}; an evaluation_completed event
//                     carries the whole evaluation and reviewer_id instead, as RiskOS sends it.
//   send_event(eval_id, event_type, data_overrides)
//                     POST /_sim/event/{eval_id} {"event_type", "data"?}: any event, the
//                     evaluation unchanged; data is {eval_id, id, workflow} with the overrides'
//                     top-level keys put over it (for events the API contradicts, unknown types).
//   redeliver(event_id)
//                     POST /_sim/redeliver/{event_id}: the same event again (same event_id,
//                     same body), to the current target: a retried delivery.
//   rerun(eval_id, decision)
//                     POST /_sim/rerun/{eval_id} {"decision"}: a reviewer reruns the case. A new
//                     evaluation (new eval_id, same request id, workflow and request, completed
//                     with `decision`, status CLOSED) and a `reevaluation` event {eval_id: the
//                     new one, id, workflow, previous_eval_id}. The earlier evaluation stays as
//                     it was. eval_id_for() keeps answering the first evaluation of a request
//                     id (and POST /api/evaluation with that id keeps returning it); the reruns
//                     are in eval_ids_for().
//   expire(eval_id)   POST /_sim/expire/{eval_id}: the DocV capture link of a paused evaluation
//                     expires. The evaluation stays evaluation_paused with its capture request;
//                     the rest of its scripted capture is dropped; the event is case_notes_added
//                     {reviewer_id "Webhook", notes "Session Expired"}.
//   fail_workflow(eval_id)
//                     POST /_sim/fail/{eval_id}: the workflow's execution failed. eval_status
//                     becomes evaluation_in_progress (a documented status that is not final;
//                     what RiskOS really shows after a failure is not documented), decision and
//                     status unchanged, a DocV capture still running stops; the event is
//                     workflow_execution_failed {eval_id, id, workflow}.
// Errors: not_found (unknown eval_id or event_id; HTTP 404), conflict (expire of an evaluation
// that is not a paused DocV one; 409), invalid_argument (an empty decision or event type, data
// that is not an object; 400).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/sim/faults.hpp"

namespace riskbridge::sim {

enum class docv_outcome { accept, review, resubmit, reject, consent_declined, session_expired };
const char* to_string(docv_outcome o) noexcept;
/// The DocV outcome the rules above give for an email address.
docv_outcome docv_outcome_for(std::string_view email);

struct riskos_sim_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: any free port
    int threads = 1;
    std::string api_key = "sim-riskos-key";
    std::string docv_workflow = "workforce_docv";
    std::string webhook_url;  ///< the daemon's /webhooks/riskos; empty: no webhooks
    std::string webhook_bearer = "sim-riskos-webhook-token";
    /// When set, each DocV capture runs by itself this long after the evaluation starts.
    std::optional<milliseconds> docv_auto_delay;
    milliseconds docv_step_interval{20};  ///< between the events of an automatic capture
    int webhook_attempts = 3;             ///< per event, automatic captures only
    milliseconds webhook_retry_delay{500};
    std::string case_url_base = "https://riskos.socure.com/cases/detail";
    std::uint64_t seed = 1;
    const clock* clk = nullptr;  ///< timestamps; the system clock when null
};

/// One webhook the simulator sent (or tried to).
struct webhook_delivery {
    std::string event_type;  ///< case_notes_added, evaluation_completed, decision_update, ...
    std::string event_id;
    std::string eval_id;
    std::string notes;     ///< case_notes_added's notes
    long http_status = 0;  ///< 0: not delivered (see error)
    std::string error;
    int attempts = 0;
    bool delivered() const noexcept { return http_status >= 200 && http_status <= 299; }
};

/// What rerun() did: the new evaluation and its `reevaluation` event.
struct rerun_result {
    std::string eval_id;  ///< the new evaluation
    webhook_delivery delivery;
};

class riskos_simulator {
public:
    explicit riskos_simulator(riskos_sim_options options = {});
    ~riskos_simulator();
    riskos_simulator(const riskos_simulator&) = delete;
    riskos_simulator& operator=(const riskos_simulator&) = delete;

    result<void> start();
    void stop();
    std::uint16_t port() const;
    std::string base_url() const;
    const riskos_sim_options& options() const;
    /// Where webhooks go (e.g. once the daemon's port is known).
    void set_webhook_target(const std::string& url, const std::string& bearer);

    /// The eval_id started for a request id: the first one, also after a rerun().
    std::optional<std::string> eval_id_for(const std::string& request_id) const;
    /// Every evaluation of a request id, in the order started: the first, then its reruns.
    std::vector<std::string> eval_ids_for(const std::string& request_id) const;
    /// Every eval_id, in the order started.
    std::vector<std::string> eval_ids() const;
    /// The current evaluation document, as GET would return it.
    std::optional<std::string> evaluation_json(const std::string& eval_id) const;
    /// The request body that started it (holds personal data: tests only).
    std::optional<std::string> request_json(const std::string& eval_id) const;
    /// Requests per endpoint ("POST /api/evaluation", "GET /api/evaluation"), faulted included.
    int calls(const std::string& endpoint) const;

    /// Runs the remaining DocV capture of a paused evaluation now, on this thread: sends each
    /// event once and returns what happened. Empty when there is nothing left to send.
    std::vector<webhook_delivery> run_docv(const std::string& eval_id);
    /// Completes a paused DocV evaluation by its rule without sending any webhook (a missed
    /// webhook, for reconcile). False when it is not a paused DocV evaluation.
    bool complete_silently(const std::string& eval_id);
    // ---- after the start: reviewers, expiries, failures (the list above) ------------------
    /// With send false nothing is sent or recorded: the delivery returned has no event_id,
    /// no attempts and error "not sent".
    result<webhook_delivery> review(const std::string& eval_id, const std::string& decision,
                                    const std::string& reviewer_id,
                                    const std::string& event_type = "decision_update",
                                    bool send = true);
    result<webhook_delivery> send_event(
        const std::string& eval_id, const std::string& event_type,
        const nlohmann::json& data_overrides = nlohmann::json::object());
    result<webhook_delivery> redeliver(const std::string& event_id);
    result<rerun_result> rerun(const std::string& eval_id, const std::string& decision);
    result<webhook_delivery> expire(const std::string& eval_id);
    result<webhook_delivery> fail_workflow(const std::string& eval_id);

    /// Every delivery so far, in order (a redelivery is another entry with the same event_id).
    std::vector<webhook_delivery> deliveries() const;
    /// The body sent for an event (what redeliver() sends again); nullopt when none was.
    std::optional<std::string> delivery_body(const std::string& event_id) const;
    /// Waits until at least `count` deliveries were attempted, or the timeout.
    bool wait_for_deliveries(std::size_t count, milliseconds timeout) const;
    std::string state_json() const;

    fault_injector& faults();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace riskbridge::sim
