// The screening flow: Application Submitted -> RiskOS -> risk tag and note.
//
//   read      application.info (with form submissions), candidate.info
//   consent   when consent.required: no consent -> consent tag (if any) and a note, skipped
//   mapping   missing required fields -> a note naming them, skipped
//   evaluate  POST /api/evaluation, id rb-screening-<application_id> (a retry re-runs it)
//             -> checkpoint "evaluated"
//   paused / in progress -> evaluation recorded "pending" (riskos_event finishes it), done
//   completed -> apply_decision: tag, note, evaluation "completed", done

#include "flow_util.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/consent.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/mapping.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::checkpoint_failed;
using detail::state_name;
using nlohmann::json;

std::string payload_text(const json& doc, const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::vector<reason_code> reasons_from(const json& cp) {
    std::vector<reason_code> out;
    const auto it = cp.find("reasons");
    if (it == cp.end() || !it->is_array()) {
        return out;
    }
    for (const auto& r : *it) {
        if (r.is_object()) {
            out.push_back({r.value("code", ""), r.value("module", ""), r.value("enrichment", "")});
        }
    }
    return out;
}

std::vector<std::string> strings_from(const json& cp, const char* key) {
    std::vector<std::string> out;
    const auto it = cp.find(key);
    if (it != cp.end() && it->is_array()) {
        for (const auto& v : *it) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        }
    }
    return out;
}

}  // namespace

