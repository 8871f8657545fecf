#pragma once

// The PostgreSQL store's schema: its versioned migrations (postgres_schema.cpp) and how they
// are applied, once across replicas. Private to the store.

#include "riskbridge/core/clock.hpp"
#include "riskbridge/core/error.hpp"
#include "store/pg_db.hpp"

namespace riskbridge::store::detail {

/// The schema version the PostgreSQL migrations end at (the same as SQLite's).
int pg_latest_schema_version() noexcept;

/// Creates or upgrades the schema in one transaction, under an advisory lock that every
/// replica takes first: the first to start migrates, the others wait and find it done. A
/// database whose schema is newer than this build is refused (errc::invalid_argument).
result<void> pg_migrate(const pg_connection& c, clock& clk);

}  // namespace riskbridge::store::detail
