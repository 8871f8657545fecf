// The encrypting decorator of job_store: see encrypting_store.hpp for what is encrypted, and
// what claim() does with a job that cannot be decrypted.

#include "riskbridge/store/encrypting_store.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "riskbridge/observability/log.hpp"

namespace riskbridge::store {

namespace {

/// How many undecryptable jobs one claim() sets aside before it gives the worker a rest.
constexpr int max_skipped_per_claim = 32;
/// A job written under a key id this replica does not know yet (during a rotation another
/// replica may already encrypt with the new key) waits this long and is tried again, up to
/// unknown_key_attempts claims; then it goes dead like any other undecryptable job.
constexpr std::chrono::seconds unknown_key_wait{60};
constexpr int unknown_key_attempts = 10;

// Where each encrypted value lives, bound into its envelope (security/aead.hpp): a value copied
// to another row, column or table no longer opens. A payload is written before its job has an
// id, so it is bound to what makes the job unique instead: its kind, its correlation id (the
// delivery it came from) and its unique key. A checkpoint is written to an existing job, so it
// is bound to the job's id; a quarantined body to its source and request id.

std::string payload_place(std::string_view kind, std::string_view correlation_id,
                          const std::optional<std::string>& unique_key) {
    std::string where = "jobs.payload/";
    where.append(kind).append("/").append(correlation_id).append("/");
    if (unique_key) {
        where.append(*unique_key);
    }
    return where;
}

std::string checkpoint_place(job_id id) {
    return "jobs.checkpoint/" + std::to_string(id);
}

std::string quarantine_place(std::string_view source, std::string_view request_id) {
    std::string where = "quarantine.body/";
    where.append(source).append("/").append(request_id);
    return where;
}

class encrypting_store final : public job_store {
public:
    encrypting_store(std::unique_ptr<job_store> inner,
                     std::shared_ptr<const security::data_cipher> cipher)
        : inner_(std::move(inner)), cipher_(std::move(cipher)) {}

    // --- ingestion: encrypted here, on the caller's thread; the writer only stores -------

    void enqueue_async(enqueue_request req, enqueue_callback done) override {
        if (req.job) {
            auto sealed = cipher_->encrypt(
                req.job->payload,
                payload_place(req.job->kind, req.job->correlation_id, req.job->unique_key));
            if (!sealed) {
                log::error("store_encrypt_failed", {{"what", "payload"}});
                done({enqueue_status::unavailable, 0, "the payload could not be encrypted"});
                return;
            }
            req.job->payload = std::move(sealed).value();
        }
        inner_->enqueue_async(std::move(req), std::move(done));
    }

    void quarantine_async(quarantine_request req, quarantine_callback done) override {
        auto sealed = cipher_->encrypt(req.body, quarantine_place(req.source, req.request_id));
        if (!sealed) {
            log::error("store_encrypt_failed", {{"what", "quarantine"}});
            done(make_error(errc::internal, "the quarantined body could not be encrypted"));
            return;
        }
        req.body = std::move(sealed).value();
        inner_->quarantine_async(std::move(req), std::move(done));
    }

    // --- workers -------------------------------------------------------------------------

    result<std::optional<job>> claim(std::string_view owner, time_point now, milliseconds lease,
                                     const std::vector<std::string>& kinds) override {
        for (int skipped = 0; skipped < max_skipped_per_claim; ++skipped) {
            auto claimed = inner_->claim(owner, now, lease, kinds);
            if (!claimed || !claimed->has_value()) {
                return claimed;
            }
            job j = std::move(**claimed);
            auto failure = open_job(j);
            if (!failure) {
                return std::optional<job>(std::move(j));
            }
            // Never hand a worker ciphertext. An unknown key id may be a rotation still
            // rolling out across replicas: wait and try again, a few times. Otherwise (or
            // then) the job goes to dead with the reason, where `jobs show` tells it and
            // `jobs retry` replays it once the key is back.
            const bool wait_for_key =
                failure->code == errc::not_found && j.attempts < unknown_key_attempts;
            log::error("job_undecryptable", {{"job_id", std::to_string(j.id)},
                                             {"kind", j.kind},
                                             {"what", failure->what},
                                             {"key_id", failure->key_id},
                                             {"code", to_string(failure->code)},
                                             {"retry", wait_for_key}});
            const std::string reason =
                "cannot decrypt " + failure->what + " (" + failure->reason + ")";
            if (wait_for_key) {
                if (auto later = inner_->mark_retry(j.id, owner, now + unknown_key_wait, reason);
                    !later) {
                    return later.error();
                }
                continue;
            }
            if (auto dead = inner_->mark_dead(j.id, owner, reason); !dead) {
                return dead.error();
            }
        }
        return std::optional<job>();
    }

