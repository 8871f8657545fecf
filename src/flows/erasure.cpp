// erase_candidate: {"candidate_id", ...delivery ids} → job_store::erase_candidate, which also
// clears this job's own payload (it names the candidate). An attempt that finds the payload
// empty was preceded by one whose erasure committed: nothing is left to do.
// merge_candidates: {"deleted_candidate_id", "merged_candidate_id"} → merge_candidate.

#include "riskbridge/flows/erasure.hpp"

#include <nlohmann/json.hpp>

#include "json_fields.hpp"
#include "riskbridge/flows/step.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::text_of;
using nlohmann::json;

workers::job_outcome run_erase(store::store_admin& admin, workers::job_context& ctx) {
    const store::job& job = ctx.current();
    const json payload = json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
    const std::string candidate_id = text_of(payload, "candidate_id");
    if (candidate_id.empty()) {
        ctx.audit("erasure", "done", "nothing left to erase");
        return workers::job_outcome::done("erased earlier");
    }
    ctx.log_field("candidate_id", candidate_id);
    store::erasure_request req;
    req.candidate_id = candidate_id;
    req.at = ctx.now_source().now();
    req.requested_by = job.id;
    auto report = admin.erase_candidate(req);
    if (!report) {
        ctx.audit("erasure", "error", to_string(report.error().code));
        return store_failed("erasure failed", report.error());
    }
    const std::string what = describe(*report);
    ctx.audit("erasure", report->empty() ? "nothing_held" : "erased", what);
    log::info("candidate_erased", {{"jobs", report->jobs},
                                   {"jobs_cancelled", report->jobs_cancelled},
                                   {"evaluations", report->evaluations},
                                   {"audit_entries", report->audit_entries},
                                   {"attempts", report->attempts},
                                   {"quarantined", report->quarantined}});
    return workers::job_outcome::done("erased: " + what);
}

workers::job_outcome run_merge(store::store_admin& admin, workers::job_context& ctx) {
    const json payload = json::parse(ctx.current().payload, nullptr, /*allow_exceptions=*/false);
    const std::string from = text_of(payload, "deleted_candidate_id");
    const std::string into = text_of(payload, "merged_candidate_id");
    if (from.empty() || into.empty()) {
        ctx.audit("merge", "invalid_payload");
        return workers::job_outcome::fail("payload lacks the merged candidates' ids");
    }
    ctx.log_field("candidate_id", into);
    auto moved = admin.merge_candidate(from, into, ctx.now_source().now());
    if (!moved) {
        ctx.audit("merge", "error", to_string(moved.error().code));
        return store_failed("merge failed", moved.error());
    }
    ctx.audit("merge", "merged", std::to_string(*moved) + " rows moved");
    log::info("candidates_merged", {{"deleted_candidate_id", from}, {"rows", *moved}});
    return workers::job_outcome::done("merged: " + std::to_string(*moved) + " rows moved");
}

}  // namespace

std::string describe(const store::erasure_report& r) {
    return "jobs " + std::to_string(r.jobs) + " (" + std::to_string(r.jobs_cancelled) +
           " cancelled), evaluations " + std::to_string(r.evaluations) + ", audit entries " +
           std::to_string(r.audit_entries) + ", attempt errors " + std::to_string(r.attempts) +
           ", quarantined bodies " + std::to_string(r.quarantined);
}

void register_privacy(workers::handler_registry& registry, store::store_admin& admin) {
    registry.add(store::erase_candidate_kind,
                 [&admin](workers::job_context& ctx) { return run_erase(admin, ctx); });
    registry.add(store::merge_candidates_kind,
                 [&admin](workers::job_context& ctx) { return run_merge(admin, ctx); });
}

}  // namespace riskbridge::flows