workers::job_outcome flow_service::run_screening(workers::job_context& ctx) {
    const store::job& job = ctx.current();
    const json payload = json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
    std::string application_id =
        payload.is_object() ? payload_text(payload, "application_id") : std::string{};
    std::string candidate_id =
        payload.is_object() ? payload_text(payload, "candidate_id") : std::string{};
    if (application_id.empty()) {
        ctx.audit("start", "invalid_payload");
        return workers::job_outcome::fail("payload lacks application_id");
    }
    ctx.log_field("application_id", application_id);

    flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
    if (const std::string c = cp.text("candidate_id"); !c.empty()) {
        candidate_id = c;
    }
    ctx.log_field("candidate_id", candidate_id);  // the webhook's; read_applicant confirms it
    const std::string request_id =
        evaluation_request_id(config::flow_kind::screening, application_id);
    auto lease = clients_.acquire();
    flow_clients& c = *lease;

    if (cp.step().empty()) {
        auto read = read_applicant(ctx, c, application_id, candidate_id, payload);
        if (auto* failed = std::get_if<workers::job_outcome>(&read)) {
            return std::move(*failed);
        }
        const auto& [app, cand, read_candidate_id] = std::get<applicant_read>(read);
        candidate_id = read_candidate_id;
        ctx.log_field("candidate_id", candidate_id);
        cp.doc()["candidate_id"] = candidate_id;

        const consent_result consent = check_consent(cfg_.consent, app);
        ctx.audit("consent", to_string(consent.status));
        if (!consent.allowed()) {
            cp.set_step("skipped");
            cp.doc()["skip"] = "consent";
            cp.doc()["consent"] = to_string(consent.status);
        } else {
            const mapped_applicant mapped = map_applicant(cfg_.mapping, cand, app);
            if (!mapped.complete()) {
                cp.set_step("skipped");
                cp.doc()["skip"] = "missing";
                cp.doc()["missing"] = mapped.missing;
                ctx.audit("mapping", "missing", join(mapped.missing, ","));
            } else {
                ctx.audit(
                    "mapping", "complete",
                    std::to_string(mapped.fields.size()) + " fields" +
                        (mapped.invalid.empty() ? "" : ", unusable " + join(mapped.invalid, ",")));
                if (ctx.stopping()) {
                    return workers::job_outcome::retry("stopping before the evaluation");
                }
                const std::string& workflow = cfg_.riskos.screening_workflow;
                const std::string body =
                    build_request_json(mapped, request_id, format_rfc3339(clk_.now()), workflow);
                auto eval = c.riskos.evaluate_json(body);
                if (!eval) {
                    ctx.audit("evaluate", "error", eval.error().code);
                    return outcome_for(eval.error(), "riskos POST /api/evaluation");
                }
                ctx.log_field("eval_id", eval->eval_id);
                cp.set_step("evaluated");
                cp.doc()["eval_id"] = eval->eval_id;
                cp.doc()["eval_state"] = state_name(eval->state);
                cp.doc()["decision"] = eval->decision_text.empty()
                                           ? std::string(to_string(eval->decision))
                                           : to_upper(eval->decision_text);
                cp.doc()["workflow"] = eval->workflow.empty() ? workflow : eval->workflow;
                json reasons = json::array();
                for (const auto& r : top_reasons(*eval)) {
                    reasons.push_back(
                        {{"code", r.code}, {"module", r.module}, {"enrichment", r.enrichment}});
                }
                cp.doc()["reasons"] = std::move(reasons);
                log::info("screening_evaluated", {{"eval_id", eval->eval_id},
                                                  {"eval_status", to_string(eval->state)},
                                                  {"decision", cp.text("decision")},
                                                  {"http_status", eval->http_status}});
                ctx.audit("evaluate", state_name(eval->state),
                          eval->eval_id + " " + cp.text("decision"));
            }
        }
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
    }

    ctx.log_field("candidate_id", candidate_id);
    if (cp.step() == "skipped") {
        const std::string ref =
            note_ref(config::flow_kind::screening, application_id, cp.text("skip"));
        if (cp.text("skip") == "consent") {
            const auto& tag = cfg_.consent.tag;
            if (tag && !tag->empty()) {
                if (auto stop = ensure_tag(ctx, cp, c, "consent", candidate_id, *tag)) {
                    return *stop;
                }
            }
            const consent_status status =
                cp.text("consent") == "refused" ? consent_status::refused : consent_status::missing;
            const std::string html =
                render_consent_note(status, cfg_.consent.question,
                                    tag && !tag->empty() ? tag : std::optional<std::string>{}, ref);
            if (auto stop = ensure_note(ctx, cp, c, "consent", candidate_id, ref, html, false)) {
                return *stop;
            }
            log::info("screening_skipped", {{"reason", "consent"}});
            return workers::job_outcome::done("skipped: no consent");
        }
        std::vector<std::string> labels;
        for (const auto& m : strings_from(cp.doc(), "missing")) {
            labels.push_back(field_label(m));
        }
        const std::string html = render_missing_note(labels, ref);
        if (auto stop = ensure_note(ctx, cp, c, "missing", candidate_id, ref, html, false)) {
            return *stop;
        }
        log::info("screening_skipped", {{"reason", "missing_fields"}});
        return workers::job_outcome::done("skipped: missing " + join(labels, ", "));
    }

    if (cp.step() != "evaluated" || cp.text("eval_id").empty()) {
        ctx.audit("resume", "bad_checkpoint", cp.step());
        return workers::job_outcome::fail("checkpoint step '" + cp.step() + "' is not known");
    }
    const std::string eval_id = cp.text("eval_id");
    ctx.log_field("eval_id", eval_id);

    if (cp.text("eval_state") != "completed") {
        // Paused (a DocV step-up) or still running: RiskOS's evaluation_completed webhook
        // finishes it (riskos_event), or reconcile does.
        store::evaluation_record rec;
        rec.eval_id = eval_id;
        rec.flow = config::to_string(config::flow_kind::screening);
        rec.application_id = application_id;
        rec.candidate_id = candidate_id;
        rec.job = job.id;
        rec.state = "pending";
        if (auto existing = ctx.store().find_evaluation(eval_id); existing && *existing) {
            rec = **existing;  // e.g. already completed by the webhook: leave it as it is
        } else if (auto r = ctx.store().upsert_evaluation(rec); !r) {
            return workers::job_outcome::retry("evaluation not recorded: " +
                                               std::string(to_string(r.error().code)));
        }
        ctx.audit("wait", cp.text("eval_state"), eval_id);
        log::info("screening_waiting", {{"eval_status", cp.text("eval_state")}});
        return workers::job_outcome::done("waiting: evaluation " + cp.text("eval_state"));
    }

    if (auto existing = ctx.store().find_evaluation(eval_id); existing && !*existing) {
        store::evaluation_record rec;
        rec.eval_id = eval_id;
        rec.flow = config::to_string(config::flow_kind::screening);
        rec.application_id = application_id;
        rec.candidate_id = candidate_id;
        rec.job = job.id;
        rec.state = "deciding";
        rec.decision = cp.text("decision");
        if (auto r = ctx.store().upsert_evaluation(rec); !r) {
            return workers::job_outcome::retry("evaluation not recorded: " +
                                               std::string(to_string(r.error().code)));
        }
    }

    decision_input in;
    in.flow = config::flow_kind::screening;
    in.candidate_id = candidate_id;
    in.application_id = application_id;
    in.eval_id = eval_id;
    in.workflow = cp.text("workflow");
    in.decision = cp.text("decision");
    in.reasons = reasons_from(cp.doc());
    in.ref = note_ref(config::flow_kind::screening, application_id, "decision");
    return apply_decision(ctx, cp, c, in);
}

void register_flows(workers::handler_registry& registry, std::shared_ptr<flow_service> service) {
    registry.add(config::to_string(config::flow_kind::screening),
                 [service](workers::job_context& ctx) { return service->run_screening(ctx); });
    registry.add(
        config::to_string(config::flow_kind::document_verification),
        [service](workers::job_context& ctx) { return service->run_document_verification(ctx); });
    registry.add(riskos_event_kind,
                 [service](workers::job_context& ctx) { return service->run_riskos_event(ctx); });
    registry.add(finish_evaluation_kind, [service](workers::job_context& ctx) {
        return service->run_finish_evaluation(ctx);
    });
    registry.add(reconcile_kind,
                 [service](workers::job_context& ctx) { return service->run_reconcile(ctx); });
}

}  // namespace riskbridge::flows
