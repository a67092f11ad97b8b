#pragma once
// Frame: the SSE bytes of one window of one topic (or one control event), built once and
// shared, immutable, by every subscriber; each connection then runs them through its own
// compressor. The seqs say which event ids it carries, for the replay ring.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace deltacast::wire {

/// A number no other frame of this process has: how shared encoders (sse/shared_encoder.hpp)
/// tell "the same frame" without holding it. A copy is a new frame and gets a new serial.
class FrameSerial {
public:
    FrameSerial() : value_(next()) {}
    FrameSerial(const FrameSerial&) : value_(next()) {}
    FrameSerial& operator=(const FrameSerial&) {
        value_ = next();
        return *this;
    }
    std::uint64_t value() const { return value_; }

private:
    static std::uint64_t next() {
        static std::atomic<std::uint64_t> counter{0};
        return counter.fetch_add(1, std::memory_order_relaxed) + 1; // never 0
    }
    std::uint64_t value_;
};

struct Frame {
    std::string topic;           // topic key, for fan-out
    std::string bytes;           // one or more complete SSE events
    std::uint64_t first_seq = 0; // seq of its first event id; 0 = no ids (resync, snapshot)
    std::uint64_t last_seq = 0;
    FrameSerial serial;
};
using FramePtr = std::shared_ptr<const Frame>;

} // namespace deltacast::wire
