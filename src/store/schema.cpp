#include "store/schema.hpp"

#include <string>

namespace riskbridge::store::detail {

error newer_schema(int found, int latest_known) {
    return make_error(errc::invalid_argument,
                      "the store's schema version " + std::to_string(found) +
                          " is newer than this build knows (" + std::to_string(latest_known) + ")");
}

}  // namespace riskbridge::store::detail
