// RiskOS webhook events (docs/external-apis.md), stored by the webhook handler as
// `riskos_event` jobs:
//   {"source":"riskos","event_type","event_id","eval_id","request_id","received_at",
//    "event": <what the handler keeps of the webhook body>}
// The handler keeps only what is read here (ids, type, decision and status words, DocV's own
// progress note), never enrichments or personal data. Jobs stored by earlier versions hold the
// whole body under "event"; they are read the same way (the same members, at the same places).
//
//   evaluation_completed  for a waiting evaluation: read back from the API (below); when
//                         RiskOS says completed, the finish job is queued with the API's
//                         decision
//   case_notes_added      reviewer_id "Webhook" only (people's notes are ignored): progress
//                         goes to the audit trail (and the status "in progress"); Consent
//                         Declined and Session Expired read the API first (below), then queue
//                         the finish job
//   DocvNotification      the older DocV envelope: correlated on event.docVTransactionToken,
//                         then as case_notes_added
//   decision_update,      a reviewer's change (also case_decision_changed, case_status_changed
//   case_status_updated,  and riskos.event_aliases): for a waiting evaluation, as
//   evaluation_resumed    evaluation_completed when the API says completed; for a completed
//                         one whose API decision differs from the one written to Ashby, the
//                         revise_decision job is queued (revise.cpp); evaluation_completed for
//                         a completed evaluation (a reviewer completing the case) is the same
//   workflow_execution_   the API read back; unless it says completed, the finish job is
//   failed               queued as failed (a note, the finish job dead with the reason)
//   reevaluation          a rerun: a new eval_id tied to one of riskbridge's evaluations by
//                         data.previous_eval_id or by the request id (data.id, rb-<flow>-<app>)
//                         is recorded and followed like the first (rerun())
//   anything else         acknowledged (done), logged with ids only
//
// The webhook is authenticated by a static secret only, so its body is not trusted with a
// decision: before an outcome reaches Ashby, the evaluation is read back with
// GET /api/evaluation/{eval_id}, and the API's answer wins:
//   evaluation_completed  API completed          -> finish with the API's evaluation (a
//                                                   different decision in the event is audited)
//                         API paused/in progress -> retried (the API may lag a moment behind
//                                                   its webhook), then left "unconfirmed"
//                         404, other 4xx         -> "unconfirmed": nothing is queued
//   Consent Declined /    API completed          -> finish with the API's evaluation
//   Session Expired       API paused/in progress -> finish as declined / expired (REJECT)
//                         404, other 4xx         -> "unconfirmed": nothing is queued
//   network errors, 408, 429, 5xx               -> the job is retried, as any call
// Unconfirmed events are audited and logged (riskos_event_unconfirmed: ids and the API's
// status only). Reads go through flow_service::reads(): the events of one evaluation that
// arrive together (RiskOS's retries, duplicates under new event_ids) share one read, made
// after the event arrived and at most a couple of seconds old.
//
// An event for an evaluation not recorded yet (RiskOS was faster than the flow job that
// started it) is retried for up to riskos.reconcile_after, then acknowledged and logged. An
// event for an evaluation that is already finished changes nothing (and reads nothing).

#include "json_fields.hpp"
#include "mirrored_context.hpp"
#include "riskbridge/config/riskos_events.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/revision.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::object_of;
using detail::text_of;
using nlohmann::json;

/// Reads of an evaluation_completed job that may find the evaluation still paused or in
/// progress (RiskOS may answer a moment behind its own webhook); the last one leaves the event
/// unconfirmed. Counted in the job's checkpoint, so attempts spent waiting for the evaluation
/// to be recorded, or on failed reads, do not count.
constexpr int max_not_completed_reads = 3;
constexpr const char* not_completed_key = "not_completed_reads";

/// The event's decision as a decision word (ACCEPT, ... UNKNOWN), for the audit trail.
std::string event_decision(const nlohmann::json* data) {
    return data == nullptr
               ? std::string(clients::riskos::to_string(clients::riskos::decision::unknown))
               : std::string(clients::riskos::to_string(
                     clients::riskos::parse_decision(text_of(*data, "decision"))));
}

/// What an event says, whichever envelope it came in.
struct event_view {
    config::riskos_event kind = config::riskos_event::other;
    std::string type;
    std::string event_id;
    std::string eval_id;
    std::string token;       ///< docVTransactionToken (older envelope)
    std::string request_id;  ///< data.id: the evaluation's request id ("rb-..." when ours)
    const json* data = nullptr;
    bool completion = false;
    std::optional<case_note> note;
    bool by_person = false;
    std::string reviewer_id;       ///< data.reviewer_id (a reviewer's id, or "Webhook")
    std::string previous_eval_id;  ///< data.previous_eval_id (reevaluation)
};

