#pragma once

// What the SQLite store does for privacy: erasure of one candidate, the move of a merged
// candidate's rows, and retention over every table (the schema step that lets a job end
// cancelled is in sqlite_schema.hpp). Private to the store; the callers hold the connection's
// locks and none of these runs inside another transaction (each begins its own).

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "riskbridge/store/job_store.hpp"
#include "store/sqlite_db.hpp"

namespace riskbridge::store::detail {

result<erasure_report> sqlite_erase_candidate(const database& db, const erasure_request& req);
result<int> sqlite_merge_candidate(const database& db, std::string_view from, std::string_view into,
                                   time_point at);
result<int> sqlite_purge(const database& db, time_point older_than);

/// Copies the WAL into the database and truncates it to zero bytes, so that the frames that
/// held erased values are gone from the disk file too. Waits for readers up to the
/// connection's busy timeout; false when they did not leave in time.
bool sqlite_truncate_wal(const database& db);

}  // namespace riskbridge::store::detail
