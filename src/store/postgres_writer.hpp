#pragma once

// The PostgreSQL store's side of the group commit (group_commit_store.hpp): the writer
// thread's own connection, and one batch of ingestion requests (enqueue_async,
// quarantine_async) committed in one transaction. The batch goes to the server as one
// pipeline (BEGIN, one statement per request, COMMIT): one round trip and one WAL flush for
// many requests. A request whose data the server refuses does not sink its batch: the batch is
// rolled back and its requests run again one by one. A deadlock with another replica's writer,
// or a connection lost mid-batch, runs the batch again (dedupe makes a repeated enqueue a
// duplicate, never a second job; a quarantined body whose commit was lost with the connection
// may be kept twice); any other failure answers the batch unavailable. When the connection is
// lost the writer reconnects in the background, so readiness comes back on its own.
// Private to the store; postgres_store's commit_batch delegates to it, on the writer thread
// only (and open(), before that thread starts).

#include <chrono>
#include <vector>

#include "riskbridge/store/job_store.hpp"
#include "store/group_commit_store.hpp"
#include "store/pg_db.hpp"

namespace riskbridge::store::detail {

/// Attempts at committing one batch (a deadlock, a serialisation failure or a lost connection
/// runs it again).
inline constexpr int batch_attempts = 3;
/// How long one batch may take to be sent and answered before the connection is dropped.
inline constexpr std::chrono::seconds writer_io_timeout{60};
/// How often an idle writer whose connection is gone tries to reconnect.
inline constexpr std::chrono::seconds writer_reconnect_interval{1};

class postgres_writer {
public:
    /// `options` and `info` must outlive the writer.
    postgres_writer(const postgres_options& options, const pg_conninfo& info);

    /// Takes `c` (already migrated) as the writer's connection, once it is set up.
    result<void> start(pg_connection c);

    /// The writer's connection, reconnected when it was lost. False when it cannot be had.
    bool ensure_connected();
    void drop() { connection_.close(); }

    /// What became of a batch: whether every item's outcome is set (else nothing is stored:
    /// answer it unavailable), and whether the database took it (else the store is not
    /// writable).
    struct commit_result {
        bool answered = false;
        bool healthy = false;
        std::chrono::steady_clock::time_point started;  ///< after the items were ordered
    };
    commit_result commit(write_batch& batch);

    /// After a healthy commit: a copy of a delivery committed by another replica while this
    /// batch's statement ran is a duplicate whose job id that statement could not see; read
    /// it now.
    void complete_duplicates(write_batch& batch);

private:
    /// What became of one attempt at committing a batch.
    enum class batch_end {
        committed,    ///< every item's outcome is set and durable
        item_failed,  ///< the server refused one item's data: nothing stored, try one by one
        again,        ///< deadlock, serialisation failure or a lost connection: try again
        failed,       ///< nothing stored; answer unavailable
    };

    result<void> setup(const pg_connection& c) const;
    const char* statement_for(const write_item& item) const noexcept {
        return item.is_quarantine ? quarantine_ : enqueue_;
    }
    batch_end run_batch(const std::vector<write_item*>& items);
    bool run_one_by_one(const std::vector<write_item*>& items);

    const postgres_options& options_;
    const pg_conninfo& info_;
    // The names of the writer's prepared statements.
    const char* const enqueue_;
    const char* const quarantine_;
    const char* const find_delivery_;
    pg_connection connection_;
    bool reconnect_logged_ = false;
};

}  // namespace riskbridge::store::detail
