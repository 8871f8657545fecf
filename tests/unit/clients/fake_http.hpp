#pragma once

// A scripted http_client: records every call and answers from a queue.

#include <deque>
#include <vector>

#include "riskbridge/clients/http_client.hpp"

namespace riskbridge::clients::testing {

class fake_http final : public http_client {
public:
    upstream_result<http_response> send(const http_call& call) override {
        calls.push_back(call);
        if (answers.empty()) {
            upstream_error e;
            e.kind = failure_kind::network;
            e.transient = true;
            e.code = "no_script";
            e.message = "fake: no answer scripted";
            return e;
        }
        auto next = std::move(answers.front());
        answers.pop_front();
        return next;
    }

    void reply(long status, std::string body, std::map<std::string, std::string> headers = {}) {
        http_response r;
        r.status = status;
        r.body = std::move(body);
        r.headers = std::move(headers);
        answers.emplace_back(std::move(r));
    }
    void fail(upstream_error e) { answers.emplace_back(std::move(e)); }

    std::string header(std::size_t call, const std::string& name) const {
        for (const auto& [k, v] : calls.at(call).headers) {
            if (k == name) {
                return v;
            }
        }
        return {};
    }
    bool has_header(std::size_t call, const std::string& name) const {
        for (const auto& [k, v] : calls.at(call).headers) {
            if (k == name) {
                return true;
            }
        }
        return false;
    }

    std::vector<http_call> calls;
    std::deque<upstream_result<http_response>> answers;
};

}  // namespace riskbridge::clients::testing
