#pragma once
// The two seams on DeltaEngine's output side. Frames flow DeltaEngine -> ReplayStore (records
// them for resuming clients) -> sse::Hub (hands them to subscribers); both implement
// FramePublisher. The ring's coverage follows the topic's LISTEN, which DeltaEngine hears from
// TopicManager and passes to a TopicCoverage (the ReplayStore).
//
// Threading: core strand only.

#include "wire/frame.hpp"

#include <string>

namespace deltacast::delta {

/// Where finished frames go.
class FramePublisher {
public:
    virtual ~FramePublisher() = default;
    virtual void publish(wire::FramePtr frame) = 0;
};

/// Told when a topic's signals start (LISTEN confirmed) or stop (UNLISTEN) being seen: what a
/// replay ring needs to know to vouch for completeness.
class TopicCoverage {
public:
    virtual ~TopicCoverage() = default;
    virtual void topic_listening(const std::string& topic) = 0;
    virtual void topic_dropped(const std::string& topic) = 0;
};

} // namespace deltacast::delta
