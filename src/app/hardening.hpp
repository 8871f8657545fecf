#pragma once

namespace riskbridge::app {

/// What every riskbridge command does before anything else (before it reads a secret, opens a
/// socket or creates a file):
/// - umask 077: every file and directory the process creates (the SQLite store and its -wal
///   and -shm files, the demo's directory and logs) is readable by its owner only;
/// - SIGPIPE ignored: writing to a socket the peer has closed fails with EPIPE on that socket,
///   instead of killing the whole process (the server, the HTTP and PostgreSQL clients);
/// - no core dumps (RLIMIT_CORE 0, soft and hard, and not dumpable): a crash never writes the
///   memory, with its API keys, webhook secrets and applicants' data, to a core file, and other
///   processes of the same user cannot attach to this one or read its memory or environment.
///   The kernel then makes /proc/<pid>/ files root's: /proc/<pid>/task/*/comm, stat, status
///   and schedstat stay world-readable, what needs ptrace rights (environ, mem, fd) is
///   readable by root only.
/// Idempotent; a step that fails is reported on stderr and the others still apply.
void harden_process();

}  // namespace riskbridge::app
