#pragma once

// In-memory Ashby and RiskOS behind the http_client seam, for the flow tests: enough of both
// APIs for the screening and DocV flows (GET /api/evaluation and customField.setValues too),
// call counting, and scripted faults per endpoint (an HTTP error before any effect, a lost
// reply after the effect, or a "crash": an exception thrown after the effect, as if the
// process died before it could record what it did).

#include <algorithm>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/flows/client_pool.hpp"
#include "support/paths.hpp"

namespace riskbridge::flows::testing {

using nlohmann::json;

struct simulated_crash : std::runtime_error {
    simulated_crash() : std::runtime_error("simulated crash") {}
};

struct fault {
    enum class kind { status_before, lost_reply, crash_after };
    fault(kind k, long s = 503, std::optional<std::string> after = std::nullopt)
        : what(k), status(s), retry_after(std::move(after)) {}
    kind what;
    long status;
    std::optional<std::string> retry_after;
};

struct written_note {
    std::string id;
    std::string candidate_id;
    std::string content;
    bool notify = false;
};

inline json fixture_body(const std::string& name) {
    std::ifstream in(riskbridge::testing::fixtures_dir() + "/riskos/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str())["body"];
}

class fake_world {
public:
    fake_world() {
        add_candidate("cand-1", "Ada Lovelace", "accept.ada@example.com", "+1 415 555 0101");
        add_application("app-1", "cand-1", "true");
        riskos_answer(200, fixture_body("happy_path__accept.json"));
    }

    void add_candidate(const std::string& id, const std::string& name, const std::string& email,
                       const std::string& phone) {
        json c{{"id", id},
               {"name", name},
               {"emailAddresses", json::array()},
               {"phoneNumbers", json::array()},
               {"customFields", json::array()},
               {"tags", json::array()}};
        if (!email.empty()) {
            c["primaryEmailAddress"] = {
                {"value", email}, {"type", "Personal"}, {"isPrimary", true}};
        }
        if (!phone.empty()) {
            c["primaryPhoneNumber"] = {{"value", phone}, {"type", "Mobile"}, {"isPrimary", true}};
        }
        c["location"] = {{"locationSummary", "San Francisco, California, United States"},
                         {"locationComponents",
                          {{{"type", "City"}, {"name", "San Francisco"}},
                           {{"type", "Region"}, {"name", "California"}},
                           {{"type", "Country"}, {"name", "United States"}}}}};
        std::lock_guard lock(mutex_);
        candidates_[id] = c;
    }

    /// `consent_json` empty: the question is unanswered.
    void add_application(const std::string& id, const std::string& candidate_id,
                         const std::string& consent_json) {
        json values = json::object();
        if (!consent_json.empty()) {
            values["_systemfield_consent"] = json::parse(consent_json);
        }
        json a{{"id", id},
               {"status", "Active"},
               {"candidate", {{"id", candidate_id}}},
               {"currentInterviewStage", {{"id", "st"}, {"title", "Review"}, {"type", "Active"}}},
               {"job", {{"id", "job-1"}, {"title", "Engineer"}}},
               {"customFields", json::array()},
               {"submitterClientIp", "203.0.113.7"},
               {"applicationFormSubmissions",
                {{{"formDefinition",
                   {{"sections",
                     {{{"fields",
                        {{{"isRequired", true},
                          {"field",
                           {{"id", "f1"},
                            {"path", "_systemfield_consent"},
                            {"title", "I consent to a background and identity check"},
                            {"type", "Boolean"}}}}}}}}}}},
                  {"submittedValues", values}}}}};
        std::lock_guard lock(mutex_);
        applications_[id] = a;
    }

    /// Leaves a field out of what application.info returns.
    void erase_application_field(const std::string& id, const std::string& field) {
        std::lock_guard lock(mutex_);
        applications_[id].erase(field);
    }

    void riskos_answer(long status, json body) {
        std::lock_guard lock(mutex_);
        riskos_status_ = status;
        riskos_body_ = std::move(body);
    }

    void fail_next(const std::string& endpoint, fault f, int times = 1) {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < times; ++i) {
            faults_[endpoint].push_back(f);
        }
    }

    /// Makes the 403 answer of a wrong API key for every Ashby call.
    void reject_ashby_key() {
        std::lock_guard lock(mutex_);
        reject_key_ = true;
    }

    int calls(const std::string& endpoint) const {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(endpoint);
        return it == calls_.end() ? 0 : it->second;
    }
    std::vector<written_note> notes(const std::string& candidate_id) const {
        std::lock_guard lock(mutex_);
        std::vector<written_note> out;
        for (const auto& n : notes_) {
            if (n.candidate_id == candidate_id) {
                out.push_back(n);
            }
        }
        return out;
    }
    std::vector<std::string> tags_of(const std::string& candidate_id) const {
        std::lock_guard lock(mutex_);
        auto it = candidate_tags_.find(candidate_id);
        return it == candidate_tags_.end() ? std::vector<std::string>{} : it->second;
    }
    std::vector<json> evaluation_requests() const {
        std::lock_guard lock(mutex_);
        return eval_requests_;
    }
    /// What GET /api/evaluation/{eval_id} answers. Without one, an evaluation started with
    /// POST /api/evaluation is answered as that POST was (RiskOS knows what it started), and
    /// any other eval_id is 404.
    void riskos_get_answer(const std::string& eval_id, long status, json body) {
        std::lock_guard lock(mutex_);
        gets_[eval_id] = {status, std::move(body)};
    }
    /// Every customField.setValues value written for the object, in order ("\"passed\"").
    /// The fraud status last set for a candidate ("" when never).
    std::string fraud_status_of(const std::string& candidate_id) const {
        std::lock_guard lock(mutex_);
        const auto it = fraud_status_.find(candidate_id);
        return it == fraud_status_.end() ? std::string{} : it->second;
    }
    /// candidate.setFraudStatus answers as for an organisation without Fraud Detection.
    void without_fraud_detection() {
        std::lock_guard lock(mutex_);
        fraud_detection_ = false;
    }

    std::vector<std::string> custom_value_history(const std::string& object_id) const {
        std::lock_guard lock(mutex_);
        auto it = custom_history_.find(object_id);
        return it == custom_history_.end() ? std::vector<std::string>{} : it->second;
    }
    /// Called (without the world's lock) after an Ashby call took effect, before its answer:
    /// lets a test make something happen "meanwhile".
    void on_ashby_call(std::function<void(const std::string& endpoint, const json& body)> hook) {
        std::lock_guard lock(mutex_);
        hook_ = std::move(hook);
    }
    /// Every request body Ashby received (for checks that no personal data was sent).
    std::vector<std::string> ashby_bodies() const {
        std::lock_guard lock(mutex_);
        return ashby_bodies_;
    }

    clients::upstream_result<clients::http_response> handle(const clients::http_call& call) {
        std::string endpoint;
        const bool ashby = call.url.rfind(ashby_base, 0) == 0;
        if (ashby) {
            endpoint = call.url.substr(std::string(ashby_base).size() + 1);
        } else if (call.method == clients::http_method::get) {
            endpoint = "GET /api/evaluation";
        } else {
            endpoint = "POST /api/evaluation";
        }
        std::optional<fault> f;
        {
            std::lock_guard lock(mutex_);
            ++calls_[endpoint];
            if (auto it = faults_.find(endpoint); it != faults_.end() && !it->second.empty()) {
                f = it->second.front();
                it->second.pop_front();
            }
            if (ashby && reject_key_) {
                return reply(403, json{{"success", false},
                                       {"errorInfo", {{"code", "missing_endpoint_permission"}}}});
            }
        }
        if (f && f->what == fault::kind::status_before) {
            clients::http_response r = reply(f->status, json{{"error", "injected"}});
            if (f->retry_after) {
                r.headers["retry-after"] = *f->retry_after;
            }
            return r;
        }
        clients::http_response answer;
        if (endpoint == "GET /api/evaluation") {
            answer = riskos_get(call.url.substr(call.url.rfind('/') + 1));
        } else {
            const json body = json::parse(call.body);
            answer = ashby ? ashby_call(endpoint, body) : riskos_call(body);
            std::function<void(const std::string&, const json&)> hook;
            {
                std::lock_guard lock(mutex_);
                hook = hook_;
            }
            if (ashby && hook) {
                hook(endpoint, body);
            }
        }
        if (f && f->what == fault::kind::lost_reply) {
            return reply(502, json::object());
        }
        if (f && f->what == fault::kind::crash_after) {
            throw simulated_crash();
        }
        return answer;
    }

    static constexpr const char* ashby_base = "http://ashby.test";
    static constexpr const char* riskos_base = "http://riskos.test";

private:
    static clients::http_response reply(long status, const json& body) {
        clients::http_response r;
        r.status = status;
        r.body = body.dump();
        return r;
    }
    static clients::http_response ok(json results) {
        return reply(200, json{{"success", true}, {"results", std::move(results)}});
    }
    static clients::http_response not_found() {
        return reply(200, json{{"success", false}, {"errorInfo", {{"code", "not_found"}}}});
    }

    clients::http_response riskos_get(const std::string& eval_id) {
        std::lock_guard lock(mutex_);
        if (auto it = gets_.find(eval_id); it != gets_.end()) {
            return reply(it->second.first, it->second.second);
        }
        if (auto it = started_.find(eval_id); it != started_.end()) {
            return reply(200, it->second);
        }
        return reply(404, json{{"error", "not found"}});
    }

    clients::http_response ashby_call(const std::string& endpoint, const json& body) {
        std::lock_guard lock(mutex_);
        ashby_bodies_.push_back(body.dump());
        if (endpoint == "customField.setValues") {
            const std::string object_id = body.value("objectId", "");
            for (const auto& v : body["values"]) {
                custom_history_[object_id].push_back(v["fieldValue"].dump());
            }
            return ok(json{{"success", true}});
        }
        if (endpoint == "candidate.info") {
            auto it = candidates_.find(body.value("id", ""));
            return it == candidates_.end() ? not_found() : ok(it->second);
        }
        if (endpoint == "application.info") {
            auto it = applications_.find(body.value("applicationId", ""));
            return it == applications_.end() ? not_found() : ok(it->second);
        }
        if (endpoint == "candidateTag.create") {
            const std::string title = body.value("title", "");
            auto [it, fresh] =
                tag_ids_.emplace(title, "tag-" + std::to_string(tag_ids_.size() + 1));
            return ok({{"id", it->second}, {"title", title}, {"isArchived", false}});
        }
        if (endpoint == "candidate.addTag") {
            const std::string cid = body.value("candidateId", "");
            const std::string tid = body.value("tagId", "");
            for (const auto& [title, id] : tag_ids_) {
                if (id == tid) {
                    auto& owned = candidate_tags_[cid];
                    if (std::find(owned.begin(), owned.end(), title) == owned.end()) {
                        owned.push_back(title);
                    }
                    return ok(candidates_[cid]);
                }
            }
            return not_found();
        }
        if (endpoint == "candidate.removeTag") {
            // Removing a tag the candidate does not have succeeds, as in Ashby.
            const std::string cid = body.value("candidateId", "");
            const std::string tid = body.value("tagId", "");
            for (const auto& [title, id] : tag_ids_) {
                if (id == tid) {
                    auto& owned = candidate_tags_[cid];
                    owned.erase(std::remove(owned.begin(), owned.end(), title), owned.end());
                    return ok(candidates_[cid]);
                }
            }
            return not_found();
        }
        if (endpoint == "candidate.setFraudStatus") {
            if (!fraud_detection_) {
                return reply(200, json{{"success", false},
                                       {"errorInfo", {{"code", "fraud_detection_not_enabled"}}}});
            }
            fraud_status_[body.value("candidateId", "")] = body.value("fraudStatus", "");
            return ok(candidates_[body.value("candidateId", "")]);
        }
        if (endpoint == "candidate.createNote") {
            written_note n;
            n.id = "note-" + std::to_string(notes_.size() + 1);
            n.candidate_id = body.value("candidateId", "");
            n.content = body["note"]["value"].get<std::string>();
            n.notify = body.value("sendNotifications", false);
            notes_.push_back(n);
            return ok({{"id", n.id}, {"content", n.content}});
        }
        if (endpoint == "candidate.listNotes") {
            json all = json::array();
            for (const auto& n : notes_) {
                if (n.candidate_id == body.value("candidateId", "")) {
                    all.push_back({{"id", n.id}, {"content", n.content}});
                }
            }
            return reply(200,
                         json{{"success", true}, {"results", all}, {"moreDataAvailable", false}});
        }
        return reply(404, json::object());
    }

    clients::http_response riskos_call(const json& body) {
        std::lock_guard lock(mutex_);
        eval_requests_.push_back(body);
        json answer = riskos_body_;
        if (answer.is_object()) {
            answer["id"] = body.value("id", "");
            // The same request id is a re-run: the same eval_id.
            answer["eval_id"] = "eval-" + body.value("id", "");
            answer["workflow"] = body.value("workflow", "");
            if (riskos_status_ >= 200 && riskos_status_ <= 299) {
                started_[answer["eval_id"].get<std::string>()] = answer;
            }
        }
        return reply(riskos_status_, answer);
    }

    mutable std::mutex mutex_;
    std::map<std::string, json> candidates_;
    std::map<std::string, json> applications_;
    std::map<std::string, std::string> tag_ids_;
    std::map<std::string, std::vector<std::string>> candidate_tags_;
    std::vector<written_note> notes_;
    std::vector<json> eval_requests_;
    std::map<std::string, int> calls_;
    std::map<std::string, std::pair<long, json>> gets_;
    std::map<std::string, json> started_;  ///< eval_id -> the POST's answer
    std::map<std::string, std::vector<std::string>> custom_history_;
    std::map<std::string, std::string> fraud_status_;
    bool fraud_detection_ = true;
    std::vector<std::string> ashby_bodies_;
    std::function<void(const std::string&, const json&)> hook_;
    std::map<std::string, std::deque<fault>> faults_;
    long riskos_status_ = 200;
    json riskos_body_;
    bool reject_key_ = false;
};

class fake_http final : public clients::http_client {
public:
    explicit fake_http(fake_world& w) : world_(w) {}
    clients::upstream_result<clients::http_response> send(const clients::http_call& call) override {
        return world_.handle(call);
    }

private:
    fake_world& world_;
};

inline http_factory fake_factory(fake_world& w) {
    return [&w](upstream) { return std::make_unique<fake_http>(w); };
}

}  // namespace riskbridge::flows::testing
