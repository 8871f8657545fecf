// A reviewer's rerun (the `reevaluation` event, riskos_event.cpp): RiskOS runs the case again
// as a new evaluation with a new eval_id. riskbridge follows it like the first when it can
// tie it to one of its own evaluations:
//   - data.previous_eval_id, when the event names the evaluation it reruns, or
//   - the request id (data.id, rb-<flow>-<application_id>): the application's candidate is
//     read from Ashby and their evaluations of that flow and application are looked up.
// The new evaluation is recorded `pending`, for the same flow job, carrying the decision last
// written to Ashby, so the finish job that ends it swaps the tags (flow_service::finish). When
// the API already has it completed, that finish job is queued now; otherwise its
// evaluation_completed webhook or reconciliation does it. A rerun that cannot be tied to one
// of riskbridge's evaluations is acknowledged and logged.

#include <algorithm>

#include "mirrored_context.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

step<std::optional<store::evaluation_record>> flow_service::rerun_of(
    workers::job_context& ctx, const std::string& previous_eval_id, const std::string& request_id) {
    if (!previous_eval_id.empty()) {
        auto found = ctx.evaluations().find_evaluation(previous_eval_id);
        if (!found) {
            return store_failed("evaluation not read", found.error());
        }
        if (*found) {
            return *found;
        }
    }
    const auto parts = parse_evaluation_request_id(request_id);
    if (!parts) {
        return std::optional<store::evaluation_record>{};
    }
    auto lease = clients_.acquire();
    auto app = lease->ashby.application_info(parts->application_id);
    if (!app) {
        ctx.audit("rerun", "error", "application.info " + app.error().code);
        if (app.error().transient) {
            return outcome_for(app.error(), "ashby application.info");
        }
        return std::optional<store::evaluation_record>{};
    }
    auto held = ctx.evaluations().evaluations_for_candidate(app->candidate_id);
    if (!held) {
        return store_failed("evaluations not read", held.error());
    }
    std::optional<store::evaluation_record> latest;
    for (const auto& e : *held) {
        if (e.application_id == parts->application_id && e.flow == config::to_string(parts->flow) &&
            e.state != store::evaluation_state::erased &&
            (!latest || e.created_at > latest->created_at)) {
            latest = e;
        }
    }
    return latest;
}

workers::job_outcome flow_service::rerun(workers::job_context& ctx, const std::string& new_eval_id,
                                         const std::string& previous_eval_id,
                                         const std::string& request_id,
                                         const std::string& event_id) {
    if (new_eval_id.empty()) {
        ctx.audit("rerun", "no_id");
        log::info("riskos_event_ignored",
                  {{"event_type", "reevaluation"}, {"reason", "no_eval_id"}});
        return workers::job_outcome::done("ignored: no eval_id");
    }
    auto known = ctx.evaluations().find_evaluation(new_eval_id);
    if (!known) {
        return store_failed("evaluation not read", known.error());
    }
    if (*known) {
        // Recorded already (a repeat of the event): its finish comes as for any evaluation.
        ctx.audit("rerun", "known", new_eval_id);
        return workers::job_outcome::done("rerun already followed");
    }
    auto original = rerun_of(ctx, previous_eval_id, request_id);
    if (!original) {
        return std::move(original).error();
    }
    if (!*original) {
        ctx.audit("rerun", "unknown_evaluation", new_eval_id);
        log::info("riskos_rerun_unknown",
                  {{"eval_id", new_eval_id}, {"started_here", request_id.rfind("rb-", 0) == 0}});
        return workers::job_outcome::done("ignored: a rerun of no evaluation of ours");
    }
    const store::evaluation_record& old = **original;
    ctx.log_field("application_id", old.application_id);
    ctx.log_field("candidate_id", old.candidate_id);
    detail::mirrored_context mctx(ctx, old.job);
    const time_point now = ctx.now_source().now();

    store::evaluation_record rec = old;
    rec.eval_id = new_eval_id;
    rec.state = store::evaluation_state::pending;
    rec.decision = old.state == store::evaluation_state::completed ? old.decision : std::string{};
    rec.docv_token.clear();
    rec.expires_at = time_point{};
    rec.created_at = now;
    rec.updated_at = now;
    if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
        return store_failed("evaluation not recorded", r.error());
    }
    mctx.audit("rerun", "followed", old.eval_id + " -> " + new_eval_id);
    log::info("riskos_rerun_followed",
              {{"eval_id", new_eval_id}, {"previous_eval_id", old.eval_id}});

    auto api = [&] {
        auto lease = clients_.acquire();
        return lease->riskos.get_evaluation(new_eval_id);
    }();
    if (!api || !api->completed()) {
        // Its evaluation_completed webhook, or reconciliation, finishes it.
        return workers::job_outcome::done("rerun followed: waiting for " + new_eval_id);
    }
    finish_request f = finish_from_evaluation(*api, "reevaluation");
    f.eval_id = new_eval_id;
    f.event_id = event_id;
    const auto id = queue_finish(mctx, f, now, "rerun");
    if (!id) {
        return id.error();
    }
    return workers::job_outcome::done("rerun followed: finish job " + std::to_string(*id));
}

}  // namespace riskbridge::flows
