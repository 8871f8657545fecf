#pragma once

// Reconciliation (reconcile.cpp): `reconcile` jobs read back evaluations that have waited
// longer than riskos.reconcile_after, in case a RiskOS webhook was missed or a capture link
// lapsed.

#include <string_view>

#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::flows {

/// The most waiting evaluations one scheduling run looks at.
inline constexpr int max_reconciled_per_run = 500;

/// Queues the docv_reminder job of a DocV evaluation waiting for capture (one per eval_id,
/// unique_key "remind:<eval_id>"; reissue.cpp). Returns its id.
result<store::job_id> enqueue_reminder(store::job_queue& queue, const store::evaluation_record& rec,
                                       time_point now);

/// Enqueues one `reconcile` job for each evaluation waiting longer than
/// riskos.reconcile_after (unique per eval_id and reconcile_after window, so an evaluation is
/// read back at most once per window), when `owner` holds the "reconcile" singleton lease of
/// the store (one replica schedules at a time). Quick: no upstream call. Returns the number of
/// evaluations looked at (0 when another replica holds the lease).
result<int> schedule_reconciliation(store::job_queue& st, store::evaluation_store& evaluations,
                                    const config::config& cfg, std::string_view owner,
                                    time_point now, int limit = max_reconciled_per_run);

}  // namespace riskbridge::flows
