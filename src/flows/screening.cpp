// The screening flow: Application Submitted -> RiskOS -> risk tag and note.
//
//   read, consent, mapping   prepare_applicant (applicant.hpp); no consent -> consent tag (if
//                            any) and a note, skipped; missing required fields -> a note
//                            naming them, skipped
//   evaluate  POST /api/evaluation, id rb-screening-<application_id> (a retry re-runs it)
//             -> checkpoint "evaluated"
//   paused / in progress -> evaluation recorded "pending" (riskos_event finishes it), done
//   completed -> apply_decision: tag, note, evaluation "completed", done

#include "applicant.hpp"
#include "json_fields.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/consent.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/mapping.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using nlohmann::json;

constexpr config::flow_kind screening_flow = config::flow_kind::screening;

}  // namespace

workers::job_outcome flow_service::run_screening(workers::job_context& ctx) {
    auto started = detail::start_flow(
        ctx, cfg_, clients_,
        [&](detail::flow_job& job, const mapped_applicant& mapped) -> step<void> {
            flow_checkpoint& cp = job.cp;
            flow_clients& c = job.clients();
            const std::string& workflow = cfg_.riskos.screening_workflow;
            const std::string body = build_request_json(
                mapped, evaluation_request_id(screening_flow, job.application_id),
                format_rfc3339(clk_.now()), workflow);
            auto eval = detail::request_evaluation(ctx, c, cp, body, workflow);
            if (!eval) {
                return std::move(eval).error();
            }
            cp.doc()["decision"] = eval->decision_text.empty()
                                       ? std::string(to_string(eval->decision))
                                       : to_upper(eval->decision_text);
            cp.doc()["reasons"] = detail::reasons_json(top_reasons(*eval));
            log::info("screening_evaluated", {{"eval_id", eval->eval_id},
                                              {"eval_status", to_string(eval->state)},
                                              {"decision", cp.text("decision")},
                                              {"http_status", eval->http_status}});
            ctx.audit("evaluate", state_name(eval->state),
                      eval->eval_id + " " + cp.text("decision"));
            return {};
        });
    if (!started) {
        return std::move(started).error();
    }
    detail::flow_job& job = *started;
    flow_checkpoint& cp = job.cp;
    const std::string& application_id = job.application_id;
    const std::string& candidate_id = job.candidate_id;
    flow_clients& c = job.clients();
    if (cp.step() == "skipped") {
        const std::string ref = note_ref(screening_flow, application_id, cp.text("skip"));
        if (cp.text("skip") == "consent") {
            const auto& tag = cfg_.consent.tag;
            if (tag && !tag->empty()) {
                if (auto written = ensure_tag(ctx, cp, c, "consent", candidate_id, *tag);
                    !written) {
                    return written.error();
                }
            }
            const consent_status status =
                cp.text("consent") == "refused" ? consent_status::refused : consent_status::missing;
            const std::string html =
                render_consent_note(status, cfg_.consent.question,
                                    tag && !tag->empty() ? tag : std::optional<std::string>{}, ref);
            if (auto written = ensure_note(ctx, cp, c, "consent", candidate_id, ref, html, false);
                !written) {
                return written.error();
            }
            log::info("screening_skipped", {{"reason", "consent"}});
            return workers::job_outcome::done("skipped: no consent");
        }
        const std::vector<std::string> labels = detail::missing_labels(cp);
        const std::string html = render_missing_note(labels, ref);
        if (auto written = ensure_note(ctx, cp, c, "missing", candidate_id, ref, html, false);
            !written) {
            return written.error();
        }
        log::info("screening_skipped", {{"reason", "missing_fields"}});
        return workers::job_outcome::done("skipped: missing " + join(labels, ", "));
    }

    const auto evaluated = detail::evaluated_eval_id(ctx, cp);
    if (!evaluated) {
        return evaluated.error();
    }
    const std::string& eval_id = *evaluated;

    store::evaluation_record rec = new_evaluation_record(eval_id, screening_flow, application_id,
                                                         candidate_id, ctx.current().id);
    if (cp.text("eval_state") != "completed") {
        // Paused (a DocV step-up) or still running: RiskOS's evaluation_completed webhook
        // finishes it (riskos_event), or reconcile does.
        rec.state = store::evaluation_state::pending;
        const auto existing = ctx.evaluations().find_evaluation(eval_id);
        if (!(existing && *existing)) {  // e.g. already completed by the webhook: leave it
            if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
                return store_failed("evaluation not recorded", r.error());
            }
        }
        ctx.audit("wait", cp.text("eval_state"), eval_id);
        log::info("screening_waiting", {{"eval_status", cp.text("eval_state")}});
        return workers::job_outcome::done("waiting: evaluation " + cp.text("eval_state"));
    }

    if (auto existing = ctx.evaluations().find_evaluation(eval_id); existing && !*existing) {
        rec.state = store::evaluation_state::deciding;
        rec.decision = cp.text("decision");
        if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
            return store_failed("evaluation not recorded", r.error());
        }
    }

    decision_input in;
    in.flow = screening_flow;
    in.candidate_id = candidate_id;
    in.application_id = application_id;
    in.eval_id = eval_id;
    in.workflow = cp.text("workflow");
    in.decision = cp.text("decision");
    in.reasons = detail::reasons_of(cp.doc().value("reasons", json::array()));
    in.ref = note_ref(screening_flow, application_id, "decision");
    return apply_decision(ctx, cp, c, in);
}

}  // namespace riskbridge::flows
