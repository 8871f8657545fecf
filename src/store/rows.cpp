#include "store/rows.hpp"

namespace riskbridge::store::detail {

std::int64_t unix_ms_or(time_point t, time_point now) {
    return to_unix_ms(t.time_since_epoch().count() == 0 ? now : t);
}

store_stats empty_stats() {
    store_stats out;
    for (auto st : {job_state::queued, job_state::running, job_state::retry_wait, job_state::done,
                    job_state::dead, job_state::cancelled}) {
        out.jobs_by_state[st] = 0;
    }
    return out;
}

const char* release_reason(std::string_view owner) noexcept {
    return owner.empty() ? "lease released at start-up" : "lease released by owner";
}

}  // namespace riskbridge::store::detail
