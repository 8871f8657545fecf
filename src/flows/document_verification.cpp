// The document verification flow (README "Document verification"): Candidate Hired (or a stage
// trigger such as Offer) -> a DocV evaluation -> "document verification requested" -> wait.
//
//   read, consent, mapping   prepare_applicant (applicant.hpp); no consent or missing
//                            required fields -> a note saying why, skipped (no RiskOS call)
//   evaluate  POST /api/evaluation on riskos.workflows.document_verification with the DocV
//             settings (individual.docv.config), id rb-document_verification-<application_id>
//             (a new session after an expired one: rb-docv-<application_id>-<attempt>,
//             payload capture_attempt) -> checkpoint "evaluated"
//   paused    the evaluation recorded `requested` (docv_token, expires_at = now + link
//             lifetime), a note "document verification requested" (the capture link only
//             when riskos.docv.link_in_note), status "requested"; done. The riskos_event,
//             reconcile and finish_evaluation jobs take it from there (docv_state.hpp).
//   completed at once -> `deciding`, tag, note, `completed`, final status, in this job

#include "applicant.hpp"
#include "riskbridge/core/text.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/flows/mapping.hpp"
#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using nlohmann::json;

constexpr config::flow_kind docv_flow = config::flow_kind::document_verification;

/// Which capture session of the application this job starts: 1, or the number the finish job
/// gave the new session it started after one expired (riskos.docv.reissue_on_expiry).
int capture_attempt(const detail::flow_job& job) {
    const auto it = job.payload.find("capture_attempt");
    if (it != job.payload.end() && it->is_number_integer()) {
        const auto n = it->get<std::int64_t>();
        return n >= 1 && n <= max_capture_attempts ? static_cast<int>(n) : 1;
    }
    return 1;
}

/// individual.docv.config of the request (docs/external-apis.md).
json docv_config_json(const config::docv_config& d) {
    json c{{"send_message", d.send_message}, {"language", d.language}};
    if (d.use_case_key && !d.use_case_key->empty()) {
        c["use_case_key"] = *d.use_case_key;
    }
    if (d.document_type && !d.document_type->empty()) {
        c["document_type"] = *d.document_type;
    }
    if (d.redirect_url && !d.redirect_url->empty()) {
        c["redirect"] = {{"url", *d.redirect_url}, {"method", d.redirect_method}};
    }
    return c;
}

}  // namespace

