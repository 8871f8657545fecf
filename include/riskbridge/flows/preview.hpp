#pragma once

// `riskbridge preview`: what the screening flow would send to RiskOS for one application,
// with personal values masked, so an administrator can check the mapping before going live.
// Reads the application and the candidate through the Ashby API; calls nothing else.

#include <string>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"

namespace riskbridge::flows {

struct preview_result {
    int exit_code = 0;   ///< 0 ready to send, 3 blocked (consent or missing fields), 1 error
    std::string report;  ///< what to print (masked)
};

preview_result preview_application(const config::config& cfg, const std::string& application_id,
                                   clients::http_client& ashby_http, const clock& clk);

}  // namespace riskbridge::flows
