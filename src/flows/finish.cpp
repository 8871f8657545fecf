// The finish_evaluation job (unique_key "finish:<eval_id>", payload finish_request.hpp): the
// one job that ends a waiting evaluation (docv_state.hpp). It sets the record to `deciding`,
// then writes the decision through flow_service::finish().

#include "mirrored_context.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

workers::job_outcome flow_service::run_finish_evaluation(workers::job_context& ctx) {
    const auto f = parse_finish_request(ctx.current().payload);
    if (!f) {
        ctx.audit("finish", "invalid_payload");
        return workers::job_outcome::fail("payload is not a finish request");
    }
    ctx.log_field("eval_id", f->eval_id);
    auto found = ctx.evaluations().find_evaluation(f->eval_id);
    if (!found) {
        return store_failed("evaluation not read", found.error());
    }
    if (!*found) {
        ctx.audit("finish", "unknown_evaluation", f->eval_id);
        return workers::job_outcome::fail("no evaluation record for " + f->eval_id);
    }
    store::evaluation_record rec = **found;
    ctx.log_field("application_id", rec.application_id);
    ctx.log_field("candidate_id", rec.candidate_id);
    detail::mirrored_context mctx(ctx, rec.job);
    flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
    if (cp.step().empty()) {
        // First attempt: only a waiting evaluation is ours to finish ("deciding" here means an
        // earlier attempt of this job died before saving its checkpoint).
        if (!is_waiting_state(rec.state) && rec.state != store::evaluation_state::deciding) {
            mctx.audit("finish", "skipped",
                       "evaluation already " + std::string(store::to_string(rec.state)));
            log::info("finish_skipped", {{"state", store::to_string(rec.state)}});
            return workers::job_outcome::done("already " +
                                              std::string(store::to_string(rec.state)));
        }
        rec.state = store::evaluation_state::deciding;
        rec.updated_at = ctx.now_source().now();
        if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
            return store_failed("evaluation not recorded", r.error());
        }
        cp.set_step("deciding");
        cp.doc()["source"] = f->source;
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
        mctx.audit("finish", "deciding",
                   std::string(to_string(f->outcome)) + " from " + f->source +
                       (f->event_id.empty() ? std::string{} : " event " + f->event_id));
    }
    auto lease = clients_.acquire();
    return finish(mctx, cp, *lease, rec, *f);
}

}  // namespace riskbridge::flows
