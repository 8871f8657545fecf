#pragma once

// The one error style inside the flows: a step returns `step<T>`, either its value or the job
// outcome that ends the job now (a retry, a permanent failure, or done early). A `step<void>`
// that holds no outcome (`return {};`) means "keep going". A handler passes an outcome up
// unchanged:
//
//     auto read = read_applicant(...);
//     if (!read) { return std::move(read).error(); }
//
// Failures of the calls a step makes become outcomes here, and only here: an upstream call's
// (outcome_for), a checkpoint save's and a store call's.

#include <string_view>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows {

/// A step's value, or the outcome that ends the job now.
template <class T>
using step = result<T, workers::job_outcome>;

/// The outcome for a failed upstream call: retry (with Retry-After) when transient, a
/// permanent failure otherwise. `what` names the call ("ashby candidate.info").
workers::job_outcome outcome_for(const clients::upstream_error& e, std::string_view what);

/// A checkpoint that was not saved: retry (the effect before it is idempotent or marked).
workers::job_outcome checkpoint_failed(const error& e);

/// A store call that failed: retry, "<what>: <error code>" (e.g. "evaluation not recorded").
workers::job_outcome store_failed(std::string_view what, const error& e);

}  // namespace riskbridge::flows
