#pragma once

// `riskbridge sim`: the Ashby and RiskOS simulators as a standalone process.

#include <cstdint>
#include <optional>
#include <string>

namespace riskbridge::app {

/// The simulators' ports when neither the option nor the config's URL gives one.
inline constexpr std::uint16_t default_ashby_sim_port = 9101;
inline constexpr std::uint16_t default_riskos_sim_port = 9102;

struct sim_command_options {
    std::string config_path;
    /// else the port of ashby.api_base_url, else default_ashby_sim_port
    std::optional<std::uint16_t> ashby_port;
    /// else the port of riskos.api_base_url, else default_riskos_sim_port
    std::optional<std::uint16_t> riskos_port;
    std::string host = "127.0.0.1";  ///< where the simulators listen
    std::string daemon_url;          ///< where webhooks go; default http://127.0.0.1:<server port>
    long long docv_delay_ms = 3000;  ///< DocV captures run by themselves after this; <0: never
    bool fraud_detection = true;     ///< false: the fake Ashby refuses candidate.setFraudStatus
    std::uint64_t seed = 1;
};

/// Runs both simulators with the sample applicants until SIGINT/SIGTERM. Returns the exit code.
int run_sim(const sim_command_options& options);

}  // namespace riskbridge::app
