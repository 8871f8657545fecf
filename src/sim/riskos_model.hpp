#pragma once

// The RiskOS simulator's state and the functions that serve it, defined across
//   riskos_decisions.cpp  the decision rules and the evaluation documents they produce
//   riskos_api.cpp        the API: authentication, routing, starting and reading evaluations
//   riskos_webhooks.cpp   the DocV capture's webhooks (building, sending, retrying, recording)
//   riskos_reviews.cpp    what happens after the start: reviews, reruns, expiries, failures,
//                         any event, redeliveries; and their /_sim/ requests
//   riskos_sim.cpp        the public class, POST /_sim/docv/{eval_id} and GET /_sim/state

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "sim/common.hpp"

namespace riskbridge::sim::detail {

/// One event of a DocV capture: a case note, or the completion.
struct docv_step {
    bool completion = false;
    std::string notes;
};

/// The events a capture with this outcome sends, in order.
std::vector<docv_step> docv_script(docv_outcome o);

/// One evaluation: the request that started it, its current document and its DocV capture.
struct evaluation {
    std::string eval_id;
    std::string request_id;
    std::string workflow;
    json request;
    json doc;
    bool docv = false;
    docv_outcome outcome = docv_outcome::accept;
    std::vector<docv_step> steps;
    std::size_t next_step = 0;             ///< the first step not sent yet
    std::string token;                     ///< docvTransactionToken
    std::optional<time_point> decided_at;  ///< the last decision_at given, to the millisecond
    std::string rerun_of;                  ///< the evaluation this one reran; "" for a first
};

/// One webhook event ready to send, and what became of it.
struct outgoing_event {
    webhook_delivery record;
    std::string body;
    std::string url;
    std::string bearer;
};

/// The data of a case_notes_added event from RiskOS's own `Webhook` reviewer.
json case_notes_data(const evaluation& e, const std::string& notes, const std::string& now);
/// A delivery as GET /_sim/state and the /_sim/ requests show it.
json delivery_json(const webhook_delivery& d);

}  // namespace riskbridge::sim::detail

namespace riskbridge::sim {

struct riskos_simulator::impl {
    using json = detail::json;

    using eval_rec = detail::evaluation;

    using outgoing = detail::outgoing_event;

    explicit impl(riskos_sim_options o);

    riskos_sim_options opt;
    detail::sim_host host;
    detail::id_source ids;

    mutable std::mutex mu;
    mutable std::condition_variable delivered_cv;
    std::map<std::string, eval_rec> evals;
    std::map<std::string, std::string> by_request;  ///< request id -> its first evaluation
    std::vector<std::string> order;
    std::vector<webhook_delivery> deliveries;
    std::map<std::string, std::string> bodies;  ///< event_id -> the body sent
    std::string webhook_url;
    std::string webhook_bearer;

    std::unique_ptr<clients::http_client> outbox_client;  // used on the outbox thread only

    std::string now_text() const { return detail::now_text(opt.clk); }
    /// decision_at for a decision of `e` made now: never at or before its previous one (the
    /// text has milliseconds, so two decisions within one are a millisecond apart).
    std::string decision_time(eval_rec& e) const;

    // ---- documents (riskos_decisions.cpp) ------------------------------------------------
    /// Builds the first document of a new evaluation from the rules.
    void decide(eval_rec& e);
    /// The final document of a DocV evaluation (under mu).
    void complete(eval_rec& e);

    // ---- the API (riskos_api.cpp) ----------------------------------------------------------
    /// The counting key of a request: "POST /api/evaluation", "GET /api/evaluation", ...
    static std::string call_key(const http::request& r);
    http::response api(const http::request& req);
    http::response start_evaluation(const std::string& body_text);

    // ---- DocV webhooks (riskos_webhooks.cpp) -----------------------------------------------
    /// An event about `e` ready to send to the current target (under mu).
    outgoing event_for(const eval_rec& e, const std::string& event_type, json data);
    /// Takes the next step of the evaluation's capture; nullopt when nothing is left.
    std::optional<outgoing> claim(const std::string& eval_id);
    /// Records a delivery (and the body of its event) and wakes wait_for_deliveries.
    void record(const outgoing& o);
    /// One step of an automatic capture, on the outbox thread.
    void auto_step(const std::string& eval_id, std::optional<outgoing> pending, int attempt);
    /// The remaining capture, on the caller's thread, each event sent once.
    std::vector<webhook_delivery> run_now(const std::string& eval_id);

    // ---- after the start (riskos_reviews.cpp) -----------------------------------------------
    // Each changes the evaluation (under mu) and returns the event to send.
    result<outgoing> prepare_review(const std::string& eval_id, const std::string& decision,
                                    const std::string& reviewer_id, const std::string& event_type);
    result<outgoing> prepare_event(const std::string& eval_id, const std::string& event_type,
                                   const json& overrides);
    result<outgoing> prepare_redelivery(const std::string& event_id);
    /// The new evaluation's eval_id and its reevaluation event.
    result<std::pair<std::string, outgoing>> prepare_rerun(const std::string& eval_id,
                                                           const std::string& decision);
    result<outgoing> prepare_expiry(const std::string& eval_id);
    result<outgoing> prepare_failure(const std::string& eval_id);
    /// Sends once on the caller's thread and records it.
    webhook_delivery send_now(outgoing o);
    /// send_now() of a prepared event, or the reason it could not be prepared.
    result<webhook_delivery> send_prepared(result<outgoing> o);
    /// Sends once from the outbox thread, records it, then answers 200 with the delivery
    /// (and `extra`'s keys).
    void send_later(outgoing o, const http::respond_fn& respond, json extra = json::object());
    /// POST /_sim/{review,event,rerun,expire,fail}/{eval_id} and /_sim/redeliver/{event_id};
    /// false for any other request.
    bool reviewer_control(const http::request& req, const http::respond_fn& respond);

    // ---- control and inspection (riskos_sim.cpp) -------------------------------------------
    /// POST /_sim/docv/{eval_id}; false for any other control request.
    bool control(const http::request& req, const http::respond_fn& respond);
    std::string state() const;
};

}  // namespace riskbridge::sim
