// The RiskOS simulator's decision rules (riskos_sim.hpp states them) and the evaluation
// documents they produce, shaped like the recorded sandbox answers in tests/fixtures/riskos.

#include "riskbridge/sim/riskos_sim.hpp"

#include "sim/riskos_model.hpp"

namespace riskbridge::sim {

namespace {

using detail::dump;
using detail::evaluation;
using detail::json;
using detail::text_at;

constexpr const char* sandbox_verify = "https://sandbox.socure.com/api/3.0/EmailAuthScore";
constexpr const char* doc_request_endpoint = "https://service.socure.com/api/5.0/documents/request";
constexpr const char* doc_verify_endpoint = "https://service.socure.com/api/5.0/documents/verify";
// A 1x1 PNG: the shape of the real qrCode, not a scannable code.
constexpr const char* qr_code_png =
    "data:image/png;base64, iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

json enrichment(const std::string& name, const std::string& provider, const std::string& endpoint,
                int status, json request, json response) {
    return json{{"enrichment_name", name},         {"enrichment_endpoint", endpoint},
                {"enrichment_provider", provider}, {"status_code", status},
                {"request", std::move(request)},   {"response", std::move(response)},
                {"is_source_cache", false},        {"total_attempts", 1}};
}

json module(std::vector<std::string> codes, const std::string& score_name, double score,
            const char* version) {
    return json{
        {"reasonCodes", codes},
        {"scores", json::array({{{"name", score_name}, {"score", score}, {"version", version}}})}};
}

json correlation(std::vector<std::string> codes, double score) {
    return json{{"reasonCodes", codes}, {"score", score}};
}

/// An enrichment that failed with its response JSON inside a string, as the sandbox does.
json failed_enrichment(const std::string& name, const std::string& module_name,
                       const std::string& reference, const json& request) {
    const json inner{
        {"status", "Error"},
        {"referenceId", reference},
        {"data",
         {{"parameters", json::array({"Missing required parameters for module: " + module_name})}}},
        {"msg",
         "Invalid request. Please check for missing required parameters and resubmit the "
         "transaction."}};
    return enrichment(name, "Socure", sandbox_verify, 400, request,
                      json{{"response", dump(inner)}});
}

enum class screening_rule { accept, review, reject, docv, no_email, no_phone };

json docv_request_enrichment(const evaluation& e, bool complete) {
    json response{{"referenceId", detail::uuid_from("ref:" + e.token)},
                  {"data",
                   {{"docvTransactionToken", e.token},
                    {"eventId", e.token},
                    {"qrCode", qr_code_png},
                    {"url", "https://verify.socure.com/#/dv/" + e.token}}}};
    if (complete) {
        response["status"] = "SESSION_COMPLETE";
    }
    const json& ind = e.request["data"]["individual"];
    json request{{"config", {{"sendMessage", true}, {"language", "en"}}},
                 {"firstName", text_at(ind, "given_name")},
                 {"surName", text_at(ind, "family_name")},
                 {"mobileNumber", text_at(ind, "phone_number")},
                 {"parentTxnId", e.eval_id}};
    return enrichment("Socure Document Request - Default Flow", "SocureDocRequest",
                      doc_request_endpoint, 200, request, response);
}

json screening_enrichments(const evaluation& e, screening_rule rule) {
    const json& ind = e.request["data"]["individual"];
    const std::string user = "ID_" + detail::uuid_from("user:" + e.request_id);
    json request{{"firstName", text_at(ind, "given_name")},
                 {"surName", text_at(ind, "family_name")},
                 {"email", text_at(ind, "email")},
                 {"mobileNumber", text_at(ind, "phone_number")},
                 {"parentTxnId", e.eval_id},
                 {"riskOSId", e.request_id},
                 {"userId", user},
                 {"workflow", e.workflow}};
    auto ref = [&](const char* what) { return detail::uuid_from(std::string(what) + e.eval_id); };
    const json profile{{"userId", user}};
    json list = json::array();

    if (rule == screening_rule::no_phone) {
        list.push_back(failed_enrichment("Socure Phone Risk", "PhoneRisk", ref("phone"), request));
    } else {
        const bool risky = rule == screening_rule::reject;
        list.push_back(enrichment(
            "Socure Phone Risk", "Socure", sandbox_verify, 200, request,
            {{"referenceId", ref("phone")},
             {"customerProfile", profile},
             {"phoneRisk",
              module({"I620", "I614"}, "RiskPhoneUS.V7__Uniform.V1", risky ? 0.62 : 0.01, "4.0")},
             {"namePhoneCorrelation", correlation({"I621", "I622", "I618"}, 0.99)}}));
    }
    if (rule == screening_rule::no_email) {
        list.push_back(failed_enrichment("Socure Email Risk", "EmailRisk", ref("email"), request));
    } else {
        const bool review = rule == screening_rule::review;
        list.push_back(enrichment(
            "Socure Email Risk", "Socure", sandbox_verify, 200, request,
            {{"referenceId", ref("email")},
             {"customerProfile", profile},
             {"emailRisk",
              review
                  ? module({"R551", "R561", "I555"}, "RiskEmailUS.V11__Uniform.V1", 0.89, "4.0")
                  : module({"I520", "I555", "I556"}, "RiskEmailUS.V11__Uniform.V1", 0.01, "4.0")},
             {"nameEmailCorrelation", correlation({"I558", "I556", "I557"}, 0.99)}}));
    }
    const bool reject = rule == screening_rule::reject;
    list.push_back(
        enrichment("Socure GraphIntelligence + Sigma Fraud", "Socure", sandbox_verify, 200, request,
                   {{"referenceId", ref("fraud")},
                    {"customerProfile", profile},
                    {"fraud", reject ? module({"R207", "R201", "I121"}, "sigma", 0.991, "4.1")
                                     : module({"I553", "I121", "I127"}, "sigma", 0.098, "4.1")}}));
    list.push_back(
        enrichment("Socure Sigma Synthetic", "Socure", sandbox_verify, 200, request,
                   {{"referenceId", ref("synthetic")},
                    {"customerProfile", profile},
                    {"synthetic", module({"I203", "I204"}, "synthetic", 0.052, "4.1")}}));
    return list;
}

json base_doc(const evaluation& e, const std::string& now) {
    return json{{"id", e.request_id},
                {"workflow", e.workflow},
                {"workflow_id", detail::uuid_from("workflow:" + e.workflow)},
                {"workflow_version", "1.0.0"},
                {"eval_source", "API"},
                {"eval_id", e.eval_id},
                {"eval_start_time", now},
                {"eval_end_time", now},
                {"decision_at", now},
                {"notes", ""},
                {"environment_name", "Sandbox"}};
}

void set_outcome(json& doc, const char* decision, const char* eval_status, const char* status,
                 const char* sub_status, json tags, json queues) {
    doc["decision"] = decision;
    doc["eval_status"] = eval_status;
    doc["status"] = status;
    doc["sub_status"] = sub_status;
    doc["tags"] = std::move(tags);
    doc["review_queues"] = std::move(queues);
}

}  // namespace

namespace detail {

std::vector<docv_step> docv_script(docv_outcome o) {
    auto notes = [](std::initializer_list<const char*> list) {
        std::vector<docv_step> out;
        for (const char* n : list) {
            out.push_back({false, n});
        }
        return out;
    };
    switch (o) {
        case docv_outcome::session_expired:
            return notes({"Process Initiated", "Session Expired"});
        case docv_outcome::consent_declined:
            return notes({"Process Initiated", "Capture App Opened", "Consent Declined"});
        default: {
            auto s = notes({"Process Initiated", "Capture App Opened", "Document Front Uploaded",
                            "Document Back Uploaded", "Document Selfie Uploaded",
                            "Documents Upload Successful", "Session Complete"});
            s.push_back({true, {}});
            return s;
        }
    }
}

}  // namespace detail

const char* to_string(docv_outcome o) noexcept {
    switch (o) {
        case docv_outcome::accept:
            return "accept";
        case docv_outcome::review:
            return "review";
        case docv_outcome::resubmit:
            return "resubmit";
        case docv_outcome::reject:
            return "reject";
        case docv_outcome::consent_declined:
            return "consent_declined";
        case docv_outcome::session_expired:
            return "session_expired";
    }
    return "accept";
}

docv_outcome docv_outcome_for(std::string_view email) {
    const std::string local = detail::email_local_part(email);
    struct keyword {
        const char* word;
        docv_outcome outcome;
    };
    static constexpr keyword keywords[] = {{"expire", docv_outcome::session_expired},
                                           {"decline", docv_outcome::consent_declined},
                                           {"reject", docv_outcome::reject},
                                           {"resubmit", docv_outcome::resubmit},
                                           {"review", docv_outcome::review}};
    std::size_t best = std::string::npos;
    docv_outcome chosen = docv_outcome::accept;
    for (const auto& k : keywords) {
        const auto at = local.find(k.word);
        if (at != std::string::npos && (best == std::string::npos || at < best)) {
            best = at;
            chosen = k.outcome;
        }
    }
    return chosen;
}

std::string riskos_simulator::impl::decision_time(eval_rec& e) const {
    using std::chrono::floor;
    time_point t = floor<milliseconds>(opt.clk != nullptr ? opt.clk->now() : system_clock().now());
    if (e.decided_at && t <= *e.decided_at) {
        t = *e.decided_at + milliseconds{1};
    }
    e.decided_at = t;
    return format_rfc3339(t);
}

void riskos_simulator::impl::decide(eval_rec& e) {
    const json& ind = e.request["data"]["individual"];
    const std::string email = text_at(ind, "email");
    const std::string phone = text_at(ind, "phone_number");
    const std::string local = detail::email_local_part(email);
    e.doc = base_doc(e, decision_time(e));
    const json queue = json::array({"Default Queue"});

    if (e.workflow == opt.docv_workflow) {
        e.docv = true;
    } else {
        screening_rule rule = screening_rule::accept;
        if (email.empty()) {
            rule = screening_rule::no_email;
        } else if (phone.empty()) {
            rule = screening_rule::no_phone;
        } else if (local.starts_with("review")) {
            rule = screening_rule::review;
        } else if (local.starts_with("reject")) {
            rule = screening_rule::reject;
        } else if (local.starts_with("docv")) {
            rule = screening_rule::docv;
        }
        json list = screening_enrichments(e, rule);
        switch (rule) {
            case screening_rule::accept:
                set_outcome(e.doc, "ACCEPT", "evaluation_completed", "CLOSED", "Accept",
                            json::array(), json::array());
                break;
            case screening_rule::review:
                set_outcome(e.doc, "REVIEW", "evaluation_completed", "ON_HOLD", "",
                            json::array({"Email Risk Review"}), queue);
                break;
            case screening_rule::reject:
                set_outcome(e.doc, "REJECT", "evaluation_completed", "CLOSED", "Reject",
                            json::array({"Sigma Identity Fraud Reject", "High Risk Individual"}),
                            json::array());
                break;
            case screening_rule::no_email:
                set_outcome(e.doc, "REJECT", "evaluation_completed", "CLOSED", "Reject",
                            json::array({"Email Risk Error", "Socure Fraud Suite Error"}),
                            json::array());
                break;
            case screening_rule::no_phone:
                set_outcome(e.doc, "REJECT", "evaluation_completed", "CLOSED", "Reject",
                            json::array({"Phone Risk Error", "Socure Fraud Suite Error"}),
                            json::array());
                break;
            case screening_rule::docv:
                e.docv = true;
                break;
        }
        e.doc["data_enrichments"] = std::move(list);
    }
    if (e.docv) {
        e.outcome = docv_outcome_for(email);
        e.steps = detail::docv_script(e.outcome);
        e.token = detail::uuid_from(std::to_string(opt.seed) + ":docv:" + e.eval_id);
        if (!e.doc.contains("data_enrichments")) {
            e.doc["data_enrichments"] = json::array();
        }
        e.doc["data_enrichments"].push_back(docv_request_enrichment(e, false));
        set_outcome(e.doc, "REVIEW", "evaluation_paused", "ON_HOLD", "",
                    json::array({"Document Verification Step Up"}), queue);
        e.doc["score"] = 11;
    }
}

void riskos_simulator::impl::complete(eval_rec& e) {
    const json& ind = e.request["data"]["individual"];
    const char* value = "accept";
    const char* decision = "ACCEPT";
    const char* status = "CLOSED";
    const char* sub = "Accept";
    std::vector<std::string> codes{"I831", "I836"};
    switch (e.outcome) {
        case docv_outcome::review:
            value = "review";
            decision = "REVIEW";
            status = "ON_HOLD";
            sub = "";
            codes = {"I831", "R831"};
            break;
        case docv_outcome::resubmit:
            value = "resubmit";
            decision = "RESUBMIT";
            status = "ON_HOLD";
            sub = "";
            codes = {"R810", "I831"};
            break;
        case docv_outcome::reject:
            value = "reject";
            decision = "REJECT";
            sub = "Reject";
            codes = {"R827", "R819"};
            break;
        default:
            break;
    }
    json list = json::array();
    for (auto& en : e.doc["data_enrichments"]) {
        if (text_at(en, "enrichment_provider") == "SocureDocRequest") {
            list.push_back(docv_request_enrichment(e, true));
        } else {
            list.push_back(en);
        }
    }
    const std::string given = text_at(ind, "given_name");
    const std::string family = text_at(ind, "family_name");
    list.push_back(enrichment(
        "Socure Document Verification", "Socure", doc_verify_endpoint, 200,
        json{{"docvTransactionToken", e.token}, {"parentTxnId", e.eval_id}},
        {{"referenceId", detail::uuid_from("docv-ref:" + e.eval_id)},
         {"documentVerification",
          {{"decision", {{"name", "standard"}, {"value", value}}},
           {"reasonCodes", codes},
           {"documentType", {{"type", "Drivers License"}, {"country", "USA"}, {"state", "NY"}}},
           {"documentData",
            {{"firstName", given},
             {"surName", family},
             {"fullName", given + " " + family},
             {"dob", "1990-01-01"},
             {"documentNumber", "SIM" + e.token.substr(0, 7)},
             {"expirationDate", "2030-01-01"}}}}}}));
    e.doc["data_enrichments"] = std::move(list);
    const std::string now = decision_time(e);
    e.doc["eval_end_time"] = now;
    e.doc["decision_at"] = now;
    e.doc.erase("score");
    set_outcome(e.doc, decision, "evaluation_completed", status, sub, json::array(),
                e.doc["review_queues"]);
}

}  // namespace riskbridge::sim
