#pragma once

// What the PostgreSQL store does for privacy: erasure of one candidate, the move of a merged
// candidate's rows, and retention over every table. Private to the store; each function runs
// its own transaction on the connection it is given.
//
// PostgreSQL keeps an updated row's old version until VACUUM reclaims it, and its own WAL
// until it is recycled: erased values leave the tables at once but linger in the data files
// until then (there is no secure delete). docs/threat-model.md says what that leaves to the
// operator.

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/pg_db.hpp"

namespace riskbridge::store::detail {

result<erasure_report> pg_erase_candidate(const pg_connection& c, const erasure_request& req);
result<int> pg_merge_candidate(const pg_connection& c, std::string_view from, std::string_view into,
                               time_point at);
result<int> pg_purge(const pg_connection& c, time_point older_than);

}  // namespace riskbridge::store::detail
