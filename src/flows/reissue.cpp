// A capture session that expired, tried again (riskos.docv.reissue_on_expiry: N), and the
// reminder while capture has not started (riskos.docv.remind_after_hours).
//
// Reissue: when the finish job ends a DocV evaluation as expired (Session Expired, or the link
// past its lifetime at reconciliation) and the application has had at most N capture sessions,
// the finish job does not write REJECT. It queues a new document_verification job
// (capture_attempt n+1, unique_key "document_verification:<application_id>:capture-<n+1>"),
// whose evaluation has the request id rb-docv-<application_id>-<n+1>, so RiskOS starts a new
// evaluation with a new link; it writes a note that a new link is being sent and records the
// expired evaluation `expired` with no decision. The new evaluation is followed like the first;
// after N new sessions, an expiry ends the flow as before (REJECT).
//
// Reminder: reconciliation queues one docv_reminder job per evaluation (unique_key
// "remind:<eval_id>") once it has waited remind_after_hours in `requested`; the job writes a
// reminder note unless DocV reported that capture started (a progress note other than Process
// Initiated in the evaluation's audit trail).

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

constexpr config::flow_kind docv_flow = config::flow_kind::document_verification;

}  // namespace

step<int> flow_service::capture_sessions(workers::job_context& ctx,
                                         const store::evaluation_record& rec) {
    auto held = ctx.evaluations().evaluations_for_candidate(rec.candidate_id);
    if (!held) {
        return store_failed("evaluations not read", held.error());
    }
    const auto n = std::count_if(held->begin(), held->end(), [&](const auto& e) {
        return e.application_id == rec.application_id && e.flow == rec.flow;
    });
    return std::max(1, static_cast<int>(n));
}

std::optional<workers::job_outcome> flow_service::reissue_capture(
    workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
    const store::evaluation_record& rec, const finish_request& f) {
    const int allowed = cfg_.riskos.docv.reissue_on_expiry;
    if (f.outcome != finish_outcome::expired || allowed <= 0 ||
        rec.flow != config::to_string(docv_flow)) {
        return std::nullopt;
    }
    int attempt = 0;
    if (const auto it = cp.doc().find("capture_sessions");
        it != cp.doc().end() && it->is_number_integer()) {
        attempt = it->get<int>();
    } else {
        auto counted = capture_sessions(ctx, rec);
        if (!counted) {
            return std::move(counted).error();
        }
        attempt = *counted;
        cp.doc()["capture_sessions"] = attempt;
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
    }
    if (attempt > allowed || attempt + 1 > max_capture_attempts) {
        ctx.audit("reissue", "exhausted", std::to_string(attempt) + " capture sessions");
        return std::nullopt;  // ends as expired, as without reissue
    }
    const int next = attempt + 1;

    if (cp.text("reissue_job").empty()) {
        store::new_job j;
        j.kind = config::to_string(docv_flow);
        j.payload = json{{"flow", config::to_string(docv_flow)},
                         {"action", "reissue"},
                         {"application_id", rec.application_id},
                         {"candidate_id", rec.candidate_id},
                         {"capture_attempt", next},
                         {"replaces_eval_id", rec.eval_id}}
                        .dump();
        j.correlation_id = "eval:" + rec.eval_id;
        j.unique_key = std::string(config::to_string(docv_flow)) + ":" + rec.application_id +
                       ":capture-" + std::to_string(next);
        j.subject = rec.candidate_id;
        auto id = ctx.queue().add_job(j, ctx.now_source().now());
        if (!id) {
            return store_failed("new capture not queued", id.error());
        }
        cp.doc()["reissue_job"] = std::to_string(*id);
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
        ctx.audit("reissue", "queued",
                  "capture session " + std::to_string(next) + ", job " + std::to_string(*id));
        log::info("docv_reissued",
                  {{"capture_attempt", next}, {"reissue_job_id", static_cast<long long>(*id)}});
    }

    const std::string workflow =
        f.workflow.empty() ? cfg_.riskos.document_verification_workflow : f.workflow;
    const std::string ref = note_ref(docv_flow, rec.application_id, "reissue-" + rec.eval_id);
    std::vector<std::string> lines = finish_note_details(f, cfg_.riskos.docv.link_lifetime);
    lines.push_back("A new document verification was started (capture session " +
                    std::to_string(next) + " of " + std::to_string(allowed + 1) +
                    "): the candidate gets a new link.");
    if (auto written = ensure_note(
            ctx, cp, c, "reissue", rec.candidate_id, ref,
            render_notice_note("document verification: new capture link sent", lines,
                               case_url(cfg_.riskos.case_url_base, workflow, rec.eval_id),
                               rec.eval_id, ref),
            false);
        !written) {
        return written.error();
    }
    store::evaluation_record expired = rec;
    expired.state = store::evaluation_state::expired;
    expired.decision.clear();
    expired.updated_at = ctx.now_source().now();
    if (auto r = ctx.evaluations().upsert_evaluation(expired); !r) {
        return store_failed("evaluation not recorded", r.error());
    }
    return workers::job_outcome::done("capture expired: new capture session " +
                                      std::to_string(next) + " requested (job " +
                                      cp.text("reissue_job") + ")");
}

