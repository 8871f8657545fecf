// RiskOS webhook events (SPEC §4), stored by the webhook handler as `riskos_event` jobs:
//   {"source":"riskos","event_type","event_id","eval_id","request_id","received_at",
//    "event": <the whole webhook body>}
//
//   evaluation_completed  for a waiting evaluation: the finish job is queued with the decision
//   case_notes_added      reviewer_id "Webhook" only (people's notes are ignored): progress
//                         goes to the audit trail (and the status "in progress"); Consent
//                         Declined and Session Expired queue the finish job (REJECT)
//   DocvNotification      the older DocV envelope (seed 003): correlated on
//                         event.docVTransactionToken, then as case_notes_added
//   anything else         acknowledged (done), logged with ids only
//
// An event for an evaluation not recorded yet (RiskOS was faster than the flow job that
// started it) is retried for up to riskos.reconcile_after, then acknowledged and logged. An
// event for an evaluation that is already finished changes nothing.

#include "flow_util.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::object_of;
using detail::store_failed;
using detail::text_of;
using nlohmann::json;

/// What an event says, whichever envelope it came in.
struct event_view {
    std::string type;
    std::string event_id;
    std::string eval_id;
    std::string token;       ///< docVTransactionToken (older envelope)
    std::string request_id;  ///< data.id: the evaluation's request id ("rb-..." when ours)
    const json* data = nullptr;
    bool completion = false;
    std::optional<case_note> note;
    bool by_person = false;
};

}  // namespace

