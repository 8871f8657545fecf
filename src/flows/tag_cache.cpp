#include "riskbridge/flows/tag_cache.hpp"

namespace riskbridge::flows {

clients::upstream_result<std::string> tag_cache::id_for(clients::ashby::ashby_client& ashby,
                                                        const std::string& title) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (const auto it = ids_.find(title); it != ids_.end()) {
            return it->second;
        }
        if (!creating_.contains(title)) {
            break;
        }
        // Another worker is creating it; its answer serves this one too (bounded by its
        // request timeout). When it fails, one of the waiters tries next.
        ++waiting_;
        created_.wait(lock);
        --waiting_;
    }
    creating_.insert(title);
    lock.unlock();
    std::optional<clients::upstream_result<clients::ashby::tag>> created;
    try {
        created.emplace(ashby.create_tag(title));  // not under the lock: others keep working
    } catch (...) {
        finish_creating(title, nullptr);  // the waiters must not wait for ever
        throw;
    }
    finish_creating(title, *created ? &(*created)->id : nullptr);
    if (!*created) {
        return std::move(*created).error();
    }
    return (*created)->id;
}

void tag_cache::finish_creating(const std::string& title, const std::string* id) {
    {
        std::lock_guard lock(mutex_);
        creating_.erase(title);
        if (id != nullptr) {
            ids_[title] = *id;
        }
    }
    created_.notify_all();
}

void tag_cache::forget(const std::string& title) {
    std::lock_guard lock(mutex_);
    ids_.erase(title);
}

std::size_t tag_cache::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
}

std::optional<std::string> tag_cache::cached(const std::string& title) const {
    std::lock_guard lock(mutex_);
    const auto it = ids_.find(title);
    return it == ids_.end() ? std::nullopt : std::optional<std::string>(it->second);
}

}  // namespace riskbridge::flows
