#pragma once
// Blocking POSIX socket helpers for tests that speak raw HTTP: a move-only fd owner, a connect
// with a deadline, send-all and receive-with-deadline. Used by SseClient and by tests that need
// bytes the HTTP libraries will not send (slow or oversized requests). Functions are
// thread-safe; a UniqueFd is owned by one thread at a time.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace deltacast::testing {

using SteadyClock = std::chrono::steady_clock;

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
    UniqueFd &operator=(UniqueFd &&other) noexcept;
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release();
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

/// Connects a TCP socket to host:port (name or literal) before `deadline`. Returns an empty
/// UniqueFd and sets `error` on failure. The socket is left in blocking mode.
UniqueFd connect_tcp(const std::string &host, int port, SteadyClock::time_point deadline,
                     std::string &error);

/// Writes all of `bytes` (no SIGPIPE). Returns false and sets `error` on failure.
bool send_all(int fd, std::string_view bytes, std::string &error);

enum class RecvStatus { Data, Closed, TimedOut, Error };

struct RecvResult {
    RecvStatus status;
    std::size_t size = 0; // bytes read when status == Data
    int error_code = 0;   // errno when status == Error
};

/// Reads at most `len` bytes, waiting until `deadline` (time_point::max() = no limit).
RecvResult recv_some(int fd, char *buf, std::size_t len, SteadyClock::time_point deadline);

/// Milliseconds from now until `deadline`, rounded up, clamped to [0, INT_MAX]; -1 for max().
int poll_timeout_ms(SteadyClock::time_point deadline);

} // namespace deltacast::testing
