#include "riskbridge/sim/riskos_sim.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/observability/log.hpp"
#include "sim/common.hpp"

namespace riskbridge::sim {

namespace {

using detail::dump;
using detail::json;
using detail::json_response;

constexpr const char* sandbox_verify = "https://sandbox.socure.com/api/3.0/EmailAuthScore";
constexpr const char* doc_request_endpoint = "https://service.socure.com/api/5.0/documents/request";
constexpr const char* doc_verify_endpoint = "https://service.socure.com/api/5.0/documents/verify";
// A 1x1 PNG: the shape of the real qrCode, not a scannable code.
constexpr const char* qr_code_png =
    "data:image/png;base64, iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

std::string text_at(const json& obj, const char* key) {
    if (!obj.is_object()) {
        return {};
    }
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

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

bool starts_with(std::string_view s, std::string_view p) {
    return s.rfind(p, 0) == 0;
}

enum class screening_rule { accept, review, reject, docv, no_email, no_phone };

struct step {
    bool completion = false;
    std::string notes;
};

std::vector<step> script_for(docv_outcome o) {
    auto notes = [](std::initializer_list<const char*> list) {
        std::vector<step> out;
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

}  // namespace

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

struct riskos_simulator::impl {
    struct eval_rec {
        std::string eval_id;
        std::string request_id;
        std::string workflow;
        json request;
        json doc;
        bool docv = false;
        docv_outcome outcome = docv_outcome::accept;
        std::vector<step> steps;
        std::size_t next_step = 0;
        std::string token;
    };

    /// One event ready to send.
    struct outgoing {
        webhook_delivery record;
        std::string body;
        std::string url;
        std::string bearer;
    };

    explicit impl(riskos_sim_options o)
        : opt(std::move(o)),
          host("riskos", opt.host, opt.port, opt.threads, opt.seed),
          ids(opt.seed * 104729 + 3) {}

    riskos_sim_options opt;
    detail::sim_host host;
    detail::id_source ids;

    mutable std::mutex mu;
    mutable std::condition_variable delivered_cv;
    std::map<std::string, eval_rec> evals;
    std::map<std::string, std::string> by_request;
    std::vector<std::string> order;
    std::vector<webhook_delivery> deliveries;
    std::string webhook_url;
    std::string webhook_bearer;

    std::unique_ptr<detail::scheduler> outbox;
    std::unique_ptr<clients::http_client> outbox_client;  // used on the outbox thread only

    std::string now_text() const {
        return format_rfc3339(opt.clk != nullptr ? opt.clk->now() : system_clock().now());
    }

    // ---- documents --------------------------------------------------------------------

    json docv_request_enrichment(const eval_rec& e, bool complete) const {
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

    json screening_enrichments(const eval_rec& e, screening_rule rule) const {
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
        auto ref = [&](const char* what) {
            return detail::uuid_from(std::string(what) + e.eval_id);
        };
        const json profile{{"userId", user}};
        json list = json::array();

        if (rule == screening_rule::no_phone) {
            list.push_back(
                failed_enrichment("Socure Phone Risk", "PhoneRisk", ref("phone"), request));
        } else {
            const bool risky = rule == screening_rule::reject;
            list.push_back(enrichment(
                "Socure Phone Risk", "Socure", sandbox_verify, 200, request,
                {{"referenceId", ref("phone")},
                 {"customerProfile", profile},
                 {"phoneRisk", module({"I620", "I614"}, "RiskPhoneUS.V7__Uniform.V1",
                                      risky ? 0.62 : 0.01, "4.0")},
                 {"namePhoneCorrelation", correlation({"I621", "I622", "I618"}, 0.99)}}));
        }
        if (rule == screening_rule::no_email) {
            list.push_back(
                failed_enrichment("Socure Email Risk", "EmailRisk", ref("email"), request));
        } else {
            const bool review = rule == screening_rule::review;
            list.push_back(enrichment(
                "Socure Email Risk", "Socure", sandbox_verify, 200, request,
                {{"referenceId", ref("email")},
                 {"customerProfile", profile},
                 {"emailRisk", review ? module({"R551", "R561", "I555"},
                                               "RiskEmailUS.V11__Uniform.V1", 0.89, "4.0")
                                      : module({"I520", "I555", "I556"},
                                               "RiskEmailUS.V11__Uniform.V1", 0.01, "4.0")},
                 {"nameEmailCorrelation", correlation({"I558", "I556", "I557"}, 0.99)}}));
        }
        const bool reject = rule == screening_rule::reject;
        list.push_back(enrichment(
            "Socure GraphIntelligence + Sigma Fraud", "Socure", sandbox_verify, 200, request,
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

    json base_doc(const eval_rec& e) const {
        const std::string now = now_text();
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

    static void set_outcome(json& doc, const char* decision, const char* eval_status,
                            const char* status, const char* sub_status, json tags, json queues) {
        doc["decision"] = decision;
        doc["eval_status"] = eval_status;
        doc["status"] = status;
        doc["sub_status"] = sub_status;
        doc["tags"] = std::move(tags);
        doc["review_queues"] = std::move(queues);
    }

    /// Builds the first document of a new evaluation from the rules.
    void decide(eval_rec& e) {
        const json& ind = e.request["data"]["individual"];
        const std::string email = text_at(ind, "email");
        const std::string phone = text_at(ind, "phone_number");
        const std::string local = detail::email_local_part(email);
        e.doc = base_doc(e);
        const json queue = json::array({"Default Queue"});

        if (e.workflow == opt.docv_workflow) {
            e.docv = true;
        } else {
            screening_rule rule = screening_rule::accept;
            if (email.empty()) {
                rule = screening_rule::no_email;
            } else if (phone.empty()) {
                rule = screening_rule::no_phone;
            } else if (starts_with(local, "review")) {
                rule = screening_rule::review;
            } else if (starts_with(local, "reject")) {
                rule = screening_rule::reject;
            } else if (starts_with(local, "docv")) {
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
                    set_outcome(
                        e.doc, "REJECT", "evaluation_completed", "CLOSED", "Reject",
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
            e.steps = script_for(e.outcome);
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

    /// The final document of a DocV evaluation (under mu).
    void complete(eval_rec& e) {
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
        const std::string now = now_text();
        e.doc["eval_end_time"] = now;
        e.doc["decision_at"] = now;
        e.doc.erase("score");
        set_outcome(e.doc, decision, "evaluation_completed", status, sub, json::array(),
                    e.doc["review_queues"]);
    }

    // ---- API --------------------------------------------------------------------------

    http::response api(const http::request& req) {
        const auto auth = req.header("Authorization");
        const auto is_bearer = [](std::string_view v) {
            return v.size() > 7 &&
                   std::equal(v.begin(), v.begin() + 7, "bearer ", [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) == b;
                   });
        };
        if (!auth || !is_bearer(*auth) || auth->substr(7) != opt.api_key) {
            return http::json_error(401, "unauthorized", "missing or invalid bearer token");
        }
        const std::string_view path = req.path();
        if (path == "/api/evaluation") {
            if (req.method != "POST") {
                return http::json_error(405, "method_not_allowed", "POST a new evaluation");
            }
            return start_evaluation(req.body);
        }
        if (starts_with(path, "/api/evaluation/")) {
            if (req.method != "GET") {
                return http::json_error(405, "method_not_allowed", "GET an evaluation");
            }
            const std::string id(path.substr(std::string_view("/api/evaluation/").size()));
            std::lock_guard lock(mu);
            auto it = evals.find(id);
            if (it == evals.end()) {
                return http::json_error(404, "not_found", "no evaluation with this eval_id");
            }
            return json_response(200, it->second.doc);
        }
        return http::json_error(404, "not_found", "no such endpoint in the simulator");
    }

    http::response start_evaluation(const std::string& body_text) {
        json body = json::parse(body_text, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            return http::json_error(400, "invalid_request", "the body is not a JSON object");
        }
        const std::string request_id = text_at(body, "id");
        const std::string workflow = text_at(body, "workflow");
        const auto data = body.find("data");
        if (request_id.empty() || workflow.empty() || data == body.end() || !data->is_object() ||
            !data->contains("individual") || !(*data)["individual"].is_object()) {
            return http::json_error(400, "invalid_request",
                                    "id, workflow and data.individual are required");
        }
        bool schedule = false;
        std::string eval_id;
        http::response answer;
        {
            std::lock_guard lock(mu);
            if (auto seen = by_request.find(request_id); seen != by_request.end()) {
                const eval_rec& e = evals[seen->second];
                log::info("sim_riskos_rerun", {{"eval_id", e.eval_id}});
                return json_response(
                    text_at(e.doc, "eval_status") == "evaluation_completed" ? 200 : 201, e.doc);
            }
            eval_rec e;
            e.request_id = request_id;
            e.workflow = workflow;
            e.eval_id = detail::uuid_from(std::to_string(opt.seed) + ":eval:" + request_id);
            e.request = std::move(body);
            decide(e);
            eval_id = e.eval_id;
            schedule = e.docv && opt.docv_auto_delay.has_value();
            answer = json_response(e.docv ? 201 : 200, e.doc);
            log::info("sim_riskos_evaluation", {{"eval_id", e.eval_id},
                                                {"decision", text_at(e.doc, "decision")},
                                                {"eval_status", text_at(e.doc, "eval_status")}});
            by_request[request_id] = eval_id;
            order.push_back(eval_id);
            evals.emplace(eval_id, std::move(e));
        }
        if (schedule) {
            outbox->post_after(*opt.docv_auto_delay,
                               [this, eval_id] { auto_step(eval_id, std::nullopt, 1); });
        }
        return answer;
    }

    // ---- DocV webhooks ----------------------------------------------------------------

    /// Takes the next step of the evaluation's capture; nullopt when nothing is left.
    std::optional<outgoing> claim(const std::string& eval_id) {
        std::lock_guard lock(mu);
        auto it = evals.find(eval_id);
        if (it == evals.end() || !it->second.docv ||
            it->second.next_step >= it->second.steps.size()) {
            return std::nullopt;
        }
        eval_rec& e = it->second;
        const step s = e.steps[e.next_step++];
        outgoing out;
        out.url = webhook_url;
        out.bearer = webhook_bearer;
        out.record.eval_id = e.eval_id;
        out.record.event_id = ids.next();
        const std::string now = now_text();
        if (s.completion) {
            complete(e);
            out.record.event_type = "evaluation_completed";
            out.body = dump(json{{"event_type", "evaluation_completed"},
                                 {"event_id", out.record.event_id},
                                 {"event_at", now},
                                 {"data", e.doc}});
        } else {
            out.record.event_type = "case_notes_added";
            out.record.notes = s.notes;
            out.body = dump(json{{"data",
                                  {{"attachments", nullptr},
                                   {"environment_name", "Sandbox"},
                                   {"eval_id", e.eval_id},
                                   {"id", e.request_id},
                                   {"notes", s.notes},
                                   {"reviewer_id", "Webhook"},
                                   {"updated_at", now},
                                   {"workflow", e.workflow}}},
                                 {"event_at", now},
                                 {"event_id", out.record.event_id},
                                 {"event_type", "case_notes_added"}});
        }
        return out;
    }

    static std::unique_ptr<clients::http_client> make_sender() {
        clients::curl_options o;
        o.connect_timeout = std::chrono::milliseconds{2'000};
        o.total_timeout = std::chrono::milliseconds{10'000};
        o.user_agent = "riskbridge-sim-riskos";
        return clients::make_curl_client(o);
    }

    static void deliver(clients::http_client& client, outgoing& o) {
        ++o.record.attempts;
        if (o.url.empty()) {
            o.record.error = "no webhook target configured";
            return;
        }
        clients::http_call c;
        c.method = clients::http_method::post;
        c.url = o.url;
        c.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + o.bearer}};
        c.body = o.body;
        auto r = client.send(c);
        if (r) {
            o.record.http_status = r->status;
            o.record.error =
                (r->status >= 200 && r->status <= 299) ? "" : "HTTP " + std::to_string(r->status);
        } else {
            o.record.http_status = 0;
            o.record.error = r.error().message;
        }
    }

    void record(const webhook_delivery& d) {
        log::info("sim_riskos_webhook", {{"eval_id", d.eval_id},
                                         {"event_type", d.event_type},
                                         {"event_id", d.event_id},
                                         {"status", d.http_status},
                                         {"attempts", d.attempts}});
        {
            std::lock_guard lock(mu);
            deliveries.push_back(d);
        }
        delivered_cv.notify_all();
    }

    /// One step of an automatic capture, on the outbox thread.
    void auto_step(const std::string& eval_id, std::optional<outgoing> pending, int attempt) {
        if (!outbox_client) {
            outbox_client = make_sender();
        }
        std::optional<outgoing> o = pending ? std::move(pending) : claim(eval_id);
        if (!o) {
            return;
        }
        deliver(*outbox_client, *o);
        if (!o->record.delivered() && !o->url.empty() && attempt < opt.webhook_attempts) {
            outbox->post_after(opt.webhook_retry_delay,
                               [this, eval_id, again = std::move(*o), attempt]() mutable {
                                   auto_step(eval_id, std::move(again), attempt + 1);
                               });
            return;
        }
        record(o->record);
        outbox->post_after(opt.docv_step_interval,
                           [this, eval_id] { auto_step(eval_id, std::nullopt, 1); });
    }

    std::vector<webhook_delivery> run_now(const std::string& eval_id) {
        std::vector<webhook_delivery> out;
        std::unique_ptr<clients::http_client> client;
        while (auto o = claim(eval_id)) {
            if (!client) {
                client = make_sender();
            }
            deliver(*client, *o);
            record(o->record);
            out.push_back(o->record);
        }
        return out;
    }

    std::string state() const {
        json list = json::array();
        json sent = json::array();
        {
            std::lock_guard lock(mu);
            for (const auto& id : order) {
                const eval_rec& e = evals.at(id);
                json item{{"eval_id", e.eval_id},
                          {"id", e.request_id},
                          {"workflow", e.workflow},
                          {"decision", text_at(e.doc, "decision")},
                          {"eval_status", text_at(e.doc, "eval_status")},
                          {"case_url", opt.case_url_base + "/" + e.workflow + "/" + e.eval_id}};
                if (e.docv) {
                    item["docv_outcome"] = to_string(e.outcome);
                    item["docv_steps_sent"] = e.next_step;
                    item["docv_steps_total"] = e.steps.size();
                }
                list.push_back(std::move(item));
            }
            for (const auto& d : deliveries) {
                sent.push_back({{"event_type", d.event_type},
                                {"event_id", d.event_id},
                                {"eval_id", d.eval_id},
                                {"notes", d.notes},
                                {"http_status", d.http_status},
                                {"error", d.error},
                                {"attempts", d.attempts}});
            }
        }
        json calls = json::object();
        for (const auto& [k, n] : host.call_counts()) {
            calls[k] = n;
        }
        return dump(json{{"evaluations", list},
                         {"webhooks", sent},
                         {"calls", calls},
                         {"faults", json::parse(host.faults().to_json_text(), nullptr, false)}},
                    2);
    }

    bool control(const http::request& req, const http::respond_fn& respond) {
        const std::string_view path = req.path();
        if (path == "/_sim/state" && req.method == "GET") {
            http::response r;
            r.body = state();
            respond(std::move(r));
            return true;
        }
        if (starts_with(path, "/_sim/docv/") && req.method == "POST") {
            const std::string eval_id(path.substr(std::string_view("/_sim/docv/").size()));
            bool known = false;
            {
                std::lock_guard lock(mu);
                auto it = evals.find(eval_id);
                known = it != evals.end() && it->second.docv;
            }
            if (!known) {
                respond(http::json_error(404, "not_found", "no DocV evaluation with this eval_id"));
                return true;
            }
            outbox->post([this, eval_id] { auto_step(eval_id, std::nullopt, 1); });
            respond(json_response(202, json{{"status", "capture started"}, {"eval_id", eval_id}}));
            return true;
        }
        return false;
    }
};

riskos_simulator::riskos_simulator(riskos_sim_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
    impl_->webhook_url = impl_->opt.webhook_url;
    impl_->webhook_bearer = impl_->opt.webhook_bearer;
}

riskos_simulator::~riskos_simulator() {
    stop();
}

result<void> riskos_simulator::start() {
    impl_->outbox = std::make_unique<detail::scheduler>();
    detail::host_handlers h;
    h.key = [](const http::request& r) {
        const std::string_view p = r.path();
        if (p == "/api/evaluation" || starts_with(p, "/api/evaluation/")) {
            return r.method + " /api/evaluation";
        }
        return (r.method.size() <= 8 ? r.method : std::string("?")) + " " +
               std::string(p.substr(0, 64));
    };
    h.api = [this](const http::request& r) { return impl_->api(r); };
    h.control = [this](const http::request& r, const http::respond_fn& respond) {
        return impl_->control(r, respond);
    };
    return impl_->host.start(std::move(h));
}

void riskos_simulator::stop() {
    if (impl_->outbox) {
        impl_->outbox->stop();  // a capture still running stops where it is
    }
    impl_->host.stop();
}

std::uint16_t riskos_simulator::port() const {
    return impl_->host.port();
}
std::string riskos_simulator::base_url() const {
    return impl_->host.base_url();
}
const riskos_sim_options& riskos_simulator::options() const {
    return impl_->opt;
}

void riskos_simulator::set_webhook_target(const std::string& url, const std::string& bearer) {
    std::lock_guard lock(impl_->mu);
    impl_->webhook_url = url;
    impl_->webhook_bearer = bearer;
}

std::optional<std::string> riskos_simulator::eval_id_for(const std::string& request_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->by_request.find(request_id);
    return it == impl_->by_request.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::vector<std::string> riskos_simulator::eval_ids() const {
    std::lock_guard lock(impl_->mu);
    return impl_->order;
}

std::optional<std::string> riskos_simulator::evaluation_json(const std::string& eval_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->evals.find(eval_id);
    return it == impl_->evals.end() ? std::nullopt
                                    : std::optional<std::string>(dump(it->second.doc));
}

std::optional<std::string> riskos_simulator::request_json(const std::string& eval_id) const {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->evals.find(eval_id);
    return it == impl_->evals.end() ? std::nullopt
                                    : std::optional<std::string>(dump(it->second.request));
}

int riskos_simulator::calls(const std::string& endpoint) const {
    return impl_->host.calls(endpoint);
}

std::vector<webhook_delivery> riskos_simulator::run_docv(const std::string& eval_id) {
    return impl_->run_now(eval_id);
}

bool riskos_simulator::complete_silently(const std::string& eval_id) {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->evals.find(eval_id);
    if (it == impl_->evals.end() || !it->second.docv) {
        return false;
    }
    impl::eval_rec& e = it->second;
    if (e.steps.empty() || !e.steps.back().completion || e.next_step >= e.steps.size()) {
        return false;
    }
    e.next_step = e.steps.size();
    impl_->complete(e);
    return true;
}

std::vector<webhook_delivery> riskos_simulator::deliveries() const {
    std::lock_guard lock(impl_->mu);
    return impl_->deliveries;
}

bool riskos_simulator::wait_for_deliveries(std::size_t count, milliseconds timeout) const {
    std::unique_lock lock(impl_->mu);
    return impl_->delivered_cv.wait_for(lock, timeout,
                                        [&] { return impl_->deliveries.size() >= count; });
}

std::string riskos_simulator::state_json() const {
    return impl_->state();
}

fault_injector& riskos_simulator::faults() {
    return impl_->host.faults();
}

}  // namespace riskbridge::sim
