#pragma once

// The Ashby API client (docs/external-apis.md): every call is `POST <base>/<object>.<verb>` with a
// JSON body, HTTP Basic auth with the API key as user name and an empty password, and `Accept:
// application/json; version=1`.
//
// Answers:
//   - HTTP 200 {"success": true, "results": ...}         → the typed result
//   - HTTP 200 {"success": false, "errorInfo": {code, message, requestId}, "errors": [...]}
//                                                        → api_error with errorInfo.code
//   - 401 / 403 (missing key / wrong key or permission)  → http_status, permanent
//   - 408 / 429 / 5xx                                     → http_status, transient, Retry-After
//   - other statuses                                      → http_status, permanent
//   - a 2xx body that is not the envelope                  → protocol, permanent
//
// Which `success:false` codes are transient (classify_ashby_code): a code containing any of
//   rate_limit, ratelimit, too_many_requests, throttl, internal_error, internal_server_error,
//   server_error, service_unavailable, unavailable, timeout, timed_out, try_again
// is transient (retry with backoff); every other code (not_found, invalid_input,
// missing_endpoint_permission, ...) and a missing code are permanent.
//
// The errorInfo message is never copied into the error (it may echo input); only the code
// and requestId are.
//
// Parsing tolerates missing optional fields, unknown fields and wrong types (treated as
// absent); nothing here throws. A client is as thread-safe as its http_client (i.e. not):
// one per worker thread.

#include <optional>
#include <string>
#include <vector>

#include "riskbridge/clients/http_client.hpp"

namespace riskbridge::clients::ashby {

/// True when an Ashby `errorInfo.code` is worth retrying (see the table above).
bool classify_ashby_code(std::string_view code) noexcept;

struct custom_field {
    std::string id;
    std::string title;
    std::string value_json;  ///< the raw JSON value ("\"94105\"", "true", "null", ...)
    std::optional<std::string> value_text;  ///< a string value, or a number/bool as text
};

struct tag {
    std::string id;
    std::string title;
    bool is_archived = false;
};

struct location {
    std::optional<std::string> summary;  ///< locationSummary
    std::optional<std::string> country;  ///< locationComponents type Country
    std::optional<std::string> region;   ///< type Region
    std::optional<std::string> city;     ///< type City
};

struct candidate {
    std::string id;
    std::string name;
    std::optional<std::string> email;  ///< primary email, else the first one
    std::vector<std::string> emails;
    std::optional<std::string> phone;  ///< primary phone, else the first one
    std::vector<std::string> phones;
    location loc;
    std::vector<custom_field> custom_fields;
    std::vector<tag> tags;
    std::vector<std::string> application_ids;
    std::optional<std::string> profile_url;
    /// fraudStatus: Fraudulent, NotFraudulent, Unsure, Unreviewed, PassedFraudCheck, ...;
    /// absent when null, missing or not a string (organisations without Fraud Detection).
    std::optional<std::string> fraud_status;

    const custom_field* find_custom_field(std::string_view id_or_title) const;
    bool has_tag(std::string_view tag_id) const;
};

struct stage {
    std::string id;
    std::string title;
    std::string type;
};

/// One question of an application form, flattened from formDefinition and submittedValues.
struct form_answer {
    std::string path;
    std::string title;
    std::string type;        ///< Boolean, ValueSelect, String, ...
    std::string value_json;  ///< raw JSON of the answer; empty when the field is unanswered
    bool answered() const noexcept { return !value_json.empty() && value_json != "null"; }
};

struct application {
    std::string id;
    std::string status;  ///< Active, Hired, Archived, Lead
    std::string candidate_id;
    std::optional<stage> current_stage;
    std::string job_id;
    std::string job_title;
    std::vector<custom_field> custom_fields;
    std::optional<std::string> submitter_client_ip;
    std::vector<form_answer> form_answers;

    /// By path, then by title (case-insensitive).
    const form_answer* find_answer(std::string_view path_or_title) const;
    const custom_field* find_custom_field(std::string_view id_or_title) const;
};

struct note {
    std::string id;
    std::string content;  ///< HTML as stored
    std::string created_at;
};

struct note_request {
    std::string candidate_id;
    std::string html;  ///< sent as {"type": "text/html", "value": html}
    bool send_notifications = false;
    std::optional<bool> is_private;
};

struct field_value {
    std::string field_id;
    std::string value_json;  ///< raw JSON (e.g. "\"passed\"", "true"); invalid JSON is refused
};

struct ashby_options {
    std::string base_url = "https://api.ashbyhq.com";
    std::string api_key;
    std::optional<milliseconds> timeout;  ///< per call; the http_client's default otherwise
    int page_limit = 100;                 ///< `limit` sent when paging
    int max_pages = 1'000;                ///< a guard against a cursor that never ends
    const clock* clk = nullptr;           ///< for Retry-After dates; system clock when null
    upstream_observer observer{};         ///< told about every call (metrics); optional
};

class ashby_client {
public:
    /// `http` must outlive the client.
    ashby_client(http_client& http, ashby_options options);

    upstream_result<candidate> candidate_info(const std::string& candidate_id);
    /// With expand: ["applicationFormSubmissions"].
    upstream_result<application> application_info(const std::string& application_id);
    /// Create-or-get: returns the existing tag when the title is taken.
    upstream_result<tag> create_tag(const std::string& title);
    /// Every page.
    upstream_result<std::vector<tag>> list_tags();
    upstream_result<void> add_tag(const std::string& candidate_id, const std::string& tag_id);
    /// Removing a tag the candidate does not have succeeds (the candidate is unchanged).
    upstream_result<void> remove_tag(const std::string& candidate_id, const std::string& tag_id);
    /// fraud_status: Fraudulent, NotFraudulent or Unsure. Needs the organisation's Fraud
    /// Detection feature; without it Ashby answers success:false (the code is not documented).
    upstream_result<void> set_fraud_status(const std::string& candidate_id,
                                           const std::string& fraud_status);
    /// Returns the new note's id. Not idempotent: check list_notes before retrying.
    upstream_result<std::string> create_note(const note_request& request);
    /// Every page.
    upstream_result<std::vector<note>> list_notes(const std::string& candidate_id);
    /// objectType is "Candidate" or "Application".
    upstream_result<void> set_custom_field_values(const std::string& object_id,
                                                  const std::string& object_type,
                                                  const std::vector<field_value>& values);

    /// The raw call: `results` as JSON text on success. For endpoints without a typed wrapper.
    upstream_result<std::string> call(const std::string& endpoint, const std::string& body_json);

private:
    struct envelope;
    upstream_result<envelope> post(const std::string& endpoint, const std::string& body_json);

    http_client& http_;
    ashby_options options_;
    std::string authorization_;
};

}  // namespace riskbridge::clients::ashby
