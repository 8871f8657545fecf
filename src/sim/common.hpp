#pragma once

// What both simulators share: the HTTP server (riskbridge::http), fault injection, delayed
// answers, call counting, the /_sim/faults and /_sim/state endpoints, the outbox thread and
// the client that sends webhooks, and small helpers.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/encoding.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/http/server.hpp"
#include "riskbridge/sim/faults.hpp"
#include "sim/scheduler.hpp"

namespace riskbridge::sim::detail {

using nlohmann::json;

/// How long stop() waits for the simulator's connections to finish.
constexpr auto drain_timeout = std::chrono::milliseconds{1'000};
/// The outbound webhook client: connecting, and the whole call.
constexpr auto webhook_connect_timeout = std::chrono::milliseconds{2'000};
constexpr auto webhook_total_timeout = std::chrono::milliseconds{10'000};
/// Call-counting keys keep at most this much of the request path.
constexpr std::size_t max_call_key_path_chars = 64;

/// Never throws on invalid UTF-8.
inline std::string dump(const json& j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

/// `raw` parsed; null when it is not JSON.
inline json parse_or_null(const std::string& raw) {
    json v = json::parse(raw, nullptr, false);
    return v.is_discarded() ? json(nullptr) : v;
}

http::response json_response(unsigned status, const json& body);

/// A UUID-shaped id derived from text (same text, same id): sha256, version nibble 4.
std::string uuid_from(std::string_view text);

/// A seeded source of UUID-shaped ids. Thread-safe.
class id_source {
public:
    explicit id_source(std::uint64_t seed) : rng_(seed) {}
    std::string next();

private:
    std::mutex mutex_;
    std::mt19937_64 rng_;
};

/// The lower-cased local part of an email address ("" when there is none).
std::string email_local_part(std::string_view email);

/// The current time as RFC 3339 text, from `clk` (the system clock when null).
std::string now_text(const clock* clk);

/// `body[key]` when it is a non-empty string; else null (also when `body` is no object).
const std::string* string_field(const json& body, const char* key);
/// `body[key]` when it is a string; else "" (also when `body` is no object).
std::string text_at(const json& body, const char* key);

/// What follows `<scheme> ` in an Authorization header (the scheme in any letter case);
/// nullopt when the header names another scheme.
std::optional<std::string_view> credentials_after(std::string_view header, std::string_view scheme);

/// A libcurl client for a simulator's outbound webhooks (webhook_*_timeout).
std::unique_ptr<clients::http_client> make_webhook_sender(std::string user_agent);
/// A POST of the JSON `body` to `url`, with one more header (the webhook's credential).
clients::http_call json_post(std::string url, std::string body, std::string header_name,
                             std::string header_value);

struct host_handlers {
    /// The counting key of an API request, e.g. "candidate.info" or "POST /api/evaluation".
    std::function<std::string(const http::request&)> key;
    /// Answers an API request (auth included). Runs on an I/O thread: no waiting.
    std::function<http::response(const http::request&)> api;
    /// What GET /_sim/state shows (see sim_host::state_text).
    std::function<std::string()> state;
    /// Answers /_sim/... requests other than /_sim/faults and GET /_sim/state; false = 404.
    /// The responder may be kept and called later (once).
    std::function<bool(const http::request&, const http::respond_fn&)> control;
};

/// One simulator's listener.
class sim_host {
public:
    sim_host(std::string name, std::string host, std::uint16_t port, int threads,
             std::uint64_t seed);
    ~sim_host();

    result<void> start(host_handlers handlers);
    /// Stops the outbox (what is still queued there is dropped), answers what is still owed
    /// (delayed answers), then closes the listener. Idempotent.
    void stop();
    bool running() const { return running_.load(); }

    std::uint16_t port() const;
    std::string base_url() const;
    fault_injector& faults() { return faults_; }
    const fault_injector& faults() const { return faults_; }
    int calls(const std::string& key) const;
    std::map<std::string, int> call_counts() const;
    /// The simulator's own thread for outbound work (webhooks), so an I/O thread never
    /// waits for a webhook target. Valid once started.
    scheduler& outbox() { return *outbox_; }
    /// `fields` with the call counts ("calls") and the faults ("faults") added, as
    /// indented JSON: the body of GET /_sim/state.
    std::string state_text(json fields) const;

private:
    void handle(http::request req, http::respond_fn respond);

    std::string name_;
    std::string host_;
    std::uint16_t configured_port_;
    int threads_;
    fault_injector faults_;
    host_handlers handlers_;
    std::unique_ptr<scheduler> delayed_;
    std::unique_ptr<scheduler> outbox_;
    std::unique_ptr<http::server> server_;
    std::atomic<bool> running_{false};
    mutable std::mutex mutex_;
    std::map<std::string, int> calls_;
};

}  // namespace riskbridge::sim::detail