workers::job_outcome flow_service::run_riskos_event(workers::job_context& ctx) {
    const store::job& job = ctx.current();
    const json payload = json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
    const json* event = object_of(payload, "event");
    event_view v;
    v.type = text_of(payload, "event_type");
    v.event_id = text_of(payload, "event_id");
    log::scoped_context event_ctx("event_id", v.event_id);
    if (event == nullptr) {
        ctx.audit("event", "invalid_payload");
        log::warn("riskos_event_unreadable", {{"event_type", v.type}});
        return workers::job_outcome::done("ignored: unreadable payload");
    }

    if (v.type == "evaluation_completed" || v.type == "case_notes_added") {
        v.data = object_of(*event, "data");
        if (v.data == nullptr) {
            ctx.audit("event", "no_data", v.type);
            return workers::job_outcome::done("ignored: no data");
        }
        v.eval_id = text_of(*v.data, "eval_id");
        v.request_id = text_of(*v.data, "id");
        ctx.log_field("eval_id", v.eval_id);
        if (v.type == "evaluation_completed") {
            v.completion = true;
        } else {
            v.note = parse_case_note(text_of(*v.data, "notes"));
            v.by_person = text_of(*v.data, "reviewer_id") != "Webhook";
        }
    } else if (v.type == "DocvNotification") {
        const json* inner = object_of(*event, "event");
        if (inner == nullptr) {
            ctx.audit("event", "no_event", v.type);
            return workers::job_outcome::done("ignored: no event");
        }
        v.token = text_of(*inner, "docVTransactionToken");
        v.note = parse_case_note(text_of(*inner, "message"));
        if (*v.note == case_note::other) {
            v.note = parse_case_note(text_of(*inner, "eventType"));
        }
    } else {
        ctx.audit("event", "ignored", v.type);
        log::info("riskos_event_ignored", {{"event_type", v.type}, {"reason", "type"}});
        return workers::job_outcome::done("ignored: event type not handled");
    }
    if (v.by_person) {
        // Reviewers write case notes too: only DocV's own ("Webhook") are progress.
        ctx.audit("event", "ignored", "case note by a person");
        log::info("riskos_event_ignored",
                  {{"event_type", v.type}, {"eval_id", v.eval_id}, {"reason", "note_by_person"}});
        return workers::job_outcome::done("ignored: a note written by a person");
    }

    // ---- correlate ----------------------------------------------------------------------
    if (v.eval_id.empty() && v.token.empty()) {
        ctx.audit("correlate", "no_id");
        log::info("riskos_event_ignored", {{"event_type", v.type}, {"reason", "no_eval_id"}});
        return workers::job_outcome::done("ignored: no eval_id");
    }
    auto found = v.eval_id.empty() ? ctx.store().find_evaluation_by_docv_token(v.token)
                                   : ctx.store().find_evaluation(v.eval_id);
    if (!found) {
        return store_failed("evaluation not read", found.error());
    }
    if (!*found) {
        // Ours (request id rb-...) or unknown (older envelope): the flow job may not have
        // recorded it yet. Someone else's: acknowledge at once.
        const bool ours = v.request_id.rfind("rb-", 0) == 0;
        const bool maybe_ours = ours || v.request_id.empty();
        const auto waited = ctx.now_source().now() - job.created_at;
        if (maybe_ours && waited < cfg_.riskos.reconcile_after &&
            job.attempts < cfg_.workers.max_attempts) {
            ctx.audit("correlate", "not_recorded_yet", v.eval_id.empty() ? "token" : v.eval_id);
            return workers::job_outcome::retry("evaluation not recorded yet");
        }
        ctx.audit("correlate", "unknown_evaluation", v.eval_id.empty() ? "token" : v.eval_id);
        log::info("riskos_event_unknown_evaluation",
                  {{"event_type", v.type}, {"eval_id", v.eval_id}, {"started_here", ours}});
        return workers::job_outcome::done("ignored: unknown evaluation");
    }
    const store::evaluation_record rec = **found;
    ctx.log_field("eval_id", rec.eval_id);
    ctx.log_field("application_id", rec.application_id);
    ctx.log_field("candidate_id", rec.candidate_id);
    detail::mirrored_context mctx(ctx, rec.job);
    const time_point now = ctx.now_source().now();

    const auto late = [&](std::string_view what) {
        mctx.audit(what, "late", "evaluation already " + rec.state);
        log::info("riskos_event_late", {{"event_type", v.type}, {"state", rec.state}});
        return workers::job_outcome::done("no change: evaluation already " + rec.state);
    };
    const auto queue = [&](const finish_request& f, std::string_view what) {
        auto id = enqueue_finish(ctx.store(), f, now);
        if (!id) {
            return store_failed("finish not queued", id.error());
        }
        mctx.audit(what, "finish_queued",
                   std::string(to_string(f.outcome)) + " " + f.decision + ", finish job " +
                       std::to_string(*id));
        log::info("finish_queued", {{"event_type", v.type},
                                    {"outcome", to_string(f.outcome)},
                                    {"finish_job_id", static_cast<long long>(*id)}});
        return workers::job_outcome::done("finish queued: job " + std::to_string(*id));
    };

    if (v.completion) {
        if (!is_waiting_state(rec.state)) {
            return late("evaluation_completed");
        }
        auto eval = clients::riskos::parse_evaluation(*v.data);
        if (!eval) {
            mctx.audit("evaluation_completed", "unreadable");
            log::warn("riskos_event_unreadable", {{"event_type", v.type}});
            return workers::job_outcome::done("ignored: unreadable evaluation");
        }
        if (!eval->completed() && eval->decision == clients::riskos::decision::unknown) {
            mctx.audit("evaluation_completed", "no_decision", eval->eval_status);
            return workers::job_outcome::done("ignored: no final decision");
        }
        finish_request f = finish_from_evaluation(*eval, "evaluation_completed");
        f.eval_id = rec.eval_id;
        f.event_id = v.event_id;
        return queue(f, "evaluation_completed");
    }

    const case_note note = v.note.value_or(case_note::other);
    if (is_terminal_negative(note)) {
        if (!is_waiting_state(rec.state)) {
            return late(to_string(note));
        }
        finish_request f;
        f.eval_id = rec.eval_id;
        f.outcome = note == case_note::consent_declined ? finish_outcome::declined
                                                        : finish_outcome::expired;
        f.source = v.type;
        f.decision = "REJECT";
        f.workflow = v.data != nullptr ? text_of(*v.data, "workflow") : std::string{};
        f.event_id = v.event_id;
        return queue(f, to_string(note));
    }

    mctx.audit("docv_progress", to_string(note), v.event_id);
    log::info("docv_progress", {{"note", to_string(note)}, {"state", rec.state}});
    if (!is_waiting_state(rec.state)) {
        return workers::job_outcome::done(std::string("progress recorded: ") + to_string(note) +
                                          " (evaluation already " + rec.state + ")");
    }
    if (note != case_note::process_initiated && note != case_note::other) {
        flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
        auto lease = clients_.acquire();
        if (auto stop = push_status(mctx, cp, *lease, rec, verification_status::in_progress)) {
            return *stop;
        }
    }
    return workers::job_outcome::done(std::string("progress recorded: ") + to_string(note));
}

}  // namespace riskbridge::flows
