// The revise_decision job (payload {eval_id, event_id, event_type, reviewer_id}, unique_key
// "revise:<eval_id>:<the record's updated_at>"): a decision changed after riskbridge wrote it
// to Ashby, typically a reviewer in RiskOS accepting a case screened REVIEW.
//
// riskos_event queues it for a completed record when the API's decision differs from the one
// written; every event that sees the same version of the record finds the same job, so a burst
// of events (retries, duplicates, the event under both of its names, out of order) makes one
// change. The job reads the evaluation again when it runs (the decision may have changed back
// meanwhile) and, when the API's decision still differs from the record's:
//   1. the old decision's tag is removed (candidate.removeTag), unless the new one has the same
//      tag (REVIEW and REJECT share HIGH_RISK_IDENTITY by default);
//   2. the new decision's tag is added;
//   3. a note says old -> new, who changed it when RiskOS says (a reviewer id), and links the
//      case;
//   4. the fraud status (ashby.fraud_status) and the DocV status field follow;
//   5. the record stores the new decision, which bumps its version: a later change is a new job.
// Each step is checkpointed, so a retry after a crash neither repeats nor skips a write.

#include "riskbridge/flows/revision.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_fields.hpp"
#include "mirrored_context.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::text_of;
using nlohmann::json;

constexpr const char* revising_step = "revising";

}  // namespace

std::string revise_job_key(const store::evaluation_record& rec) {
    return "revise:" + rec.eval_id + ":" + std::to_string(to_unix_ms(rec.updated_at));
}

result<store::job_id> enqueue_revision(store::job_queue& queue, const store::evaluation_record& rec,
                                       const revision_cause& cause, time_point now) {
    store::new_job j;
    j.kind = revise_decision_kind;
    j.payload = json{{"eval_id", rec.eval_id},
                     {"event_id", cause.event_id},
                     {"event_type", cause.event_type},
                     {"reviewer_id", cause.reviewer_id}}
                    .dump(-1, ' ', false, json::error_handler_t::replace);
    j.correlation_id = "eval:" + rec.eval_id;
    j.unique_key = revise_job_key(rec);
    j.subject = rec.eval_id;  // erasure finds it through the evaluation
    return queue.add_job(j, now);
}

