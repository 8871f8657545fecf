#pragma once

// The riskos_event handler's reads of GET /api/evaluation/{eval_id} (riskos_event.cpp).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/clock.hpp"

namespace riskbridge::flows {

/// How long a successful read serves the events that arrive after it started.
inline constexpr auto evaluation_read_ttl = std::chrono::seconds{2};
/// At most this many reads are kept (the oldest go first).
inline constexpr std::size_t max_evaluation_reads_kept = 1024;

/// GET /api/evaluation/{eval_id} shared by the riskos_event jobs of one evaluation, so a burst
/// of events for it (RiskOS's retries, duplicates under new event_ids) costs one read, not one
/// each. A caller is given a read that started at or after `not_before` (its event's arrival:
/// the read reflects at least what the event reports) and ended less than ttl() ago; while a
/// read of the evaluation is in flight, other callers wait for it instead of starting their own
/// (single flight), whether it succeeds or fails. Only successful reads are kept, for ttl(), and
/// at most `max_entries` of them (the oldest go first). Thread-safe.
class evaluation_reads {
public:
    using read_result = clients::upstream_result<clients::riskos::evaluation>;
    using read_fn = std::function<read_result()>;

    explicit evaluation_reads(std::chrono::milliseconds ttl = evaluation_read_ttl,
                              std::size_t max_entries = max_evaluation_reads_kept);

    /// A fresh enough read of `eval_id`: kept, in flight (waited for), or made by `fetch` on
    /// the calling thread. `clk` times the reads.
    read_result read(const std::string& eval_id, time_point not_before, const clock& clk,
                     const read_fn& fetch);

    std::chrono::milliseconds ttl() const noexcept { return ttl_; }
    /// Reads kept or in flight (for tests and diagnostics).
    std::size_t size() const;
    /// Callers waiting for a read another one is making (for tests and diagnostics).
    std::size_t waiting() const;

private:
    struct entry;
    /// Drops expired reads; at the limit, also the oldest finished ones. Under mutex_.
    void make_room(time_point now);

    const std::chrono::milliseconds ttl_;
    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::condition_variable finished_;
    std::unordered_map<std::string, std::shared_ptr<entry>> entries_;
    std::size_t waiting_ = 0;
};

}  // namespace riskbridge::flows