/// The canonical kind of a stored event: the handler's (event_kind), else its type read with
/// the configured aliases (jobs stored before event_kind was kept).
config::riskos_event kind_of(const json& payload,
                             const std::map<std::string, std::string>& aliases) {
    if (auto k = config::parse_riskos_event(text_of(payload, "event_kind"))) {
        return *k;
    }
    return config::classify_riskos_event(text_of(payload, "event_type"), aliases);
}

/// The event of a riskos_event job's payload (`payload` outlives the view). An event the
/// handler does not act on (unreadable, a type not handled, a note written by a person) ends
/// the job: done, audited and logged with the reason.
step<event_view> read_event(workers::job_context& ctx, const json& payload,
                            const std::map<std::string, std::string>& aliases) {
    using config::riskos_event;
    const json* event = object_of(payload, "event");
    event_view v;
    v.kind = kind_of(payload, aliases);
    v.type = text_of(payload, "event_type");
    v.event_id = text_of(payload, "event_id");
    if (event == nullptr) {
        ctx.audit("event", "invalid_payload");
        log::warn("riskos_event_unreadable", {{"event_type", v.type}});
        return workers::job_outcome::done("ignored: unreadable payload");
    }

    const bool data_envelope = v.kind != riskos_event::docv_notification &&
                               v.kind != riskos_event::evaluation_paused &&
                               v.kind != riskos_event::other;
    if (data_envelope) {
        v.data = object_of(*event, "data");
        if (v.data == nullptr) {
            ctx.audit("event", "no_data", v.type);
            return workers::job_outcome::done("ignored: no data");
        }
        v.eval_id = text_of(*v.data, "eval_id");
        v.request_id = text_of(*v.data, "id");
        v.reviewer_id = text_of(*v.data, "reviewer_id");
        v.previous_eval_id = text_of(*v.data, "previous_eval_id");
        ctx.log_field("eval_id", v.eval_id);
        if (v.kind == riskos_event::evaluation_completed) {
            v.completion = true;
        } else if (v.kind == riskos_event::case_notes_added) {
            v.note = parse_case_note(text_of(*v.data, "notes"));
            v.by_person = v.reviewer_id != "Webhook";
        }
    } else if (v.kind == riskos_event::docv_notification) {
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
    return v;
}

}  // namespace

