#include "support/sse_client.hpp"

#include "raw_http_server.hpp"

#include <gtest/gtest.h>

#include <brotli/encode.h>

#include <atomic>
#include <thread>

namespace deltacast::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto wait = 5s;
const std::string sse_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Cache-Control: no-cache, no-transform\r\n";

// Compresses a stream frame by frame, flushing each, as the server's compressor does.
class BrotliFrames {
public:
    BrotliFrames() : state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {}
    ~BrotliFrames() { BrotliEncoderDestroyInstance(state_); }
    BrotliFrames(const BrotliFrames &) = delete;
    BrotliFrames &operator=(const BrotliFrames &) = delete;

    std::string push(std::string_view in, BrotliEncoderOperation op) {
        std::size_t avail_in = in.size();
        const auto *next_in = reinterpret_cast<const std::uint8_t *>(in.data());
        std::string out;
        do {
            std::uint8_t buf[4096];
            std::size_t avail_out = sizeof buf;
            std::uint8_t *next_out = buf;
            if (!BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, &next_out,
                                             nullptr)) {
                ADD_FAILURE() << "BrotliEncoderCompressStream failed";
                break;
            }
            out.append(reinterpret_cast<const char *>(buf), sizeof buf - avail_out);
        } while (avail_in > 0 || BrotliEncoderHasMoreOutput(state_));
        return out;
    }

private:
    BrotliEncoderState *state_;
};

SseRequest stream_request(int port, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return SseRequest{"127.0.0.1", port, "/api/sse/stream?topics=chat:42", std::move(headers)};
}

// Invariant: the client sees status, headers and each event while the connection is still open.
TEST(SseClient, DeliversEachEventBeforeServerCloses) {
    Gate first_seen, second_seen;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, sse_head + "\r\nretry: 2000\n\nevent: ready\ndata: {\"n\":1}\n\n");
        first_seen.wait();
        RawHttpServer::write(fd, ": hb\n\nid: e-2\nevent: po");
        std::this_thread::sleep_for(30ms); // the client must reassemble the split line
        RawHttpServer::write(fd, "ke\ndata: {\"n\":2}\n\n");
        second_seen.wait();
    });
    SseClient client;
    ASSERT_TRUE(client.open(stream_request(server.port(), {{"Cookie", "session=abc"}}), wait))
        << client.error();
    EXPECT_EQ(client.status(), 200);
    EXPECT_EQ(client.header("content-type"), "text/event-stream");
    EXPECT_EQ(client.header("CACHE-CONTROL"), "no-cache, no-transform");
    EXPECT_EQ(client.header("Content-Length"), std::nullopt);

    const auto first = client.next_event(wait);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->event, "ready");
    EXPECT_EQ(first->data, "{\"n\":1}");
    EXPECT_FALSE(client.closed_by_server());
    first_seen.open();

    const auto second = client.next_event(wait);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->event, "poke");
    EXPECT_EQ(second->id, "e-2");
    EXPECT_GE(second->received, first->received);
    EXPECT_FALSE(client.closed_by_server());
    EXPECT_EQ(client.comment_count(), 1);
    EXPECT_EQ(client.retry(), 2000);
    EXPECT_EQ(client.last_event_id(), "e-2");
    second_seen.open();

    EXPECT_TRUE(client.wait_closed(wait));
    EXPECT_EQ(client.next_event(0ms), std::nullopt);
    EXPECT_EQ(client.error(), "");

    const std::string request = server.request();
    EXPECT_TRUE(request.starts_with("GET /api/sse/stream?topics=chat:42 HTTP/1.1\r\n")) << request;
    EXPECT_NE(request.find("\r\nCookie: session=abc\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nAccept: text/event-stream\r\n"), std::string::npos) << request;
}

// Invariant: an error status returns its JSON body by Content-Length, without waiting for close.
TEST(SseClient, ErrorStatusBodyReadByContentLength) {
    const std::string json = R"({"error":"forbidden","topics":["chat:42"]})";
    Gate done;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                                 "Content-Length: " +
                                     std::to_string(json.size()) + "\r\n\r\n");
        std::this_thread::sleep_for(20ms);
        RawHttpServer::write(fd, json);
        done.wait(); // keep the connection open: only Content-Length can end the body
    });
    SseClient client;
    const auto start = SteadyClock::now();
    ASSERT_TRUE(client.open(stream_request(server.port()), 10s)) << client.error();
    EXPECT_LT(SteadyClock::now() - start, 5s);
    done.open();
    EXPECT_EQ(client.status(), 403);
    EXPECT_EQ(client.header("content-type"), "application/json");
    EXPECT_EQ(client.body(), json);
    EXPECT_EQ(client.error(), "");
    EXPECT_EQ(client.next_event(0ms), std::nullopt);
}

