#include "support/sse_client.hpp"

#include "support/http_head.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <sys/socket.h>

namespace deltacast::testing {

namespace {

constexpr std::size_t max_head_bytes = 64 * std::size_t{1024};
constexpr std::size_t read_block = 16 * std::size_t{1024};

std::string build_request(const SseRequest &request) {
    std::string out = "GET " + request.target + " HTTP/1.1\r\nHost: " + request.host + ":" +
                      std::to_string(request.port) + "\r\n";
    bool has_accept = false;
    for (const auto &[name, value] : request.headers) {
        has_accept = has_accept || iequals(name, "accept");
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (!has_accept) {
        out += "Accept: text/event-stream\r\n";
    }
    return out + "\r\n";
}

} // namespace

SseClient::~SseClient() {
    close();
}

bool SseClient::open(const SseRequest &request, std::chrono::milliseconds timeout) {
    close();
    reset_state();
    const auto deadline = SteadyClock::now() + timeout;
    std::string error;
    fd_ = connect_tcp(request.host, request.port, deadline, error);
    if (!fd_) {
        return fail_open(error);
    }
    if (!send_all(fd_.get(), build_request(request), error)) {
        return fail_open(error);
    }
    std::string rest;
    if (!read_head(deadline, rest)) {
        return false;
    }
    if (!body_.init(status_, headers_, error)) {
        return fail_open(error);
    }
    if (status_ != 200) {
        read_error_body(std::move(rest), deadline);
        return true;
    }
    if (body_.empty_body()) {
        finish(true, {});
    } else if (on_stream_bytes(rest)) {
        reader_ = std::thread([this] { reader_loop(); });
    }
    return true;
}

void SseClient::reset_state() {
    stopping_ = false;
    status_ = 0;
    headers_.clear();
    error_body_.clear();
    body_ = BodyDecoder{};
    parser_ = SseParser{};
    std::lock_guard lock(mu_);
    events_.clear();
    ended_ = false;
    closed_by_server_ = false;
    error_.clear();
    wire_bytes_ = decoded_bytes_ = 0;
    comment_count_ = 0;
    retry_.reset();
    last_event_id_.clear();
}

bool SseClient::fail_open(std::string message) {
    fd_.reset();
    finish(false, std::move(message));
    return false;
}

bool SseClient::read_head(SteadyClock::time_point deadline, std::string &rest) {
    std::string raw;
    std::array<char, read_block> buf{};
    for (;;) {
        const auto end = raw.find("\r\n\r\n");
        if (end != std::string::npos) {
            rest = raw.substr(end + 4);
            raw.resize(end);
            break;
        }
        if (raw.size() > max_head_bytes) {
            return fail_open("response head too large");
        }
        const RecvResult r = recv_some(fd_.get(), buf.data(), buf.size(), deadline);
        if (r.status == RecvStatus::TimedOut) {
            return fail_open("timed out waiting for the response head");
        }
        if (r.status != RecvStatus::Data) {
            return fail_open(r.status == RecvStatus::Closed
                                 ? "connection closed before the response head"
                                 : std::string("recv: ") + std::strerror(r.error_code));
        }
        raw.append(buf.data(), r.size);
    }
    std::string error;
    if (!parse_response_head(raw, status_, headers_, error)) {
        return fail_open(error);
    }
    return true;
}

void SseClient::read_error_body(std::string rest, SteadyClock::time_point deadline) {
    std::array<char, read_block> buf{};
    std::string raw = std::move(rest);
    while (!body_.empty_body()) {
        const BodyDecoder::Result u = body_.feed(raw, error_body_);
        {
            std::lock_guard lock(mu_);
            wire_bytes_ += u.content_bytes;
            decoded_bytes_ = error_body_.size();
        }
        if (!u.error.empty() || u.complete) {
            return finish(u.complete, u.error);
        }
        const RecvResult r = recv_some(fd_.get(), buf.data(), buf.size(), deadline);
        if (r.status == RecvStatus::Data) {
            raw.assign(buf.data(), r.size);
        } else if (r.status == RecvStatus::Closed) {
            return finish(true, body_.ends_at_close() ? "" : "connection closed mid-body");
        } else {
            return finish(false, r.status == RecvStatus::TimedOut
                                     ? "timed out reading the response body"
                                     : std::string("recv: ") + std::strerror(r.error_code));
        }
    }
    finish(true, {});
}

// Returns false once the stream is over (framing complete or broken).
bool SseClient::on_stream_bytes(std::string_view raw) {
    std::string decoded;
    const BodyDecoder::Result u = body_.feed(raw, decoded);
    std::vector<SseEvent> events = parser_.feed(decoded);
    {
        std::lock_guard lock(mu_);
        wire_bytes_ += u.content_bytes;
        decoded_bytes_ += decoded.size();
        comment_count_ = static_cast<int>(parser_.comments().size());
        retry_ = parser_.retry();
        last_event_id_ = parser_.last_event_id();
        for (auto &event : events) {
            events_.push_back(std::move(event));
        }
    }
    cv_.notify_all();
    if (!u.error.empty() || u.complete) {
        finish(u.error.empty(), u.error);
        return false;
    }
    return true;
}

void SseClient::reader_loop() {
    std::array<char, read_block> buf{};
    for (;;) {
        const RecvResult r =
            recv_some(fd_.get(), buf.data(), buf.size(), SteadyClock::time_point::max());
        if (r.status == RecvStatus::Data) {
            if (!on_stream_bytes(std::string_view(buf.data(), r.size))) {
                return;
            }
            continue;
        }
        if (stopping_) {
            return finish(false, {});
        }
        if (r.status == RecvStatus::Closed) {
            return finish(true, body_.ends_at_close() ? "" : "connection closed mid-body");
        }
        // A reset is still the server ending the stream; the error text says how.
        return finish(r.error_code == ECONNRESET,
                      std::string("recv: ") + std::strerror(r.error_code));
    }
}

void SseClient::finish(bool by_server, std::string error) {
    {
        std::lock_guard lock(mu_);
        ended_ = true;
        closed_by_server_ = closed_by_server_ || by_server;
        if (error_.empty()) {
            error_ = std::move(error);
        }
    }
    cv_.notify_all();
}

void SseClient::close() {
    stopping_ = true;
    if (fd_) {
        ::shutdown(fd_.get(), SHUT_RDWR);
    }
    if (reader_.joinable()) {
        reader_.join();
    }
    fd_.reset();
    finish(false, {});
}

std::optional<std::string> SseClient::header(std::string_view name) const {
    return find_header(headers_, name);
}

std::optional<SseEvent> SseClient::next_event(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return !events_.empty() || ended_; });
    if (events_.empty()) {
        return std::nullopt;
    }
    SseEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
}

