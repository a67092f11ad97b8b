#pragma once
// SseSession: one browser tab's multiplexed stream. Admission (sse/stream_admission.hpp)
// decides whether the request becomes a stream; the session then asks the core to open it
// (access checks, LISTEN confirmed, fan-out joined), writes the SSE headers, `retry:` and
// `ready`, and from then on every frame pushed to it, compressed with one flush per frame: zstd
// and gzip through the shard's shared encoders (sse/shared_encoder.hpp: a frame is compressed
// once for the connections whose streams carry the same frames), brotli through the
// connection's own compressor. Output is bounded: past server.max_queued_bytes the queued
// frames are dropped and replaced by one `resync` for all topics; a write stuck for
// server.write_timeout_s closes the connection at the next heartbeat tick. Heartbeat comments keep
// idle connections alive through proxies; at each heartbeat tick a stream whose token has expired
// is closed (the client reconnects with its current credentials), and a stream idle for the whole
// interval releases its encoder, or its share of one (its next frame continues the stream with a
// fresh one; zstd and gzip also release theirs right after `ready`). end() - access revoked, or a
// graceful shutdown - writes a last frame, then closes.
//
// Threading: everything runs on the connection's shard strand (shared with the shard's other
// connections); push() and end() are the thread-safe entries (they post), deliver() is the Hub's
// call from a handler already on that strand. Exceptions never escape a handler: a failure
// closes this session only.

#include "sse/compressor.hpp"
#include "sse/http_util.hpp"
#include "sse/shared_encoder.hpp"
#include "sse/stream_admission.hpp"
#include "sse/stream_service.hpp"
#include "wire/frame.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace deltacast::sse {

class SseSession final : public Subscriber, public std::enable_shared_from_this<SseSession> {
public:
    /// `socket` runs on `shard`'s strand.
    SseSession(boost::asio::ip::tcp::socket socket, HttpContext& context, Shard& shard);
    ~SseSession() override;

    void start(Request request);
    void push(wire::FramePtr frame) override;
    void end(wire::FramePtr last) override;
    Shard* shard() const override { return &shard_; }
    void deliver(const wire::FramePtr& frame, std::size_t audience) override {
        enqueue(frame, audience);
    }

private:
    void reject(const Refused& refused);
    void on_open(const OpenResult& result);
    void enqueue(wire::FramePtr frame, std::size_t audience = 1);
    void set_queued(std::size_t bytes);
    void do_write();
    bool encode_in_flight(std::size_t raw); // into compressed_; false: the encoder failed
    void on_write(boost::system::error_code ec, std::size_t bytes);
    void do_read();
    void arm_heartbeat();
    void close();

    boost::asio::ip::tcp::socket socket_;
    HttpContext& context_;
    Shard& shard_;
    std::string origin_;
    std::string accept_encoding_;
    std::shared_ptr<OpenRequest> open_request_;
    std::vector<std::string> topic_keys_;
    std::string subject_;                          // the slot's owner in HttpContext::limits
    std::optional<std::int64_t> token_expires_at_; // unix seconds
    bool counted_ = false;                         // holds a slot in HttpContext::limits
    bool opened_ = false; // the core answered Ok: close() must release the topics
    bool ending_ = false; // end() was called: write what is queued, then close
    bool closed_ = false;

    struct Queued {
        wire::FramePtr frame;
        std::size_t audience; // connections of the shard that got it in the same delivery
    };

    // At most one of the two: shared_ for zstd and gzip (unless fanout.share_encoders is
    // off), compressor_ otherwise; neither for identity.
    std::unique_ptr<Compressor> compressor_;
    std::unique_ptr<SharedStream> shared_;
    std::string head_; // response head, written before the first frame (never compressed)
    std::deque<Queued> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    std::vector<Queued> in_flight_;
    std::string compressed_;
    std::vector<boost::asio::const_buffer> buffers_;
    std::chrono::steady_clock::time_point write_started_; // of the write in flight
    boost::asio::steady_timer heartbeat_timer_;
    bool wrote_since_heartbeat_ = false;
    std::array<char, 512> read_buffer_{};
};

} // namespace deltacast::sse
