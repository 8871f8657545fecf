#pragma once

#include <string>

namespace riskbridge::app {

/// Parses the command line and runs the chosen command; returns the process exit code.
int run_cli(int argc, char** argv);

/// `riskbridge serve`: runs the daemon until SIGTERM/SIGINT. Returns the exit code.
int run_daemon(const std::string& config_path);

}  // namespace riskbridge::app
