#pragma once

// What every flow shares: the configuration, the Ashby and RiskOS clients (one set per worker
// at a time: curl handles are never shared between threads), the tag-id cache, the job
// checkpoint and the steps that write to Ashby exactly once (tag, note, decision).
//
// Checkpoint: one JSON object per job, saved after every side effect, e.g.
//   {"v":1,"step":"evaluated","eval_id":"...","eval_state":"completed","decision":"REJECT",
//    "workflow":"workforce_verification","reasons":[{"code":"R201","module":"fraud",
//    "enrichment":"..."}],"tags":{"decision":"HIGH_RISK_IDENTITY"},
//    "notes":{"decision":"done"},"note_ids":{"decision":"<ashby note id>"}}
// `notes.<key>` is "pending" (saved before candidate.createNote: the outcome is uncertain
// until "done"), then "done". A step whose note is "pending" lists the candidate's notes and
// looks for the step's marker (notes.hpp) before writing again.
//
// Evaluation records (store::evaluation_record.state) written by the flows:
//   pending    RiskOS answered paused or in progress: once RiskOS's API confirms the
//              decision an `evaluation_completed` event announces, the riskos_event handler
//              queues the finish_evaluation job, which applies it (apply_decision())
//   deciding   completed synchronously: the job that started it is applying the decision
//   completed  tag and note written (decision set)
// The document verification flow adds `requested`, `declined` and `expired`; docv.hpp has the
// whole state machine and the one job (finish_evaluation) that ends a waiting evaluation.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/clients/riskos/riskos_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/flows/docv.hpp"
#include "riskbridge/flows/notes.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows {

enum class upstream { ashby, riskos };

/// Makes the HTTP client for one upstream (tests hand in fakes). Default: libcurl with the
/// configured timeouts.
using http_factory = std::function<std::unique_ptr<clients::http_client>(upstream)>;

/// The clients one worker uses for one job.
struct flow_clients {
    std::unique_ptr<clients::http_client> ashby_http;
    std::unique_ptr<clients::http_client> riskos_http;
    clients::ashby::ashby_client ashby;
    clients::riskos::riskos_client riskos;

    /// `observer` is told about every call of both clients (metrics).
    flow_clients(const config::config& cfg, const clock& clk, const http_factory& make,
                 const clients::upstream_observer& observer = {});
};

/// Hands each caller a set of clients no other thread is using; returns it to an idle list
/// when the lease ends, so connections are kept alive across jobs. Thread-safe.
class client_pool {
public:
    client_pool(const config::config& cfg, const clock& clk, http_factory make,
                clients::upstream_observer observer = {});

    class lease {
    public:
        lease(client_pool& pool, std::unique_ptr<flow_clients> c)
            : pool_(&pool), clients_(std::move(c)) {}
        ~lease();
        lease(lease&& other) noexcept = default;
        lease& operator=(lease&&) = delete;
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        flow_clients& operator*() const { return *clients_; }
        flow_clients* operator->() const { return clients_.get(); }

    private:
        client_pool* pool_;
        std::unique_ptr<flow_clients> clients_;
    };

    lease acquire();
    std::size_t created() const;

private:
    const config::config& cfg_;
    const clock& clk_;
    http_factory make_;
    clients::upstream_observer observer_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<flow_clients>> idle_;
    std::size_t created_ = 0;
};

/// Tag title -> Ashby tag id, filled by candidateTag.create (create-or-get) once per title and
/// process: concurrent callers for a title share one creation. Thread-safe.
class tag_cache {
public:
    /// The tag's id: cached, or created (create-or-get) by one caller while the others asking
    /// for the same title wait for its answer, so each title is created once per process.
    clients::upstream_result<std::string> id_for(clients::ashby::ashby_client& ashby,
                                                 const std::string& title);
    void forget(const std::string& title);
    std::optional<std::string> cached(const std::string& title) const;
    /// Callers waiting for a title another one is creating (for tests and diagnostics).
    std::size_t waiting() const;

private:
    /// Ends a creation: caches `id` (null when it failed) and wakes the waiters.
    void finish_creating(const std::string& title, const std::string* id);

    mutable std::mutex mutex_;
    std::condition_variable created_;
    std::unordered_map<std::string, std::string> ids_;
    std::unordered_set<std::string> creating_;
    std::size_t waiting_ = 0;
};

