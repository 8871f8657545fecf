#pragma once

// Private to the store: move-only owners of sqlite3* and sqlite3_stmt*, and small helpers
// that turn SQLite's return codes into riskbridge::error. Every statement is prepared once
// with bound parameters; nothing here builds SQL from values.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "riskbridge/core/error.hpp"

namespace riskbridge::store::detail {

/// Maps an SQLite result code to the project's error codes.
inline errc errc_from_sqlite(int rc) noexcept {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return errc::unavailable;
        case SQLITE_CONSTRAINT:
            return errc::conflict;
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return errc::io_error;
        case SQLITE_NOMEM:
            return errc::unavailable;
        case SQLITE_MISUSE:
        case SQLITE_RANGE:
        case SQLITE_ERROR:
        default:
            return errc::internal;
    }
}

class statement {
public:
    statement() = default;
    explicit statement(sqlite3_stmt* s) noexcept : stmt_(s) {}
    ~statement() { sqlite3_finalize(stmt_); }
    statement(statement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)) {}
    statement& operator=(statement&& o) noexcept {
        if (this != &o) {
            sqlite3_finalize(stmt_);
            stmt_ = std::exchange(o.stmt_, nullptr);
        }
        return *this;
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    sqlite3_stmt* get() const noexcept { return stmt_; }
    explicit operator bool() const noexcept { return stmt_ != nullptr; }

    // Binding: text and blobs are bound SQLITE_STATIC; the caller keeps them alive until the
    // statement is reset (see `use`, which resets and clears bindings when it goes away).
    void bind(int i, std::int64_t v) noexcept { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, int v) noexcept { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, std::string_view v) noexcept {
        sqlite3_bind_text64(stmt_, i, v.data() == nullptr ? "" : v.data(), v.size(), SQLITE_STATIC,
                            SQLITE_UTF8);
    }
    void bind(int i, const std::string& v) noexcept { bind(i, std::string_view{v}); }
    void bind(int i, const char* v) noexcept { bind(i, std::string_view{v}); }
    void bind(int i, const std::optional<std::string>& v) noexcept {
        if (v) {
            bind(i, std::string_view{*v});
        } else {
            sqlite3_bind_null(stmt_, i);
        }
    }
    void bind_blob(int i, std::string_view v) noexcept {
        sqlite3_bind_blob64(stmt_, i, v.data() == nullptr ? "" : v.data(), v.size(), SQLITE_STATIC);
    }
    void bind_null(int i) noexcept { sqlite3_bind_null(stmt_, i); }

    /// SQLITE_ROW, SQLITE_DONE or an error code.
    int step() noexcept { return sqlite3_step(stmt_); }

    bool is_null(int col) const noexcept { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t int64(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }
    std::string text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        const int n = sqlite3_column_bytes(stmt_, col);
        return p == nullptr ? std::string{} : std::string(p, static_cast<std::size_t>(n));
    }
    std::optional<std::string> opt_text(int col) const {
        if (is_null(col)) {
            return std::nullopt;
        }
        return text(col);
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

/// One use of a prepared statement: resets it and clears its bindings when it goes away, so
/// no statically bound buffer outlives the call and no read transaction stays open.
class use {
public:
    explicit use(statement& s) noexcept : s_(s) {}
    ~use() {
        sqlite3_reset(s_.get());
        sqlite3_clear_bindings(s_.get());
    }
    use(const use&) = delete;
    use& operator=(const use&) = delete;
    statement* operator->() noexcept { return &s_; }
    statement& operator*() noexcept { return s_; }

private:
    statement& s_;
};

class database {
public:
    database() = default;
    ~database() { sqlite3_close_v2(db_); }
    database(database&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
    database& operator=(database&& o) noexcept {
        if (this != &o) {
            sqlite3_close_v2(db_);
            db_ = std::exchange(o.db_, nullptr);
        }
        return *this;
    }
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    static result<database> open(const std::string& path) {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(
            path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
            nullptr);
        database db;
        db.db_ = raw;  // closed by the destructor even when opening failed
        if (rc != SQLITE_OK) {
            return make_error(errc_from_sqlite(rc),
                              std::string("cannot open the SQLite store: ") +
                                  (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
        }
        sqlite3_extended_result_codes(raw, 1);
        return db;
    }

    sqlite3* get() const noexcept { return db_; }

    /// An error for the last failure on this connection, prefixed with what was being done.
    error fail(int rc, std::string_view what) const {
        std::string msg(what);
        msg += ": ";
        msg += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        return error{errc_from_sqlite(rc), std::move(msg)};
    }

    result<statement> prepare(std::string_view sql, bool persistent = true) const {
        sqlite3_stmt* raw = nullptr;
        const int rc =
            sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                               persistent ? SQLITE_PREPARE_PERSISTENT : 0u, &raw, nullptr);
        statement s(raw);
        if (rc != SQLITE_OK) {
            return fail(rc, "prepare");
        }
        return s;
    }

    /// Prepares `sql` for this one use, binds `args` in order (?1, ?2, ...), steps it to the end
    /// and returns the rows it changed. For statements run once or a few times per call.
    template <typename... Args>
    result<int> run(std::string_view what, std::string_view sql, const Args&... args) const {
        auto s = prepare(sql, false);
        if (!s) {
            return std::move(s).error();
        }
        int i = 0;
        (s->bind(++i, args), ...);
        int rc = SQLITE_ROW;
        while (rc == SQLITE_ROW) {
            rc = s->step();
        }
        if (rc != SQLITE_DONE) {
            return fail(rc, what);
        }
        return sqlite3_changes(db_);
    }

    /// Runs constant SQL text (one or several statements, no parameters): pragmas and DDL.
    result<void> exec(std::string_view sql) const {
        const char* p = sql.data();
        const char* end = sql.data() + sql.size();
        while (p < end) {
            sqlite3_stmt* raw = nullptr;
            const char* tail = nullptr;
            const int rc = sqlite3_prepare_v2(db_, p, static_cast<int>(end - p), &raw, &tail);
            statement s(raw);
            if (rc != SQLITE_OK) {
                return fail(rc, "prepare");
            }
            if (raw != nullptr) {
                int r = SQLITE_ROW;
                while (r == SQLITE_ROW) {
                    r = s.step();
                }
                if (r != SQLITE_DONE) {
                    return fail(r, "exec");
                }
            }
            if (tail == nullptr || tail == p) {
                break;
            }
            p = tail;
        }
        return {};
    }

    /// Runs constant SQL that returns one text value (e.g. "PRAGMA journal_mode=WAL").
    result<std::string> query_text(std::string_view sql) const {
        auto s = prepare(sql, false);
        if (!s) {
            return std::move(s).error();
        }
        const int rc = s->step();
        if (rc == SQLITE_ROW) {
            return s->text(0);
        }
        if (rc == SQLITE_DONE) {
            return std::string{};
        }
        return fail(rc, "query");
    }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace riskbridge::store::detail
