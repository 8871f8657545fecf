#pragma once

// `riskbridge demo`: the whole product on one machine, with no configuration and no
// credentials. The Ashby and RiskOS simulators run in this process, the daemon
// (`riskbridge serve`) runs as a child process on a temporary SQLite store, signed webhooks
// for a handful of fictional applicants go in, and a table of what happened to each comes
// out (decision, tags, notes, case link, time). Exit 0 only when every outcome is the
// expected one.

namespace riskbridge::app {

struct demo_command_options {
    bool keep = false;     ///< keep the temporary directory (config, store, logs)
    int timeout_s = 60;    ///< how long to wait for every flow to finish
    bool verbose = false;  ///< show the daemon's log at the end
};

/// Runs the demo. Returns 0 when every outcome matched, 1 when one did not, 2 when the demo
/// could not be set up, 130 when interrupted.
int run_demo(const demo_command_options& options);

}  // namespace riskbridge::app
