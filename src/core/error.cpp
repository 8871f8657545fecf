#include "riskbridge/core/error.hpp"

namespace riskbridge {

std::string_view to_string(errc code) noexcept {
    switch (code) {
        case errc::invalid_argument:
            return "invalid_argument";
        case errc::parse_error:
            return "parse_error";
        case errc::not_found:
            return "not_found";
        case errc::conflict:
            return "conflict";
        case errc::unauthorized:
            return "unauthorized";
        case errc::unavailable:
            return "unavailable";
        case errc::overloaded:
            return "overloaded";
        case errc::timeout:
            return "timeout";
        case errc::io_error:
            return "io_error";
        case errc::transient:
            return "transient";
        case errc::permanent:
            return "permanent";
        case errc::internal:
            return "internal";
    }
    return "unknown";
}

}  // namespace riskbridge
