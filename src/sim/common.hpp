#pragma once

// What both simulators share: the HTTP server (riskbridge::http), fault injection, delayed
// answers, call counting, the /_sim/faults endpoint, and small helpers.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/http/message.hpp"
#include "riskbridge/http/server.hpp"
#include "riskbridge/sim/faults.hpp"
#include "sim/scheduler.hpp"

namespace riskbridge::sim::detail {

using nlohmann::json;

/// Never throws on invalid UTF-8.
inline std::string dump(const json& j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
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

struct host_handlers {
    /// The counting key of an API request, e.g. "candidate.info" or "POST /api/evaluation".
    std::function<std::string(const http::request&)> key;
    /// Answers an API request (auth included). Runs on an I/O thread: no waiting.
    std::function<http::response(const http::request&)> api;
    /// Answers /_sim/... requests other than /_sim/faults; nullopt = 404. The responder
    /// may be kept and called later (once).
    std::function<bool(const http::request&, const http::respond_fn&)> control;
};

/// One simulator's listener.
class sim_host {
public:
    sim_host(std::string name, std::string host, std::uint16_t port, int threads,
             std::uint64_t seed);
    ~sim_host();

    result<void> start(host_handlers handlers);
    /// Answers what is still owed (delayed answers), then closes the listener. Idempotent.
    void stop();
    bool running() const { return running_.load(); }

    std::uint16_t port() const;
    std::string base_url() const;
    fault_injector& faults() { return faults_; }
    const fault_injector& faults() const { return faults_; }
    int calls(const std::string& key) const;
    std::map<std::string, int> call_counts() const;

private:
    void handle(http::request req, http::respond_fn respond);

    std::string name_;
    std::string host_;
    std::uint16_t configured_port_;
    int threads_;
    fault_injector faults_;
    host_handlers handlers_;
    std::unique_ptr<scheduler> delayed_;
    std::unique_ptr<http::server> server_;
    std::atomic<bool> running_{false};
    mutable std::mutex mutex_;
    std::map<std::string, int> calls_;
};

}  // namespace riskbridge::sim::detail
