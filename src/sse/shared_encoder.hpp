#pragma once
// Shared encoders: a frame is compressed once for all the connections of a shard whose streams
// carry the same frames in the same order, instead of once per connection.
//
// Why it is correct. A zstd or deflate encoder's output for a frame depends only on the frames
// it has compressed before. Connections whose streams since their encoder began hold the same
// frames can therefore use one encoder's output: every one of them decodes it, because its
// decoder holds exactly the history the encoder had. An encoder's successive states form a
// chain of links; each link records the frame that advanced it and the bytes that produced.
// A connection sits at one link. Its next frame either is the one the link was advanced with
// (it appends the recorded bytes and moves on), or the link is the chain's tip (its encoder
// compresses the frame: the connection advances the chain), or the chain went on with another
// frame: the connection has diverged. It then ends what its stream has open (zstd: the frame,
// encoder_handover()) and starts a fresh encoder with that frame, shared again with every
// connection of the shard that starts with the same frame (a topic's frame, delivered to the
// shard's subscribers in one handler, restarts them all on one encoder).
//
// Who keeps a chain. When the tip's members would go different ways, the first to ask decides.
// So a connection takes the tip only if it is the tip's sole member or its frame goes to at
// least as many connections on the shard (the `audience` the Hub passes) as the tip has
// members; otherwise it leaves for a fresh encoder. A frame for one connection (`ready`, a
// heartbeat, a snapshot, a user's own topic) thus never costs the others their history.
//
// Why it matters: bench/RESULTS.md, issue 15. At 10,000 connections a per-connection encoder is
// never in the cache; shared, one chat's 10,000 viewers cost one compression per frame.
//
// Threading: one SharedEncoders per shard and encoding, used only on that shard's strand; a
// SharedStream only by its session, on the same strand. The one thing a SharedStream may do off
// the strand is die (a session's last reference can drop anywhere): it then only lowers its
// link's member count, which is atomic.

#include "sse/compressor.hpp"
#include "wire/frame.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace deltacast::sse {

/// One state of a shared encoder. Internal to shared_encoder.cpp; declared here for the
/// pointers.
struct EncoderLink;

/// The shard's table of fresh starts: frame serial -> the bytes a fresh encoder made of it
/// and the link after it, so connections that restart with the same frame share one encoder.
class SharedEncoders {
public:
    SharedEncoders(Encoding encoding, const CompressionSettings& settings);
    SharedEncoders(const SharedEncoders&) = delete;
    SharedEncoders& operator=(const SharedEncoders&) = delete;
    ~SharedEncoders();

    Encoding encoding() const { return encoding_; }
    /// Compressor calls made (starts and advances): for tests and benchmarks.
    std::uint64_t compressions() const { return compressions_; }
    /// Starts remembered (not yet swept).
    std::size_t starts() const { return starts_.size(); }

private:
    friend class SharedStream;
    struct Start {
        std::weak_ptr<const wire::Frame> frame; // expired: nobody can start with it any more
        std::string bytes;
        std::weak_ptr<EncoderLink> after;
    };

    /// Appends what a fresh encoder makes of `frame` to `out` and returns the link after it
    /// (shared with earlier starts with the same frame while that link lives), or nullptr
    /// when the encoder failed.
    std::shared_ptr<EncoderLink> start(const wire::FramePtr& frame, std::size_t audience,
                                       std::string& out);
    /// Compresses `frame` with the tip's encoder: the tip records it, and the new tip is
    /// returned (nullptr when the encoder failed).
    std::shared_ptr<EncoderLink> advance(EncoderLink& tip, const wire::Frame& frame);
    void sweep();

    Encoding encoding_;
    CompressionSettings settings_;
    std::unordered_map<std::uint64_t, Start> starts_;
    std::size_t sweep_at_;
    std::uint64_t compressions_ = 0;
};

/// One connection's stream through its shard's shared encoders.
class SharedStream {
public:
    explicit SharedStream(SharedEncoders& encoders) : encoders_(encoders) {}
    SharedStream(const SharedStream&) = delete;
    SharedStream& operator=(const SharedStream&) = delete;
    ~SharedStream() { leave(); }

    /// Appends `frame`'s encoded bytes to `out`, flushed: everything appended so far decodes.
    /// `audience`: how many connections of the shard get this frame in this delivery (1 for a
    /// frame made for this connection alone). False when an encoder failed: the caller closes
    /// the connection.
    bool write(const wire::FramePtr& frame, std::size_t audience, std::string& out);
    /// Leaves the encoder (freed when its last member leaves); the next write starts afresh.
    void release_idle() { leave(); }
    /// At a link: holds (a share of) an encoder.
    bool holds_encoder() const { return link_ != nullptr; }
    /// The shard's compressor calls so far (SharedEncoders::compressions).
    std::uint64_t compressions() const { return encoders_.compressions(); }
    Encoding encoding() const { return encoders_.encoding(); }

private:
    void append_output(std::string_view bytes, std::string& out);
    void join(std::shared_ptr<EncoderLink> link);
    void leave();

    SharedEncoders& encoders_;
    std::shared_ptr<EncoderLink> link_;
    bool started_ = false; // stream_header() written
    bool open_ = false;    // this encoder's output began: encoder_handover() before the next
};

} // namespace deltacast::sse