workers::job_outcome flow_service::run_revise_decision(workers::job_context& ctx) {
    const json payload = json::parse(ctx.current().payload, nullptr, /*allow_exceptions=*/false);
    const std::string eval_id = text_of(payload, "eval_id");
    if (eval_id.empty()) {
        ctx.audit("revise", "invalid_payload");
        return workers::job_outcome::fail("payload lacks eval_id");
    }
    ctx.log_field("eval_id", eval_id);
    auto found = ctx.evaluations().find_evaluation(eval_id);
    if (!found) {
        return store_failed("evaluation not read", found.error());
    }
    if (!*found) {
        ctx.audit("revise", "unknown_evaluation", eval_id);
        return workers::job_outcome::done("ignored: unknown evaluation");
    }
    const store::evaluation_record rec = **found;
    ctx.log_field("application_id", rec.application_id);
    ctx.log_field("candidate_id", rec.candidate_id);
    detail::mirrored_context mctx(ctx, rec.job);
    const config::flow_kind flow =
        config::parse_flow(rec.flow).value_or(config::flow_kind::screening);
    flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());

    if (cp.step().empty()) {
        if (rec.state != store::evaluation_state::completed) {
            mctx.audit("decision_change", "skipped",
                       "evaluation " + std::string(store::to_string(rec.state)));
            return workers::job_outcome::done("no change: evaluation " +
                                              std::string(store::to_string(rec.state)));
        }
        const auto api = reads_.read(rec.eval_id, ctx.current().created_at, ctx.now_source(), [&] {
            auto lease = clients_.acquire();
            return lease->riskos.get_evaluation(rec.eval_id);
        });
        if (!api) {
            mctx.audit("decision_change", "read_failed", api.error().code);
            if (api.error().transient) {
                return outcome_for(api.error(), "riskos GET /api/evaluation");
            }
            log::warn("decision_change_unconfirmed",
                      {{"error", api.error().code}, {"http_status", api.error().status}});
            return workers::job_outcome::done("not confirmed by RiskOS: " + api.error().code);
        }
        if (!api->eval_id.empty() && api->eval_id != rec.eval_id) {
            mctx.audit("decision_change", "unconfirmed", "RiskOS API: another eval_id");
            return workers::job_outcome::done("not confirmed by RiskOS: another eval_id");
        }
        if (!api->completed()) {
            const std::string status = clients::riskos::to_string(api->state);
            mctx.audit("decision_change", "none", "RiskOS API: " + status);
            log::info("decision_unchanged", {{"eval_status", status}});
            return workers::job_outcome::done("no change: RiskOS evaluation " + status);
        }
        const std::string to = finish_from_evaluation(*api, "revise").decision;
        if (to == rec.decision || to.empty()) {
            mctx.audit("decision_change", "none", "RiskOS API: " + to);
            log::info("decision_unchanged", {{"decision", to}});
            return workers::job_outcome::done("no change: " + to);
        }
        cp.set_step(revising_step);
        cp.doc()["from"] = rec.decision;
        cp.doc()["to"] = to;
        cp.doc()["version"] = std::to_string(to_unix_ms(rec.updated_at));
        cp.doc()["workflow"] = api->workflow;
        cp.doc()["decided_at"] = api->decision_at.value_or("");
        std::string reviewer = text_of(payload, "reviewer_id");
        cp.doc()["reviewer_id"] = reviewer == "Webhook" ? std::string{} : reviewer;
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
        mctx.audit("decision_change", "started", rec.decision + " -> " + to);
    }

    const std::string from = cp.text("from");
    const std::string to = cp.text("to");
    auto lease = clients_.acquire();
    flow_clients& c = *lease;
    const std::optional<std::string> old_tag = tag_for(cfg_.tags, flow, from);
    const std::optional<std::string> new_tag = tag_for(cfg_.tags, flow, to);
    const bool swap = old_tag && old_tag != new_tag;
    if (swap) {
        if (auto removed = ensure_untag(mctx, cp, c, "decision", rec.candidate_id, *old_tag);
            !removed) {
            return removed.error();
        }
    }
    if (new_tag) {
        if (auto added = ensure_tag(mctx, cp, c, "decision", rec.candidate_id, *new_tag); !added) {
            return added.error();
        }
    }

    decision_change_note note;
    note.flow_title =
        flow == config::flow_kind::screening ? "identity screening" : "document verification";
    note.from = from.empty() ? std::string("UNKNOWN") : from;
    note.to = to;
    note.removed_tag = swap ? old_tag : std::nullopt;
    note.added_tag = new_tag;
    note.reviewer_id = cp.text("reviewer_id");
    note.decided_at = cp.text("decided_at");
    std::string workflow = cp.text("workflow");
    if (workflow.empty()) {
        workflow = flow == config::flow_kind::screening
                       ? cfg_.riskos.screening_workflow
                       : cfg_.riskos.document_verification_workflow;
    }
    note.case_link = case_url(cfg_.riskos.case_url_base, workflow, rec.eval_id);
    note.eval_id = rec.eval_id;
    note.ref = note_ref(flow, rec.application_id, "change-" + cp.text("version"));
    const auto& notify_on = cfg_.notes.notify_on;
    const bool notify = std::find(notify_on.begin(), notify_on.end(), to) != notify_on.end();
    if (auto written = ensure_note(mctx, cp, c, "change", rec.candidate_id, note.ref,
                                   render_decision_change_note(note), notify);
        !written) {
        return written.error();
    }
    if (auto fraud = ensure_fraud_status(mctx, cp, c, rec.candidate_id, to); !fraud) {
        return fraud.error();
    }

    // The record last: its new version lets the next change be a job of its own.
    auto current = ctx.evaluations().find_evaluation(rec.eval_id);
    if (!current) {
        return store_failed("evaluation not read", current.error());
    }
    const std::optional<store::evaluation_record>& latest = *current;
    store::evaluation_record revised = latest ? *latest : rec;
    if (revised.decision != to && revised.state == store::evaluation_state::completed) {
        revised.decision = to;
        // A new version, strictly: the next change's job key must differ from this one's
        // even within the same millisecond.
        revised.updated_at =
            std::max(ctx.now_source().now(), revised.updated_at + std::chrono::milliseconds{1});
        if (auto r = ctx.evaluations().upsert_evaluation(revised); !r) {
            return store_failed("evaluation not recorded", r.error());
        }
    }
    if (auto pushed = push_status(mctx, cp, c, revised, status_for_decision(to)); !pushed) {
        return pushed.error();
    }
    const std::string by = note.reviewer_id.empty() ? "" : " by reviewer " + note.reviewer_id;
    mctx.audit("decision_change", "applied", from + " -> " + to + by);
    log::info("decision_changed", {{"from", from}, {"to", to}, {"tag_removed", swap}});
    return workers::job_outcome::done("decision changed: " + from + " -> " + to);
}

}  // namespace riskbridge::flows