workers::job_outcome flow_service::run_riskos_event(workers::job_context& ctx) {
    const store::job& job = ctx.current();
    const json payload = json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
    log::scoped_context event_ctx("event_id", text_of(payload, "event_id"));
    auto read = read_event(ctx, payload, cfg_.riskos.event_aliases);
    if (!read) {
        return std::move(read).error();
    }
    const event_view& v = *read;

    if (v.kind == config::riskos_event::reevaluation) {
        return rerun(ctx, v.eval_id, v.previous_eval_id, v.request_id, v.event_id);
    }

    // ---- correlate ----------------------------------------------------------------------
    if (v.eval_id.empty() && v.token.empty()) {
        ctx.audit("correlate", "no_id");
        log::info("riskos_event_ignored", {{"event_type", v.type}, {"reason", "no_eval_id"}});
        return workers::job_outcome::done("ignored: no eval_id");
    }
    auto found = v.eval_id.empty() ? ctx.evaluations().find_evaluation_by_docv_token(v.token)
                                   : ctx.evaluations().find_evaluation(v.eval_id);
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
        mctx.audit(what, "late", "evaluation already " + std::string(store::to_string(rec.state)));
        log::info("riskos_event_late",
                  {{"event_type", v.type}, {"state", store::to_string(rec.state)}});
        return workers::job_outcome::done("no change: evaluation already " +
                                          std::string(store::to_string(rec.state)));
    };
    const auto queue = [&](const finish_request& f, std::string_view what) {
        const auto id = queue_finish(mctx, f, now, what);
        if (!id) {
            return id.error();
        }
        log::info("finish_queued", {{"event_type", v.type},
                                    {"outcome", to_string(f.outcome)},
                                    {"finish_job_id", static_cast<long long>(*id)}});
        return workers::job_outcome::done("finish queued: job " + std::to_string(*id));
    };

    // ---- read the evaluation back: the API's answer, not the event's body, decides --------
    const auto read_back = [&] {
        return reads_.read(rec.eval_id, job.created_at, ctx.now_source(), [&] {
            auto lease = clients_.acquire();
            return lease->riskos.get_evaluation(rec.eval_id);
        });
    };
    const auto unconfirmed = [&](std::string_view what, const std::string& api_status) {
        mctx.audit(what, "unconfirmed", "RiskOS API: " + api_status);
        log::warn("riskos_event_unconfirmed", {{"event_type", v.type},
                                               {"event_id", v.event_id},
                                               {"eval_id", rec.eval_id},
                                               {"eval_status", api_status}});
        return workers::job_outcome::done("ignored: not confirmed by RiskOS (" + api_status + ")");
    };
    /// The outcome when the read failed: a retry when transient, else unconfirmed.
    const auto read_failed = [&](std::string_view what, const clients::upstream_error& e) {
        if (e.transient) {
            mctx.audit(what, "read_failed", e.code);
            return outcome_for(e, "riskos GET /api/evaluation");
        }
        return unconfirmed(what, e.status != 0 ? "http_" + std::to_string(e.status) : e.code);
    };
    /// The API's evaluation is for another eval_id: nothing it says is about this one.
    const auto mismatched = [&](const clients::riskos::evaluation& api) {
        return !api.eval_id.empty() && api.eval_id != rec.eval_id;
    };
    /// The API's evaluation, or the event's outcome when the read failed or answered about
    /// another eval_id.
    const auto confirmed_read = [&](std::string_view what) -> step<clients::riskos::evaluation> {
        auto api = read_back();
        if (!api) {
            return read_failed(what, api.error());
        }
        if (mismatched(*api)) {
            return unconfirmed(what, "another eval_id");
        }
        return std::move(api).value();
    };

    /// A reviewer may have changed the decision written to Ashby: queue its revision when the
    /// API's decision differs.
    const auto check_revision = [&](std::string_view what) -> workers::job_outcome {
        const auto api = confirmed_read(what);
        if (!api) {
            return api.error();
        }
        if (!api->completed()) {
            mctx.audit(what, "no_change",
                       "RiskOS API: " + std::string(clients::riskos::to_string(api->state)));
            return workers::job_outcome::done("no change: RiskOS evaluation " +
                                              std::string(clients::riskos::to_string(api->state)));
        }
        const std::string to = finish_from_evaluation(*api, v.type).decision;
        if (to == rec.decision) {
            mctx.audit(what, "no_change", "decision " + to);
            log::info("riskos_event_no_change", {{"event_type", v.type}, {"decision", to}});
            return workers::job_outcome::done("no change: decision " + to);
        }
        const auto id =
            enqueue_revision(ctx.queue(), rec, {v.event_id, v.type, v.reviewer_id}, now);
        if (!id) {
            return store_failed("revision not queued", id.error());
        }
        mctx.audit(what, "revision_queued",
                   rec.decision + " -> " + to + ", revise job " + std::to_string(*id));
        log::info("revision_queued",
                  {{"event_type", v.type}, {"revise_job_id", static_cast<long long>(*id)}});
        return workers::job_outcome::done("revision queued: job " + std::to_string(*id));
    };
    /// The first decision is still being written: try again once it is.
    const auto while_deciding = [&](std::string_view what) {
        mctx.audit(what, "deciding");
        return workers::job_outcome::retry("the first decision is being written", reads_.ttl());
    };

    const bool change_event = v.kind == config::riskos_event::decision_update ||
                              v.kind == config::riskos_event::case_status_updated ||
                              v.kind == config::riskos_event::evaluation_resumed;
    if (v.completion || change_event) {
        if (rec.state == store::evaluation_state::deciding) {
            return while_deciding(v.type);
        }
        if (rec.state == store::evaluation_state::completed) {
            return check_revision(v.type);
        }
    }
    if (change_event) {
        if (!is_waiting_state(rec.state)) {
            return late(v.type);
        }
        // Waiting: only a completed evaluation ends it (a resumed one still runs).
        const auto api = confirmed_read(v.type);
        if (!api) {
            return api.error();
        }
        if (!api->completed()) {
            mctx.audit(v.type, "still_waiting", clients::riskos::to_string(api->state));
            return workers::job_outcome::done("no change: RiskOS evaluation " +
                                              std::string(clients::riskos::to_string(api->state)));
        }
        finish_request f = finish_from_evaluation(*api, v.type);
        f.eval_id = rec.eval_id;
        f.event_id = v.event_id;
        return queue(f, v.type);
    }

    if (v.kind == config::riskos_event::workflow_execution_failed) {
        if (!is_waiting_state(rec.state)) {
            return late(v.type);
        }
        const auto api = confirmed_read(v.type);
        if (!api) {
            return api.error();
        }
        finish_request f;
        if (api->completed()) {
            // RiskOS decided after all: its decision ends the evaluation.
            f = finish_from_evaluation(*api, v.type);
        } else {
            f.outcome = finish_outcome::failed;
            f.source = v.type;
            f.workflow = api->workflow;
        }
        f.eval_id = rec.eval_id;
        f.event_id = v.event_id;
        return queue(f, v.type);
    }

    if (v.completion) {
        if (!is_waiting_state(rec.state)) {
            return late("evaluation_completed");
        }
        const auto api = read_back();
        if (!api) {
            return read_failed("evaluation_completed", api.error());
        }
        const std::string api_status = clients::riskos::to_string(api->state);
        if (mismatched(*api)) {
            return unconfirmed("evaluation_completed", "another eval_id");
        }
        if (!api->completed()) {
            const bool waiting =
                api->paused() || api->state == clients::riskos::eval_state::in_progress;
            flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
            const auto seen = cp.doc().find(not_completed_key);
            const int reads =
                (seen != cp.doc().end() && seen->is_number_integer()) ? seen->get<int>() + 1 : 1;
            if (waiting && reads < max_not_completed_reads &&
                job.attempts < cfg_.workers.max_attempts) {
                cp.doc()[not_completed_key] = reads;
                if (auto saved = cp.save(ctx); !saved) {
                    return checkpoint_failed(saved.error());
                }
                mctx.audit("evaluation_completed", "not_completed_yet",
                           "RiskOS API: " + api_status);
                log::info("riskos_event_not_completed_yet",
                          {{"eval_status", api_status}, {"reads", reads}});
                // Not before the read is stale, so the next attempt reads again.
                return workers::job_outcome::retry("evaluation not completed in RiskOS yet",
                                                   reads_.ttl());
            }
            return unconfirmed("evaluation_completed", api_status);
        }
        finish_request f = finish_from_evaluation(*api, "evaluation_completed");
        f.eval_id = rec.eval_id;
        f.event_id = v.event_id;
        const std::string said = event_decision(v.data);
        if (!text_of(*v.data, "decision").empty() && said != f.decision) {
            // Decision words only: what the event claimed and what RiskOS answered.
            mctx.audit("evaluation_completed", "decision_differs",
                       "event " + said + ", RiskOS API " + f.decision);
            log::warn("riskos_event_decision_differs",
                      {{"event_id", v.event_id}, {"eval_id", rec.eval_id}});
        }
        return queue(f, "evaluation_completed");
    }

    const case_note note = v.note.value_or(case_note::other);
    if (is_terminal_negative(note)) {
        if (!is_waiting_state(rec.state)) {
            return late(to_string(note));
        }
        const auto api = confirmed_read(to_string(note));
        if (!api) {
            return api.error();
        }
        if (api->completed()) {
            // RiskOS decided meanwhile: its decision, not the note's, ends the evaluation.
            finish_request f = finish_from_evaluation(*api, v.type);
            f.eval_id = rec.eval_id;
            f.event_id = v.event_id;
            return queue(f, to_string(note));
        }
        if (!api->paused() && api->state != clients::riskos::eval_state::in_progress) {
            return unconfirmed(to_string(note), clients::riskos::to_string(api->state));
        }
        finish_request f;
        f.eval_id = rec.eval_id;
        f.outcome = note == case_note::consent_declined ? finish_outcome::declined
                                                        : finish_outcome::expired;
        f.source = v.type;
        f.decision = "REJECT";
        f.workflow = api->workflow;
        if (f.workflow.empty() && v.data != nullptr) {
            f.workflow = text_of(*v.data, "workflow");
        }
        f.event_id = v.event_id;
        return queue(f, to_string(note));
    }

    mctx.audit("docv_progress", to_string(note), v.event_id);
    log::info("docv_progress", {{"note", to_string(note)}, {"state", store::to_string(rec.state)}});
    if (!is_waiting_state(rec.state)) {
        return workers::job_outcome::done(std::string("progress recorded: ") + to_string(note) +
                                          " (evaluation already " +
                                          std::string(store::to_string(rec.state)) + ")");
    }
    if (note != case_note::process_initiated && note != case_note::other) {
        flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
        auto lease = clients_.acquire();
        if (auto pushed = push_status(mctx, cp, *lease, rec, verification_status::in_progress);
            !pushed) {
            return pushed.error();
        }
    }
    return workers::job_outcome::done(std::string("progress recorded: ") + to_string(note));
}

}  // namespace riskbridge::flows
