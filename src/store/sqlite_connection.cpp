// Opening the SQLite store's connections, its private files, busy handling and transactions
// (sqlite_connection.hpp).

#include "store/sqlite_connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <thread>
#include <utility>
#include <vector>

#include "riskbridge/observability/log.hpp"

namespace riskbridge::store::detail {

namespace {

/// The busy handler's sleeps, growing with each retry of one wait; the last one repeats.
constexpr std::chrono::microseconds busy_pauses[] = {
    std::chrono::microseconds{10},  std::chrono::microseconds{20},  std::chrono::microseconds{50},
    std::chrono::microseconds{100}, std::chrono::microseconds{200}, std::chrono::microseconds{500},
    std::chrono::microseconds{1000}};

/// How long to sleep before asking again for WAL mode when another connection holds the
/// lock the switch needs.
constexpr milliseconds wal_switch_retry_pause{1};

/// The WAL file is cut back to this size after a checkpoint that let it start over.
constexpr std::int64_t journal_size_limit_bytes = 64 * 1024 * 1024;

int on_busy(void* ctx, int count) {
    auto* b = static_cast<busy_wait*>(ctx);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) {
        b->started = now;
    }
    if (now - b->started >= b->timeout) {
        return 0;
    }
    const int i = std::min(count, static_cast<int>(std::size(busy_pauses)) - 1);
    std::this_thread::sleep_for(busy_pauses[i]);
    return 1;
}

}  // namespace

result<void> connection::open(const std::string& path, milliseconds busy_timeout) {
    busy_.timeout = busy_timeout;
    auto db = database::open(path);
    if (!db) {
        return std::move(db).error();
    }
    sqlite3_busy_handler(db->get(), &on_busy, &busy_);
    // Switching a new file to WAL takes an exclusive lock; connections (processes) opening it
    // at the same moment can get SQLITE_BUSY at once, without the busy handler (SQLite's
    // deadlock avoidance): try again until the busy timeout.
    const auto deadline = std::chrono::steady_clock::now() + busy_.timeout;
    auto mode = db->query_text("PRAGMA journal_mode=WAL");
    while (!mode && mode.error().code == errc::unavailable &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(wal_switch_retry_pause);
        mode = db->query_text("PRAGMA journal_mode=WAL");
    }
    if (!mode) {
        return std::move(mode).error();
    }
    if (*mode != "wal") {
        return make_error(errc::io_error,
                          "the SQLite store cannot use WAL mode (got " + *mode + ")");
    }
    // Durable commits, enforced references, no checkpoint inside any commit, and deleted or
    // overwritten content zeroed in the file (an erased candidate's bytes do not linger in
    // free pages).
    if (auto r = db->exec("PRAGMA synchronous=FULL;"
                          "PRAGMA foreign_keys=ON;"
                          "PRAGMA temp_store=MEMORY;"
                          "PRAGMA wal_autocheckpoint=0;"
                          "PRAGMA secure_delete=ON;"
                          "PRAGMA journal_size_limit=" +
                          std::to_string(journal_size_limit_bytes) + ";");
        !r) {
        return r;
    }
    db_ = std::move(*db);
    return {};
}

result<void> prepare_private_files(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path file(path);
    std::vector<fs::path> missing;  // innermost first
    for (fs::path dir = file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        std::error_code ec;
        if (fs::exists(dir, ec) || ec) {
            break;  // an error (no permission to look) is reported by mkdir or SQLite
        }
        missing.push_back(dir);
        if (dir == dir.parent_path()) {
            break;
        }
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
            const int err = errno;
            return make_error(errc::io_error, "cannot create the store's directory " +
                                                  it->string() + ": " + std::strerror(err));
        }
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);  // an empty file is an empty SQLite database
        return {};
    }
    // Already there (or not creatable, which opening it will report).
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const std::string name = path + suffix;
        struct stat st {};
        if (::stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) {
            continue;
        }
        if (::chmod(name.c_str(), S_IRUSR | S_IWUSR) == 0) {
            log::info("store_file_narrowed", {{"file", name}, {"mode", "0600"}});
        } else {
            log::warn("store_file_readable_by_others",
                      {{"file", name}, {"error", std::strerror(errno)}});
        }
    }
    return {};
}

result<void> tx_statements::prepare(const database& db) {
    for (auto [s, sql] : {std::pair{&begin, "BEGIN IMMEDIATE"}, std::pair{&commit, "COMMIT"},
                          std::pair{&rollback, "ROLLBACK"}}) {
        auto p = db.prepare(sql);
        if (!p) {
            return std::move(p).error();
        }
        *s = std::move(*p);
    }
    return {};
}

transaction::~transaction() {
    if (active_ && sqlite3_get_autocommit(db_.get()) == 0) {
        use u(tx_.rollback);
        u->step();
    }
}

result<void> transaction::begin() {
    use u(tx_.begin);
    if (const int rc = u->step(); rc != SQLITE_DONE) {
        return db_.fail(rc, "begin");
    }
    active_ = true;
    return {};
}

result<void> transaction::commit() {
    use u(tx_.commit);
    if (const int rc = u->step(); rc != SQLITE_DONE) {
        return db_.fail(rc, "commit");
    }
    active_ = false;
    return {};
}

full_sync::full_sync(const database& db) : db_(db) {
    (void)db_.exec("PRAGMA synchronous=FULL;");
}

full_sync::~full_sync() {
    (void)db_.exec("PRAGMA synchronous=NORMAL;");
}

}  // namespace riskbridge::store::detail
