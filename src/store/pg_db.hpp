#pragma once

// Private to the store: move-only owners of PGconn* and PGresult*, typed statement parameters,
// the mapping of libpq failures to riskbridge::error, and the fixed pool of connections the
// synchronous calls share. Values only ever travel as bound parameters of prepared
// statements; nothing here builds SQL from values. Implementation: pg_db.cpp.

#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "riskbridge/core/error.hpp"

namespace riskbridge::store::detail {

// Type OIDs of the parameters the store binds (pg_type.dat; stable across versions).
inline constexpr Oid int8_oid = 20;
inline constexpr Oid text_oid = 25;
inline constexpr Oid bytea_oid = 17;
inline constexpr Oid text_array_oid = 1009;

// TCP keepalives on every connection (libpq's keepalives_* parameters): a server that went
// away is noticed within idle + interval * count seconds even when no statement runs.
inline constexpr std::chrono::seconds keepalive_idle{30};
inline constexpr std::chrono::seconds keepalive_interval{10};
inline constexpr int keepalive_count = 3;
/// libpq's connect_timeout is in whole seconds; shorter timeouts are rounded up to this.
inline constexpr std::chrono::seconds min_connect_timeout{1};
/// How long a synchronous call waits for a pooled connection before it answers unavailable.
inline constexpr std::chrono::seconds pool_wait_timeout{30};

/// Move-only owner of a PGresult.
class pg_result {
public:
    pg_result() = default;
    explicit pg_result(PGresult* r) noexcept : r_(r) {}
    ~pg_result() { PQclear(r_); }
    pg_result(pg_result&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    pg_result& operator=(pg_result&& o) noexcept {
        if (this != &o) {
            PQclear(r_);
            r_ = std::exchange(o.r_, nullptr);
        }
        return *this;
    }
    pg_result(const pg_result&) = delete;
    pg_result& operator=(const pg_result&) = delete;

    PGresult* get() const noexcept { return r_; }
    explicit operator bool() const noexcept { return r_ != nullptr; }
    ExecStatusType status() const noexcept {
        return r_ != nullptr ? PQresultStatus(r_) : PGRES_FATAL_ERROR;
    }
    bool ok() const noexcept {
        const auto s = status();
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    }
    int rows() const noexcept { return r_ != nullptr ? PQntuples(r_) : 0; }
    bool is_null(int row, int col) const noexcept { return PQgetisnull(r_, row, col) != 0; }
    std::string text(int row, int col) const;
    std::optional<std::string> opt_text(int row, int col) const;
    /// An integer column in text format; 0 when NULL (the columns read this way are NOT NULL
    /// or mean "none" when NULL).
    std::int64_t int64(int row, int col) const noexcept {
        if (is_null(row, col)) {
            return 0;
        }
        const char* p = PQgetvalue(r_, row, col);
        std::int64_t v = 0;
        std::from_chars(p, p + PQgetlength(r_, row, col), v);
        return v;
    }
    /// Rows touched by an INSERT/UPDATE/DELETE.
    int affected() const noexcept;
    /// The five-character SQLSTATE of a failed result, empty when there is none.
    std::string sqlstate() const;
    /// The primary error message: never the DETAIL line, which can quote row values. For data
    /// exceptions (SQLSTATE class 22) the primary message itself quotes the input ("invalid
    /// input syntax for type ...: \"<value>\"", the bytes of an invalid encoding), so only a
    /// fixed text stands for them: these messages reach logs and job errors.
    std::string message() const;

private:
    PGresult* r_ = nullptr;
};

/// One row of a result, read by column (the Row the readers of rows.hpp take).
class pg_row {
public:
    pg_row(const pg_result& r, int row) noexcept : r_(r), row_(row) {}
    std::string text(int col) const { return r_.text(row_, col); }
    std::optional<std::string> opt_text(int col) const { return r_.opt_text(row_, col); }
    std::int64_t int64(int col) const noexcept { return r_.int64(row_, col); }

private:
    const pg_result& r_;
    int row_;
};

/// The parameters of one statement execution. Text and bytea go in binary format with their
/// length (so no byte is lost or reinterpreted; the server checks text is valid UTF-8);
/// integers and arrays go as text. Values are referenced, not copied, except those made here:
/// keep the referenced strings alive until the statement has been sent.
class pg_params {
public:
    pg_params& text(std::string_view v) { return add(v.empty() ? "" : v.data(), v.size(), 1); }
    pg_params& text(const std::string& v) { return text(std::string_view{v}); }
    pg_params& text(const char* v) { return text(std::string_view{v}); }
    pg_params& bytes(std::string_view v) { return text(v); }
    pg_params& text(const std::optional<std::string>& v) {
        return v ? text(std::string_view{*v}) : null();
    }
    pg_params& int64(std::int64_t v) {
        owned_.push_back(std::to_string(v));
        return add(owned_.back().c_str(), 0, 0);
    }
    pg_params& int64(std::optional<std::int64_t> v) { return v ? int64(*v) : null(); }
    pg_params& null() { return add(nullptr, 0, 0); }
    /// A text[] parameter; nullopt binds NULL. Elements are quoted and escaped as array
    /// literal syntax requires.
    pg_params& text_array(const std::optional<std::vector<std::string>>& items);

