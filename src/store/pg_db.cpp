// The libpq wrappers and the connection pool of pg_db.hpp.

#include "store/pg_db.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "riskbridge/observability/log.hpp"

namespace riskbridge::store::detail {

namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}

}  // namespace

// --- pg_result ----------------------------------------------------------------------------

std::string pg_result::text(int row, int col) const {
    if (is_null(row, col)) {
        return {};
    }
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
}

std::optional<std::string> pg_result::opt_text(int row, int col) const {
    if (is_null(row, col)) {
        return std::nullopt;
    }
    return text(row, col);
}

int pg_result::affected() const noexcept {
    const char* n = r_ != nullptr ? PQcmdTuples(r_) : "";
    int v = 0;
    std::from_chars(n, n + std::char_traits<char>::length(n), v);
    return v;
}

std::string pg_result::sqlstate() const {
    const char* s = r_ != nullptr ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
    return s != nullptr ? std::string(s) : std::string{};
}

std::string pg_result::message() const {
    if (sqlstate().rfind("22", 0) == 0) {
        return "data exception";
    }
    const char* s = r_ != nullptr ? PQresultErrorField(r_, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    return s != nullptr ? std::string(s) : std::string{};
}

// --- pg_params ----------------------------------------------------------------------------

pg_params& pg_params::text_array(const std::optional<std::vector<std::string>>& items) {
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

errc errc_from_sqlstate(std::string_view state) noexcept {
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

// --- pg_conninfo --------------------------------------------------------------------------

result<pg_conninfo> pg_conninfo::parse(const std::string& url, std::chrono::milliseconds connect) {
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
    const auto seconds =
        std::max(min_connect_timeout, std::chrono::duration_cast<std::chrono::seconds>(connect));
    info.set("application_name", "riskbridge");
    info.set("connect_timeout", std::to_string(seconds.count()));
    info.set("keepalives", "1");
    info.set("keepalives_idle", std::to_string(keepalive_idle.count()));
    info.set("keepalives_interval", std::to_string(keepalive_interval.count()));
    info.set("keepalives_count", std::to_string(keepalive_count));
    info.set("dbname", url);
    return info;
}

PGconn* pg_conninfo::connect() const {
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

// --- pg_connection ------------------------------------------------------------------------

result<pg_connection> pg_connection::open(const pg_conninfo& info) {
    pg_connection c(info.connect());
    if (c.c_ == nullptr) {
        return make_error(errc::unavailable, "cannot connect to PostgreSQL: out of memory");
    }
    if (PQstatus(c.c_) != CONNECTION_OK) {
        return make_error(errc::unavailable,
                          "cannot connect to PostgreSQL: " + first_line(PQerrorMessage(c.c_)));
    }
    // Notices ("relation already exists, skipping") are not errors; libpq would print them on
    // stderr, outside the structured log.
    PQsetNoticeProcessor(
        c.c_, [](void*, const char*) {}, nullptr);
    return c;
}

result<void> pg_connection::exec(const char* sql, std::string_view what) const {
    pg_result r(PQexec(c_, sql));
    if (!r.ok()) {
        return fail(r, what);
    }
    return {};
}

result<void> pg_connection::prepare(const char* name, const char* sql,
                                    const std::vector<Oid>& types) const {
    pg_result r(PQprepare(c_, name, sql, static_cast<int>(types.size()), types.data()));
    if (!r.ok()) {
        return fail(r, std::string("prepare ") + name);
    }
    return {};
}

error pg_connection::fail(const pg_result& r, std::string_view what) const {
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

bool pg_connection::wait_result(std::chrono::steady_clock::time_point deadline) const {
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

bool pg_connection::flush(std::chrono::steady_clock::time_point deadline) const {
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

std::string pg_connection::first_line(const char* s) {
    std::string out = s != nullptr ? s : "";
    if (auto nl = out.find('\n'); nl != std::string::npos) {
        out.resize(nl);
    }
    return out;
}

bool pg_connection::wait_socket(short events,
                                std::chrono::steady_clock::time_point deadline) const {
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

int pg_connection::wait_socket_any(std::chrono::steady_clock::time_point deadline) const {
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

// --- connection_pool ----------------------------------------------------------------------

connection_pool::connection_pool(const pg_conninfo& info, std::size_t size, setup_fn setup)
    : info_(info), setup_(std::move(setup)), connections_(std::max<std::size_t>(size, 1)) {
    for (std::size_t i = 0; i < connections_.size(); ++i) {
        free_.push_back(i);
    }
}

result<void> connection_pool::open_all() {
    for (auto& c : connections_) {
        if (auto r = connect(c); !r) {
            return r;
        }
    }
    return {};
}

result<connection_pool::lease> connection_pool::acquire() {
    std::size_t index = 0;
    {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, pool_wait_timeout, [&] { return !free_.empty(); })) {
            return make_error(errc::unavailable, "no PostgreSQL connection free");
        }
        index = free_.back();
        free_.pop_back();
    }
    lease l(this, index);
    if (!l->ok()) {
        if (auto r = reconnect(l); !r) {
            return r.error();
        }
    }
    return l;
}

result<void> connection_pool::reconnect(const lease& l) {
    if (auto r = connect(*l); !r) {
        return r;
    }
    log::info("store_reconnected", {{"connection", "pool"}});
    return {};
}

result<void> connection_pool::connect(pg_connection& slot) {
    slot.close();
    auto c = pg_connection::open(info_);
    if (!c) {
        return std::move(c).error();
    }
    if (auto r = setup_(*c); !r) {
        return r;
    }
    slot = std::move(*c);
    return {};
}

void connection_pool::give_back(std::size_t index) {
    {
        std::lock_guard lock(mutex_);
        free_.push_back(index);
    }
    cv_.notify_one();
}

}  // namespace riskbridge::store::detail
