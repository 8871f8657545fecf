#pragma once

// PostgreSQL helpers for tests and the load tool: the test database's URL from the
// environment, a uniquely named schema per test (created empty, dropped with everything in it
// at the end), and a plain libpq connection for inspecting rows and holding locks. No GoogleTest
// here, so bench/ can use it too.

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace riskbridge::store::testing {

/// Where the PostgreSQL tests run: RISKBRIDGE_TEST_POSTGRES_URL (scripts/with-postgres.sh sets
/// it to a private throw-away cluster). nullopt when unset: those tests are skipped.
inline std::optional<std::string> postgres_test_url() {
    const char* url = std::getenv("RISKBRIDGE_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') {
        return std::nullopt;
    }
    return std::string(url);
}

/// `url` with one more connection parameter; works for URIs and for key=value strings. The
/// value must not need escaping (the callers pass identifiers and "-c name=value").
inline std::string with_parameter(const std::string& url, const std::string& key,
                                  const std::string& value) {
    const bool uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
    if (!uri) {
        return url + " " + key + "='" + value + "'";
    }
    std::string encoded;
    for (char c : value) {
        if (c == ' ') {
            encoded += "%20";
        } else if (c == '=') {
            encoded += "%3D";
        } else {
            encoded += c;
        }
    }
    return url + (url.find('?') == std::string::npos ? "?" : "&") + key + "=" + encoded;
}

/// A plain libpq connection. Errors are kept, never thrown.
class pg_raw {
public:
    explicit pg_raw(const std::string& url) : c_(PQconnectdb(url.c_str())) {
        if (PQstatus(c_) != CONNECTION_OK) {
            error_ = PQerrorMessage(c_);
        }
        PQsetNoticeProcessor(
            c_, [](void*, const char*) {}, nullptr);  // keep stderr quiet
    }
    ~pg_raw() { PQfinish(c_); }
    pg_raw(const pg_raw&) = delete;
    pg_raw& operator=(const pg_raw&) = delete;

    bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
    const std::string& error() const { return error_; }

    /// Runs constant SQL (several statements allowed); false with error() set on failure.
    bool exec(const std::string& sql) {
        PGresult* r = PQexec(c_, sql.c_str());
        const auto st = PQresultStatus(r);
        const bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!good) {
            error_ = PQresultErrorMessage(r);
        }
        PQclear(r);
        return good;
    }

    /// The first column of every row, as text (NULL as "NULL"); empty with error() on failure.
    std::vector<std::string> column(const std::string& sql) {
        std::vector<std::string> out;
        PGresult* r = PQexec(c_, sql.c_str());
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            error_ = PQresultErrorMessage(r);
        } else {
            for (int i = 0; i < PQntuples(r); ++i) {
                out.emplace_back(PQgetisnull(r, i, 0) ? "NULL" : PQgetvalue(r, i, 0));
            }
        }
        PQclear(r);
        return out;
    }

private:
    PGconn* c_;
    std::string error_;
};

/// A fresh schema named <prefix>_<random> in the test database; url() connects with it first
/// on the search path (and as application_name, so a test can find its own connections).
/// Dropped, with everything in it, on destruction.
class pg_scratch_schema {
public:
    explicit pg_scratch_schema(std::string admin_url, const std::string& prefix = "rb_test")
        : admin_url_(std::move(admin_url)) {
        std::random_device rd;
        std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
                            static_cast<std::uint64_t>(getpid()));
        static constexpr char hex[] = "0123456789abcdef";
        name_ = prefix + "_";
        for (int i = 0; i < 12; ++i) {
            name_ += hex[gen() % 16];
        }
        pg_raw admin(admin_url_);
        if (!admin.ok()) {
            error_ = "cannot connect to the test database: " + admin.error();
            return;
        }
        if (!admin.exec("CREATE SCHEMA \"" + name_ + "\"")) {
            error_ = "cannot create schema " + name_ + ": " + admin.error();
            return;
        }
        created_ = true;
    }
    ~pg_scratch_schema() {
        if (created_) {
            pg_raw admin(admin_url_);
            admin.exec("DROP SCHEMA \"" + name_ + "\" CASCADE");
        }
    }
    pg_scratch_schema(const pg_scratch_schema&) = delete;
    pg_scratch_schema& operator=(const pg_scratch_schema&) = delete;

    bool ok() const { return created_; }
    const std::string& error() const { return error_; }
    const std::string& name() const { return name_; }
    std::string url() const {
        return with_parameter(with_parameter(admin_url_, "options", "-c search_path=" + name_),
                              "application_name", name_);
    }

private:
    std::string admin_url_;
    std::string name_;
    std::string error_;
    bool created_ = false;
};

}  // namespace riskbridge::store::testing
