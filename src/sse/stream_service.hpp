#pragma once
// StreamService and ServerStatus: what the HTTP layer needs from the core. Sessions run on
// their own strands; these methods are thread-safe and hop to the core strand inside.

#include "sse/hub.hpp"
#include "topics/topic.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace deltacast::sse {

/// Who is asking: the token's subject and claims ("anonymous" and {} with auth.mode none).
struct Identity {
    std::string subject;
    nlohmann::json claims;
};

struct OpenRequest {
    std::vector<topics::Topic> topics;
    Identity identity;
    std::string last_event_id; // Last-Event-ID / lastEventId; "" for a fresh stream
    bool resume() const { return !last_event_id.empty(); }
};

enum class OpenStatus { Ok, Forbidden, Unavailable };

struct OpenResult {
    OpenStatus status = OpenStatus::Ok;
    std::vector<std::string> denied; // Forbidden: every denied topic
    std::string reason;              // Unavailable: why
};

/// Opening and closing streams: implemented by streams::StreamOpener.
class StreamService {
public:
    virtual ~StreamService() = default;

    /// The event-id epoch of this process (any thread).
    virtual const std::string& epoch() const = 0;

    /// Access checks, then subscribe (LISTEN confirmed for every topic), then join the
    /// subscriber to the fan-out. `done` runs on the core strand; on Ok the subscriber is
    /// joined and must later be released with close(). After `done`, the subscriber is pushed
    /// the snapshot frames (fresh streams) or the replayed frames and a `resync` for the topics
    /// that cannot be replayed (resumed streams), before any live frame.
    virtual void open(std::shared_ptr<const OpenRequest> request,
                      std::shared_ptr<Subscriber> subscriber,
                      std::function<void(OpenResult)> done) = 0;

    /// Leaves the fan-out and releases the topics (after open() answered Ok).
    virtual void close(std::shared_ptr<const OpenRequest> request,
                       std::shared_ptr<Subscriber> subscriber) = 0;
};

/// What the operational endpoints (/readyz, /metrics, /debug/listening) read: implemented by
/// App.
class ServerStatus {
public:
    virtual ~ServerStatus() = default;

    /// True while the LISTEN connection is up (any thread).
    virtual bool ready() const = 0;
    virtual std::string metrics_text() const = 0;
    /// SELECT pg_listening_channels() on the listener's session (debug endpoint); `done` runs
    /// on the core strand.
    virtual void
    listening_channels(std::function<void(std::optional<std::vector<std::string>>)> done) = 0;
};

} // namespace deltacast::sse