    result<void> extend_lease(job_id id, std::string_view owner, time_point until) override {
        return inner_->extend_lease(id, owner, until);
    }

    result<void> save_checkpoint(job_id id, std::string_view owner,
                                 std::string_view checkpoint) override {
        auto sealed = cipher_->encrypt(checkpoint, checkpoint_place(id));
        if (!sealed) {
            log::error("store_encrypt_failed", {{"what", "checkpoint"}});
            return make_error(errc::internal, "the checkpoint could not be encrypted");
        }
        return inner_->save_checkpoint(id, owner, *sealed);
    }

    result<void> mark_done(job_id id, std::string_view owner, std::string_view outcome) override {
        return inner_->mark_done(id, owner, outcome);
    }
    result<void> mark_retry(job_id id, std::string_view owner, time_point next_run_at,
                            std::string_view error) override {
        return inner_->mark_retry(id, owner, next_run_at, error);
    }
    result<void> mark_dead(job_id id, std::string_view owner, std::string_view error) override {
        return inner_->mark_dead(id, owner, error);
    }
    result<int> release_leases(std::string_view owner) override {
        return inner_->release_leases(owner);
    }

    result<job_id> add_job(const new_job& j, time_point run_at) override {
        auto sealed =
            cipher_->encrypt(j.payload, payload_place(j.kind, j.correlation_id, j.unique_key));
        if (!sealed) {
            log::error("store_encrypt_failed", {{"what", "payload"}});
            return make_error(errc::internal, "the payload could not be encrypted");
        }
        new_job copy = j;
        copy.payload = std::move(sealed).value();
        return inner_->add_job(copy, run_at);
    }

    result<bool> try_acquire_singleton(std::string_view name, std::string_view owner,
                                       time_point now, milliseconds ttl) override {
        return inner_->try_acquire_singleton(name, owner, now, ttl);
    }

    // --- evaluations: the DocV token is stored as a keyed digest -------------------------
    // The token opens the candidate's capture session; it is only ever looked up, never read
    // back, so a blind index serves every use without keeping the token itself.

    result<void> upsert_evaluation(const evaluation_record& e) override {
        if (e.docv_token.empty() || security::data_cipher::is_blind_index(e.docv_token)) {
            return inner_->upsert_evaluation(e);
        }
        evaluation_record copy = e;
        copy.docv_token = cipher_->blind_index(e.docv_token);
        return inner_->upsert_evaluation(copy);
    }
    result<std::optional<evaluation_record>> find_evaluation(std::string_view eval_id) override {
        return inner_->find_evaluation(eval_id);
    }
    result<std::optional<evaluation_record>> find_evaluation_by_docv_token(
        std::string_view token) override {
        if (token.empty() || security::data_cipher::is_blind_index(token)) {
            return inner_->find_evaluation_by_docv_token(token);
        }
        // Under each key (rotation); never the clear token, which riskbridge does not write
        // while encryption is on.
        for (const auto& c : cipher_->blind_indexes(token)) {
            auto found = inner_->find_evaluation_by_docv_token(c);
            if (!found || found->has_value()) {
                return found;
            }
        }
        return std::optional<evaluation_record>();
    }
    result<std::vector<evaluation_record>> evaluations_for_candidate(
        std::string_view candidate_id) override {
        return inner_->evaluations_for_candidate(candidate_id);
    }
    result<std::vector<evaluation_record>> stale_evaluations(
        const std::vector<evaluation_state>& states, time_point before, int limit) override {
        return inner_->stale_evaluations(states, before, limit);
    }
    result<void> append_audit(const audit_entry& e) override { return inner_->append_audit(e); }
    result<std::vector<audit_entry>> audit_for_job(job_id id) override {
        return inner_->audit_for_job(id);
    }