/// GET /api/evaluation/{eval_id} shared by the riskos_event jobs of one evaluation, so a burst
/// of events for it (RiskOS's retries, duplicates under new event_ids) costs one read, not one
/// each. A caller is given a read that started at or after `not_before` (its event's arrival:
/// the read reflects at least what the event reports) and ended less than ttl() ago; while a
/// read of the evaluation is in flight, other callers wait for it instead of starting their own
/// (single flight), whether it succeeds or fails. Only successful reads are kept, for ttl(), and
/// at most `max_entries` of them (the oldest go first). Thread-safe.
class evaluation_reads {
public:
    using read_result = clients::upstream_result<clients::riskos::evaluation>;
    using read_fn = std::function<read_result()>;

    explicit evaluation_reads(std::chrono::milliseconds ttl = std::chrono::seconds(2),
                              std::size_t max_entries = 1024);

    /// A fresh enough read of `eval_id`: kept, in flight (waited for), or made by `fetch` on
    /// the calling thread. `clk` times the reads.
    read_result read(const std::string& eval_id, time_point not_before, const clock& clk,
                     const read_fn& fetch);

    std::chrono::milliseconds ttl() const noexcept { return ttl_; }
    /// Reads kept or in flight (for tests and diagnostics).
    std::size_t size() const;
    /// Callers waiting for a read another one is making (for tests and diagnostics).
    std::size_t waiting() const;

private:
    struct entry;
    /// Drops expired reads; at the limit, also the oldest finished ones. Under mutex_.
    void make_room(time_point now);

    const std::chrono::milliseconds ttl_;
    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::condition_variable finished_;
    std::unordered_map<std::string, std::shared_ptr<entry>> entries_;
    std::size_t waiting_ = 0;
};

/// A job's checkpoint as JSON. Unreadable text starts empty (the flow starts over; every
/// effect is idempotent or marked).
class flow_checkpoint {
public:
    static flow_checkpoint parse(std::string_view text);
    std::string dump() const;

    nlohmann::json& doc() { return doc_; }
    const nlohmann::json& doc() const { return doc_; }
    std::string step() const;
    void set_step(std::string_view step);
    /// A string member, "" when absent.
    std::string text(std::string_view key) const;
    /// notes.<key> / tags.<key>
    std::string note_state(std::string_view key) const;
    bool tag_done(std::string_view key) const;
    /// notes.<key> = state ("pending" | "done"), note_ids.<key> = note_id when given.
    void set_note(std::string_view key, std::string_view state, std::string_view note_id = {});
    /// tags.<key> = title.
    void set_tag(std::string_view key, std::string_view title);

    /// Saves through the job context (durable when it returns).
    result<void> save(workers::job_context& ctx) const;

private:
    nlohmann::json doc_ = nlohmann::json::object();
};

/// A decision to write to Ashby: the tag of tags.<flow> and a note with the case link.
struct decision_input {
    config::flow_kind flow = config::flow_kind::screening;
    std::string candidate_id;
    std::string application_id;
    std::string eval_id;
    std::string workflow;
    std::string decision;  ///< upper case: ACCEPT, REVIEW, REJECT, RESUBMIT, ...
    std::vector<reason_code> reasons;
    std::string ref;  ///< the note marker reference, e.g. rb-screening-<application_id>/decision
    /// Extra note lines (plain text), e.g. the DocV document type or why the flow ended.
    std::vector<std::string> details;
    /// The evaluation record's state once applied: completed, declined or expired.
    std::string final_state = "completed";
};

/// The tag title for a decision of a flow (tags.screening / tags.document_verification);
/// nullopt when the decision has none (e.g. UNKNOWN).
std::optional<std::string> tag_for(const config::tags_config& tags, config::flow_kind flow,
                                   std::string_view decision);

/// The outcome for a failed upstream call: retry (with Retry-After) when transient, a
/// permanent failure otherwise. `what` names the call ("ashby candidate.info").
workers::job_outcome outcome_for(const clients::upstream_error& e, std::string_view what);

/// What both flows read first: the application (with its form submissions) and its candidate.
struct applicant_read {
    clients::ashby::application app;
    clients::ashby::candidate cand;
    std::string candidate_id;  ///< the application's candidate, else the one given
};

/// Reads the application, then its candidate, auditing each step. On failure: the job's
/// outcome (retry with Retry-After when transient, a permanent failure otherwise).
/// `webhook_payload` is the job's payload: what the API's application lacks and the webhook's
/// `data.application` carries (submitterClientIp) is taken from it.
std::variant<applicant_read, workers::job_outcome> read_applicant(
    workers::job_context& ctx, flow_clients& c, const std::string& application_id,
    std::string candidate_id, const nlohmann::json& webhook_payload);

