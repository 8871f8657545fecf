// Reconciliation (reconcile.hpp): schedule_reconciliation queues a `reconcile` job per
// evaluation that has waited too long; the job reads one waiting evaluation back with GET
// /api/evaluation/{eval_id}:
//   completed                          -> the finish job is queued with the decision (a
//                                         missed evaluation_completed webhook)
//   still paused for documents, the    -> the finish job is queued as expired (REJECT)
//   capture link past its lifetime +
//   riskos.docv.expiry_grace
//   otherwise                          -> nothing; read again in a later window
// A DocV evaluation still `requested` riskos.docv.remind_after_hours after it started also
// gets its docv_reminder job (once; reissue.cpp).
// The finish job is the same one the webhooks use (unique per eval_id), so a webhook and
// reconciliation racing each other still finish the evaluation once.

#include "riskbridge/flows/reconcile.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_fields.hpp"
#include "mirrored_context.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::text_of;
using nlohmann::json;

/// The store's singleton lease that lets one replica schedule at a time.
constexpr const char* reconcile_lease_name = "reconcile";
/// The lease lasts this many scheduling intervals: the holder keeps it from run to run, and
/// another replica takes over only once it has stopped renewing.
constexpr int reconcile_lease_intervals = 3;
/// The shortest scheduling interval and waiting time (a zero one would divide by zero).
constexpr auto min_reconcile_period = std::chrono::milliseconds{1};

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
    auto found = ctx.evaluations().find_evaluation(eval_id);
    if (!found) {
        return store_failed("evaluation not read", found.error());
    }
    if (!*found) {
        ctx.audit("reconcile", "unknown_evaluation", eval_id);
        return workers::job_outcome::done("ignored: unknown evaluation");
    }
    const store::evaluation_record rec = **found;
    if (!is_waiting_state(rec.state)) {
        ctx.audit("reconcile", "skipped",
                  "evaluation already " + std::string(store::to_string(rec.state)));
        return workers::job_outcome::done("no change: evaluation already " +
                                          std::string(store::to_string(rec.state)));
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
    const auto& remind_after = cfg_.riskos.docv.remind_after;
    if (remind_after && rec.state == store::evaluation_state::requested && !eval->completed() &&
        now >= rec.created_at + *remind_after) {
        // Capture not finished after remind_after_hours: the reminder job (once per
        // evaluation) writes a note unless capture has started.
        if (auto queued = enqueue_reminder(ctx.queue(), rec, now); !queued) {
            return store_failed("reminder not queued", queued.error());
        }
    }
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
    const auto id = queue_finish(mctx, *f, now, "reconcile");
    if (!id) {
        return id.error();
    }
    log::info("reconcile_finish_queued", {{"outcome", to_string(f->outcome)},
                                          {"source", f->source},
                                          {"finish_job_id", static_cast<long long>(*id)}});
    return workers::job_outcome::done("finish queued: job " + std::to_string(*id));
}

result<int> schedule_reconciliation(store::job_queue& st, store::evaluation_store& evaluations,
                                    const config::config& cfg, std::string_view owner,
                                    time_point now, int limit) {
    const auto interval = std::max(cfg.riskos.reconcile_interval, min_reconcile_period);
    auto held = st.try_acquire_singleton(reconcile_lease_name, owner, now,
                                         interval * reconcile_lease_intervals);
    if (!held) {
        return std::move(held).error();
    }
    if (!*held) {
        return 0;
    }
    const auto after = std::max(cfg.riskos.reconcile_after, min_reconcile_period);
    auto stale = evaluations.stale_evaluations(
        {store::evaluation_state::pending, store::evaluation_state::requested}, now - after, limit);
    if (!stale) {
        return std::move(stale).error();
    }
    // One window per reconcile_after: an evaluation is read back at most once per window,
    // whichever replica schedules it and however often the task runs.
    const long long window = to_unix_ms(now) / after.count();
    int queued = 0;
    for (const auto& e : *stale) {
        store::new_job j;
        j.kind = reconcile_kind;
        j.payload = json{{"eval_id", e.eval_id}}.dump();
        j.correlation_id = "eval:" + e.eval_id;
        j.unique_key = "reconcile:" + e.eval_id + ":" + std::to_string(window);
        j.subject = e.eval_id;
        if (auto added = st.add_job(j, now); !added) {
            log::warn("reconcile_enqueue_failed",
                      {{"eval_id", e.eval_id}, {"error", added.error().message}});
            continue;
        }
        ++queued;
    }
    if (!stale->empty()) {
        log::info("reconcile_scheduled",
                  {{"evaluations", static_cast<long long>(stale->size())}, {"queued", queued}});
    }
    return static_cast<int>(stale->size());
}

}  // namespace riskbridge::flows
