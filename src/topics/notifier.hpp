#pragma once
// Notifier: the seam between TopicManager and the Postgres LISTEN connection. The real one is
// listen::Listener; unit tests use a fake that records LISTEN/UNLISTEN and confirms by hand.
//
// Threading: called on the core strand only; `done` callbacks run there too, never inline
// from listen() (so TopicManager is not re-entered while it is changing its own state).

#include <functional>
#include <string>

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

}  // namespace deltacast::topics
