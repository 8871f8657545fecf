#pragma once

// Personal data at rest: a job_store decorator that encrypts what may hold personal data
// before it reaches the database and decrypts it on the way out (security/aead.hpp).
//
//   encrypted   job payloads (enqueue_async, add_job), checkpoints (save_checkpoint),
//               quarantined bodies (quarantine_async)
//   decrypted   payload and checkpoint of the jobs claim(), get_job() and list_jobs() return
//   clear       everything else: ids, states, decisions, errors and the audit trail, which
//               hold no personal data by rule (job_store.hpp)
//
// Encryption runs on the caller's thread before the request is handed to the store's writer,
// so the group commit does no extra work: a few microseconds for a 2 KB payload in a release
// build with AES-NI, about as much as OpenSSL's own AES-GCM call plus base64 (the unit test
// DataCipher.CostOfATwoKilobytePayload prints the figure).
//
// Each value is bound to where it lives (the job's kind, correlation id and unique key for a
// payload, the job id for a checkpoint, source and request id for a quarantined body), so a
// value copied from one row to another does not open. A value in clear (no "enc:" prefix) is
// refused like one that does not open: with encryption on, nothing riskbridge wrote is clear,
// so such a value was put there around it. Turning encryption on for a store that already
// holds jobs: let the queued ones finish first (or they go dead as "stored in clear").
//
// A claimed job whose payload or checkpoint cannot be decrypted is never handed to a worker:
// claim() logs `job_undecryptable` with the job and key ids and claims the next due job.
// Under an unknown key id (a rotation still rolling out across replicas, or a key dropped too
// early) the job waits a minute and is tried again, ten claims in all; altered data, or the
// tenth try, marks it dead with the reason, e.g. "cannot decrypt payload (key id '2026-05'
// unknown)". `jobs retry` replays it once the key is configured again. get_job() and list_jobs()
// leave such a value as its stored envelope (ciphertext), so operations commands keep working.
//
// quarantine_entry::body_bytes then counts the stored (encrypted) body.

#include <memory>

#include "riskbridge/security/aead.hpp"
#include "riskbridge/store/job_store.hpp"

namespace riskbridge::store {

std::unique_ptr<job_store> make_encrypting_store(
    std::unique_ptr<job_store> inner, std::shared_ptr<const security::data_cipher> cipher);

}  // namespace riskbridge::store
