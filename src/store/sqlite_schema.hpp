#pragma once

// Private to the SQLite store: its schema, created and upgraded through numbered migration
// steps (schema.hpp) in one transaction.

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "store/sqlite_db.hpp"

namespace riskbridge::store::detail {

/// The schema version this build migrates to.
int sqlite_latest_schema_version() noexcept;

/// Creates or upgrades the schema in one transaction (on a connection that is not in one).
/// A no-op at the latest version; an error for a database newer than this build.
result<void> sqlite_migrate(const database& db, clock& clk);

/// Schema step 3: adds 'cancelled' to the jobs table's state check (in the caller's
/// migration transaction).
result<void> allow_cancelled_state(const database& db);

}  // namespace riskbridge::store::detail
