#pragma once

// RiskOS evaluations (docs/external-apis.md): the typed request riskbridge sends and the typed
// result it reads, from `POST/GET /api/evaluation` answers and from `evaluation_completed`
// webhooks.
//
// parse_evaluation never throws and never crashes on odd input. Malformed or truncated JSON,
// or a document without `eval_id`, is an error value; unknown fields, unknown decisions and
// enrichments it cannot read are tolerated and listed in `warnings` (names only, no values).
// Enrichments are found by provider or name, never by position. A `response` that is
// `{"response": "<JSON in a string>"}` (or a bare string) is decoded first. Document data
// (`documentVerification.documentData`) and enrichment requests are never kept.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "riskbridge/core/error.hpp"

namespace riskbridge::clients::riskos {

enum class decision { accept, review, reject, resubmit, unknown };
const char* to_string(decision d) noexcept;  ///< "ACCEPT", ... "UNKNOWN"
/// Case-insensitive: ACCEPT/accept → accept, ... anything else → unknown.
decision parse_decision(std::string_view text) noexcept;

enum class eval_state { completed, paused, in_progress, unknown };
const char* to_string(eval_state s) noexcept;
eval_state parse_eval_state(std::string_view eval_status) noexcept;

/// The capture request from the `SocureDocRequest` enrichment of a paused evaluation.
struct docv_request {
    std::string token;  ///< docvTransactionToken
    std::string url;    ///< the capture link
    bool has_qr_code = false;
    std::optional<std::string> reference_id;
    std::optional<std::string> status;  ///< e.g. SESSION_COMPLETE, when RiskOS sends it
};

struct document_type {
    std::optional<std::string> type;  ///< e.g. "Drivers License"
    std::optional<std::string> country;
    std::optional<std::string> state;
};

/// The `documentVerification` object of a completed DocV evaluation, without documentData.
struct docv_result {
    std::string decision_value;  ///< decision.value as sent: accept|review|resubmit|reject
    riskos::decision decision = riskos::decision::unknown;
    std::optional<std::string> decision_name;  ///< decision.name, e.g. "standard"
    std::vector<std::string> reason_codes;
    document_type document;
};

struct named_score {
    std::string name;
    std::string version;
    double score = 0.0;
};

/// One module of an enrichment response, e.g. `emailRisk` or `fraud`.
struct module_result {
    std::string name;
    std::vector<std::string> reason_codes;
    std::vector<named_score> scores;  ///< scores[{name, version, score}]
    std::optional<double> score;      ///< a lone `score` (correlation modules)
};

struct enrichment {
    std::string name;      ///< enrichment_name
    std::string provider;  ///< enrichment_provider
    std::optional<long long> status_code;
    bool response_was_string = false;  ///< the response was JSON inside a string, decoded
    bool response_unreadable = false;  ///< a string response that was not JSON
    std::vector<module_result> modules;

    std::vector<std::string> reason_codes() const;  ///< every module's, in order, no repeats
    const module_result* find_module(std::string_view module_name) const;
    bool failed() const noexcept {
        return status_code && (*status_code < 200 || *status_code > 299);
    }
};

struct evaluation {
    std::string id;  ///< the request id riskbridge chose
    std::string eval_id;
    std::string workflow;
    std::string eval_status;  ///< as sent
    eval_state state = eval_state::unknown;
    std::string decision_text;  ///< as sent
    riskos::decision decision = riskos::decision::unknown;
    std::string status;  ///< OPEN | ON_HOLD | CLOSED
    std::string sub_status;
    std::vector<std::string> tags;
    std::vector<std::string> review_queues;
    std::optional<double> score;
    std::optional<std::string> decision_at;
    std::optional<std::string> environment_name;
    std::optional<docv_request> docv;         ///< from the SocureDocRequest enrichment
    std::optional<docv_result> docv_outcome;  ///< documentVerification, from any enrichment
    std::vector<enrichment> enrichments;
    std::vector<std::string> warnings;  ///< what was tolerated: field names, never values
    long http_status = 0;  ///< the API's status (200 done, 201 paused); 0 when from a webhook

    bool paused() const noexcept { return state == eval_state::paused; }
    bool completed() const noexcept { return state == eval_state::completed; }
    /// Needs documents: paused with a capture request.
    bool needs_documents() const noexcept { return paused() && docv.has_value(); }
    const enrichment* find_by_provider(std::string_view provider) const;
    const enrichment* find_by_name(std::string_view name) const;
    /// Every enrichment's reason codes, in order, without repeats.
    std::vector<std::string> reason_codes() const;
};

/// Parses an evaluation document (an API answer, or a webhook's `data`).
result<evaluation> parse_evaluation(std::string_view json_text);
result<evaluation> parse_evaluation(const nlohmann::json& document);
// Without these, a std::string or a literal would be ambiguous between the two above.
inline result<evaluation> parse_evaluation(const std::string& json_text) {
    return parse_evaluation(std::string_view{json_text});
}
inline result<evaluation> parse_evaluation(const char* json_text) {
    return parse_evaluation(std::string_view{json_text});
}

// ---- the request ----------------------------------------------------------------------

struct address {
    std::string line_1;
    std::optional<std::string> line_2;
    std::string locality;
    std::string major_admin_division;
    std::string postal_code;
    std::string country;  ///< ISO 3166-1 alpha-2
};

struct docv_redirect {
    std::string url;
    std::string method = "GET";
};

struct docv_config {
    bool send_message = true;
    std::string language = "en";
    std::optional<std::string> use_case_key;
    std::optional<std::string> document_type;
    std::optional<docv_redirect> redirect;
};

struct individual {
    std::string id;
    std::string given_name;   ///< clipped to max_name_chars characters
    std::string family_name;  ///< clipped to max_name_chars characters
    std::optional<std::string> email;
    std::optional<std::string> phone_number;  ///< E.164
    std::optional<riskos::address> address;
    std::optional<std::string> di_session_token;
    std::optional<docv_config> docv;
};

/// The workforce evaluation request. Absent optional fields are omitted, never null.
struct evaluation_request {
    std::string id;         ///< derived from the job: reusing it makes RiskOS re-run
    std::string timestamp;  ///< RFC 3339
    std::string workflow;
    std::string event_type = "application_submitted";
    std::string event_category = "workforce_verification";
    std::optional<std::string> ip_address;
    riskos::individual individual;
};

/// The request as JSON text.
std::string to_json_text(const evaluation_request& request);

/// The longest given or family name sent to RiskOS, in UTF-8 characters.
inline constexpr std::size_t max_name_chars = 240;

/// Clips to at most `max_chars` UTF-8 characters without splitting one.
std::string clip_utf8(std::string_view text, std::size_t max_chars);

}  // namespace riskbridge::clients::riskos
