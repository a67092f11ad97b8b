#pragma once
// ReplayStore: a per-topic ring of recent frames, so a client that reconnects with its last
// event id gets exactly the frames it missed instead of refetching. It sits between DeltaEngine
// and the Hub: a FramePublisher that records each frame, then forwards it to `next`; and the
// TopicCoverage that hears each topic's LISTEN and UNLISTEN.
//
// A topic's ring covers the client's last seq N when every frame of the topic after N is still
// in the ring: the topic was LISTENed continuously since before N (coverage starts at each LISTEN
// confirmation, topic_listening(), and ends at topic_dropped(), the UNLISTEN), nothing after N
// was evicted (count, bytes, age bounds), and no `resync` was published for the topic after N (a
// resync means signals may have been lost, so coverage restarts then). Anything else: the caller
// sends `resync` for that topic. Frames are recorded whether or not the topic has subscribers:
// TopicManager keeps building them while a topic lingers (its invariant), so a sole viewer that
// reconnects within the linger gets an exact replay.
//
// Threading: core strand only.

#include "config/config.hpp"
#include "delta/frame_publisher.hpp"
#include "wire/event_ids.hpp"

#include <chrono>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace deltacast::delta {

class ReplayStore final : public FramePublisher, public TopicCoverage {
public:
    using Clock = std::chrono::steady_clock;

    ReplayStore(const ReplayConfig& config, FramePublisher& next, const wire::EventIds& ids);

    void publish(wire::FramePtr frame) override;
    void topic_listening(const std::string& topic) override;
    void topic_dropped(const std::string& topic) override;

    struct Replay {
        std::vector<wire::FramePtr> frames; // in seq order, across topics
        std::vector<std::string> uncovered; // topics that need a resync instead
    };
    /// The retained frames after `seq` for `topics`; `now` is for the age bound.
    Replay replay_after(std::uint64_t seq, const std::vector<std::string>& topics,
                        Clock::time_point now = Clock::now());

    std::size_t retained_bytes(const std::string& topic) const;

private:
    struct Entry {
        wire::FramePtr frame;
        Clock::time_point at;
    };
    struct Ring {
        std::deque<Entry> entries;
        std::size_t bytes = 0;
        std::uint64_t covered_after = 0; // frames with seq > this are all here or evicted
    };
    void evict(Ring& ring, Clock::time_point now);

    const ReplayConfig& config_;
    FramePublisher& next_;
    const wire::EventIds& ids_;
    std::unordered_map<std::string, Ring> rings_;
};

} // namespace deltacast::delta
