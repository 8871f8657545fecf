#pragma once

// Times one upstream call and tells the client's upstream_observer about it exactly once,
// when the call's scope ends: the clients say what came back (an HTTP status, a failure, or
// Ashby's `success: false`) and this turns it into the bounded labels of upstream_call.
// Also what the Ashby and RiskOS clients share around a call: sending it observed, and the
// error for an answer they cannot use.

#include <chrono>
#include <string>
#include <string_view>

#include "riskbridge/clients/http_client.hpp"

namespace riskbridge::clients::detail {

class observed_call {
public:
    observed_call(const upstream_observer& observer, std::string_view service,
                  std::string_view endpoint)
        : observer_(observer),
          service_(service),
          endpoint_(endpoint),
          started_(std::chrono::steady_clock::now()),
          ended_(started_) {}

    ~observed_call() {
        if (!observer_ || status_.empty()) {
            return;  // no observer, or the call was never sent
        }
        try {
            observer_(upstream_call{
                service_, endpoint_, status_,
                std::chrono::duration_cast<std::chrono::microseconds>(ended_ - started_)});
        } catch (...) {
            // Metrics must never change a call's outcome.
        }
    }

    observed_call(const observed_call&) = delete;
    observed_call& operator=(const observed_call&) = delete;

    /// An HTTP answer arrived.
    void answered(long http_status) {
        ended_ = std::chrono::steady_clock::now();
        status_ = std::to_string(http_status);
    }
    /// No answer (network, timeout, tls, protocol).
    void failed(const upstream_error& e) {
        ended_ = std::chrono::steady_clock::now();
        status_ = status_label(e);
    }
    /// A status for an answer that said no in its own envelope ("api_error").
    void relabel(std::string_view status) { status_ = std::string(status); }

private:
    const upstream_observer& observer_;
    std::string_view service_;
    std::string_view endpoint_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point ended_;
    std::string status_;
};

/// Sends `call` and tells `observed` what came back: the answer whatever its status, or the
/// failure.
inline upstream_result<http_response> send_observed(http_client& http, const http_call& call,
                                                    observed_call& observed) {
    auto sent = http.send(call);
    if (!sent) {
        observed.failed(sent.error());
    } else {
        observed.answered(sent->status);
    }
    return sent;
}

/// An answer (or a request) the client cannot use: permanent, `<what>: <text>`.
inline upstream_error protocol_error(const std::string& what, std::string code,
                                     std::string_view text, long status = 0) {
    upstream_error e;
    e.kind = failure_kind::protocol;
    e.status = status;
    e.transient = false;
    e.code = std::move(code);
    e.message = what + ": " + std::string(text);
    return e;
}

}  // namespace riskbridge::clients::detail
