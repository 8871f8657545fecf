// Thread names, as `top -H` and /proc/<pid>/task/<tid>/comm show them.

#include "riskbridge/core/thread_name.hpp"

#include <pthread.h>

#include <array>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace riskbridge {
namespace {

std::string name_given(const std::string& name) {
    std::string seen;
    std::thread t([&] {
        set_thread_name(name);
        std::array<char, 64> buf{};
        if (pthread_getname_np(pthread_self(), buf.data(), buf.size()) == 0) {
            seen = buf.data();
        }
    });
    t.join();
    return seen;
}

TEST(ThreadName, NamesTheCallingThread) {
    EXPECT_EQ(name_given("rb-store-writer"), "rb-store-writer");
}

TEST(ThreadName, KeepsTheFirstFifteenCharacters) {
    EXPECT_EQ(name_given("rb-worker-123456789"), "rb-worker-12345");
}

}  // namespace
}  // namespace riskbridge
