// The steps that write to Ashby exactly once: tag, note, decision.

#include <algorithm>

#include "flow_util.hpp"
#include "riskbridge/flows/flow_service.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

namespace {

using detail::checkpoint_failed;

}  // namespace

std::optional<std::string> tag_for(const config::tags_config& tags, config::flow_kind flow,
                                   std::string_view decision) {
    const config::tag_map& map =
        flow == config::flow_kind::screening ? tags.screening : tags.document_verification;
    if (const auto it = map.find(std::string(decision)); it != map.end() && !it->second.empty()) {
        return it->second;
    }
    return std::nullopt;
}

flow_service::flow_service(config::config cfg, clock& clk, http_factory make,
                           clients::upstream_observer observer)
    : cfg_(std::move(cfg)), clk_(clk), clients_(cfg_, clk_, std::move(make), std::move(observer)) {}

std::optional<workers::job_outcome> flow_service::ensure_tag(workers::job_context& ctx,
                                                             flow_checkpoint& cp, flow_clients& c,
                                                             std::string_view key,
                                                             const std::string& candidate_id,
                                                             const std::string& title) {
    if (cp.tag_done(key)) {
        return std::nullopt;
    }
    const bool was_cached = tags_.cached(title).has_value();
    auto id = tags_.id_for(c.ashby, title);
    if (!id) {
        ctx.audit("tag", "error", "candidateTag.create " + id.error().code);
        return outcome_for(id.error(), "ashby candidateTag.create");
    }
    auto added = c.ashby.add_tag(candidate_id, *id);
    if (!added && was_cached && added.error().code == "not_found") {
        // The cached tag may have been deleted in Ashby since: create-or-get it again.
        tags_.forget(title);
        id = tags_.id_for(c.ashby, title);
        if (!id) {
            ctx.audit("tag", "error", "candidateTag.create " + id.error().code);
            return outcome_for(id.error(), "ashby candidateTag.create");
        }
        added = c.ashby.add_tag(candidate_id, *id);
    }
    if (!added) {
        ctx.audit("tag", "error", "candidate.addTag " + added.error().code);
        return outcome_for(added.error(), "ashby candidate.addTag");
    }
    cp.set_tag(key, title);
    if (auto saved = cp.save(ctx); !saved) {
        return checkpoint_failed(saved.error());
    }
    ctx.audit("tag", "added", *id);
    log::info("flow_tag_added", {{"tag_id", *id}, {"step", key}});
    return std::nullopt;
}

std::optional<workers::job_outcome> flow_service::ensure_note(
    workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c, std::string_view key,
    const std::string& candidate_id, std::string_view ref, const std::string& html, bool notify) {
    const std::string state = cp.note_state(key);
    if (state == "done") {
        return std::nullopt;
    }
    if (state == "pending") {
        // An earlier attempt may have written it and died before recording it.
        auto notes = c.ashby.list_notes(candidate_id);
        if (!notes) {
            ctx.audit("note", "error", "candidate.listNotes " + notes.error().code);
            return outcome_for(notes.error(), "ashby candidate.listNotes");
        }
        const auto found = std::find_if(notes->begin(), notes->end(), [&](const auto& n) {
            return has_note_marker(n.content, ref);
        });
        if (found != notes->end()) {
            cp.set_note(key, "done", found->id);
            if (auto saved = cp.save(ctx); !saved) {
                return checkpoint_failed(saved.error());
            }
            ctx.audit("note", "found_existing", found->id);
            log::info("flow_note_found", {{"note_id", found->id}, {"step", key}});
            return std::nullopt;
        }
    } else {
        cp.set_note(key, "pending");
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
    }
    clients::ashby::note_request req;
    req.candidate_id = candidate_id;
    req.html = html;
    req.send_notifications = notify;
    if (cfg_.notes.is_private) {
        req.is_private = true;
    }
    auto id = c.ashby.create_note(req);
    if (!id) {
        ctx.audit("note", "error", "candidate.createNote " + id.error().code);
        return outcome_for(id.error(), "ashby candidate.createNote");
    }
    const std::string note_id = id->empty() ? "unknown" : *id;
    cp.set_note(key, "done", note_id);
    if (auto saved = cp.save(ctx); !saved) {
        return checkpoint_failed(saved.error());
    }
    ctx.audit("note", "written", note_id);
    log::info("flow_note_written", {{"note_id", note_id}, {"step", key}, {"notify", notify}});
    return std::nullopt;
}

workers::job_outcome flow_service::apply_decision(workers::job_context& ctx, flow_checkpoint& cp,
                                                  flow_clients& c, const decision_input& in) {
    ctx.log_field("application_id", in.application_id);
    ctx.log_field("candidate_id", in.candidate_id);
    ctx.log_field("eval_id", in.eval_id);
    const std::optional<std::string> tag = tag_for(cfg_.tags, in.flow, in.decision);
    if (tag) {
        if (auto stop = ensure_tag(ctx, cp, c, "decision", in.candidate_id, *tag)) {
            return *stop;
        }
    }

    decision_note note;
    note.flow_title =
        in.flow == config::flow_kind::screening ? "identity screening" : "document verification";
    note.decision = in.decision.empty() ? std::string("UNKNOWN") : in.decision;
    note.tag = tag;
    note.reasons = in.reasons;
    note.details = in.details;
    note.eval_id = in.eval_id;
    note.ref = in.ref;
    if (!in.eval_id.empty() && !in.workflow.empty()) {
        note.case_link = case_url(cfg_.riskos.case_url_base, in.workflow, in.eval_id);
    }
    const auto& notify_on = cfg_.notes.notify_on;
    const bool notify =
        std::find(notify_on.begin(), notify_on.end(), in.decision) != notify_on.end();
    if (auto stop = ensure_note(ctx, cp, c, "decision", in.candidate_id, in.ref,
                                render_decision_note(note), notify)) {
        return *stop;
    }

    if (!in.eval_id.empty()) {
        store::evaluation_record rec;
        if (auto existing = ctx.store().find_evaluation(in.eval_id); existing && *existing) {
            rec = **existing;
        } else {
            rec.eval_id = in.eval_id;
            rec.flow = config::to_string(in.flow);
            rec.application_id = in.application_id;
            rec.candidate_id = in.candidate_id;
            rec.job = ctx.current().id;
            rec.created_at = ctx.now_source().now();
        }
        rec.state = in.final_state.empty() ? std::string("completed") : in.final_state;
        rec.decision = in.decision;
        rec.updated_at = ctx.now_source().now();
        if (auto r = ctx.store().upsert_evaluation(rec); !r) {
            return workers::job_outcome::retry("evaluation not recorded: " +
                                               std::string(to_string(r.error().code)));
        }
    }
    ctx.audit("decision", "applied", in.decision + (tag ? " " + *tag : std::string{}));
    log::info("flow_decision_applied", {{"decision", in.decision}, {"tagged", tag.has_value()}});
    return workers::job_outcome::done(in.decision + (tag ? ": " + *tag : std::string{}));
}

}  // namespace riskbridge::flows
