#include "riskbridge/flows/finish_request.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "json_fields.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::flows {

namespace {

using detail::object_of;
using detail::reasons_json;
using detail::reasons_of;
using detail::text_of;
using nlohmann::json;

std::string hours_text(std::chrono::milliseconds d) {
    const auto h = std::chrono::duration_cast<std::chrono::hours>(d).count();
    if (h >= 1 && std::chrono::hours(h) == d) {
        return std::to_string(h) + (h == 1 ? " hour" : " hours");
    }
    const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count();
    return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

}  // namespace

std::string to_json_text(const finish_request& f) {
    json doc{{"eval_id", f.eval_id},   {"outcome", to_string(f.outcome)},
             {"source", f.source},     {"decision", f.decision},
             {"workflow", f.workflow}, {"reasons", reasons_json(f.reasons)},
             {"event_id", f.event_id}};
    if (f.docv) {
        json type = json::object();
        if (f.docv->document.type) {
            type["type"] = *f.docv->document.type;
        }
        if (f.docv->document.country) {
            type["country"] = *f.docv->document.country;
        }
        if (f.docv->document.state) {
            type["state"] = *f.docv->document.state;
        }
        doc["docv"] = {{"value", f.docv->decision_value},
                       {"name", f.docv->decision_name.value_or("")},
                       {"reason_codes", f.docv->reason_codes},
                       {"document_type", std::move(type)}};
    }
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<finish_request> parse_finish_request(std::string_view text) {
    const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || text_of(doc, "eval_id").empty()) {
        return std::nullopt;
    }
    finish_request f;
    f.eval_id = text_of(doc, "eval_id");
    const std::string outcome = text_of(doc, "outcome");
    f.outcome = outcome == "declined"  ? finish_outcome::declined
                : outcome == "expired" ? finish_outcome::expired
                : outcome == "failed"  ? finish_outcome::failed
                                       : finish_outcome::decision;
    f.source = text_of(doc, "source");
    f.decision = text_of(doc, "decision");
    f.workflow = text_of(doc, "workflow");
    f.event_id = text_of(doc, "event_id");
    if (const auto it = doc.find("reasons"); it != doc.end()) {
        f.reasons = reasons_of(*it);
    }
    if (const json* dv = object_of(doc, "docv")) {
        clients::riskos::docv_result r;
        r.decision_value = text_of(*dv, "value");
        r.decision = clients::riskos::parse_decision(r.decision_value);
        if (auto name = text_of(*dv, "name"); !name.empty()) {
            r.decision_name = name;
        }
        if (const auto it = dv->find("reason_codes"); it != dv->end() && it->is_array()) {
            for (const auto& c : *it) {
                if (c.is_string()) {
                    r.reason_codes.push_back(c.get<std::string>());
                }
            }
        }
        if (const json* t = object_of(*dv, "document_type")) {
            for (const auto& [key, field] :
                 {std::pair{"type", &r.document.type}, std::pair{"country", &r.document.country},
                  std::pair{"state", &r.document.state}}) {
                if (auto v = text_of(*t, key); !v.empty()) {
                    *field = v;
                }
            }
        }
        f.docv = std::move(r);
    }
    return f;
}

finish_request finish_from_evaluation(const clients::riskos::evaluation& e, std::string source) {
    finish_request f;
    f.eval_id = e.eval_id;
    f.outcome = finish_outcome::decision;
    f.source = std::move(source);
    f.workflow = e.workflow;
    if (!e.decision_text.empty()) {
        f.decision = to_upper(e.decision_text);
    } else if (e.docv_outcome && !e.docv_outcome->decision_value.empty()) {
        f.decision = to_upper(e.docv_outcome->decision_value);
    } else {
        f.decision = clients::riskos::to_string(e.decision);
    }
    f.reasons = top_reasons(e);
    if (e.docv_outcome) {
        f.docv = *e.docv_outcome;  // decision, reason codes, document type: no document data
    }
    return f;
}

std::string finish_job_key(std::string_view eval_id) {
    return "finish:" + std::string(eval_id);
}

result<store::job_id> enqueue_finish(store::job_queue& st, const finish_request& f,
                                     time_point now) {
    store::new_job j;
    j.kind = finish_evaluation_kind;
    j.payload = to_json_text(f);
    j.correlation_id = "eval:" + f.eval_id;
    j.unique_key = finish_job_key(f.eval_id);
    j.subject = f.eval_id;  // erasure finds it through the evaluation
    return st.add_job(j, now);
}

step<store::job_id> queue_finish(workers::job_context& ctx, const finish_request& f, time_point now,
                                 std::string_view audit_step) {
    auto id = enqueue_finish(ctx.queue(), f, now);
    if (!id) {
        return store_failed("finish not queued", id.error());
    }
    ctx.audit(audit_step, "finish_queued",
              std::string(to_string(f.outcome)) + " " + f.decision + ", finish job " +
                  std::to_string(*id));
    return *id;
}

std::vector<std::string> finish_note_details(const finish_request& f,
                                             std::chrono::milliseconds link_lifetime) {
    std::vector<std::string> out;
    switch (f.outcome) {
        case finish_outcome::declined:
            out.emplace_back(
                "The candidate declined the consent in the document capture app (Consent "
                "Declined): no documents were verified.");
            break;
        case finish_outcome::expired:
            if (f.source == "link_expired") {
                out.emplace_back("The document capture link expired (valid for " +
                                 hours_text(link_lifetime) +
                                 ") before any documents were verified.");
            } else {
                out.emplace_back(
                    "The document capture session expired (Session Expired) before any "
                    "documents were verified.");
            }
            break;
        case finish_outcome::failed:
            out.emplace_back(
                "RiskOS could not run the check (workflow_execution_failed): no decision was "
                "made. Look at the case in RiskOS, fix what it reports (often the candidate's "
                "data or the workflow's configuration), then run the check again.");
            break;
        case finish_outcome::decision:
            break;
    }
    if (f.docv) {
        if (!f.docv->decision_value.empty()) {
            out.push_back("Document verification result: " + f.docv->decision_value);
        }
        const auto& d = f.docv->document;
        if (d.type || d.country || d.state) {
            std::string where;
            for (const auto* part : {&d.country, &d.state}) {
                if (*part && !(*part)->empty()) {
                    where += where.empty() ? **part : ", " + **part;
                }
            }
            out.push_back("Document: " + d.type.value_or("unknown type") +
                          (where.empty() ? std::string{} : " (" + where + ")"));
        }
    }
    return out;
}

}  // namespace riskbridge::flows
