#include "riskbridge/core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>

namespace riskbridge {

namespace {

/// Linux thread names: 15 bytes and the terminating NUL (pthread_setname_np(3)).
constexpr std::size_t thread_name_buffer_bytes = 16;

}  // namespace

void set_thread_name(std::string_view name) noexcept {
    std::array<char, thread_name_buffer_bytes> buf{};
    const std::size_t n = std::min(name.size(), buf.size() - 1);
    std::copy_n(name.data(), n, buf.data());
    (void)pthread_setname_np(pthread_self(), buf.data());
}

}  // namespace riskbridge
