#include "support/socket_util.hpp"

#include <cerrno>
#include <climits>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deltacast::testing {

namespace {

std::string errno_text(const char *what) {
    return std::string(what) + ": " + std::strerror(errno);
}

bool set_nonblocking(int fd, bool on) {
    const int flags = ::fcntl(fd, F_GETFL, 0);
    return flags >= 0 &&
           ::fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK)) == 0;
}

// Waits for a non-blocking connect to finish; returns 0 or the socket error.
int finish_connect(int fd, SteadyClock::time_point deadline) {
    pollfd pfd{fd, POLLOUT, 0};
    int rc = 0;
    do {
        rc = ::poll(&pfd, 1, poll_timeout_ms(deadline));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        return ETIMEDOUT;
    }
    if (rc < 0) {
        return errno;
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
        return errno;
    }
    return so_error;
}

UniqueFd connect_one(const addrinfo &ai, SteadyClock::time_point deadline, std::string &error) {
    UniqueFd fd(::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC, ai.ai_protocol));
    if (!fd) {
        error = errno_text("socket");
        return {};
    }
    if (!set_nonblocking(fd.get(), true)) {
        error = errno_text("fcntl");
        return {};
    }
    int err = 0;
    if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) {
        err = errno == EINPROGRESS ? finish_connect(fd.get(), deadline) : errno;
    }
    if (err != 0) {
        error = std::string("connect: ") + std::strerror(err);
        return {};
    }
    if (!set_nonblocking(fd.get(), false)) {
        error = errno_text("fcntl");
        return {};
    }
    return fd;
}

} // namespace

UniqueFd &UniqueFd::operator=(UniqueFd &&other) noexcept {
    if (this != &other) {
        reset(other.release());
    }
    return *this;
}

int UniqueFd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

int poll_timeout_ms(SteadyClock::time_point deadline) {
    if (deadline == SteadyClock::time_point::max()) {
        return -1;
    }
    const auto left = deadline - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) {
        return 0;
    }
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

UniqueFd connect_tcp(const std::string &host, int port, SteadyClock::time_point deadline,
                     std::string &error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *list = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    if (rc != 0) {
        error = std::string("getaddrinfo: ") + ::gai_strerror(rc);
        return {};
    }
    UniqueFd fd;
    for (const addrinfo *ai = list; ai != nullptr && !fd; ai = ai->ai_next) {
        fd = connect_one(*ai, deadline, error);
    }
    ::freeaddrinfo(list);
    return fd;
}

bool send_all(int fd, std::string_view bytes, std::string &error) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = errno_text("send");
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

RecvResult recv_some(int fd, char *buf, std::size_t len, SteadyClock::time_point deadline) {
    for (;;) {
        if (deadline != SteadyClock::time_point::max()) {
            pollfd pfd{fd, POLLIN, 0};
            const int rc = ::poll(&pfd, 1, poll_timeout_ms(deadline));
            if (rc < 0 && errno == EINTR) {
                continue;
            }
            if (rc == 0) {
                return {RecvStatus::TimedOut};
            }
            if (rc < 0) {
                return {RecvStatus::Error, 0, errno};
            }
        }
        const ssize_t n = ::recv(fd, buf, len, 0);
        if (n > 0) {
            return {RecvStatus::Data, static_cast<std::size_t>(n)};
        }
        if (n == 0) {
            return {RecvStatus::Closed};
        }
        if (errno != EINTR) {
            return {RecvStatus::Error, 0, errno};
        }
    }
}

} // namespace deltacast::testing
