#pragma once
// ChildProcess: runs a program (the real `deltacast` binary) as a child for tests that need
// real signals and a real process exit. Its stdout and stderr go to a log file, shown by
// log_tail() when a test fails. The destructor SIGKILLs a child still running, so a failing
// test never leaves a server behind.
//
// Threading: one thread at a time.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deltacast::testing {

class ChildProcess {
public:
    /// Starts `argv[0]` (a path) with `argv` and the current environment plus `env`; throws
    /// std::runtime_error when it cannot be spawned.
    ChildProcess(std::vector<std::string> argv,
                 std::vector<std::pair<std::string, std::string>> env, std::string log_path);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void signal(int sig) const;
    /// The exit status (WEXITSTATUS, or 128 + signal) once the child exited within `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    /// The last `lines` lines of the child's output.
    std::string log_tail(int lines = 30) const;

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string log_path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int free_tcp_port();

}  // namespace deltacast::testing
