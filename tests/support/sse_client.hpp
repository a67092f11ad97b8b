#pragma once
// SseClient: one blocking HTTP/1.1 GET over a plain POSIX socket, as a browser's EventSource
// would send it, for tests against a real server. open() returns once the status line and
// headers are in. A 200 body is read by a reader thread owned by the client: it removes the
// framing (until-close, Content-Length or chunked), undoes Content-Encoding and parses SSE;
// events queue in FIFO order under a mutex. Any other status has its body read fully inside
// open(). All public methods are safe to call from the test thread while the reader runs;
// open() and close() must not race each other. The destructor calls close().

#include "support/body_decoder.hpp"
#include "support/socket_util.hpp"
#include "support/sse_parser.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace deltacast::testing {

struct SseRequest {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string target; // path + query, e.g. "/api/sse/stream?topics=chat:42"
    std::vector<std::pair<std::string, std::string>> headers; // e.g. {"Accept-Encoding", "br"}
};

class SseClient {
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    SseClient() = default;
    ~SseClient();
    SseClient(const SseClient &) = delete;
    SseClient &operator=(const SseClient &) = delete;

    /// Connects, sends the request and reads the response head, all within `timeout`. Returns
    /// true once the status line and headers are in (for a non-200 status, after its body was
    /// read too, within the same timeout); false with error() on failure. Sends
    /// "Accept: text/event-stream" unless the request names an Accept header. Reopening first
    /// closes the previous connection.
    bool open(const SseRequest &request, std::chrono::milliseconds timeout);

    int status() const { return status_; }
    /// The first header of that name (case-insensitive), or nullopt when absent.
    std::optional<std::string> header(std::string_view name) const;
    const Headers &headers() const { return headers_; }
    /// The decoded body of a non-200 response (empty for 200).
    const std::string &body() const { return error_body_; }

    /// Pops the oldest event, waiting up to `timeout`; nullopt on timeout or once the stream
    /// ended with nothing left queued.
    std::optional<SseEvent> next_event(std::chrono::milliseconds timeout);
    /// Pops events until one satisfies `pred` (returned) or `timeout` passes (nullopt; the
    /// events popped meanwhile are gone).
    std::optional<SseEvent> wait_for(const std::function<bool(const SseEvent &)> &pred,
                                     std::chrono::milliseconds timeout);
    /// Pops every event queued now, without waiting.
    std::vector<SseEvent> drain();
    /// Waits up to `timeout` for the stream to end; returns closed_by_server().
    bool wait_closed(std::chrono::milliseconds timeout);

    /// True once the server closed the connection or ended the body's framing (not close()).
    bool closed_by_server() const;
    /// Body bytes as sent (after chunked framing is removed, before Content-Encoding is undone).
    std::size_t wire_bytes() const;
    /// Body bytes after Content-Encoding is undone.
    std::size_t decoded_bytes() const;
    int comment_count() const;
    std::optional<int> retry() const;
    std::string last_event_id() const;
    /// Empty unless something failed (connect, timeout, malformed response, corrupt body).
    std::string error() const;

    /// Shuts the socket down, joins the reader and closes the socket. Idempotent.
    void close();

private:
    void reset_state();
    bool fail_open(std::string message);
    bool read_head(SteadyClock::time_point deadline, std::string &rest);
    void read_error_body(std::string rest, SteadyClock::time_point deadline);
    bool on_stream_bytes(std::string_view raw);
    void reader_loop();
    void finish(bool by_server, std::string error);

    UniqueFd fd_;
    std::thread reader_;
    std::atomic<bool> stopping_{false};

    // Written by open() before the reader starts; read-only afterwards.
    int status_ = 0;
    Headers headers_;
    std::string error_body_;

    // Used by open(), then by the reader thread only.
    BodyDecoder body_;
    SseParser parser_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<SseEvent> events_;
    bool ended_ = false;
    bool closed_by_server_ = false;
    std::string error_;
    std::size_t wire_bytes_ = 0;
    std::size_t decoded_bytes_ = 0;
    int comment_count_ = 0;
    std::optional<int> retry_;
    std::string last_event_id_;
};

} // namespace deltacast::testing
