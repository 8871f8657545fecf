// The SQLite store's files are readable by their owner only, whatever the umask of the process
// that opens it: the database and its -wal and -shm files 0600, the directories it creates
// 0700, and files left readable by others (by an older version) narrowed when it opens them.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "riskbridge/core/clock.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/paths.hpp"

namespace riskbridge::store {
namespace {

namespace fs = std::filesystem;

int mode_of(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

/// Runs the test under a permissive umask (022), as a process that never set one would.
class StoreFileModes : public ::testing::Test {
protected:
    void SetUp() override { old_umask_ = ::umask(022); }
    void TearDown() override { ::umask(old_umask_); }

    /// Opens the store at `path`, commits one job (so the WAL has frames) and checks every
    /// file's mode while it is open.
    void open_write_and_check(const fs::path& path) {
        auto st = make_sqlite_store({path.string()}, system_clock());
        ASSERT_TRUE(st.has_value()) << st.error().message;
        new_job j;
        j.kind = "screening";
        j.payload = "{}";
        j.correlation_id = "file-modes";
        ASSERT_TRUE((*st)->add_job(j, system_clock().now()).has_value());
        for (const std::string suffix : {"", "-wal", "-shm"}) {
            EXPECT_EQ(mode_of(path.string() + suffix), 0600) << path.string() + suffix;
        }
        (*st)->shutdown();
    }

    testing::temp_dir dir_;
    mode_t old_umask_ = 022;
};

TEST_F(StoreFileModes, ANewStoreAndTheDirectoriesItCreatesAreOwnerOnly) {
    const fs::path top = dir_.path() / "var";
    ASSERT_EQ(mode_of(top), -1);
    open_write_and_check(top / "lib" / "riskbridge.db");
    EXPECT_EQ(mode_of(top), 0700);
    EXPECT_EQ(mode_of(top / "lib"), 0700);
    // A directory that was already there is left as it was.
    EXPECT_EQ(mode_of(dir_.path()), 0700);  // temp_dir's own
}

TEST_F(StoreFileModes, AnExistingDirectoryKeepsItsMode) {
    const fs::path shared = dir_.path() / "shared";
    fs::create_directory(shared);
    ::chmod(shared.c_str(), 0755);
    open_write_and_check(shared / "riskbridge.db");
    EXPECT_EQ(mode_of(shared), 0755);
}

TEST_F(StoreFileModes, FilesReadableByOthersAreNarrowedWhenOpened) {
    const fs::path db = dir_.path() / "old.db";
    {
        auto st = make_sqlite_store({db.string()}, system_clock());
        ASSERT_TRUE(st.has_value()) << st.error().message;
        (*st)->shutdown();
    }
    ::chmod(db.c_str(), 0644);
    std::ofstream(db.string() + "-shm").put('\0');  // a leftover, as a crash leaves one
    ::chmod((db.string() + "-shm").c_str(), 0666);
    ASSERT_EQ(mode_of(db), 0644);
    open_write_and_check(db);
}

}  // namespace
}  // namespace riskbridge::store
