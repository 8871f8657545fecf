#pragma once

// A minimal Ashby `applicationSubmit` delivery for the HTTP tests: the envelope the daemon
// checks (webhookActionId, action, application and candidate ids), nothing personal.

#include <string>

#include <nlohmann/json.hpp>

namespace riskbridge::testing {

/// The body of an applicationSubmit delivery whose ids all end in `id`.
inline std::string application_submitted(const std::string& id) {
    return nlohmann::json{
        {"webhookActionId", id},
        {"action", "applicationSubmit"},
        {"data",
         {{"application",
           {{"id", "app-" + id}, {"candidate", {{"id", "cand-" + id}, {"name", "X"}}}}}}}}
        .dump();
}

}  // namespace riskbridge::testing
