#pragma once

// The argument checks and the errors that both store backends report the same way, so the two
// answer alike before and after they reach their database. Private to the store
// implementations.

#include <string_view>

#include "riskbridge/core/error.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::store::detail {

/// claim(): an owner is required.
result<void> check_claim(std::string_view owner);
/// add_job(): a job needs a kind (it names the handler).
result<void> check_new_job(const new_job& j);
/// try_acquire_singleton(): a name and an owner are required.
result<void> check_singleton(std::string_view name, std::string_view owner);
/// upsert_evaluation(): an evaluation needs its eval_id.
result<void> check_evaluation(const evaluation_record& e);

/// An owner-guarded update changed no row: `owner` no longer holds the lease (errc::conflict).
error lease_not_held(std::string_view what);

}  // namespace riskbridge::store::detail