    // --- operations ----------------------------------------------------------------------

    result<std::vector<job>> list_jobs(std::optional<job_state> state, int limit) override {
        auto jobs = inner_->list_jobs(state, limit);
        if (jobs) {
            for (job& j : *jobs) {
                (void)open_job(j);  // what cannot be opened stays ciphertext
            }
        }
        return jobs;
    }
    result<std::optional<job>> get_job(job_id id) override {
        auto found = inner_->get_job(id);
        if (found && found->has_value()) {
            (void)open_job(**found);
        }
        return found;
    }
    result<std::vector<job_attempt>> job_attempts(job_id id) override {
        return inner_->job_attempts(id);
    }
    result<int> retry_dead(std::optional<job_id> id, time_point now) override {
        return inner_->retry_dead(id, now);
    }
    result<int> purge_finished(time_point older_than) override {
        return inner_->purge_finished(older_than);
    }
    result<std::vector<quarantine_entry>> list_quarantine(int limit) override {
        return inner_->list_quarantine(limit);
    }

    result<erasure_report> erase_candidate(const erasure_request& req) override {
        // A quarantined body is looked at decrypted; one that does not open is looked at as
        // stored (a body quarantined before encryption was turned on is clear).
        erasure_request copy = req;
        copy.names_candidate = [this, &req](const quarantine_entry& e, std::string_view body) {
            auto opened = cipher_->decrypt(body, quarantine_place(e.source, e.request_id));
            const std::string_view text = opened ? std::string_view(*opened) : body;
            return req.names(e, text);
        };
        return inner_->erase_candidate(copy);
    }
    result<int> merge_candidate(std::string_view from, std::string_view into,
                                time_point at) override {
        return inner_->merge_candidate(from, into, at);
    }
    result<store_stats> stats() override { return inner_->stats(); }
    bool writable() const override { return inner_->writable(); }
    void shutdown() override { inner_->shutdown(); }

private:
    struct open_failure {
        std::string what;    ///< payload | checkpoint
        std::string key_id;  ///< the envelope's key id, "" when malformed
        errc code = errc::internal;
        std::string reason;  ///< log-safe: key ids and fixed words only
    };

    /// Decrypts the job's payload and checkpoint in place. On failure, leaves what could not
    /// be opened as it was and says why.
    std::optional<open_failure> open_job(job& j) const {
        std::optional<open_failure> failure;
        const std::string payload_where = payload_place(j.kind, j.correlation_id, j.unique_key);
        const std::string checkpoint_where = checkpoint_place(j.id);
        struct field_of_job {
            std::string* text;
            const char* what;
            const std::string* where;
        };
        for (auto [field, what, where] :
             {field_of_job{&j.payload, "payload", &payload_where},
              field_of_job{&j.checkpoint, "checkpoint", &checkpoint_where}}) {
            auto opened = cipher_->decrypt(*field, *where);
            if (opened) {
                *field = std::move(opened).value();
                continue;
            }
            if (failure) {
                continue;  // the first failure is the one reported
            }
            const std::string key_id = security::data_cipher::key_id_of(*field);
            std::string reason;
            switch (opened.error().code) {
                case errc::not_found:
                    reason = "key id '" + key_id + "' unknown";
                    break;
                case errc::invalid_argument:
                    reason = "authentication failed under key id '" + key_id +
                             "': altered data, a value copied from another job, or a "
                             "different key";
                    break;
                case errc::parse_error:
                    reason = security::data_cipher::is_encrypted(*field)
                                 ? "malformed encrypted value"
                                 : "stored in clear while encryption is on";
                    break;
                default:
                    reason = "decryption failed";
                    break;
            }
            failure = open_failure{what, key_id, opened.error().code, std::move(reason)};
        }
        return failure;
    }

    std::unique_ptr<job_store> inner_;
    std::shared_ptr<const security::data_cipher> cipher_;
};

}  // namespace

std::unique_ptr<job_store> make_encrypting_store(
    std::unique_ptr<job_store> inner, std::shared_ptr<const security::data_cipher> cipher) {
    return std::make_unique<encrypting_store>(std::move(inner), std::move(cipher));
}

}  // namespace riskbridge::store
