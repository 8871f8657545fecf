#pragma once

// The handlers of the erasure and merge jobs that Ashby's candidateDelete and candidateMerge
// webhooks store (store::erase_candidate_kind, store::merge_candidates_kind). The work itself
// is the store's (store_admin::erase_candidate, merge_candidate); `riskbridge erase` calls the
// same. The daemon runs these kinds on a worker of their own, so an erasure never waits behind
// the flows' upstream calls.

#include <string>
#include <vector>

#include "riskbridge/store/job_store.hpp"
#include "riskbridge/workers/worker_pool.hpp"

namespace riskbridge::flows {

/// The erasure and merge handlers; the store's administration role does the work.
void register_privacy(workers::handler_registry& registry, store::store_admin& admin);

/// One line per kind, for people: "jobs 3 (1 cancelled), evaluations 1, ...".
std::string describe(const store::erasure_report& r);

}  // namespace riskbridge::flows
