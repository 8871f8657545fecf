#pragma once

// Private to the SQLite store: what the group-commit writer (group_commit_store.hpp) does on
// the writer connection: one transaction per batch, each enqueue in a savepoint so that a
// failed item leaves the others stored. Called on the writer thread only, with the store's
// write gate held.

#include "store/group_commit_store.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_statements.hpp"

namespace riskbridge::store::detail {

class sqlite_ingest {
public:
    explicit sqlite_ingest(connection& writer) : writer_(writer) {}

    sqlite_ingest(const sqlite_ingest&) = delete;
    sqlite_ingest& operator=(const sqlite_ingest&) = delete;

    /// Once the writer connection is open.
    result<void> prepare() { return s_.prepare(writer_.db()); }

    /// Stores the batch in one transaction and sets every item's outcome. False when nothing
    /// of it was stored (the transaction could not begin, was lost or did not commit).
    bool commit(write_batch& batch);
    /// Ends a transaction left open (commit() threw).
    void roll_back();
    /// Whether the write lock can be had: BEGIN IMMEDIATE, then ROLLBACK.
    bool probe();

private:
    bool apply(write_item& item);
    int apply_enqueue(write_item& item);
    int step_once(statement& s);
    void item_failed(int rc, const char* what);
    bool in_transaction() const noexcept;

    connection& writer_;
    writer_statements s_;
};

}  // namespace riskbridge::store::detail
