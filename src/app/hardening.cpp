#include "app/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

namespace riskbridge::app {

namespace {

void warn(const char* what) {
    std::cerr << "riskbridge: warning: cannot " << what << ": " << std::strerror(errno) << '\n';
}

}  // namespace

void harden_process() {
    ::umask(077);
    if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        warn("ignore SIGPIPE");
    }
    const rlimit no_core{0, 0};  // lowering a limit is always allowed
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        warn("disable core dumps (RLIMIT_CORE)");
    }
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        warn("disable core dumps (PR_SET_DUMPABLE)");
    }
}

}  // namespace riskbridge::app
