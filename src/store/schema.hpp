#pragma once

// The versioned schema steps both store backends apply (each with its own SQL; the versions
// match), and the error for a database whose schema is newer than this build. Private to the
// store implementations.

#include "riskbridge/core/error.hpp"

namespace riskbridge::store::detail {

/// One schema step. A backend lists its steps in order; a step is never edited once released,
/// later changes are new steps.
struct migration {
    int version;
    const char* sql;
};

/// The database's schema is newer than this build's migrations know.
error newer_schema(int found, int latest_known);

}  // namespace riskbridge::store::detail