workers::job_outcome flow_service::run_document_verification(workers::job_context& ctx) {
    auto started = detail::start_flow(
        ctx, cfg_, clients_,
        [&](detail::flow_job& job, const mapped_applicant& mapped) -> step<void> {
            flow_checkpoint& cp = job.cp;
            flow_clients& c = job.clients();
            const std::string& workflow = cfg_.riskos.document_verification_workflow;
            const time_point now = ctx.now_source().now();
            json body = json::parse(
                build_request_json(mapped,
                                   capture_request_id(job.application_id, capture_attempt(job)),
                                   format_rfc3339(now), workflow),
                nullptr, /*allow_exceptions=*/false);
            if (!body.is_object() || !body["data"].is_object() ||
                !body["data"]["individual"].is_object()) {
                ctx.audit("evaluate", "bad_request");
                return workers::job_outcome::fail("the evaluation request could not be built");
            }
            body["data"]["individual"]["docv"] = {{"config", docv_config_json(cfg_.riskos.docv)}};
            auto eval = detail::request_evaluation(
                ctx, c, cp, body.dump(-1, ' ', false, json::error_handler_t::replace), workflow);
            if (!eval) {
                return std::move(eval).error();
            }
            if (eval->completed()) {
                cp.doc()["finish"] =
                    json::parse(to_json_text(finish_from_evaluation(*eval, "evaluation")));
            } else if (eval->docv) {
                // Kept only until the evaluation is recorded and the note written (below).
                cp.doc()["capture_requested"] = true;
                cp.doc()["docv_token"] = eval->docv->token;
                cp.doc()["expires_at_ms"] = to_unix_ms(now + cfg_.riskos.docv.link_lifetime);
                if (cfg_.riskos.docv.link_in_note && !eval->docv->url.empty()) {
                    cp.doc()["link"] = eval->docv->url;
                }
            }
            log::info("docv_evaluated", {{"eval_id", eval->eval_id},
                                         {"eval_status", to_string(eval->state)},
                                         {"capture_requested", eval->docv.has_value()},
                                         {"http_status", eval->http_status}});
            ctx.audit("evaluate", state_name(eval->state),
                      eval->eval_id + (eval->docv ? " capture requested" : ""));
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
        const std::string skip = cp.text("skip");
        const std::string ref = note_ref(docv_flow, application_id, skip);
        std::string reason;
        if (skip == "consent") {
            reason = cp.text("consent") == "refused"
                         ? "the application does not accept the consent question"
                         : "the application has no answer to the consent question";
        } else {
            reason = "missing " + join(detail::missing_labels(cp), ", ");
        }
        if (auto written = ensure_note(ctx, cp, c, skip, candidate_id, ref,
                                       render_docv_skipped_note(reason, ref), false);
            !written) {
            return written.error();
        }
        log::info("docv_skipped", {{"reason", skip}});
        return workers::job_outcome::done("skipped: " + reason);
    }

    const auto evaluated = detail::evaluated_eval_id(ctx, cp);
    if (!evaluated) {
        return evaluated.error();
    }
    const std::string& eval_id = *evaluated;

    auto existing = ctx.evaluations().find_evaluation(eval_id);
    if (!existing) {
        return store_failed("evaluation not read", existing.error());
    }
    store::evaluation_record rec = *existing
                                       ? **existing
                                       : new_evaluation_record(eval_id, docv_flow, application_id,
                                                               candidate_id, ctx.current().id);

    if (cp.text("eval_state") == "completed") {
        auto f = parse_finish_request(cp.doc().value("finish", json::object()).dump());
        if (!f) {
            ctx.audit("resume", "bad_checkpoint", "finish");
            return workers::job_outcome::fail("checkpoint lacks the decision");
        }
        if (*existing && rec.job != ctx.current().id) {
            // Not ours to decide (cannot happen with one job per application and flow, but
            // the one finish job keeps it single-writer whatever happened).
            if (is_waiting_state(rec.state)) {
                auto queued = enqueue_finish(ctx.queue(), *f, ctx.now_source().now());
                if (!queued) {
                    return store_failed("finish not queued", queued.error());
                }
                return workers::job_outcome::done("finish queued: job " + std::to_string(*queued));
            }
            return workers::job_outcome::done("already " +
                                              std::string(store::to_string(rec.state)));
        }
        if (!*existing) {
            rec.state = store::evaluation_state::deciding;
            rec.decision = f->decision;
            if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
                return store_failed("evaluation not recorded", r.error());
            }
        }
        return finish(ctx, cp, c, rec, *f);
    }

    // Paused (capture requested) or still running: wait for RiskOS.
    if (!*existing) {
        const std::string token = cp.text("docv_token");
        rec.state = store::evaluation_state::requested;
        rec.docv_token = token;
        if (const auto it = cp.doc().find("expires_at_ms");
            it != cp.doc().end() && it->is_number_integer()) {
            rec.expires_at = from_unix_ms(it->get<std::int64_t>());
        }
        if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
            return store_failed("evaluation not recorded", r.error());
        }
    }
    ctx.audit("wait", cp.text("eval_state"), eval_id);
    if (is_final_state(rec.state) || rec.state == store::evaluation_state::deciding) {
        // RiskOS's webhook was faster than this job: the decision is (being) written already.
        ctx.audit("note", "skipped",
                  "evaluation already " + std::string(store::to_string(rec.state)));
    } else {
        // Also without a DocV token in the answer (the workflow paused before its DocV step, or
        // is still running): the recruiter learns that verification has started.
        const int attempt = capture_attempt(job);
        const std::string ref = note_ref(
            docv_flow, application_id,
            attempt > 1 ? "requested-" + std::to_string(attempt) : std::string("requested"));
        const std::optional<std::string> link =
            cp.text("link").empty() ? std::nullopt : std::optional<std::string>(cp.text("link"));
        const std::string html = render_docv_requested_note(
            eval_id, case_url(cfg_.riskos.case_url_base, cp.text("workflow"), eval_id),
            rec.expires_at, cfg_.riskos.docv.send_message, link, ref);
        if (auto written = ensure_note(ctx, cp, c, "requested", candidate_id, ref, html, false);
            !written) {
            return written.error();
        }
    }
    // Keep less: the token lives on as the record's blind index, the link in the note.
    if (cp.doc().contains("docv_token") || cp.doc().contains("link")) {
        cp.doc().erase("docv_token");
        cp.doc().erase("link");
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
    }
    if (auto pushed = push_status(ctx, cp, c, rec, verification_status::requested); !pushed) {
        return pushed.error();
    }
    log::info("docv_waiting", {{"eval_status", cp.text("eval_state")}});
    const auto requested = cp.doc().find("capture_requested");
    const bool capture =
        requested != cp.doc().end() && requested->is_boolean() && requested->get<bool>();
    return workers::job_outcome::done(
        "waiting: document verification " +
        (capture ? std::string("requested") : "evaluation " + cp.text("eval_state")));
}

}  // namespace riskbridge::flows
