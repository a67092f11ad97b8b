#pragma once
// RoomHub: the live rooms of this replica (SPEC §8): who is present on each presence topic,
// across replicas, and the relay of broadcasts. Ephemeral by contract: nothing here gets an
// event id, enters the replay ring or causes a resync.
//
// Presence, per (topic, subject):
// - Local holding: the streams of this replica ref-count their subject on each presence topic.
//   The first stream announces the subject (PresenceStore: row + NOTIFY); the last one to
//   close starts the grace (topic kind's presence_grace_ms, else presence.grace_ms); a stream of
//   the same subject arriving within it cancels the leave, so a tab that reconnects or switches
//   chats does not flap. Announcements go out whether or not the topic is LISTENed here.
// - Room state, for each LISTENed presence topic: a PresenceTable of every replica's holdings.
//   Built when LISTEN is confirmed (so no room message can be missed) from the store's rows of
//   the other replicas plus this replica's own holdings, then kept current by room messages
//   (other replicas' announcements and dead-replica sweeps; this replica's own are applied
//   first-hand, and their echo ignored). Reloaded after a listener reconnect.
// - Events: `state` (or `count` above presence_max_members) to every subscriber when the room
//   is (re)loaded, and to each new stream right after its `ready`; `joins`/`leaves` diffs
//   otherwise, coalesced per fanout.window_ms window. A join repeated in a diff after a state
//   (a member the state already had) is idempotent for clients.
// - Replicas: every presence.refresh_s this replica refreshes its heartbeat and sweeps the
//   replicas silent past presence.expiry_s; their members leave within expiry_s + refresh_s of
//   a crash. A replica that finds itself swept (a stall) announces its members again.
// Broadcasts: a broadcast room message on a LISTENed topic is built into ONE `broadcast` event
// shared by every subscriber of the topic on this replica.
//
// Threading: core strand only (like the Scheduler, the store and the publisher).

#include "delta/frame_publisher.hpp"
#include "rooms/presence_store.hpp"
#include "rooms/presence_table.hpp"
#include "sse/stream_service.hpp"
#include "topics/scheduler.hpp"
#include "topics/window_sink.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace deltacast {
struct Config;
struct Metrics;
} // namespace deltacast

namespace deltacast::rooms {

/// True when some topic kind has presence (then the store and the heartbeat run).
bool any_presence(const Config& config);

class RoomHub final : public topics::RoomSink {
public:
    /// Frames go to `publisher` (the Hub: never the replay ring). `replica` names this process
    /// in the store (unique per process start).
    RoomHub(const Config& config, PresenceStore& store, delta::FramePublisher& publisher,
            topics::Scheduler& scheduler, Metrics& metrics, std::string replica);
    ~RoomHub() override;
    RoomHub(const RoomHub&) = delete;
    RoomHub& operator=(const RoomHub&) = delete;

    /// Starts the heartbeat/sweep timer (when any topic kind has presence).
    void start();

    /// A stream opened (after `ready` was queued): its subject holds its presence topics, and
    /// `subscriber` gets each loaded room's state now (a loading room sends it to all when
    /// loaded).
    void stream_opened(const sse::OpenRequest& request,
                       const std::shared_ptr<sse::Subscriber>& subscriber);
    /// A stream closed: its subject's holding ends after the grace unless it comes back.
    void stream_closed(const sse::OpenRequest& request);

    // RoomSink
    void on_room_message(const topics::Topic& topic, std::string_view payload) override;
    void on_listening(const topics::Topic& topic) override;
    void on_unlistened(const topics::Topic& topic) override;
    void on_resubscribed() override;

    /// For tests and metrics: subjects this replica holds on `topic`, and the room's size.
    std::size_t local_members(const std::string& topic) const;
    std::size_t room_size(const std::string& topic) const;

private:
    struct Room;
    struct Holding {
        int streams = 0;
        topics::Scheduler::TimerId grace = 0;
        nlohmann::json meta;
        std::string channel;
    };
    using HoldingKey = std::pair<std::string, std::string>; // (topic, sub)

    void hold(const topics::Topic& topic, const sse::Identity& who);
    void release(const topics::Topic& topic, const std::string& sub);
    void leave(const HoldingKey& key);
    void load(Room& room);
    void changed(Room& room);
    void flush(const std::string& topic);
    /// The room's `state` (or `count`), for one new subscriber or for all.
    wire::FramePtr full_frame(const Room& room) const;
    /// full_frame() to every subscriber; diffs then start from it.
    void publish_full(Room& room);
    static bool over_limit(const Room& room);
    void refresh();

    const Config& config_;
    PresenceStore& store_;
    delta::FramePublisher& publisher_;
    topics::Scheduler& scheduler_;
    Metrics& metrics_;
    const std::string replica_;
    std::map<HoldingKey, Holding> holdings_;
    std::unordered_map<std::string, std::unique_ptr<Room>> rooms_; // LISTENed presence topics
    std::uint64_t generations_ = 0;
    topics::Scheduler::TimerId refresh_timer_ = 0;
};

} // namespace deltacast::rooms