// Invariant: a brotli stream flushed per frame is decoded frame by frame, and bytes are counted.
TEST(SseClient, BrotliStreamDecodedPerFrame) {
    const std::string frame1 = "event: ready\ndata: {\"topics\":[\"chat:42\"]}\n\n";
    const std::string frame2 = "id: a-1\nevent: entity-upsert\ndata: {\"rows\":[]}\n\n";
    Gate first_seen;
    std::atomic<std::size_t> sent{0};
    RawHttpServer server([&](int fd) {
        BrotliFrames br;
        RawHttpServer::write(fd, sse_head + "Content-Encoding: br\r\n\r\n");
        const std::string wire1 = br.push(frame1, BROTLI_OPERATION_FLUSH);
        RawHttpServer::write(fd, wire1);
        first_seen.wait();
        std::string wire2 = br.push(frame2, BROTLI_OPERATION_FLUSH);
        wire2 += br.push({}, BROTLI_OPERATION_FINISH); // a separate statement: order matters
        RawHttpServer::write(fd, wire2);
        sent = wire1.size() + wire2.size();
    });
    SseClient client;
    ASSERT_TRUE(client.open(stream_request(server.port(), {{"Accept-Encoding", "br"}}), wait));
    EXPECT_EQ(client.header("content-encoding"), "br");
    const auto first = client.next_event(wait);
    ASSERT_TRUE(first) << client.error();
    EXPECT_EQ(first->event, "ready");
    first_seen.open();
    const auto second = client.wait_for([](const SseEvent &e) { return e.id == "a-1"; }, wait);
    ASSERT_TRUE(second) << client.error();
    EXPECT_EQ(second->data, "{\"rows\":[]}");
    EXPECT_TRUE(client.wait_closed(wait));
    EXPECT_EQ(client.error(), "");
    EXPECT_EQ(client.wire_bytes(), sent.load());
    EXPECT_EQ(client.decoded_bytes(), frame1.size() + frame2.size());
}

// Invariant: a chunked body is unframed (chunks may split lines) and its last chunk ends it.
TEST(SseClient, ChunkedBodyUnframedAndEndedByLastChunk) {
    Gate done;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, sse_head + "Transfer-Encoding: chunked\r\n\r\n");
        RawHttpServer::write(fd, "9\r\ndata: hel\r\n6;ext=1\r\nlo\n\nda\r\n");
        std::this_thread::sleep_for(20ms);
        RawHttpServer::write(fd, "7\r\nta: x\n\n\r\n0\r\n\r\n");
        done.wait(); // the connection stays open: the zero chunk alone must end the stream
    });
    SseClient client;
    ASSERT_TRUE(client.open(stream_request(server.port()), wait));
    const auto hello = client.next_event(wait);
    ASSERT_TRUE(hello) << client.error();
    EXPECT_EQ(hello->data, "hello");
    EXPECT_TRUE(client.wait_closed(wait)) << client.error();
    done.open();
    const auto events = client.drain();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "x");
    EXPECT_EQ(client.wire_bytes(), std::string("data: hello\n\ndata: x\n\n").size());
}

// Invariant: wait_for consumes the events before the match and leaves the ones after it.
TEST(SseClient, WaitForConsumesUpToMatch) {
    Gate done;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, sse_head + "\r\ndata: a\n\ndata: b\n\ndata: c\n\n");
        done.wait();
    });
    SseClient client;
    ASSERT_TRUE(client.open(stream_request(server.port()), wait));
    const auto b = client.wait_for([](const SseEvent &e) { return e.data == "b"; }, wait);
    ASSERT_TRUE(b);
    const auto c = client.next_event(wait);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->data, "c");
    EXPECT_EQ(client.wait_for([](const SseEvent &) { return true; }, 50ms), std::nullopt);
    done.open();
}

// Invariant: close() ends a live stream promptly, is idempotent, and is not a server close.
TEST(SseClient, CloseIsPromptAndNotServerClose) {
    Gate done;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, sse_head + "\r\ndata: a\n\n");
        done.wait();
    });
    SseClient client;
    ASSERT_TRUE(client.open(stream_request(server.port()), wait));
    ASSERT_TRUE(client.next_event(wait));
    const auto start = SteadyClock::now();
    client.close();
    EXPECT_LT(SteadyClock::now() - start, 1s);
    client.close();
    EXPECT_FALSE(client.closed_by_server());
    EXPECT_EQ(client.error(), "");
    done.open();
}

// Invariant: a server that never answers makes open() fail at its timeout, not hang.
TEST(SseClient, OpenTimesOutWithoutResponseHead) {
    Gate done;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, "HTTP/1.1 200 OK\r\n"); // the head never completes
        done.wait();
    });
    SseClient client;
    const auto start = SteadyClock::now();
    EXPECT_FALSE(client.open(stream_request(server.port()), 200ms));
    const auto elapsed = SteadyClock::now() - start;
    done.open();
    EXPECT_GE(elapsed, 200ms);
    EXPECT_LT(elapsed, 3s);
    EXPECT_NE(client.error().find("timed out"), std::string::npos) << client.error();
}

// Invariant: a refused connection is reported by open(), with the reason.
TEST(SseClient, ConnectRefusedReported) {
    // A bound socket that never listens holds a port on which connect() is refused.
    UniqueFd bound(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(bound.get(), reinterpret_cast<sockaddr *>(&addr), len), 0);
    ASSERT_EQ(::getsockname(bound.get(), reinterpret_cast<sockaddr *>(&addr), &len), 0);
    SseClient client;
    EXPECT_FALSE(client.open(stream_request(ntohs(addr.sin_port)), wait));
    EXPECT_NE(client.error().find("connect"), std::string::npos) << client.error();
    EXPECT_FALSE(client.closed_by_server());
}

// Invariant: a corrupt compressed body ends the stream with a decoding error.
TEST(SseClient, CorruptBrotliReportsError) {
    Gate done;
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, sse_head + "Content-Encoding: br\r\n\r\nthis is not brotli");
        done.wait();
    });
    SseClient client;
    ASSERT_TRUE(client.open(stream_request(server.port()), wait));
    EXPECT_FALSE(client.wait_closed(wait));
    EXPECT_NE(client.error().find("br:"), std::string::npos) << client.error();
    done.open();
}

} // namespace
} // namespace deltacast::testing
