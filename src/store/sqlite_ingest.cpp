// The SQLite store's group commit on the writer connection (sqlite_ingest.hpp).

#include "store/sqlite_ingest.hpp"

#include <sqlite3.h>

#include "riskbridge/observability/log.hpp"

namespace riskbridge::store::detail {

bool sqlite_ingest::commit(write_batch& batch) {
    sqlite3* db = writer_.db().get();
    bool ok = false;
    {
        use u(s_.tx.begin);
        const int rc = u->step();
        ok = rc == SQLITE_DONE;
        if (!ok) {
            log::error("store_begin_failed",
                       {{"code", rc}, {"error", sqlite3_errmsg(db)}, {"batch", batch.size()}});
        }
    }
    if (ok) {
        for (auto& item : batch) {
            if (!apply(item)) {
                ok = false;  // the transaction is gone: nothing of this batch is stored
                break;
            }
        }
    }
    if (ok) {
        use u(s_.tx.commit);
        const int rc = u->step();
        ok = rc == SQLITE_DONE;
        if (!ok) {
            log::error("store_commit_failed",
                       {{"code", rc}, {"error", sqlite3_errmsg(db)}, {"batch", batch.size()}});
        }
    }
    if (!ok && in_transaction()) {
        use u(s_.tx.rollback);
        u->step();
    }
    return ok;
}

void sqlite_ingest::roll_back() {
    if (in_transaction()) {
        use u(s_.tx.rollback);
        u->step();
    }
}

bool sqlite_ingest::probe() {
    use begin(s_.tx.begin);
    if (begin->step() != SQLITE_DONE) {
        return false;
    }
    use rollback(s_.tx.rollback);
    return rollback->step() == SQLITE_DONE;
}

/// Runs one item inside the batch's transaction. False when the whole transaction was
/// lost (SQLite rolled it back); a failure of this item alone is recorded on the item.
bool sqlite_ingest::apply(write_item& item) {
    if (item.is_quarantine) {
        use u(s_.insert_quarantine);
        const auto& q = item.quarantine;
        u->bind(1, q.source);
        u->bind(2, q.reason);
        u->bind(3, q.request_id);
        u->bind_blob(4, q.body);
        u->bind(5, static_cast<std::int64_t>(q.body.size()));
        u->bind(6, item.received_ms);
        const int rc = u->step();
        if (rc == SQLITE_DONE) {
            item.quarantine_outcome = {};
            return true;
        }
        item_failed(rc, "quarantine");
        item.quarantine_outcome = make_error(errc::unavailable, "database error");
        return in_transaction();
    }
    if (const int rc = step_once(s_.savepoint); rc != SQLITE_DONE) {
        item_failed(rc, "savepoint");
        item.outcome = {enqueue_status::unavailable, 0, "database error"};
        return in_transaction();
    }
    const int rc = apply_enqueue(item);
    if (rc == SQLITE_DONE) {
        step_once(s_.release);
        return true;
    }
    item_failed(rc, "enqueue");
    item.outcome = {enqueue_status::unavailable, 0, "database error"};
    if (!in_transaction()) {
        return false;
    }
    step_once(s_.rollback_to);
    step_once(s_.release);
    return true;
}

/// The statements of one enqueue; SQLITE_DONE on success with item.outcome set.
int sqlite_ingest::apply_enqueue(write_item& item) {
    sqlite3* db = writer_.db().get();
    const auto& d = item.request.delivery;
    {
        use u(s_.find_delivery);
        u->bind(1, d.source);
        u->bind(2, d.key);
        const int rc = u->step();
        if (rc == SQLITE_ROW) {
            item.outcome = {enqueue_status::duplicate, u->is_null(0) ? 0 : u->int64(0), {}, true};
            return SQLITE_DONE;
        }
        if (rc != SQLITE_DONE) {
            return rc;
        }
    }
    job_id id = 0;
    bool duplicate_job = false;
    if (const auto& j = item.request.job) {
        {
            use u(s_.insert_job);
            u->bind(1, j->kind);
            u->bind(2, j->payload);
            u->bind(3, item.received_ms);
            u->bind(4, j->correlation_id);
            u->bind(5, j->unique_key);
            u->bind(6, item.received_ms);
            u->bind(7, j->subject);
            if (const int rc = u->step(); rc != SQLITE_DONE) {
                return rc;
            }
        }
        if (sqlite3_changes(db) == 1) {
            id = sqlite3_last_insert_rowid(db);
        } else {
            use u(s_.find_job_by_key);
            u->bind(1, j->unique_key);
            if (const int rc = u->step(); rc != SQLITE_ROW) {
                return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
            }
            id = u->int64(0);
            duplicate_job = true;
        }
    }
    {
        use u(s_.insert_delivery);
        u->bind(1, d.source);
        u->bind(2, d.key);
        if (id != 0) {
            u->bind(3, id);
        } else {
            u->bind_null(3);
        }
        u->bind(4, item.received_ms);
        if (const int rc = u->step(); rc != SQLITE_DONE) {
            return rc;
        }
    }
    item.outcome = {duplicate_job ? enqueue_status::duplicate : enqueue_status::accepted, id, {}};
    return SQLITE_DONE;
}

int sqlite_ingest::step_once(statement& s) {
    use u(s);
    return u->step();
}

void sqlite_ingest::item_failed(int rc, const char* what) {
    log::warn("store_write_failed",
              {{"step", what}, {"code", rc}, {"error", sqlite3_errmsg(writer_.db().get())}});
}

bool sqlite_ingest::in_transaction() const noexcept {
    return sqlite3_get_autocommit(writer_.db().get()) == 0;
}

}  // namespace riskbridge::store::detail