/// The request id of a flow's evaluation for an application: reusing it makes RiskOS re-run
/// the same evaluation, so at most one evaluation exists per application and flow.
std::string evaluation_request_id(config::flow_kind flow, std::string_view application_id);

/// The note marker reference of a flow's step for an application, e.g.
/// "rb-screening-<application_id>/decision" (step: decision, consent, missing). The
/// riskos_event handler uses the same reference when it finishes a paused evaluation, so the
/// decision note is written once whichever job writes it.
std::string note_ref(config::flow_kind flow, std::string_view application_id,
                     std::string_view step);

class flow_service {
public:
    /// `observer`, when set, is told about every Ashby and RiskOS call (upstream metrics).
    flow_service(config::config cfg, clock& clk, http_factory make = {},
                 clients::upstream_observer observer = {});

    const config::config& cfg() const noexcept { return cfg_; }
    clock& clk() noexcept { return clk_; }
    client_pool& clients() noexcept { return clients_; }
    tag_cache& tags() noexcept { return tags_; }
    evaluation_reads& reads() noexcept { return reads_; }

    /// The `screening` job handler (screening.cpp).
    workers::job_outcome run_screening(workers::job_context& ctx);
    /// The `document_verification` job handler (document_verification.cpp).
    workers::job_outcome run_document_verification(workers::job_context& ctx);
    /// The `riskos_event` job handler: a stored RiskOS webhook (riskos_events.cpp). A decision
    /// is taken from RiskOS's API (read back through reads()), never from the event's body.
    workers::job_outcome run_riskos_event(workers::job_context& ctx);
    /// The `finish_evaluation` job handler: the one job that ends an evaluation (finish.cpp).
    workers::job_outcome run_finish_evaluation(workers::job_context& ctx);
    /// The `reconcile` job handler: reads a waiting evaluation back (reconcile.cpp).
    workers::job_outcome run_reconcile(workers::job_context& ctx);

    // ---- steps shared by the flows; each returns nullopt when done, an outcome to stop ----

    /// Adds the tag `title` to the candidate once (checkpoint tags.<key>).
    std::optional<workers::job_outcome> ensure_tag(workers::job_context& ctx, flow_checkpoint& cp,
                                                   flow_clients& c, std::string_view key,
                                                   const std::string& candidate_id,
                                                   const std::string& title);
    /// Writes the note once (checkpoint notes.<key>; marker `ref` in the HTML).
    std::optional<workers::job_outcome> ensure_note(workers::job_context& ctx, flow_checkpoint& cp,
                                                    flow_clients& c, std::string_view key,
                                                    const std::string& candidate_id,
                                                    std::string_view ref, const std::string& html,
                                                    bool notify);

    /// Tag by tags.<flow>, note with the decision, reason codes and case link, then the
    /// evaluation record `completed`. Resumable from `cp` (keys tags.decision,
    /// notes.decision); for the screening job and for the riskos_event handler alike.
    workers::job_outcome apply_decision(workers::job_context& ctx, flow_checkpoint& cp,
                                        flow_clients& c, const decision_input& in);

    /// Writes the decision of a finished evaluation (tag, note, record in its final state)
    /// and then, for the DocV flow, the final status. Resumable from `cp`. (finish.cpp)
    workers::job_outcome finish(workers::job_context& ctx, flow_checkpoint& cp, flow_clients& c,
                                const store::evaluation_record& rec, const finish_request& f);
    /// Pushes the DocV verification status (docv.hpp) to ashby.status_custom_field, once per
    /// value (checkpoint key "status"). A non-final status (requested, in progress) is
    /// written only while the evaluation waits, and checked against the record afterwards:
    /// when the evaluation was finished meanwhile, the final status is written again, so the
    /// final one always wins (the finish job writes the record's final state before its
    /// status). Nothing when no field is configured or the flow is not DocV. Permanent
    /// failures are audited and skipped. (finish.cpp)
    std::optional<workers::job_outcome> push_status(workers::job_context& ctx, flow_checkpoint& cp,
                                                    flow_clients& c,
                                                    const store::evaluation_record& rec,
                                                    verification_status status);

private:
    config::config cfg_;
    clock& clk_;
    client_pool clients_;
    tag_cache tags_;
    evaluation_reads reads_;  ///< the riskos_event handler's reads (riskos_events.cpp)
};

/// Registers the flow handlers (`screening`, `document_verification`, `riskos_event`,
/// `finish_evaluation`, `reconcile`) with the worker pool's registry.
void register_flows(workers::handler_registry& registry, std::shared_ptr<flow_service> service);

}  // namespace riskbridge::flows
