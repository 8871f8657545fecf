// Reconciliation: a `reconcile` job (queued by schedule_reconciliation, docv.hpp)
// reads one waiting evaluation back with GET /api/evaluation/{eval_id}:
//   completed                          -> the finish job is queued with the decision (a
//                                         missed evaluation_completed webhook)
//   still paused for documents, the    -> the finish job is queued as expired (REJECT)
//   capture link past its lifetime +
//   riskos.docv.expiry_grace
//   otherwise                          -> nothing; read again in a later window
// The finish job is the same one the webhooks use (unique per eval_id), so a webhook and
// reconciliation racing each other still finish the evaluation once.

#include "flow_util.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::store_failed;
using detail::text_of;
using nlohmann::json;

/// When a capture that RiskOS still waits for stops being possible: the link's expiry (the
/// DocV flow records it), or for a paused evaluation with a capture request and no recorded
/// expiry (a screening step-up) its start plus the link lifetime. Nothing while RiskOS is not
/// waiting for documents, or once the capture session is complete (RiskOS is deciding).
std::optional<time_point> capture_expiry(const store::evaluation_record& rec,
                                         const clients::riskos::evaluation& eval,
                                         std::chrono::milliseconds link_lifetime) {
    if (!eval.paused()) {
        return std::nullopt;
    }
    if (eval.docv && eval.docv->status && to_upper(*eval.docv->status) == "SESSION_COMPLETE") {
        return std::nullopt;
    }
    if (rec.expires_at.time_since_epoch().count() != 0) {
        return rec.expires_at;
    }
    if (eval.docv && rec.created_at.time_since_epoch().count() != 0) {
        return rec.created_at + link_lifetime;
    }
    return std::nullopt;
}

}  // namespace

workers::job_outcome flow_service::run_reconcile(workers::job_context& ctx) {
    const json payload = json::parse(ctx.current().payload, nullptr, /*allow_exceptions=*/false);
    const std::string eval_id = text_of(payload, "eval_id");
    if (eval_id.empty()) {
        ctx.audit("reconcile", "invalid_payload");
        return workers::job_outcome::done("ignored: no eval_id");
    }
    ctx.log_field("eval_id", eval_id);
    auto found = ctx.store().find_evaluation(eval_id);
    if (!found) {
        return store_failed("evaluation not read", found.error());
    }
    if (!*found) {
        ctx.audit("reconcile", "unknown_evaluation", eval_id);
        return workers::job_outcome::done("ignored: unknown evaluation");
    }
    const store::evaluation_record rec = **found;
    if (!is_waiting_state(rec.state)) {
        ctx.audit("reconcile", "skipped", "evaluation already " + rec.state);
        return workers::job_outcome::done("no change: evaluation already " + rec.state);
    }
    ctx.log_field("application_id", rec.application_id);
    ctx.log_field("candidate_id", rec.candidate_id);
    detail::mirrored_context mctx(ctx, rec.job);

    auto lease = clients_.acquire();
    auto eval = lease->riskos.get_evaluation(eval_id);
    if (!eval) {
        ctx.audit("reconcile", "error", eval.error().code);
        if (eval.error().transient) {
            return outcome_for(eval.error(), "riskos GET /api/evaluation");
        }
        // A later window tries again; a dead job per window would only be noise.
        log::warn("reconcile_read_failed",
                  {{"error", eval.error().code}, {"status", eval.error().status}});
        return workers::job_outcome::done("not read back: " + eval.error().code);
    }
    const time_point now = ctx.now_source().now();
    std::optional<finish_request> f;
    if (eval->completed()) {
        f = finish_from_evaluation(*eval, "reconcile");
        f->eval_id = rec.eval_id;
    } else if (const auto expiry = capture_expiry(rec, *eval, cfg_.riskos.docv.link_lifetime);
               expiry && now >= *expiry + cfg_.riskos.docv.expiry_grace) {
        f = finish_request{};
        f->eval_id = rec.eval_id;
        f->outcome = finish_outcome::expired;
        f->source = "link_expired";
        f->decision = "REJECT";
        f->workflow = eval->workflow;
    }
    if (!f) {
        ctx.audit("reconcile", "still_waiting", eval->eval_status);
        log::info("reconcile_waiting", {{"eval_status", eval->eval_status}});
        return workers::job_outcome::done("still waiting: " + eval->eval_status);
    }
    auto id = enqueue_finish(ctx.store(), *f, now);
    if (!id) {
        return store_failed("finish not queued", id.error());
    }
    mctx.audit("reconcile", "finish_queued",
               std::string(to_string(f->outcome)) + " " + f->decision + ", finish job " +
                   std::to_string(*id));
    log::info("reconcile_finish_queued", {{"outcome", to_string(f->outcome)},
                                          {"source", f->source},
                                          {"finish_job_id", static_cast<long long>(*id)}});
    return workers::job_outcome::done("finish queued: job " + std::to_string(*id));
}

}  // namespace riskbridge::flows
