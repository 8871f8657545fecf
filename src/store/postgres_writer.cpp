// The PostgreSQL writer (postgres_writer.hpp): one batch of ingestion requests, one
// pipelined transaction.

#include "store/postgres_writer.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "riskbridge/observability/log.hpp"
#include "store/postgres_statements.hpp"

namespace riskbridge::store::detail {

namespace {

/// The parameters of the item's statement (enqueue or quarantine).
pg_params params_for(const write_item& item) {
    pg_params p;
    if (item.is_quarantine) {
        const auto& q = item.quarantine;
        p.text(q.source)
            .text(q.reason)
            .text(q.request_id)
            .bytes(q.body)
            .int64(static_cast<std::int64_t>(q.body.size()))
            .int64(item.received_ms);
        return p;
    }
    const auto& d = item.request.delivery;
    p.text(d.source).text(d.key).int64(item.received_ms);
    if (const auto& j = item.request.job) {
        p.text(j->kind)
            .text(j->payload)
            .text(j->correlation_id)
            .text(j->unique_key)
            .text(j->subject);
    } else {
        p.null().null().null().null().null();
    }
    return p;
}

/// Sets the item's outcome from its statement's successful result.
void record(write_item& item, const pg_result& r) {
    if (item.is_quarantine) {
        item.quarantine_outcome = {};
        return;
    }
    const bool stored = r.rows() == 1 && r.int64(0, 0) == 1;
    const bool created = r.rows() == 1 && r.int64(0, 1) == 1;
    const job_id id = r.rows() == 1 ? r.int64(0, 2) : 0;
    if (!stored) {
        item.outcome = {enqueue_status::duplicate, id, {}, true};
    } else if (item.request.job && !created) {
        item.outcome = {enqueue_status::duplicate, id, {}};  // unique_key taken
    } else {
        item.outcome = {enqueue_status::accepted, id, {}};
    }
}

}  // namespace

postgres_writer::postgres_writer(const postgres_options& options, const pg_conninfo& info)
    : options_(options),
      info_(info),
      enqueue_(pg_statement_for(stmt::enqueue).name),
      quarantine_(pg_statement_for(stmt::quarantine).name),
      find_delivery_(pg_statement_for(stmt::find_delivery).name) {}

result<void> postgres_writer::start(pg_connection c) {
    if (auto r = setup(c); !r) {
        return r;
    }
    connection_ = std::move(c);
    return {};
}

result<void> postgres_writer::setup(const pg_connection& c) const {
    if (auto r = setup_connection(c, options_, pg_role::writer); !r) {
        return r;
    }
    // Pipelined batches are sent without blocking (see pg_connection::flush).
    if (PQsetnonblocking(c.get(), 1) != 0) {
        return make_error(errc::unavailable, "cannot make the writer connection non-blocking");
    }
    return {};
}

bool postgres_writer::ensure_connected() {
    if (connection_.ok()) {
        return true;
    }
    connection_.close();
    auto c = pg_connection::open(info_);
    std::optional<error> failure;
    if (!c) {
        failure = std::move(c).error();
    } else if (auto r = setup(*c); !r) {
        failure = r.error();
    }
    if (!failure) {
        connection_ = std::move(*c);
        reconnect_logged_ = false;
        log::info("store_reconnected", {{"connection", "writer"}});
        return true;
    }
    if (!reconnect_logged_) {  // once per outage, not once a second
        log::error("store_writer_reconnect_failed",
                   {{"code", to_string(failure->code)}, {"error", failure->message}});
        reconnect_logged_ = true;
    }
    return false;
}

postgres_writer::commit_result postgres_writer::commit(write_batch& batch) {
    // Rows are locked in one order by every replica's writer (source, key), which keeps
    // concurrent batches holding copies of the same deliveries from deadlocking; copies
    // within the batch keep their arrival order, so the first is the one accepted.
    std::vector<write_item*> order;
    order.reserve(batch.size());
    for (auto& item : batch) {
        order.push_back(&item);
    }
    std::stable_sort(order.begin(), order.end(), [](const write_item* a, const write_item* b) {
        if (a->is_quarantine != b->is_quarantine) {
            return a->is_quarantine < b->is_quarantine;
        }
        if (a->is_quarantine) {
            return false;
        }
        const auto& x = a->request.delivery;
        const auto& y = b->request.delivery;
        return std::tie(x.source, x.key) < std::tie(y.source, y.key);
    });

    commit_result out;
    out.started = std::chrono::steady_clock::now();
    // answered: every item's outcome is set; healthy: and the last statement on the
    // connection succeeded.
    for (int attempt = 1; attempt <= batch_attempts && !out.answered; ++attempt) {
        const batch_end end = run_batch(order);
        if (end == batch_end::committed) {
            out.answered = out.healthy = true;
        } else if (end == batch_end::item_failed) {
            out.healthy = run_one_by_one(order);
            out.answered = true;
        } else if (end == batch_end::failed) {
            break;
        }
    }
    return out;
}

void postgres_writer::complete_duplicates(write_batch& batch) {
    for (write_item& item : batch) {
        if (item.is_quarantine || !item.request.job ||
            item.outcome.status != enqueue_status::duplicate || item.outcome.id != 0 ||
            !connection_.ok()) {
            continue;
        }
        pg_params p;
        p.text(item.request.delivery.source).text(item.request.delivery.key);
        pg_result r = connection_.exec_prepared(find_delivery_, p);
        if (r.ok() && r.rows() == 1) {
            item.outcome.id = r.int64(0, 0);
        }
    }
}

/// One transaction for the whole batch, sent as one pipeline:
/// BEGIN, a statement per item, COMMIT, sync.
postgres_writer::batch_end postgres_writer::run_batch(const std::vector<write_item*>& items) {
    if (!ensure_connected()) {
        return batch_end::failed;
    }
    PGconn* c = connection_.get();
    const auto deadline = std::chrono::steady_clock::now() + writer_io_timeout;
    if (PQenterPipelineMode(c) != 1) {
        drop();
        return batch_end::again;
    }
    bool sent = PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    for (std::size_t i = 0; sent && i < items.size(); ++i) {
        sent = connection_.send_prepared(statement_for(*items[i]), params_for(*items[i]));
    }
    sent = sent && PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
           PQpipelineSync(c) == 1 && connection_.flush(deadline);
    if (!sent) {
        log::warn("store_write_failed", {{"step", "send"}, {"batch", items.size()}});
        drop();
        return batch_end::again;
    }

    // Results: one per command (each followed by a null), then the sync point.
    const std::size_t commands = items.size() + 2;
    std::size_t command = 0;
    bool committed = false;
    std::string first_state;
    for (;;) {
        if (!connection_.wait_result(deadline)) {
            log::warn("store_write_failed", {{"step", "receive"}, {"batch", items.size()}});
            drop();
            return batch_end::again;
        }
        PGresult* raw = PQgetResult(c);
        if (raw == nullptr) {
            if (!connection_.ok() || ++command > commands) {
                drop();
                return batch_end::again;
            }
            continue;
        }
        pg_result r(raw);
        if (r.status() == PGRES_PIPELINE_SYNC) {
            break;
        }
        if (command >= commands) {
            drop();
            return batch_end::again;
        }
        if (r.status() == PGRES_FATAL_ERROR && first_state.empty()) {
            first_state = r.sqlstate().empty() ? std::string("?????") : r.sqlstate();
            log::warn("store_write_failed", {{"step", command == 0              ? "begin"
                                                      : command == commands - 1 ? "commit"
                                                                                : "item"},
                                             {"sqlstate", first_state},
                                             {"error", r.message()},
                                             {"batch", items.size()}});
        } else if (r.ok() && command > 0 && command < commands - 1) {
            record(*items[command - 1], r);
        } else if (r.ok() && command == commands - 1) {
            committed = std::string_view(PQcmdStatus(r.get())) == "COMMIT";
        }
    }
    if (PQexitPipelineMode(c) != 1) {
        drop();
        return committed ? batch_end::committed : batch_end::again;
    }
    if (PQtransactionStatus(c) != PQTRANS_IDLE) {
        pg_result rb(PQexec(c, "ROLLBACK"));
        if (!rb.ok()) {
            drop();
        }
    }
    if (committed) {
        return batch_end::committed;
    }
    if (!connection_.ok()) {
        drop();
        return batch_end::again;
    }
    if (refused_data(first_state)) {
        return batch_end::item_failed;
    }
    if (first_state == "40001" || first_state == "40P01") {
        return batch_end::again;
    }
    return batch_end::failed;
}

/// After a batch failed on one item's data: each item in its own transaction, so only
/// the refused one is answered unavailable. Sets every item's outcome; false when the
/// database itself failed (that item and the ones after it are answered unavailable).
bool postgres_writer::run_one_by_one(const std::vector<write_item*>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        write_item& item = *items[i];
        pg_result r;
        if (ensure_connected()) {
            r = connection_.exec_prepared(statement_for(item), params_for(item));
            if (r.ok()) {
                record(item, r);
                continue;
            }
        }
        const std::string state = r.sqlstate();
        const bool refused = connection_.ok() && refused_data(state);
        log::warn("store_write_refused", {{"sqlstate", state}, {"error", r.message()}});
        for (std::size_t j = i; j < (refused ? i + 1 : items.size()); ++j) {
            items[j]->outcome = {enqueue_status::unavailable, 0,
                                 refused ? "the database refused the request" : "database error"};
            items[j]->quarantine_outcome = make_error(
                errc::unavailable, refused ? "the database refused the request" : "database error");
        }
        if (!refused) {
            if (!connection_.ok()) {
                drop();
            }
            return false;
        }
    }
    return true;
}

}  // namespace riskbridge::store::detail
