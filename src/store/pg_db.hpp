#pragma once

// Private to the store: move-only owners of PGconn* and PGresult*, typed statement parameters,
// and the mapping of libpq failures to riskbridge::error. Values only ever travel as bound
// parameters of prepared statements; nothing here builds SQL from values.

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
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
    std::string text(int row, int col) const {
        if (is_null(row, col)) {
            return {};
        }
        return std::string(PQgetvalue(r_, row, col),
                           static_cast<std::size_t>(PQgetlength(r_, row, col)));
    }
    std::optional<std::string> opt_text(int row, int col) const {
        if (is_null(row, col)) {
            return std::nullopt;
        }
        return text(row, col);
    }
    /// An integer column in text format; 0 when NULL (the columns read this way are NOT NULL
    /// or mean "none" when NULL).
    std::int64_t int64(int row, int col) const noexcept {
        if (is_null(row, col)) {
            return 0;
        }
        const char* p = PQgetvalue(r_, row, col);
        const char* end = p + PQgetlength(r_, row, col);
        std::int64_t v = 0;
        std::from_chars(p, end, v);
        return v;
    }
    /// Rows touched by an INSERT/UPDATE/DELETE.
    int affected() const noexcept {
        const char* n = r_ != nullptr ? PQcmdTuples(r_) : "";
        int v = 0;
        std::from_chars(n, n + std::char_traits<char>::length(n), v);
        return v;
    }
    /// The five-character SQLSTATE of a failed result, empty when there is none.
    std::string sqlstate() const {
        const char* s = r_ != nullptr ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
        return s != nullptr ? std::string(s) : std::string{};
    }
    /// The primary error message: never the DETAIL line, which can quote row values. For data
    /// exceptions (SQLSTATE class 22) the primary message itself quotes the input ("invalid
    /// input syntax for type ...: \"<value>\"", the bytes of an invalid encoding), so only a
    /// fixed text stands for them: these messages reach logs and job errors.
    std::string message() const {
        if (sqlstate().rfind("22", 0) == 0) {
            return "data exception";
        }
        const char* s = r_ != nullptr ? PQresultErrorField(r_, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        return s != nullptr ? std::string(s) : std::string{};
    }

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
    pg_params& text_array(const std::optional<std::vector<std::string>>& items) {
        if (!items) {
            return null();
        }
        std::string lit = "{";
        for (std::size_t i = 0; i < items->size(); ++i) {
            if (i > 0) {
                lit += ',';
            }
            lit += '"';
            for (char ch : (*items)[i]) {
                if (ch == '"' || ch == '\\') {
                    lit += '\\';
                }
                lit += ch;
            }
            lit += '"';
        }
        lit += '}';
        owned_.push_back(std::move(lit));
        return add(owned_.back().c_str(), 0, 0);
    }

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
inline errc errc_from_sqlstate(std::string_view state) noexcept {
    if (state.size() == 5) {
        const std::string_view cls = state.substr(0, 2);
        if (cls == "22") {
            return errc::invalid_argument;
        }
        if (cls == "23") {
            return errc::conflict;
        }
    }
    return errc::unavailable;
}

/// The parsed connection string, and the option arrays PQconnectdbParams takes. Defaults the
/// string may override come first; the string itself is expanded from "dbname".
class pg_conninfo {
public:
    /// Validates `url` without connecting. The error never quotes the string (libpq's parse
    /// errors can echo part of it, password included).
    static result<pg_conninfo> parse(const std::string& url, std::chrono::milliseconds connect) {
        char* err = nullptr;
        PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
        if (err != nullptr) {
            PQfreemem(err);
        }
        if (opts == nullptr) {
            return make_error(errc::invalid_argument,
                              "store: postgres_url is not a valid PostgreSQL connection string");
        }
        pg_conninfo info;
        for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
            if (o->val == nullptr) {
                continue;
            }
            const std::string_view k(o->keyword);
            if (k == "host" || k == "hostaddr") {
                if (info.host_.empty() || k == "host") {
                    info.host_ = o->val;
                }
            } else if (k == "port") {
                info.port_ = o->val;
            } else if (k == "dbname") {
                info.dbname_ = o->val;
            }
        }
        PQconninfoFree(opts);
        const auto seconds = std::max<long long>(
            1, std::chrono::duration_cast<std::chrono::seconds>(connect).count());
        info.set("application_name", "riskbridge");
        info.set("connect_timeout", std::to_string(seconds));
        info.set("keepalives", "1");
        info.set("keepalives_idle", "30");
        info.set("keepalives_interval", "10");
        info.set("keepalives_count", "3");
        info.set("dbname", url);
        return info;
    }

    /// For logs: where the store connects, without user or password. Empty when unknown.
    const std::string& host() const noexcept { return host_; }
    const std::string& port() const noexcept { return port_; }
    const std::string& dbname() const noexcept { return dbname_; }

    PGconn* connect() const {
        std::vector<const char*> keys;
        std::vector<const char*> values;
        for (const auto& [k, v] : options_) {
            keys.push_back(k.c_str());
            values.push_back(v.c_str());
        }
        keys.push_back(nullptr);
        values.push_back(nullptr);
        return PQconnectdbParams(keys.data(), values.data(), 1);
    }

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
    static result<pg_connection> open(const pg_conninfo& info) {
        pg_connection c(info.connect());
        if (c.c_ == nullptr) {
            return make_error(errc::unavailable, "cannot connect to PostgreSQL: out of memory");
        }
        if (PQstatus(c.c_) != CONNECTION_OK) {
            return make_error(errc::unavailable,
                              "cannot connect to PostgreSQL: " + first_line(PQerrorMessage(c.c_)));
        }
        // Notices ("relation already exists, skipping") are not errors; libpq would print
        // them on stderr, outside the structured log.
        PQsetNoticeProcessor(
            c.c_, [](void*, const char*) {}, nullptr);
        return c;
    }

    PGconn* get() const noexcept { return c_; }
    bool ok() const noexcept { return c_ != nullptr && PQstatus(c_) == CONNECTION_OK; }
    void close() noexcept {
        PQfinish(c_);
        c_ = nullptr;
    }

    /// Constant SQL without parameters (DDL, BEGIN/COMMIT); may hold several statements.
    result<void> exec(const char* sql, std::string_view what) const {
        pg_result r(PQexec(c_, sql));
        if (!r.ok()) {
            return fail(r, what);
        }
        return {};
    }

    /// Constant SQL with bound parameters, unnamed (one-off statements: migrations, setup).
    pg_result exec_params(const char* sql, const pg_params& p) const {
        return pg_result(
            PQexecParams(c_, sql, p.size(), nullptr, p.values(), p.lengths(), p.formats(), 0));
    }

    result<void> prepare(const char* name, const char* sql, const std::vector<Oid>& types) const {
        pg_result r(PQprepare(c_, name, sql, static_cast<int>(types.size()), types.data()));
        if (!r.ok()) {
            return fail(r, std::string("prepare ") + name);
        }
        return {};
    }

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
    error fail(const pg_result& r, std::string_view what) const {
        std::string msg(what);
        if (!ok()) {
            msg += ": connection to PostgreSQL lost";
            if (c_ != nullptr) {
                const std::string why = first_line(PQerrorMessage(c_));
                if (!why.empty()) {
                    msg += " (" + why + ")";
                }
            }
            return error{errc::unavailable, std::move(msg)};
        }
        const std::string state = r.sqlstate();
        std::string text = r.message();
        if (text.empty() && c_ != nullptr) {
            text = first_line(PQerrorMessage(c_));
        }
        msg += ": ";
        if (!state.empty()) {
            msg += state + " ";
        }
        msg += text;
        return error{errc_from_sqlstate(state), std::move(msg)};
    }

    /// Waits (poll) until a result can be read without blocking, consuming input as it comes.
    /// False on timeout or a broken connection.
    bool wait_result(std::chrono::steady_clock::time_point deadline) const {
        while (PQisBusy(c_) != 0) {
            if (!wait_socket(POLLIN, deadline)) {
                return false;
            }
            if (PQconsumeInput(c_) == 0) {
                return false;
            }
        }
        return true;
    }

    /// Sends everything buffered (non-blocking connections), reading what the server sends
    /// meanwhile so that neither side stalls on a full socket buffer. False on timeout/failure.
    bool flush(std::chrono::steady_clock::time_point deadline) const {
        for (;;) {
            const int r = PQflush(c_);
            if (r == 0) {
                return true;
            }
            if (r < 0) {
                return false;
            }
            const int ready = wait_socket_any(deadline);
            if (ready < 0) {
                return false;
            }
            if ((ready & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(c_) == 0) {
                return false;
            }
        }
    }

    static std::string first_line(const char* s) {
        std::string out = s != nullptr ? s : "";
        if (auto nl = out.find('\n'); nl != std::string::npos) {
            out.resize(nl);
        }
        return out;
    }

private:
    static int remaining_ms(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        return static_cast<int>(std::max<long long>(0, left.count()));
    }

    bool wait_socket(short events, std::chrono::steady_clock::time_point deadline) const {
        for (;;) {
            pollfd p{PQsocket(c_), events, 0};
            if (p.fd < 0) {
                return false;
            }
            const int n = ::poll(&p, 1, remaining_ms(deadline));
            if (n > 0) {
                return true;
            }
            if (n == 0 || errno != EINTR) {
                return false;
            }
        }
    }

    /// The poll() events that are ready, or -1.
    int wait_socket_any(std::chrono::steady_clock::time_point deadline) const {
        for (;;) {
            pollfd p{PQsocket(c_), POLLIN | POLLOUT, 0};
            if (p.fd < 0) {
                return -1;
            }
            const int n = ::poll(&p, 1, remaining_ms(deadline));
            if (n > 0) {
                return p.revents;
            }
            if (n == 0 || errno != EINTR) {
                return -1;
            }
        }
    }

    PGconn* c_ = nullptr;
};

}  // namespace riskbridge::store::detail
