#pragma once
// StreamOpener: opens and closes streams, and owns the two guarantees a stream is opened with.
//
// 1. `ready` means subscribed. open() runs: access check (every topic; 403 naming each denied
//    one) -> TopicManager::subscribe (LISTEN confirmed for every topic, or nothing is kept) ->
//    Hub::join -> StreamRegistry::add -> done(Ok), which makes the session write `ready`. The
//    subscriber is joined BEFORE done(Ok), so every frame built from then on reaches it, after
//    `ready`: any write committed after the client saw `ready` reaches the client.
// 2. Exact resume. In the same core-strand handler as the join, catch_up() pushes a resuming
//    stream exactly the ReplayStore's frames after its last event id, then one `resync` for the
//    topics the ring cannot vouch for (delta/replay_store.hpp says when). A frame published
//    before the join is in the ring (and replayed); one published after it is delivered live;
//    the session's strand runs both pushes in order, so replayed frames precede live ones and
//    none is sent twice. A fresh stream gets its snapshots instead (a live frame may overtake a
//    snapshot; clients merge rows by version).
// Live rooms ride along: after `ready`, each presence topic's `state` (rooms::RoomHub), and the
// subject's presence is held while the stream lives (released, after a grace, on close).
//
// Threading: open() and close() may be called from any thread; everything else runs on the
// core strand (`core`), where all the objects it uses live.

#include "sse/stream_service.hpp"

#include <boost/asio/any_io_executor.hpp>

namespace deltacast {
struct Config;
struct Metrics;
} // namespace deltacast
namespace deltacast::delta {
class DeltaEngine;
class ReplayStore;
} // namespace deltacast::delta
namespace deltacast::topics {
class AccessChecker;
class TopicManager;
} // namespace deltacast::topics
namespace deltacast::wire {
class EventIds;
}
namespace deltacast::rooms {
class RoomHub;
}

namespace deltacast::streams {

class StreamRegistry;

class StreamOpener final : public sse::StreamService {
public:
    /// The objects it drives, all living on `core`. `access` is nullptr with auth.mode = "none".
    struct Parts {
        topics::AccessChecker* access;
        topics::TopicManager& topics;
        sse::Hub& hub;
        delta::ReplayStore& replay;
        delta::DeltaEngine& delta;
        StreamRegistry& registry;
        wire::EventIds& ids;
        rooms::RoomHub& rooms;
    };

    StreamOpener(boost::asio::any_io_executor core, Parts parts, Metrics& metrics);

    const std::string& epoch() const override;
    void open(std::shared_ptr<const sse::OpenRequest> request,
              std::shared_ptr<sse::Subscriber> subscriber,
              std::function<void(sse::OpenResult)> done) override;
    void close(std::shared_ptr<const sse::OpenRequest> request,
               std::shared_ptr<sse::Subscriber> subscriber) override;

private:
    void subscribe(std::shared_ptr<const sse::OpenRequest> request,
                   std::shared_ptr<sse::Subscriber> subscriber,
                   std::function<void(sse::OpenResult)> done);
    void catch_up(const sse::OpenRequest& request, const std::shared_ptr<sse::Subscriber>& sub);

    boost::asio::any_io_executor core_;
    Parts parts_;
    Metrics& metrics_;
};

} // namespace deltacast::streams
