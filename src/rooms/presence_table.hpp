#pragma once
// PresenceTable: who is in one topic's live room, across replicas. A member is a subject (the
// token's `sub`), present while at least one replica holds it; each replica's holding is one
// entry (replica, sub, meta). The table also remembers what it last announced to clients, so
// take_diff() yields exactly the joins and leaves since then (a subject that left and came
// back in between is no diff at all). Pure: no I/O, no clock.
//
// Threading: one owner (rooms::RoomHub, on the core strand).

#include "wire/events.hpp"
#include "wire/room_message.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace deltacast::rooms {

class PresenceTable {
public:
    /// `replica` holds `sub` (with `meta`; a later add replaces the meta).
    void add(const std::string& replica, const std::string& sub, const nlohmann::json& meta);
    /// `replica` no longer holds `sub` (a no-op when it did not).
    void remove(const std::string& replica, const std::string& sub);
    /// Replaces every entry of replicas other than `self` by `rows` (a fresh load from the
    /// database); `self`'s entries are kept, since this replica knows them first-hand.
    void replace_others(const std::string& self,
                        const std::vector<std::pair<std::string, wire::PresenceMember>>& rows);

    std::size_t size() const { return members_.size(); }
    /// Every member, by sub, for a `state` event (views into the table: valid until it changes).
    std::vector<wire::MemberView> state() const;

    struct Diff {
        std::vector<wire::MemberView> joins; // new members, or members whose meta changed
        std::vector<std::string> leaves;
        bool empty() const { return joins.empty() && leaves.empty(); }
    };
    /// What changed since the last take_diff() or mark_announced(), which it then becomes.
    Diff take_diff();
    /// Clients were just sent the full state (or a count): diffs start from here.
    void mark_announced();

private:
    struct Member {
        std::set<std::string> replicas;
        std::string meta; // JSON text
    };
    std::map<std::string, Member> members_;        // by sub
    std::map<std::string, std::string> announced_; // sub -> meta, as clients last saw it
};

} // namespace deltacast::rooms
