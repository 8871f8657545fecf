// The service (flow_service.hpp): construction, handler registration, and the steps that write
// to Ashby exactly once: tag, note, decision, the end of an evaluation and the DocV status.

#include "riskbridge/flows/flow_service.hpp"

#include <algorithm>

#include "riskbridge/flows/request_ids.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::flows {

using nlohmann::json;

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
    registry.add(revise_decision_kind, [service](workers::job_context& ctx) {
        return service->run_revise_decision(ctx);
    });
    registry.add(docv_reminder_kind,
                 [service](workers::job_context& ctx) { return service->run_docv_reminder(ctx); });
}

step<void> flow_service::ensure_tag(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                                    std::string_view key, const std::string& candidate_id,
                                    const std::string& title) {
    if (cp.tag_done(key)) {
        return {};
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
    return {};
}

step<void> flow_service::ensure_untag(workers::job_context& ctx, flow_checkpoint& cp,
                                      flow_clients& c, std::string_view key,
                                      const std::string& candidate_id, const std::string& title) {
    const std::string done_key = "untag_" + std::string(key);
    if (cp.text(done_key) == title) {
        return {};
    }
    // Create-or-get: the tag exists (it was added), and removing a tag the candidate does not
    // have succeeds, so a retry after a crash is harmless.
    auto id = tags_.id_for(c.ashby, title);
    if (!id) {
        ctx.audit("untag", "error", "candidateTag.create " + id.error().code);
        return outcome_for(id.error(), "ashby candidateTag.create");
    }
    auto removed = c.ashby.remove_tag(candidate_id, *id);
    if (!removed) {
        ctx.audit("untag", "error", "candidate.removeTag " + removed.error().code);
        return outcome_for(removed.error(), "ashby candidate.removeTag");
    }
    cp.doc()[done_key] = title;
    if (auto saved = cp.save(ctx); !saved) {
        return checkpoint_failed(saved.error());
    }
    ctx.audit("tag", "removed", *id);
    log::info("flow_tag_removed", {{"tag_id", *id}, {"step", key}});
    return {};
}

step<void> flow_service::ensure_fraud_status(workers::job_context& ctx, flow_checkpoint& cp,
                                             flow_clients& c, const std::string& candidate_id,
                                             std::string_view decision) {
    const auto& mapping = cfg_.ashby.fraud_status;
    if (mapping.empty() || fraud_status_off_.load(std::memory_order_acquire)) {
        return {};
    }
    const auto it = mapping.find(std::string(decision));
    if (it == mapping.end() || cp.text("fraud_status") == it->second) {
        return {};
    }
    auto set = c.ashby.set_fraud_status(candidate_id, it->second);
    if (!set) {
        ctx.audit("fraud_status", "error", "candidate.setFraudStatus " + set.error().code);
        if (set.error().transient) {
            return outcome_for(set.error(), "ashby candidate.setFraudStatus");
        }
        // Fraud Detection off, a key without the permission, a value Ashby refuses: the same
        // answer for every candidate. Logged once; the mapping stays off until a restart.
        if (!fraud_status_off_.exchange(true)) {
            log::error("fraud_status_disabled",
                       {{"error", set.error().code},
                        {"http_status", static_cast<long long>(set.error().status)}});
        }
        return {};
    }
    cp.doc()["fraud_status"] = it->second;
    if (auto saved = cp.save(ctx); !saved) {
        return checkpoint_failed(saved.error());
    }
    ctx.audit("fraud_status", "set", it->second);
    log::info("fraud_status_set", {{"fraud_status", it->second}});
    return {};
}

step<void> flow_service::ensure_note(workers::job_context& ctx, flow_checkpoint& cp,
                                     flow_clients& c, std::string_view key,
                                     const std::string& candidate_id, std::string_view ref,
                                     const std::string& html, bool notify) {
    const std::string state = cp.note_state(key);
    if (state == "done") {
        return {};
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
            return {};
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
    return {};
}

workers::job_outcome flow_service::apply_decision(workers::job_context& ctx, flow_checkpoint& cp,
                                                  flow_clients& c, const decision_input& in) {
    ctx.log_field("application_id", in.application_id);
    ctx.log_field("candidate_id", in.candidate_id);
    ctx.log_field("eval_id", in.eval_id);
    const std::optional<std::string> tag = tag_for(cfg_.tags, in.flow, in.decision);
    if (!in.previous_decision.empty() && in.previous_decision != in.decision) {
        // A rerun's decision replaces the one written before: its tag goes, unless the new
        // decision has the same tag.
        const auto old_tag = tag_for(cfg_.tags, in.flow, in.previous_decision);
        if (old_tag && old_tag != tag) {
            if (auto removed = ensure_untag(ctx, cp, c, "decision", in.candidate_id, *old_tag);
                !removed) {
                return removed.error();
            }
        }
    }
    if (tag) {
        if (auto tagged = ensure_tag(ctx, cp, c, "decision", in.candidate_id, *tag); !tagged) {
            return tagged.error();
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
    if (auto written = ensure_note(ctx, cp, c, "decision", in.candidate_id, in.ref,
                                   render_decision_note(note), notify);
        !written) {
        return written.error();
    }
    if (auto fraud = ensure_fraud_status(ctx, cp, c, in.candidate_id, in.decision); !fraud) {
        return fraud.error();
    }

    if (!in.eval_id.empty()) {
        store::evaluation_record rec;
        if (auto existing = ctx.evaluations().find_evaluation(in.eval_id); existing && *existing) {
            rec = **existing;
        } else {
            rec = new_evaluation_record(in.eval_id, in.flow, in.application_id, in.candidate_id,
                                        ctx.current().id);
            rec.created_at = ctx.now_source().now();
        }
        rec.state = in.final_state;
        rec.decision = in.decision;
        rec.updated_at = ctx.now_source().now();
        if (auto r = ctx.evaluations().upsert_evaluation(rec); !r) {
            return store_failed("evaluation not recorded", r.error());
        }
    }
    ctx.audit("decision", "applied", in.decision + (tag ? " " + *tag : std::string{}));
    log::info("flow_decision_applied", {{"decision", in.decision}, {"tagged", tag.has_value()}});
    return workers::job_outcome::done(in.decision + (tag ? ": " + *tag : std::string{}));
}

workers::job_outcome flow_service::finish(workers::job_context& ctx, flow_checkpoint& cp,
                                          flow_clients& c, const store::evaluation_record& rec,
                                          const finish_request& f) {
    const config::flow_kind flow =
        config::parse_flow(rec.flow).value_or(config::flow_kind::screening);
    if (f.outcome == finish_outcome::failed) {
        return finish_failed(ctx, cp, c, rec, f, flow);
    }
    if (auto reissued = reissue_capture(ctx, cp, c, rec, f)) {
        return std::move(*reissued);
    }
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
    if (!rec.decision.empty() && rec.decision != in.decision) {
        // A rerun's record carries the decision written for the evaluation it replaces.
        in.previous_decision = rec.decision;
        in.ref = note_ref(flow, rec.application_id, "decision-" + rec.eval_id);
        in.details.insert(in.details.begin(),
                          "A reviewer ran the check again in RiskOS: the decision was " +
                              rec.decision + " before.");
    }
    workers::job_outcome out = apply_decision(ctx, cp, c, in);
    if (out.what != workers::job_outcome::kind::done) {
        return out;
    }
    store::evaluation_record finished = rec;
    finished.state = in.final_state;
    finished.decision = in.decision;
    const verification_status status = f.outcome == finish_outcome::decision
                                           ? status_for_decision(in.decision)
                                           : verification_status::failed;
    if (auto pushed = push_status(ctx, cp, c, finished, status); !pushed) {
        return pushed.error();
    }
    log::info("evaluation_finished", {{"eval_id", rec.eval_id},
                                      {"flow", rec.flow},
                                      {"outcome", to_string(f.outcome)},
                                      {"source", f.source},
                                      {"decision", in.decision}});
    return out;
}

workers::job_outcome flow_service::finish_failed(workers::job_context& ctx, flow_checkpoint& cp,
                                                 flow_clients& c,
                                                 const store::evaluation_record& rec,
                                                 const finish_request& f, config::flow_kind flow) {
    const std::string workflow = !f.workflow.empty() ? f.workflow
                                 : flow == config::flow_kind::screening
                                     ? cfg_.riskos.screening_workflow
                                     : cfg_.riskos.document_verification_workflow;
    const std::string ref = note_ref(flow, rec.application_id, "failed-" + rec.eval_id);
    const std::string title =
        flow == config::flow_kind::screening ? "identity screening" : "document verification";
    if (auto written = ensure_note(
            ctx, cp, c, "failed", rec.candidate_id, ref,
            render_notice_note(
                title + " could not run", finish_note_details(f, cfg_.riskos.docv.link_lifetime),
                case_url(cfg_.riskos.case_url_base, workflow, rec.eval_id), rec.eval_id, ref),
            false);
        !written) {
        return written.error();
    }
    store::evaluation_record failed = rec;
    failed.state = store::evaluation_state::failed;
    failed.updated_at = ctx.now_source().now();
    if (auto r = ctx.evaluations().upsert_evaluation(failed); !r) {
        return store_failed("evaluation not recorded", r.error());
    }
    if (auto pushed = push_status(ctx, cp, c, failed, verification_status::failed); !pushed) {
        return pushed.error();
    }
    ctx.audit("decision", "failed", "workflow_execution_failed");
    log::warn("evaluation_failed",
              {{"eval_id", rec.eval_id}, {"flow", rec.flow}, {"source", f.source}});
    // Dead with the reason: `jobs list --state dead` and the dead-job metrics show it.
    return workers::job_outcome::fail(
        "workflow_execution_failed: RiskOS could not run the workflow for evaluation " +
        rec.eval_id);
}

step<void> flow_service::push_status(workers::job_context& ctx, flow_checkpoint& cp,
                                     flow_clients& c, const store::evaluation_record& rec,
                                     verification_status status) {
    const auto& field = cfg_.ashby.status_custom_field;
    if (!field || field->empty() || rec.candidate_id.empty() ||
        rec.flow != config::to_string(config::flow_kind::document_verification)) {
        return {};
    }
    const auto write = [&](verification_status s) -> step<void> {
        const std::string value = to_string(s);
        if (cp.text("status") == value) {
            return {};
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
            return {};
        }
        cp.doc()["status"] = value;
        if (auto saved = cp.save(ctx); !saved) {
            return checkpoint_failed(saved.error());
        }
        ctx.audit("status", value);
        log::info("status_written", {{"status", value}});
        return {};
    };
    // The final status of the record, when it has one now.
    const auto final_now = [&]() -> std::optional<verification_status> {
        auto found = ctx.evaluations().find_evaluation(rec.eval_id);
        if (!found || !*found) {
            return std::nullopt;
        }
        const auto s = status_for_record(**found);
        return s && is_final_status(*s) ? s : std::nullopt;
    };

    if (!is_final_status(status)) {
        // Once the evaluation is deciding or finished, the finish job writes the final status.
        auto found = ctx.evaluations().find_evaluation(rec.eval_id);
        if (found && *found && !is_waiting_state((*found)->state)) {
            return {};
        }
    }
    if (auto written = write(status); !written) {
        return written;
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
    return {};
}

}  // namespace riskbridge::flows
