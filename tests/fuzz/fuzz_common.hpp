#pragma once

// Helpers shared by the libFuzzer targets: quiet logs, a synchronous in-memory job store for
// the webhook handler, and checks that stop the run (a crash libFuzzer reports) when an
// invariant fails.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Aborts with a message: libFuzzer saves the input as a crash artifact.
[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
}

inline void check(bool ok, const char* what) {
    if (!ok) {
        fail(what);
    }
}

/// Logging off: the targets run millions of inputs and the handler logs every one.
inline void quiet_logs() {
    log::set_level(log::level::off);
}

/// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
inline bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > text.size()) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

/// A job store that answers ingestion at once, on the calling thread, and keeps only the
/// last job it was given; everything else is unavailable (the handler never calls it).
class inline_store final : public store::job_store {
public:
    std::optional<store::new_job> last_job;
    std::size_t quarantined = 0;

    void enqueue_async(store::enqueue_request req, store::enqueue_callback done) override {
        last_job = std::move(req.job);
        done({store::enqueue_status::accepted, 1, {}});
    }
    void quarantine_async(store::quarantine_request, store::quarantine_callback done) override {
        ++quarantined;
        done(result<void>{});
    }

    result<std::optional<store::job>> claim(std::string_view, time_point, milliseconds,
                                            const std::vector<std::string>&) override {
        return no();
    }
    result<void> extend_lease(store::job_id, std::string_view, time_point) override { return no(); }
    result<void> save_checkpoint(store::job_id, std::string_view, std::string_view) override {
        return no();
    }
    result<void> mark_done(store::job_id, std::string_view, std::string_view) override {
        return no();
    }
    result<void> mark_retry(store::job_id, std::string_view, time_point,
                            std::string_view) override {
        return no();
    }
    result<void> mark_dead(store::job_id, std::string_view, std::string_view) override {
        return no();
    }
    result<int> release_leases(std::string_view) override { return no(); }
    result<store::job_id> add_job(const store::new_job&, time_point) override { return no(); }
    result<bool> try_acquire_singleton(std::string_view, std::string_view, time_point,
                                       milliseconds) override {
        return no();
    }
    result<void> upsert_evaluation(const store::evaluation_record&) override { return no(); }
    result<std::optional<store::evaluation_record>> find_evaluation(std::string_view) override {
        return no();
    }
    result<std::optional<store::evaluation_record>> find_evaluation_by_docv_token(
        std::string_view) override {
        return no();
    }
    result<std::vector<store::evaluation_record>> evaluations_for_candidate(
        std::string_view) override {
        return no();
    }
    result<std::vector<store::evaluation_record>> stale_evaluations(
        const std::vector<store::evaluation_state>&, time_point, int) override {
        return no();
    }
    result<void> append_audit(const store::audit_entry&) override { return no(); }
    result<std::vector<store::audit_entry>> audit_for_job(store::job_id) override { return no(); }
    result<std::vector<store::job>> list_jobs(std::optional<store::job_state>, int) override {
        return no();
    }
    result<std::optional<store::job>> get_job(store::job_id) override { return no(); }
    result<std::vector<store::job_attempt>> job_attempts(store::job_id) override { return no(); }
    result<int> retry_dead(std::optional<store::job_id>, time_point) override { return no(); }
    result<int> purge_finished(time_point) override { return no(); }
    result<store::erasure_report> erase_candidate(const store::erasure_request&) override {
        return no();
    }
    result<int> merge_candidate(std::string_view, std::string_view, time_point) override {
        return no();
    }
    result<std::vector<store::quarantine_entry>> list_quarantine(int) override { return no(); }
    result<store::store_stats> stats() override { return no(); }
    bool writable() const override { return true; }
    void shutdown() override {}

private:
    static error no() { return make_error(errc::unavailable, "fuzz store"); }
};

}  // namespace riskbridge::fuzz
