#pragma once
// PresenceStore: the database side of presence, the seam RoomHub is tested through.
// PgPresenceStore keeps it in two UNLOGGED tables of deltacast's own (created at start if
// missing; sql/deltacast.sql has the same definitions):
//   deltacast_replicas (replica, heartbeat_at)          one row per live replica
//   deltacast_presence (topic, sub, replica, meta)      who each replica holds
// and tells the other replicas through NOTIFY on the topic's own channel (room messages).
// Costs: a batch of joins/leaves is ONE statement (rows upserted/deleted + one NOTIFY per
// topic per 7.9 kB); a refresh is one statement (heartbeat + dead-replica sweep), plus one
// NOTIFY statement when the sweep removed members.
//
// Order: every call is queued and run one at a time, in call order (announces that queue up
// while a statement runs are merged into one), so the tables and the NOTIFYs follow this
// replica's own order of events and a load sees every announce made before it.
//
// Threading: core strand only; callbacks run there.

#include "wire/room_message.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deltacast::rooms {

class PresenceStore {
public:
    /// (replica, member) rows of one topic.
    using Rows = std::vector<std::pair<std::string, wire::PresenceMember>>;

    virtual ~PresenceStore() = default;
    /// This replica now holds `joins` and no longer holds `leaves` on `topic`; the other
    /// replicas are told on `channel`.
    virtual void announce(const std::string& topic, const std::string& channel,
                          const std::vector<wire::PresenceMember>& joins,
                          const std::vector<std::string>& leaves) = 0;
    /// Every live replica's rows of `topic`; nullopt when the database could not answer.
    virtual void load(const std::string& topic, std::function<void(std::optional<Rows>)> done) = 0;
    /// Heartbeat, then the sweep of replicas silent past presence.expiry_s (their members
    /// leave, announced on each topic's channel). `done(true)` when this replica's own
    /// heartbeat row had to be recreated (it had been swept as dead: its members must be
    /// announced again).
    virtual void refresh(std::function<void(bool recreated)> done) = 0;
};

} // namespace deltacast::rooms
