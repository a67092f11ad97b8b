#pragma once
// Hub: the subscriber table, topic -> subscribers that joined after their LISTEN was
// confirmed. publish() hands the same immutable frame to every subscriber of its topic; each
// subscriber's push() only posts to its own strand, so publish never re-enters the Hub.
//
// Threading: core strand only.

#include "delta/delta_engine.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace deltacast::sse {

/// One open stream as the fan-out sees it. Both methods are thread-safe (they post to the
/// session).
class Subscriber {
public:
    virtual ~Subscriber() = default;
    virtual void push(delta::FramePtr frame) = 0;
    /// Writes `last` (if any) after what is queued, ignores later pushes, then closes the
    /// connection; the close reaches the core as StreamService::close().
    virtual void end(delta::FramePtr last) = 0;
};

class Hub final : public delta::FramePublisher {
public:
    void join(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub);
    void leave(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub);
    void publish(delta::FramePtr frame) override;

    std::size_t subscribers(const std::string& topic) const;
    void clear() { table_.clear(); }

private:
    std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>> table_;
};

}  // namespace deltacast::sse
