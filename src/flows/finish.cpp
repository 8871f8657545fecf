// The one job that ends a waiting evaluation (finish_evaluation, unique_key "finish:<eval_id>"),
// the decision it writes, and the verification status on the candidate (docv.hpp).

#include "flow_util.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::checkpoint_failed;
using detail::store_failed;
using nlohmann::json;

}  // namespace

workers::job_outcome flow_service::finish(workers::job_context& ctx, flow_checkpoint& cp,
                                          flow_clients& c, const store::evaluation_record& rec,
                                          const finish_request& f) {
    const config::flow_kind flow =
        config::parse_flow(rec.flow).value_or(config::flow_kind::screening);
    decision_input in;
    in.flow = flow;
    in.candidate_id = rec.candidate_id;
    in.application_id = rec.application_id;
    in.eval_id = rec.eval_id;
    in.workflow = !f.workflow.empty() ? f.workflow
                  : flow == config::flow_kind::screening
                      ? cfg_.riskos.screening_workflow
                      : cfg_.riskos.document_verification_workflow;
    in.decision = f.outcome != finish_outcome::decision ? std::string("REJECT")
                  : f.decision.empty()                  ? std::string("UNKNOWN")
                                                        : f.decision;
    in.reasons = f.reasons;
    in.details = finish_note_details(f, cfg_.riskos.docv.link_lifetime);
    in.final_state = final_state_for(f.outcome);
    in.ref = note_ref(flow, rec.application_id, "decision");
    workers::job_outcome out = apply_decision(ctx, cp, c, in);
    if (out.what != workers::job_outcome::kind::done) {
        return out;
    }
    store::evaluation_record finished = rec;
    finished.state = in.final_state;
    finished.decision = in.decision;
    if (auto stop =
            push_status(ctx, cp, c, finished,
                        f.outcome == finish_outcome::decision ? status_for_decision(in.decision)
                                                              : verification_status::failed)) {
        return *stop;
    }
    log::info("evaluation_finished", {{"eval_id", rec.eval_id},
                                      {"flow", rec.flow},
                                      {"outcome", to_string(f.outcome)},
                                      {"source", f.source},
                                      {"decision", in.decision}});
    return out;
}

std::optional<workers::job_outcome> flow_service::push_status(workers::job_context& ctx,
                                                              flow_checkpoint& cp, flow_clients& c,
                                                              const store::evaluation_record& rec,
                                                              verification_status status) {
    const auto& field = cfg_.ashby.status_custom_field;
    if (!field || field->empty() || rec.candidate_id.empty() ||
        rec.flow != config::to_string(config::flow_kind::document_verification)) {
        return std::nullopt;
    }
    const auto write = [&](verification_status s) -> std::optional<workers::job_outcome> {
        const std::string value = to_string(s);
        if (cp.text("status") == value) {
            return std::nullopt;
        }
        clients::ashby::field_value v;
        v.field_id = *field;
        v.value_json = json(value).dump();
        auto r = c.ashby.set_custom_field_values(rec.candidate_id, "Candidate", {v});
        if (!r) {
            ctx.audit("status", "error", "customField.setValues " + r.error().code);
            if (r.error().transient) {
                return outcome_for(r.error(), "ashby customField.setValues");
            }
            // Optional: a field that cannot be written must not hold up the verification.
            log::warn("status_not_written", {{"error", r.error().code}, {"status", value}});
            return std::nullopt;
        }
        cp.doc()["status"] = value;
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
        ctx.audit("status", value);
        log::info("status_written", {{"status", value}});
        return std::nullopt;
    };
    // The final status of the record, when it has one now.
    const auto final_now = [&]() -> std::optional<verification_status> {
        auto found = ctx.store().find_evaluation(rec.eval_id);
        if (!found || !*found) {
            return std::nullopt;
        }
        const auto s = status_for_record(**found);
        return s && is_final_status(*s) ? s : std::nullopt;
    };

    if (!is_final_status(status)) {
        // Once the evaluation is deciding or finished, the finish job writes the final status.
        auto found = ctx.store().find_evaluation(rec.eval_id);
        if (found && *found && !is_waiting_state((*found)->state)) {
            return std::nullopt;
        }
    }
    if (auto stop = write(status)) {
        return stop;
    }
    if (!is_final_status(status)) {
        // The finish job writes the record's final state before its final status: if the
        // record is not final now, that status write comes after ours; if it is, ours may
        // have overwritten it, so write the final one again.
        if (auto fin = final_now()) {
            ctx.audit("status", "corrected", to_string(*fin));
            return write(*fin);
        }
    }
    return std::nullopt;
}

workers::job_outcome flow_service::run_finish_evaluation(workers::job_context& ctx) {
    const auto f = parse_finish_request(ctx.current().payload);
    if (!f) {
        ctx.audit("finish", "invalid_payload");
        return workers::job_outcome::fail("payload is not a finish request");
    }
    ctx.log_field("eval_id", f->eval_id);
    auto found = ctx.store().find_evaluation(f->eval_id);
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
        if (!is_waiting_state(rec.state) && rec.state != eval_state_names::deciding) {
            mctx.audit("finish", "skipped", "evaluation already " + rec.state);
            log::info("finish_skipped", {{"state", rec.state}});
            return workers::job_outcome::done("already " + rec.state);
        }
        rec.state = eval_state_names::deciding;
        rec.updated_at = ctx.now_source().now();
        if (auto r = ctx.store().upsert_evaluation(rec); !r) {
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
