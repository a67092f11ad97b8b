#pragma once
// The two seams between TopicManager and the Postgres LISTEN connection
// (listen::ListenConnection): Notifier is what TopicManager asks of the connection (LISTEN,
// UNLISTEN); NotificationHandler is what the connection tells TopicManager (notifications,
// loss, re-LISTEN done). Unit tests use a fake Notifier that records LISTEN/UNLISTEN and
// confirms by hand, and call the handler methods directly.
//
// Threading: called on the core strand only; `done` callbacks run there too, never inline
// from listen() (so TopicManager is not re-entered while it is changing its own state).

#include <functional>
#include <string>
#include <string_view>

namespace deltacast::topics {

class Notifier {
public:
    virtual ~Notifier() = default;

    /// Makes `channel` listened. `done(true)` once Postgres confirmed the LISTEN (from then on
    /// every commit that notifies it reaches us); `done(false)` if the connection is down or
    /// drops first.
    virtual void listen(const std::string& channel, std::function<void(bool ok)> done) = 0;

    /// Stops listening to `channel` (no confirmation needed: late notifications are ignored).
    virtual void unlisten(const std::string& channel) = 0;

    /// True while connected and every wanted channel is LISTENed (what /readyz reports).
    virtual bool connected() const = 0;
};

class NotificationHandler {
public:
    virtual ~NotificationHandler() = default;
    /// A NOTIFY received on a listened channel.
    virtual void on_notification(std::string_view channel, std::string_view payload) = 0;
    /// The connection was lost: nothing is listened any more.
    virtual void on_connection_lost() = 0;
    /// Reconnected, and every wanted channel is LISTENed again.
    virtual void on_resubscribed() = 0;
};

} // namespace deltacast::topics