std::optional<SseEvent> SseClient::wait_for(const std::function<bool(const SseEvent &)> &pred,
                                            std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        auto event = next_event(std::max(left, std::chrono::milliseconds::zero()));
        if (!event || pred(*event)) {
            return event;
        }
    }
}

std::vector<SseEvent> SseClient::drain() {
    std::lock_guard lock(mu_);
    std::vector<SseEvent> out(std::make_move_iterator(events_.begin()),
                              std::make_move_iterator(events_.end()));
    events_.clear();
    return out;
}

bool SseClient::wait_closed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return ended_; });
    return closed_by_server_;
}

bool SseClient::closed_by_server() const {
    std::lock_guard lock(mu_);
    return closed_by_server_;
}

std::size_t SseClient::wire_bytes() const {
    std::lock_guard lock(mu_);
    return wire_bytes_;
}

std::size_t SseClient::decoded_bytes() const {
    std::lock_guard lock(mu_);
    return decoded_bytes_;
}

int SseClient::comment_count() const {
    std::lock_guard lock(mu_);
    return comment_count_;
}

std::optional<int> SseClient::retry() const {
    std::lock_guard lock(mu_);
    return retry_;
}

std::string SseClient::last_event_id() const {
    std::lock_guard lock(mu_);
    return last_event_id_;
}

std::string SseClient::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

} // namespace deltacast::testing
