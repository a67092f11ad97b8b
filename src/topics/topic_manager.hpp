#pragma once
// TopicManager: the subscriber ref-counts of every topic, LISTEN on the first subscriber and
// UNLISTEN after the last one has been gone for a linger (count re-checked, so a tab that
// reconnects causes no LISTEN/UNLISTEN churn), and the per-topic coalescing windows, leading
// edge: a signal on an idle topic is handed to the WindowSink at once (after the other
// notifications of the same read, so a burst that arrived together is one batch), and that
// flush opens a window of fanout.window_ms. Signals within the window wait for its end and go
// out as ONE batch (the union of their ids, or one poke), which opens the next window; a window
// that gathered nothing returns the topic to idle. So a lone write pays no window, and a busy
// topic gets at most one batch per window_ms. A window is never extended: a steady stream
// cannot starve the flush.
//
// INVARIANT (nothing consumed silently; SPEC §3): from the WindowSink's on_listening(topic)
// until its on_unlistened(topic), every notification of the topic's channel reaches the sink,
// as a window or as on_resync(), WHETHER OR NOT THE TOPIC HAS SUBSCRIBERS. A lingering topic
// (refs 0, LISTEN still held) keeps its windows, its queries and its frames, so the replay ring
// behind the sink stays complete and a client that comes back within the linger gets an exact
// replay of what it missed. The places where signals could otherwise vanish, and why they don't:
// - linger expiry with a window pending: on_unlistened() comes first, which ends the topic's
//   coverage (its replay ring is dropped), so the discarded ids are covered by `resync` for any
//   client that resumes later;
// - a topic dropped and re-acquired inside one window: the new state is a new generation whose
//   coverage starts at its own LISTEN confirmation (on_listening); a stale LISTEN answer of the
//   old generation is ignored;
// - listener connection lost: every topic, lingering ones included, gets on_listening() and
//   on_resync("listener-reconnected") once re-LISTENed, so no ring claims the outage.
// Room messages (presence, broadcasts; wire/room_message.hpp) share the topic's channel: they
// skip the windows and go to the RoomSink as they arrive, subscribed or lingering alike.
// Poke topics go through the same windows. What happens downstream (frames, rings, shards) is
// stated in delta/replay_store.hpp and streams/stream_opener.hpp (catch_up).
//
// Threading: core strand only (like its Notifier, Scheduler and WindowSink). subscribe()'s
// `done` may run inline or later, always on the core strand. Nothing here knows about
// connections: the caller joins its subscriber to the fan-out once `done(Ok)` arrives.

#include "topics/notifier.hpp"
#include "topics/scheduler.hpp"
#include "topics/window_sink.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace deltacast {
struct Config;
struct Metrics;
} // namespace deltacast

namespace deltacast::topics {

enum class SubscribeStatus { Ok, Unavailable, Timeout };

class TopicManager final : public NotificationHandler {
public:
    using SubscribeDone = std::function<void(SubscribeStatus)>;

    TopicManager(const Config& config, Notifier& notifier, Scheduler& scheduler, WindowSink& sink,
                 Metrics& metrics);
    ~TopicManager() override;
    TopicManager(const TopicManager&) = delete;
    TopicManager& operator=(const TopicManager&) = delete;

    /// Takes one reference on each topic and completes once every one is LISTENed: Ok, or
    /// Unavailable (listener down) / Timeout (server.subscribe_timeout_ms), in which case every
    /// reference taken was released again (no partial subscription).
    void subscribe(const std::vector<Topic>& topics, SubscribeDone done);

    /// Releases one reference on each topic (after a successful subscribe).
    void unsubscribe(const std::vector<Topic>& topics);

    // NotificationHandler (from the LISTEN connection)
    void on_notification(std::string_view channel, std::string_view payload) override;
    void on_connection_lost() override;
    /// Every LISTENed topic gets `resync` (see the invariant above).
    void on_resubscribed() override;

    /// Room messages (presence, broadcasts) and LISTEN changes also go to `rooms`; set before
    /// the first subscribe. Without it room messages are counted and dropped.
    void set_room_sink(RoomSink& rooms) { rooms_ = &rooms; }

    std::size_t topic_count() const { return topics_.size(); }
    int refs(const std::string& key) const;
    bool active(const std::string& key) const;

private:
    struct Op;
    struct State;

    State& acquire(const Topic& topic);
    void release(const std::string& key);
    void expire_linger(const std::string& key);
    void on_listen_result(const std::string& key, std::uint64_t generation, bool ok);
    void finish(const std::shared_ptr<Op>& op, SubscribeStatus status);
    void add_signal(State& state, std::string_view payload);
    void flush(const std::string& key);

    const Config& config_;
    Notifier& notifier_;
    Scheduler& scheduler_;
    WindowSink& sink_;
    RoomSink* rooms_ = nullptr;
    Metrics& metrics_;
    std::unordered_map<std::string, State> topics_;
    std::uint64_t generations_ = 0;
};

} // namespace deltacast::topics
