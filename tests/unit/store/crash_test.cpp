// A store process killed with SIGKILL loses nothing it acknowledged.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

/// The child: enqueues forever and writes the id of every accepted job to `fd` from the
/// callback, i.e. only after the commit that holds it. Never returns.
[[noreturn]] void enqueue_until_killed(backend b, const std::string& target, int fd) {
    manual_clock clk;
    auto opened = open_backend(b, target, clk);
    if (!opened) {
        _exit(3);
    }
    auto store = std::move(opened).value();
    for (long long i = 0;; ++i) {
        store->enqueue_async(make_request(numbered("k", i)), [fd](enqueue_result r) {
            if (r.status == enqueue_status::accepted) {
                const std::int64_t id = r.id;
                if (write(fd, &id, sizeof id) != static_cast<ssize_t>(sizeof id)) {
                    _exit(4);
                }
            }
        });
        if (i % 64 == 0) {
            std::this_thread::yield();
        }
    }
}

using crash = store_test;
RB_STORE_BACKENDS(crash);

TEST_P(crash, acknowledged_jobs_survive_sigkill) {
    const std::string where = target();  // made before fork(): no connection is open now
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        enqueue_until_killed(backend_, where, fds[1]);
    }
    close(fds[1]);

    std::vector<std::int64_t> acked;
    auto read_ids = [&] {
        std::int64_t id = 0;
        const ssize_t n = read(fds[0], &id, sizeof id);
        if (n == static_cast<ssize_t>(sizeof id)) {
            acked.push_back(id);
            return true;
        }
        return false;
    };
    while (acked.size() < 3000 && read_ids()) {
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped on its own, status " << status;
    while (read_ids()) {  // acknowledgements written before it died
    }
    close(fds[0]);
    ASSERT_GE(acked.size(), 3000u);

    auto reopened = try_open();
    ASSERT_TRUE(reopened) << reopened.error().message;
    auto& store = **reopened;
    for (std::int64_t id : acked) {
        auto j = store.get_job(id);
        ASSERT_TRUE(j);
        ASSERT_TRUE(j->has_value()) << "acknowledged job " << id << " was lost";
    }
    auto st = store.stats();
    ASSERT_TRUE(st);
    EXPECT_GE(st->jobs_by_state.at(job_state::queued), static_cast<std::int64_t>(acked.size()));
    EXPECT_EQ(st->jobs_by_state.at(job_state::queued), st->deliveries)
        << "every job came with its delivery, in one transaction";
}

}  // namespace
}  // namespace riskbridge::store::testing
