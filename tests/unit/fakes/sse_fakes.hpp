#pragma once
// A Subscriber that records what it was pushed and whether (and with which last frame) it was
// ended. Single-threaded: unit tests call it inline, as the core strand would post.

#include "sse/hub.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace deltacast::unit_test {

class RecordingSubscriber final : public sse::Subscriber {
public:
    void push(wire::FramePtr frame) override { frames.push_back(std::move(frame)); }
    void end(wire::FramePtr last) override {
        ++ends;
        ended_with = std::move(last);
    }

    std::vector<wire::FramePtr> frames;
    int ends = 0;
    wire::FramePtr ended_with;  // the last frame of the latest end(), if any
};

}  // namespace deltacast::unit_test