    int size() const noexcept { return static_cast<int>(values_.size()); }
    const char* const* values() const noexcept { return values_.data(); }
    const int* lengths() const noexcept { return lengths_.data(); }
    const int* formats() const noexcept { return formats_.data(); }

private:
    pg_params& add(const char* v, std::size_t len, int format) {
        values_.push_back(v);
        lengths_.push_back(static_cast<int>(len));
        formats_.push_back(format);
        return *this;
    }
    std::deque<std::string> owned_;  // stable addresses
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
};

/// Maps an SQLSTATE to the project's error codes: data the server refused is the caller's
/// mistake, a violated constraint is a conflict, anything else (connection, lock timeout,
/// resources, shutdown, serialisation) is the database being unavailable.
errc errc_from_sqlstate(std::string_view state) noexcept;

/// Whether an SQLSTATE says the server refused the data of a statement (class 22, a data
/// exception, or 23, a violated constraint) rather than failed itself.
inline bool refused_data(std::string_view state) noexcept {
    const std::string_view cls = state.substr(0, 2);
    return cls == "22" || cls == "23";
}

/// The parsed connection string, and the option arrays PQconnectdbParams takes. Defaults the
/// string may override come first; the string itself is expanded from "dbname".
class pg_conninfo {
public:
    /// Validates `url` without connecting. The error never quotes the string (libpq's parse
    /// errors can echo part of it, password included).
    static result<pg_conninfo> parse(const std::string& url, std::chrono::milliseconds connect);

    /// For logs: where the store connects, without user or password. Empty when unknown.
    const std::string& host() const noexcept { return host_; }
    const std::string& port() const noexcept { return port_; }
    const std::string& dbname() const noexcept { return dbname_; }

    PGconn* connect() const;

private:
    void set(std::string k, std::string v) { options_.emplace_back(std::move(k), std::move(v)); }

    std::vector<std::pair<std::string, std::string>> options_;
    std::string host_, port_, dbname_;
};

/// Move-only owner of a PGconn.
class pg_connection {
public:
    pg_connection() = default;
    explicit pg_connection(PGconn* c) noexcept : c_(c) {}
    ~pg_connection() { PQfinish(c_); }
    pg_connection(pg_connection&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    pg_connection& operator=(pg_connection&& o) noexcept {
        if (this != &o) {
            PQfinish(c_);
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    pg_connection(const pg_connection&) = delete;
    pg_connection& operator=(const pg_connection&) = delete;

    /// Connects; the error carries libpq's reason (which names the host, never the password).
    static result<pg_connection> open(const pg_conninfo& info);

    PGconn* get() const noexcept { return c_; }
    bool ok() const noexcept { return c_ != nullptr && PQstatus(c_) == CONNECTION_OK; }
    void close() noexcept {
        PQfinish(c_);
        c_ = nullptr;
    }

    /// Constant SQL without parameters (DDL, BEGIN/COMMIT); may hold several statements.
    result<void> exec(const char* sql, std::string_view what) const;

    /// Constant SQL with bound parameters, unnamed (one-off statements: migrations, setup).
    pg_result exec_params(const char* sql, const pg_params& p) const {
        return pg_result(
            PQexecParams(c_, sql, p.size(), nullptr, p.values(), p.lengths(), p.formats(), 0));
    }

    result<void> prepare(const char* name, const char* sql, const std::vector<Oid>& types) const;

    pg_result exec_prepared(const char* name, const pg_params& p) const {
        return pg_result(
            PQexecPrepared(c_, name, p.size(), p.values(), p.lengths(), p.formats(), 0));
    }

    bool send_prepared(const char* name, const pg_params& p) const {
        return PQsendQueryPrepared(c_, name, p.size(), p.values(), p.lengths(), p.formats(), 0) ==
               1;
    }

    /// An error for a failed result on this connection, prefixed with what was being done.
    /// A broken connection is `unavailable`; otherwise the SQLSTATE decides.
    error fail(const pg_result& r, std::string_view what) const;

    /// Waits (poll) until a result can be read without blocking, consuming input as it comes.
    /// False on timeout or a broken connection.
    bool wait_result(std::chrono::steady_clock::time_point deadline) const;

    /// Sends everything buffered (non-blocking connections), reading what the server sends
    /// meanwhile so that neither side stalls on a full socket buffer. False on timeout/failure.
    bool flush(std::chrono::steady_clock::time_point deadline) const;

    static std::string first_line(const char* s);

private:
    bool wait_socket(short events, std::chrono::steady_clock::time_point deadline) const;
    /// The poll() events that are ready, or -1.
    int wait_socket_any(std::chrono::steady_clock::time_point deadline) const;

    PGconn* c_ = nullptr;
};

/// A fixed set of connections for the synchronous calls. A connection found broken when it
/// is taken is replaced (reconnect, then `setup`: session settings, statements prepared
/// again).
class connection_pool {
public:
    using setup_fn = std::function<result<void>(pg_connection&)>;

    class lease {
    public:
        lease(connection_pool* pool, std::size_t index) noexcept : pool_(pool), index_(index) {}
        ~lease() {
            if (pool_ != nullptr) {
                pool_->give_back(index_);
            }
        }
        lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), index_(o.index_) {}
        lease& operator=(lease&&) = delete;
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        pg_connection& operator*() const noexcept { return pool_->connections_[index_]; }
        pg_connection* operator->() const noexcept { return &pool_->connections_[index_]; }

    private:
        connection_pool* pool_;
        std::size_t index_;
    };

    /// `info` must outlive the pool. At least one connection.
    connection_pool(const pg_conninfo& info, std::size_t size, setup_fn setup);

    /// Connects every slot now, so a wrong URL or password fails at start-up.
    result<void> open_all();

    /// A connection, waiting up to pool_wait_timeout for one to be free (every call holds it
    /// for one statement or one transaction).
    result<lease> acquire();

    /// Replaces the leased connection with a fresh one.
    result<void> reconnect(const lease& l);

private:
    result<void> connect(pg_connection& slot);
    void give_back(std::size_t index);

    const pg_conninfo& info_;
    setup_fn setup_;
    std::vector<pg_connection> connections_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::size_t> free_;
};

}  // namespace riskbridge::store::detail
