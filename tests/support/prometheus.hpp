#pragma once

// Reading one sample out of Prometheus text, as /metrics and metrics::serialize() write it.

#include <cstdlib>
#include <string>

namespace riskbridge::testing {

/// The value of the sample line `series` (the name and labels exactly as serialized: labels
/// sorted by name), or -1 when there is no such line.
inline double metric_sample(const std::string& text, const std::string& series) {
    const std::string prefix = series + " ";
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t end = std::min(text.find('\n', at), text.size());
        if (text.compare(at, prefix.size(), prefix) == 0) {
            return std::strtod(text.c_str() + at + prefix.size(), nullptr);
        }
        at = end + 1;
    }
    return -1;
}

}  // namespace riskbridge::testing
