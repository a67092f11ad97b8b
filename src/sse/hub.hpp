#pragma once
// Hub: the subscriber table, topic -> subscribers that joined after their LISTEN was
// confirmed. publish() hands the same immutable frame to every subscriber of its topic without
// re-entering the Hub: subscribers on a shard (sse/shard.hpp: the strand their connection runs
// on) get it from ONE handler posted to that shard, which calls deliver() on each of them;
// subscribers without a shard get push(), which posts for itself. One post per shard instead of
// one per connection is most of what fan-out costs beyond the socket write itself.
//
// Threading: core strand only. The posted handlers read an immutable snapshot of a group's
// subscribers, rebuilt on the first publish after a join or leave.

#include "delta/frame_publisher.hpp"
#include "sse/shard.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace deltacast::sse {

/// One open stream as the fan-out sees it.
class Subscriber {
public:
    virtual ~Subscriber() = default;
    /// Thread-safe (posts to the subscriber).
    virtual void push(wire::FramePtr frame) = 0;
    /// Writes `last` (if any) after what is queued, ignores later pushes, then closes the
    /// connection; the close reaches the core as StreamService::close(). Thread-safe.
    virtual void end(wire::FramePtr last) = 0;
    /// The shard whose strand this subscriber runs on, or nullptr (then the Hub uses push()).
    virtual Shard* shard() const { return nullptr; }
    /// Like push(), but called on shard()'s strand, so it needs no post of its own.
    /// `audience`: how many of the shard's subscribers get this frame in the same handler
    /// (shared encoders use it: sse/shared_encoder.hpp).
    virtual void deliver(const wire::FramePtr& frame, std::size_t audience) {
        (void)audience;
        push(frame);
    }
};

class Hub final : public delta::FramePublisher {
public:
    void join(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub);
    void leave(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub);
    void publish(wire::FramePtr frame) override;

    std::size_t subscribers(const std::string& topic) const;
    void clear() { table_.clear(); }

private:
    using Subscribers = std::vector<std::shared_ptr<Subscriber>>;
    struct Group { // a topic's subscribers on one shard
        Shard* shard = nullptr;
        Subscribers subs;
        std::shared_ptr<const Subscribers> snapshot; // subs as of the last publish; reset on change
    };

    std::unordered_map<std::string, std::vector<Group>> table_;
};

} // namespace deltacast::sse
