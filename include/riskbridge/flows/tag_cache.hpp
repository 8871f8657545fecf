#pragma once

// Ashby tag ids by title, for the tag steps (flow_service::ensure_tag).

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "riskbridge/clients/ashby/ashby_client.hpp"

namespace riskbridge::flows {

/// Tag title -> Ashby tag id, filled by candidateTag.create (create-or-get) once per title and
/// process: concurrent callers for a title share one creation. Thread-safe.
class tag_cache {
public:
    /// The tag's id: cached, or created (create-or-get) by one caller while the others asking
    /// for the same title wait for its answer, so each title is created once per process.
    clients::upstream_result<std::string> id_for(clients::ashby::ashby_client& ashby,
                                                 const std::string& title);
    void forget(const std::string& title);
    std::optional<std::string> cached(const std::string& title) const;
    /// Callers waiting for a title another one is creating (for tests and diagnostics).
    std::size_t waiting() const;

private:
    /// Ends a creation: caches `id` (null when it failed) and wakes the waiters.
    void finish_creating(const std::string& title, const std::string* id);

    mutable std::mutex mutex_;
    std::condition_variable created_;
    std::unordered_map<std::string, std::string> ids_;
    std::unordered_set<std::string> creating_;
    std::size_t waiting_ = 0;
};

}  // namespace riskbridge::flows
