#pragma once
// RawHttpServer: a one-connection HTTP server for client tests. It listens on 127.0.0.1:0,
// accepts one connection on its own thread, reads the request head, then runs the test's
// script, which writes raw bytes to the socket; the connection closes when the script returns.
// Gate lets a script pause until the test has checked what the client saw so far.

#include "support/socket_util.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace deltacast::testing {

class Gate {
public:
    void open() { sem_.release(); }
    /// Blocks until open() (true) or 10 s (false, so a failing test cannot hang the suite).
    bool wait() { return sem_.try_acquire_for(std::chrono::seconds(10)); }

private:
    std::binary_semaphore sem_{0};
};

class RawHttpServer {
public:
    using Script = std::function<void(int fd)>;

    explicit RawHttpServer(Script script) : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        auto *raw = reinterpret_cast<sockaddr *>(&addr);
        socklen_t len = sizeof addr;
        if (!listener_ || ::bind(listener_.get(), raw, len) != 0 ||
            ::listen(listener_.get(), 4) != 0 || ::getsockname(listener_.get(), raw, &len) != 0) {
            ADD_FAILURE() << "cannot listen on 127.0.0.1:0";
            return;
        }
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this, script = std::move(script)] { serve(script); });
    }

    ~RawHttpServer() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    int port() const { return port_; }

    /// The request head the client sent (empty until it arrived).
    std::string request() const {
        std::lock_guard lock(mu_);
        return request_;
    }

    static void write(int fd, std::string_view bytes) {
        std::string error;
        EXPECT_TRUE(send_all(fd, bytes, error)) << error;
    }

private:
    void serve(const Script &script) {
        pollfd pfd{listener_.get(), POLLIN, 0};
        if (::poll(&pfd, 1, 10'000) != 1) {
            return; // the client never came; the test has failed already
        }
        UniqueFd conn(::accept(listener_.get(), nullptr, nullptr));
        std::string head;
        char buf[4096];
        const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
        while (head.find("\r\n\r\n") == std::string::npos) {
            const RecvResult r = recv_some(conn.get(), buf, sizeof buf, deadline);
            if (r.status != RecvStatus::Data) {
                return;
            }
            head.append(buf, r.size);
        }
        {
            std::lock_guard lock(mu_);
            request_ = head;
        }
        script(conn.get());
    }

    UniqueFd listener_;
    int port_ = 0;
    mutable std::mutex mu_;
    std::string request_;
    std::thread thread_;
};

} // namespace deltacast::testing
