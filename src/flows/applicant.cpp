#include "applicant.hpp"

#include "json_fields.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/consent.hpp"

namespace riskbridge::flows::detail {

using nlohmann::json;

step<flow_job> open_flow_job(workers::job_context& ctx) {
    flow_job job;
    job.payload = json::parse(ctx.current().payload, nullptr, /*allow_exceptions=*/false);
    job.application_id = text_of(job.payload, "application_id");
    job.candidate_id = text_of(job.payload, "candidate_id");
    if (job.application_id.empty()) {
        ctx.audit("start", "invalid_payload");
        return workers::job_outcome::fail("payload lacks application_id");
    }
    ctx.log_field("application_id", job.application_id);
    job.cp = flow_checkpoint::parse(ctx.checkpoint());
    if (std::string c = job.cp.text("candidate_id"); !c.empty()) {
        job.candidate_id = std::move(c);
    }
    ctx.log_field("candidate_id", job.candidate_id);  // the webhook's; read_applicant confirms it
    return job;
}

step<applicant_read> read_applicant(workers::job_context& ctx, flow_clients& c,
                                    const std::string& application_id, std::string candidate_id,
                                    const json& webhook_payload) {
    auto app = c.ashby.application_info(application_id);
    if (!app) {
        ctx.audit("read_application", "error", app.error().code);
        return outcome_for(app.error(), "ashby application.info");
    }
    if (!app->submitter_client_ip) {
        // Ashby puts it in the webhook's application; the API's copy may leave it out. The
        // webhook handler keeps it as submitter_client_ip (a job stored by an older version
        // holds the whole webhook data block instead).
        std::string ip = text_of(webhook_payload, "submitter_client_ip");
        if (ip.empty()) {
            const json* data = object_of(webhook_payload, "data");
            const json* webhook_app = data != nullptr ? object_of(*data, "application") : nullptr;
            if (webhook_app != nullptr) {
                ip = text_of(*webhook_app, "submitterClientIp");
            }
        }
        if (!ip.empty()) {
            app->submitter_client_ip = std::move(ip);
        }
    }
    if (!app->candidate_id.empty()) {
        candidate_id = app->candidate_id;
    }
    if (candidate_id.empty()) {
        ctx.audit("read_application", "no_candidate");
        return workers::job_outcome::fail("application has no candidate id");
    }
    ctx.log_field("candidate_id", candidate_id);
    auto cand = c.ashby.candidate_info(candidate_id);
    if (!cand) {
        ctx.audit("read_candidate", "error", cand.error().code);
        return outcome_for(cand.error(), "ashby candidate.info");
    }
    ctx.audit("read", "ok", "candidate " + candidate_id);
    return applicant_read{std::move(*app), std::move(*cand), std::move(candidate_id)};
}

step<std::optional<mapped_applicant>> prepare_applicant(workers::job_context& ctx,
                                                        const config::config& cfg, flow_clients& c,
                                                        flow_job& job) {
    auto read = read_applicant(ctx, c, job.application_id, job.candidate_id, job.payload);
    if (!read) {
        return std::move(read).error();
    }
    job.candidate_id = read->candidate_id;
    job.cp.doc()["candidate_id"] = job.candidate_id;

    const consent_result consent = check_consent(cfg.consent, read->app);
    ctx.audit("consent", to_string(consent.status));
    if (!consent.allowed()) {
        job.cp.set_step("skipped");
        job.cp.doc()["skip"] = "consent";
        job.cp.doc()["consent"] = to_string(consent.status);
        return std::optional<mapped_applicant>{};
    }
    mapped_applicant mapped = map_applicant(cfg.mapping, read->cand, read->app);
    if (!mapped.complete()) {
        job.cp.set_step("skipped");
        job.cp.doc()["skip"] = "missing";
        job.cp.doc()["missing"] = mapped.missing;
        ctx.audit("mapping", "missing", join(mapped.missing, ","));
        return std::optional<mapped_applicant>{};
    }
    ctx.audit("mapping", "complete",
              std::to_string(mapped.fields.size()) + " fields" +
                  (mapped.invalid.empty() ? "" : ", unusable " + join(mapped.invalid, ",")));
    if (ctx.stopping()) {
        return workers::job_outcome::retry("stopping before the evaluation");
    }
    return std::optional<mapped_applicant>{std::move(mapped)};
}

step<flow_job> start_flow(workers::job_context& ctx, const config::config& cfg,
                          client_pool& clients, const evaluate_fn& evaluate) {
    auto opened = open_flow_job(ctx);
    if (!opened) {
        return std::move(opened).error();
    }
    flow_job& job = *opened;
    job.lease.emplace(clients.acquire());
    if (job.cp.step().empty()) {
        auto prepared = prepare_applicant(ctx, cfg, job.clients(), job);
        if (!prepared) {
            return std::move(prepared).error();
        }
        if (const auto& mapped = *prepared) {
            if (auto evaluated = evaluate(job, *mapped); !evaluated) {
                return std::move(evaluated).error();
            }
        }
        if (auto saved = job.cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
    }
    ctx.log_field("candidate_id", job.candidate_id);
    return opened;
}

step<clients::riskos::evaluation> request_evaluation(workers::job_context& ctx, flow_clients& c,
                                                     flow_checkpoint& cp, const std::string& body,
                                                     const std::string& workflow) {
    auto eval = c.riskos.evaluate_json(body);
    if (!eval) {
        ctx.audit("evaluate", "error", eval.error().code);
        return outcome_for(eval.error(), "riskos POST /api/evaluation");
    }
    ctx.log_field("eval_id", eval->eval_id);
    cp.set_step("evaluated");
    cp.doc()["eval_id"] = eval->eval_id;
    cp.doc()["eval_state"] = state_name(eval->state);
    cp.doc()["workflow"] = eval->workflow.empty() ? workflow : eval->workflow;
    return std::move(*eval);
}

std::vector<std::string> missing_labels(const flow_checkpoint& cp) {
    // Paths; checkpoints of the DocV flow written by earlier versions hold labels, which
    // field_label() leaves as they are.
    std::vector<std::string> labels;
    for (const auto& m : strings_of(cp.doc(), "missing")) {
        labels.push_back(field_label(m));
    }
    return labels;
}

step<std::string> evaluated_eval_id(workers::job_context& ctx, const flow_checkpoint& cp) {
    std::string eval_id = cp.text("eval_id");
    if (cp.step() != "evaluated" || eval_id.empty()) {
        ctx.audit("resume", "bad_checkpoint", cp.step());
        return workers::job_outcome::fail("checkpoint step '" + cp.step() + "' is not known");
    }
    ctx.log_field("eval_id", eval_id);
    return eval_id;
}

}  // namespace riskbridge::flows::detail
