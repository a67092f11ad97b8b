#pragma once
// RoomService: what the live-room endpoints (POST /api/sse/broadcast, GET /api/sse/presence)
// need from the core, after HttpSession has parsed the request and authenticated the caller.
// Implemented by rooms::RoomApi. Thread-safe: implementations hop to the core strand; `done`
// may run on any thread.

#include "sse/broadcast_request.hpp"
#include "sse/stream_service.hpp"

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

#include <functional>

namespace deltacast::sse {

/// An HTTP answer: status, JSON body, Retry-After in seconds when > 0.
struct Answer {
    boost::beast::http::status status;
    nlohmann::json body;
    int retry_after_s = 0;
};

class RoomService {
public:
    virtual ~RoomService() = default;
    /// Access check (403), rate limit (429), then the broadcast to every replica: 202
    /// {"delivered":"queued"} once Postgres took it, 503 if it could not.
    virtual void broadcast(Identity who, BroadcastRequest request,
                           std::function<void(Answer)> done) = 0;
    /// Access check (403), then the topic's members across replicas: 200 {"topic","state"} or
    /// {"topic","count"} above presence_max_members.
    virtual void presence(Identity who, topics::Topic topic, std::function<void(Answer)> done) = 0;
};

} // namespace deltacast::sse
