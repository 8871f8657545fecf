#include "riskbridge/flows/evaluation_reads.hpp"

#include <algorithm>
#include <optional>

namespace riskbridge::flows {

struct evaluation_reads::entry {
    time_point started{};
    time_point finished{};
    bool done = false;
    std::optional<read_result> result;  ///< none when the read ended in an exception
};

evaluation_reads::evaluation_reads(std::chrono::milliseconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(std::max<std::size_t>(max_entries, 1)) {}

std::size_t evaluation_reads::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::size_t evaluation_reads::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
}

void evaluation_reads::make_room(time_point now) {
    if (entries_.size() < max_entries_) {
        return;
    }
    std::erase_if(entries_, [&](const auto& kv) {
        return kv.second->done && now - kv.second->finished >= ttl_;
    });
    while (entries_.size() >= max_entries_) {
        auto oldest = entries_.end();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->second->done &&
                (oldest == entries_.end() || it->second->finished < oldest->second->finished)) {
                oldest = it;
            }
        }
        if (oldest == entries_.end()) {
            return;  // every read is in flight: they end soon, and are few (one per worker)
        }
        entries_.erase(oldest);
    }
}

evaluation_reads::read_result evaluation_reads::read(const std::string& eval_id,
                                                     time_point not_before, const clock& clk,
                                                     const read_fn& fetch) {
    auto mine = std::make_shared<entry>();
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            const auto it = entries_.find(eval_id);
            if (it == entries_.end()) {
                break;
            }
            const std::shared_ptr<entry> e = it->second;
            if (!e->done) {
                // One read at a time per evaluation: wait for it, then judge it.
                ++waiting_;
                finished_.wait(lock, [&] { return e->done; });
                --waiting_;
                if (e->result && e->started >= not_before) {
                    return *e->result;
                }
                continue;  // it started before this event arrived, or it threw: look again
            }
            if (e->result && e->result->has_value() && e->started >= not_before &&
                clk.now() - e->finished < ttl_) {
                return *e->result;
            }
            break;  // too old: read again
        }
        make_room(clk.now());
        mine->started = clk.now();
        entries_.insert_or_assign(eval_id, mine);
    }
    const auto end = [&](std::optional<read_result> got) {
        {
            std::lock_guard lock(mutex_);
            mine->finished = clk.now();
            mine->result = std::move(got);
            mine->done = true;
            const bool keep = mine->result && mine->result->has_value();
            if (const auto it = entries_.find(eval_id);
                !keep && it != entries_.end() && it->second == mine) {
                entries_.erase(it);
            }
        }
        finished_.notify_all();
    };
    std::optional<read_result> got;
    try {
        got.emplace(fetch());
    } catch (...) {
        end(std::nullopt);
        throw;
    }
    end(got);
    return std::move(*got);
}

}  // namespace riskbridge::flows