workers::job_outcome flow_service::run_docv_reminder(workers::job_context& ctx) {
    const json payload = json::parse(ctx.current().payload, nullptr, /*allow_exceptions=*/false);
    const std::string eval_id = text_of(payload, "eval_id");
    ctx.log_field("eval_id", eval_id);
    auto found = ctx.evaluations().find_evaluation(eval_id);
    if (!found) {
        return store_failed("evaluation not read", found.error());
    }
    if (!*found || (*found)->state != store::evaluation_state::requested) {
        ctx.audit("remind", "skipped", *found ? store::to_string((*found)->state) : "unknown");
        return workers::job_outcome::done("no reminder: not waiting for capture");
    }
    const store::evaluation_record rec = **found;
    ctx.log_field("application_id", rec.application_id);
    ctx.log_field("candidate_id", rec.candidate_id);
    detail::mirrored_context mctx(ctx, rec.job);
    auto trail = ctx.audit_trail().audit_for_job(rec.job);
    if (!trail) {
        return store_failed("audit not read", trail.error());
    }
    const bool started = std::any_of(trail->begin(), trail->end(), [](const auto& a) {
        return a.step == "docv_progress" && a.outcome != to_string(case_note::process_initiated) &&
               a.outcome != to_string(case_note::other);
    });
    if (started) {
        mctx.audit("remind", "skipped", "capture started");
        return workers::job_outcome::done("no reminder: capture started");
    }
    flow_checkpoint cp = flow_checkpoint::parse(ctx.checkpoint());
    auto lease = clients_.acquire();
    const std::string ref = note_ref(docv_flow, rec.application_id, "remind-" + rec.eval_id);
    const auto waited = std::chrono::duration_cast<std::chrono::minutes>(
        cfg_.riskos.docv.remind_after.value_or(std::chrono::milliseconds{0}));
    const std::string waited_text = waited.count() % 60 == 0
                                        ? std::to_string(waited.count() / 60) + " hours"
                                        : std::to_string(waited.count()) + " minutes";
    std::vector<std::string> lines{"The candidate has not started the document capture " +
                                       waited_text + " after the link was sent.",
                                   "Remind them to open the link RiskOS sent; it expires " +
                                       format_rfc3339(rec.expires_at) + "."};
    if (auto written = ensure_note(
            mctx, cp, *lease, "remind", rec.candidate_id, ref,
            render_notice_note("document verification: capture not started", lines,
                               case_url(cfg_.riskos.case_url_base,
                                        cfg_.riskos.document_verification_workflow, rec.eval_id),
                               rec.eval_id, ref),
            false);
        !written) {
        return written.error();
    }
    log::info("docv_reminder_written", {{"eval_id", rec.eval_id}});
    return workers::job_outcome::done("reminder written");
}

result<store::job_id> enqueue_reminder(store::job_queue& queue, const store::evaluation_record& rec,
                                       time_point now) {
    store::new_job j;
    j.kind = docv_reminder_kind;
    j.payload = json{{"eval_id", rec.eval_id}}.dump();
    j.correlation_id = "eval:" + rec.eval_id;
    j.unique_key = "remind:" + rec.eval_id;
    j.subject = rec.eval_id;
    return queue.add_job(j, now);
}

}  // namespace riskbridge::flows
