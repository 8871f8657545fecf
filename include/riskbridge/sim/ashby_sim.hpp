#pragma once

// A fake Ashby API on a loopback port, for tests, the demo and `riskbridge sim`.
//
// It holds candidates, applications (with form submissions, e.g. the consent question),
// tags and notes, and answers the endpoints riskbridge uses with Ashby's envelope:
//   POST /candidate.info, /application.info (expand applicationFormSubmissions),
//        /candidateTag.create (create-or-get by title), /candidateTag.list (paged),
//        /candidate.addTag, /candidate.removeTag, /candidate.setFraudStatus,
//        /candidate.createNote, /candidate.listNotes (paged), /customField.setValues
// Checks: `Authorization: Basic base64(<api_key>:)` (missing → HTTP 401, any other → HTTP 403
// missing_endpoint_permission); `Accept` must carry `version=1` (else success:false
// invalid_api_version). Unknown ids → HTTP 200 {"success": false, "errorInfo": {"code":
// "not_found", ...}}; a body that is not JSON or lacks a required field → invalid_input.
// Lists page with at most `page_size` items (default 2) so paging is always exercised.
// candidate.removeTag of a tag the candidate does not have succeeds and changes nothing (an
// unknown tag id is not_found). candidate.setFraudStatus takes Fraudulent, NotFraudulent or
// Unsure (else invalid_input); candidate.info shows it as `fraudStatus` (null until set or
// seeded). With options.fraud_detection false it answers HTTP 200 {"success": false,
// "errorInfo": {"code": "fraud_detection_not_enabled", "message": ...}}, as an organisation
// without Ashby's Fraud Detection feature might (the real code is not documented).
//
// Inspection: C++ accessors below, and for a person `GET /_sim/state` (JSON: tags and notes
// per candidate, custom field values, call counts, faults). Faults: faults() or
// `POST /_sim/faults` (see faults.hpp); they apply to API calls, never to /_sim/.
// `POST /_sim/webhook {"action": "applicationSubmit", "application_id": "...",
// "target": "http://..."?}` sends a signed webhook (target defaults to options.webhook_target).
//
// Webhooks: `Ashby-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with
// options.webhook_secret. Logs carry ids only.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/sim/faults.hpp"

namespace riskbridge::sim {

struct sim_custom_field {
    std::string id;
    std::string title;
    std::string value_json;  ///< raw JSON, e.g. "\"94105\""
};

/// One question of the application form and its answer.
struct sim_form_field {
    std::string path;
    std::string title;
    std::string type = "String";  ///< Boolean, ValueSelect, String, ...
    std::string value_json;       ///< raw JSON answer; empty = not answered (key absent)
    bool required = false;
    std::vector<std::string> options;  ///< ValueSelect option values
};

struct candidate_seed {
    std::string id;
    std::string name;
    std::vector<std::string> emails;  ///< the first is primary
    std::vector<std::string> phones;  ///< the first is primary
    std::optional<std::string> city;
    std::optional<std::string> region;
    std::optional<std::string> country;
    std::vector<sim_custom_field> custom_fields;
    /// fraudStatus before riskbridge runs (e.g. Unreviewed, PassedFraudCheck); null when unset.
    std::optional<std::string> fraud_status;
};

struct application_seed {
    std::string id;
    std::string candidate_id;
    std::string status = "Active";
    std::string stage_title = "Application Review";
    std::string stage_type = "Active";
    std::string job_id = "job-0001";
    std::string job_title = "Software Engineer";
    std::optional<std::string> submitter_client_ip;
    std::vector<sim_custom_field> custom_fields;
    std::vector<sim_form_field> form;
};

struct sim_note {
    std::string id;
    std::string candidate_id;
    std::string content;
    std::string created_at;
    bool send_notifications = false;
    bool is_private = false;
};

struct ashby_sim_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: any free port
    int threads = 1;
    std::string api_key = "sim-ashby-key";
    std::string webhook_secret = "sim-ashby-webhook-secret";
    std::string webhook_target;  ///< default target of /_sim/webhook
    int page_size = 2;
    std::uint64_t seed = 1;
    const clock* clk = nullptr;  ///< timestamps; the system clock when null
    /// The organisation has Fraud Detection: candidate.setFraudStatus works.
    bool fraud_detection = true;
};

class ashby_simulator {
public:
    explicit ashby_simulator(ashby_sim_options options = {});
    ~ashby_simulator();
    ashby_simulator(const ashby_simulator&) = delete;
    ashby_simulator& operator=(const ashby_simulator&) = delete;

    result<void> start();
    /// Answers what is owed, closes the listener. Idempotent; the destructor calls it.
    void stop();
    std::uint16_t port() const;
    /// http://127.0.0.1:<port>
    std::string base_url() const;
    const ashby_sim_options& options() const;

    // ---- data -------------------------------------------------------------------------
    void add_candidate(candidate_seed candidate);
    void add_application(application_seed application);
    /// A tag that exists before riskbridge runs; returns its id.
    std::string add_tag(const std::string& title, bool archived = false);
    /// Moves an application (e.g. to "Offer", or status "Hired").
    bool set_application_stage(const std::string& application_id, const std::string& title,
                               const std::string& type, const std::string& status);

    // ---- what was written ---------------------------------------------------------------
    /// Titles of the candidate's tags, in the order applied.
    std::vector<std::string> tags_of(const std::string& candidate_id) const;
    std::vector<sim_note> notes_of(const std::string& candidate_id) const;
    /// fieldId -> raw JSON value written by customField.setValues for the object.
    std::map<std::string, std::string> custom_values_of(const std::string& object_id) const;
    /// The candidate's fraudStatus (nullopt when null or the candidate is unknown).
    std::optional<std::string> fraud_status_of(const std::string& candidate_id) const;
    /// Every tag: title -> id.
    std::map<std::string, std::string> all_tags() const;
    /// Requests that reached an endpoint ("candidate.info", ...), faulted ones included.
    int calls(const std::string& endpoint) const;
    std::map<std::string, int> call_counts() const;
    /// What GET /_sim/state shows.
    std::string state_json() const;

    fault_injector& faults();

    // ---- webhooks -----------------------------------------------------------------------
    /// The envelope Ashby would send for `action` on the application: applicationSubmit,
    /// applicationUpdate, candidateStageChange, candidateHire (adds `offer`; moves the
    /// application to Hired), pushToHRIS, or ping. nullopt for an unknown application.
    std::optional<std::string> webhook_body(const std::string& action,
                                            const std::string& application_id);
    /// "sha256=<hex>" for `body` with the configured secret.
    std::string sign(const std::string& body) const;
    /// POSTs `body`, signed, to `target_url`. Thread-safe (serialised).
    clients::upstream_result<clients::http_response> send_webhook(const std::string& target_url,
                                                                  const std::string& body);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace riskbridge::sim
