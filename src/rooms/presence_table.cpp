#include "rooms/presence_table.hpp"

namespace deltacast::rooms {

void PresenceTable::add(const std::string& replica, const std::string& sub,
                        const nlohmann::json& meta) {
    Member& member = members_[sub];
    member.replicas.insert(replica);
    member.meta = meta.is_object() ? meta.dump() : "{}";
}

void PresenceTable::remove(const std::string& replica, const std::string& sub) {
    const auto it = members_.find(sub);
    if (it == members_.end()) {
        return;
    }
    it->second.replicas.erase(replica);
    if (it->second.replicas.empty()) {
        members_.erase(it);
    }
}

void PresenceTable::replace_others(
    const std::string& self,
    const std::vector<std::pair<std::string, wire::PresenceMember>>& rows) {
    for (auto it = members_.begin(); it != members_.end();) {
        auto& replicas = it->second.replicas;
        const bool mine = replicas.count(self) != 0;
        replicas.clear();
        if (mine) {
            replicas.insert(self);
        }
        it = replicas.empty() ? members_.erase(it) : std::next(it);
    }
    for (const auto& [replica, member] : rows) {
        if (replica != self) {
            add(replica, member.sub, member.meta);
        }
    }
}

std::vector<wire::MemberView> PresenceTable::state() const {
    std::vector<wire::MemberView> out;
    out.reserve(members_.size());
    for (const auto& [sub, member] : members_) {
        out.push_back({sub, member.meta});
    }
    return out;
}

PresenceTable::Diff PresenceTable::take_diff() {
    Diff diff;
    for (const auto& [sub, member] : members_) {
        const auto seen = announced_.find(sub);
        if (seen == announced_.end() || seen->second != member.meta) {
            diff.joins.push_back({sub, member.meta});
        }
    }
    for (const auto& [sub, meta] : announced_) {
        if (members_.count(sub) == 0) {
            diff.leaves.push_back(sub);
        }
    }
    mark_announced(); // the joins' views point into members_, which this leaves alone
    return diff;
}

void PresenceTable::mark_announced() {
    announced_.clear();
    for (const auto& [sub, member] : members_) {
        announced_.emplace(sub, member.meta);
    }
}

} // namespace deltacast::rooms
