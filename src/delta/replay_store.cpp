#include "delta/replay_store.hpp"

#include <algorithm>

namespace deltacast::delta {

ReplayStore::ReplayStore(const ReplayConfig& config, FramePublisher& next,
                         const wire::EventIds& ids)
    : config_(config), next_(next), ids_(ids) {}

void ReplayStore::topic_listening(const std::string& topic) {
    // Coverage starts now: frames of this topic from here on are all recorded, and nothing
    // before can be vouched for (after a listener reconnect the ring already exists, and the
    // signals sent while the listener was down are gone).
    Ring& ring = rings_[topic];
    ring.entries.clear();
    ring.bytes = 0;
    ring.covered_after = ids_.last() + 1;
}

void ReplayStore::topic_dropped(const std::string& topic) {
    rings_.erase(topic);
}

void ReplayStore::publish(wire::FramePtr frame) {
    const auto it = rings_.find(frame->topic);
    if (it != rings_.end()) {
        Ring& ring = it->second;
        if (frame->last_seq == 0) {
            // A resync (it has no id): whatever happened before it cannot be replayed, and a
            // client that saw everything up to now still missed the resync itself.
            ring.entries.clear();
            ring.bytes = 0;
            ring.covered_after = ids_.last() + 1;
        } else if (config_.max_frames > 0) {
            ring.bytes += frame->bytes.size();
            ring.entries.push_back(Entry{frame, Clock::now()});
            evict(ring, Clock::now());
        } else {
            ring.covered_after = frame->last_seq; // replay disabled: nothing is retained
        }
    }
    next_.publish(std::move(frame));
}

void ReplayStore::evict(Ring& ring, Clock::time_point now) {
    const auto max_age = std::chrono::seconds(config_.max_age_s);
    while (!ring.entries.empty() &&
           (ring.entries.size() > config_.max_frames || ring.bytes > config_.max_bytes ||
            now - ring.entries.front().at > max_age)) {
        const wire::FramePtr& oldest = ring.entries.front().frame;
        ring.covered_after = std::max(ring.covered_after, oldest->last_seq);
        ring.bytes -= oldest->bytes.size();
        ring.entries.pop_front();
    }
}

ReplayStore::Replay ReplayStore::replay_after(std::uint64_t seq,
                                              const std::vector<std::string>& topics,
                                              Clock::time_point now) {
    Replay replay;
    for (const auto& topic : topics) {
        const auto it = rings_.find(topic);
        if (it == rings_.end()) {
            replay.uncovered.push_back(topic);
            continue;
        }
        Ring& ring = it->second;
        evict(ring, now);
        if (seq < ring.covered_after) {
            replay.uncovered.push_back(topic);
            continue;
        }
        // A frame the client saw only part of (cut mid-frame) cannot be replayed exactly.
        const bool straddles =
            std::any_of(ring.entries.begin(), ring.entries.end(), [seq](const Entry& entry) {
                return entry.frame->first_seq <= seq && seq < entry.frame->last_seq;
            });
        if (straddles) {
            replay.uncovered.push_back(topic);
            continue;
        }
        for (const Entry& entry : ring.entries) {
            if (entry.frame->first_seq > seq) {
                replay.frames.push_back(entry.frame);
            }
        }
    }
    std::sort(replay.frames.begin(), replay.frames.end(),
              [](const wire::FramePtr& a, const wire::FramePtr& b) {
                  return a->first_seq < b->first_seq;
              });
    return replay;
}

std::size_t ReplayStore::retained_bytes(const std::string& topic) const {
    const auto it = rings_.find(topic);
    return it == rings_.end() ? 0 : it->second.bytes;
}

} // namespace deltacast::delta
