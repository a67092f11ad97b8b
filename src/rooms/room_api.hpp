#pragma once
// RoomApi: sse::RoomService on the core. A broadcast is checked against the topic's access
// rule (the stream's: cached per subject and topic) and the per-subject-per-topic rate limit,
// then sent as ONE NOTIFY on the topic's channel, which every replica LISTENing the topic
// turns into a `broadcast` event (RoomHub); nothing is stored. Presence answers come from the
// presence table (all replicas), like a stream's `state`.
//
// Threading: broadcast() and presence() from any thread; the work runs on the core strand.

#include "rooms/rate_limiter.hpp"
#include "sse/room_service.hpp"

#include <boost/asio/any_io_executor.hpp>

namespace deltacast {
struct Config;
struct Metrics;
} // namespace deltacast
namespace deltacast::pg {
class QueryPool;
}
namespace deltacast::topics {
class AccessChecker;
}

namespace deltacast::rooms {

class RoomApi final : public sse::RoomService {
public:
    /// `access` is nullptr with auth.mode = "none" (every topic open).
    RoomApi(boost::asio::any_io_executor core, const Config& config, pg::QueryPool& pool,
            topics::AccessChecker* access, Metrics& metrics);

    void broadcast(sse::Identity who, sse::BroadcastRequest request,
                   std::function<void(sse::Answer)> done) override;
    void presence(sse::Identity who, topics::Topic topic,
                  std::function<void(sse::Answer)> done) override;

private:
    /// Runs `allowed` when `who` may see `topic`, else answers 403 (or 503) through `done`.
    void check(const sse::Identity& who, const topics::Topic& topic,
               std::function<void(sse::Answer)> done, std::function<void()> allowed);
    void send(const sse::Identity& who, const sse::BroadcastRequest& request,
              std::function<void(sse::Answer)> done);

    boost::asio::any_io_executor core_;
    const Config& config_;
    pg::QueryPool& pool_;
    topics::AccessChecker* access_;
    Metrics& metrics_;
    RateLimiter limiter_;
};

} // namespace deltacast::rooms
