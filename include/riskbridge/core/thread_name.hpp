#pragma once

// Names the calling thread as `top -H`, `ps -L` and debuggers show it ("rb-store-writer",
// "rb-http-1", ...), so an operator can tell which part of the daemon is busy. Linux keeps at
// most 15 characters; longer names are cut.

#include <string_view>

namespace riskbridge {

void set_thread_name(std::string_view name) noexcept;

}  // namespace riskbridge
