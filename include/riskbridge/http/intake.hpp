#pragma once

// What a webhook intake decides about a request, as a value: the Ashby and RiskOS intakes
// (ashby_intake.hpp, riskos_intake.hpp) are functions from a request to one of these, with no
// socket, store, thread or log; webhook_handler carries the decision out (store calls, metrics,
// log lines, the answer).

#include <chrono>
#include <string>
#include <variant>

#include "riskbridge/http/message.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::http {

/// The `source` of deliveries, quarantined bodies, metrics and log lines.
inline constexpr const char* ashby_source = "ashby";
inline constexpr const char* riskos_source = "riskos";

/// The ids an event is logged with once the store has answered (never personal data).
struct event_ids {
    std::string source;
    std::string action;  ///< the Ashby action or the RiskOS event type (a metric label too)
    std::string delivery;
    std::string application_id;
    std::string candidate_id;
    std::string eval_id;
};

/// Store the delivery (and its job, when there is one); the store's outcome is the answer.
struct enqueue_decision {
    store::enqueue_request request;
    event_ids ids;
};

/// Ashby's ping: answered `answer` (200 {"status":"ok"}) at once, nothing stored.
struct ping_decision {
    bool is_signed = false;
    response answer;
};

/// An action no trigger starts a flow on: answered `answer` (200 {"status":"ignored"}) at once,
/// nothing stored.
struct ignore_decision {
    std::string source;
    std::string action;        ///< the metric label (the metrics bound it)
    std::string log_action;    ///< the action, or "?" when it is not a plausible id
    std::string log_delivery;  ///< "<webhookActionId>:<action>", or "?"
    response answer;
};

/// Authentication failed: `answer` (401) unless the client address failed too often, which the
/// handler decides (auth_failure_limiter) and answers 429 instead.
struct refuse_decision {
    std::string source;
    std::string reason;  ///< security::to_string of the signature or credentials status
    response answer;
};

/// Authenticated but malformed: the raw body is quarantined with `reason` and answered 400.
struct quarantine_decision {
    std::string source;
    std::string reason;
};

using intake_decision = std::variant<enqueue_decision, ping_decision, ignore_decision,
                                     refuse_decision, quarantine_decision>;

}  // namespace riskbridge::http
