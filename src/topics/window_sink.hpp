#pragma once
// WindowSink: where TopicManager hands what a topic's window gathered (delta::DeltaEngine in
// production, a recorder in unit tests). Data flows one way: topics -> delta.
//
// Threading: called on the core strand; implementations must not call back into TopicManager
// synchronously.

#include "topics/signal_payload.hpp"
#include "topics/topic.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace deltacast::topics {

/// The ids one window coalesced for one topic (deduplicated, sorted), or a poke.
struct WindowBatch {
    Topic topic;
    EntityIds ids; // per entity of topic.kind; empty for poke topics
};

class WindowSink {
public:
    virtual ~WindowSink() = default;
    virtual void on_window(WindowBatch batch) = 0;
    /// The topic's subscribers must refetch: `reason` is e.g. "listener-reconnected" or
    /// "malformed-signal".
    virtual void on_resync(const Topic& topic, const std::string& reason) = 0;
    /// LISTEN for the topic is confirmed: from now on every signal of it is seen.
    virtual void on_listening(const Topic& /*topic*/) {}
    /// The topic was UNLISTENed: its signals are no longer seen.
    virtual void on_unlistened(const Topic& /*topic*/) {}
};

/// Where TopicManager hands what crosses replicas on a topic's channel besides signals: room
/// messages (wire/room_message.hpp: presence and broadcasts), and the topic's LISTEN state,
/// which tells the room when its notifications are seen. rooms::RoomHub in production.
///
/// Threading: core strand; must not call back into TopicManager synchronously.
class RoomSink {
public:
    virtual ~RoomSink() = default;
    /// A room message (wire::is_room_message(payload)) on a LISTENed topic's channel.
    virtual void on_room_message(const Topic& topic, std::string_view payload) = 0;
    /// LISTEN for the topic is confirmed: from now on every room message of it is seen.
    virtual void on_listening(const Topic& topic) = 0;
    /// The topic was UNLISTENed.
    virtual void on_unlistened(const Topic& topic) = 0;
    /// The listener reconnected: room messages sent while it was down are gone.
    virtual void on_resubscribed() = 0;
};

} // namespace deltacast::topics
