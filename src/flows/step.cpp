#include "riskbridge/flows/step.hpp"

#include <string>

namespace riskbridge::flows {

workers::job_outcome outcome_for(const clients::upstream_error& e, std::string_view what) {
    std::string msg = std::string(what) + ": " + e.message;
    if (!e.code.empty() && e.message.find(e.code) == std::string::npos) {
        msg += " (" + e.code + ")";
    }
    if (e.transient) {
        return workers::job_outcome::retry(std::move(msg), e.retry_after);
    }
    return workers::job_outcome::fail(std::move(msg));
}

workers::job_outcome checkpoint_failed(const error& e) {
    return workers::job_outcome::retry("checkpoint not saved: " + std::string(to_string(e.code)));
}

workers::job_outcome store_failed(std::string_view what, const error& e) {
    return workers::job_outcome::retry(std::string(what) + ": " + std::string(to_string(e.code)));
}

}  // namespace riskbridge::flows
