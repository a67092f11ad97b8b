#pragma once
// Frame: the SSE bytes of one window of one topic (or one control event), built once and
// shared, immutable, by every subscriber; each connection then runs them through its own
// compressor. The seqs say which event ids it carries, for the replay ring.

#include <cstdint>
#include <memory>
#include <string>

namespace deltacast::wire {

struct Frame {
    std::string topic;           // topic key, for fan-out
    std::string bytes;           // one or more complete SSE events
    std::uint64_t first_seq = 0; // seq of its first event id; 0 = no ids (resync, snapshot)
    std::uint64_t last_seq = 0;
};
using FramePtr = std::shared_ptr<const Frame>;

} // namespace deltacast::wire
