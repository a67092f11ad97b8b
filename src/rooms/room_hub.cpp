#include "rooms/room_hub.hpp"

#include "config/config.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"
#include "wire/events.hpp"

namespace deltacast::rooms {
namespace {

log::RateLimit malformed_log_limit(10, std::chrono::seconds(10));

nlohmann::json meta_of(const TopicKindConfig& kind, const nlohmann::json& claims) {
    nlohmann::json meta = nlohmann::json::object();
    if (!claims.is_object()) {
        return meta;
    }
    for (const auto& claim : kind.presence_meta_claims) {
        if (const auto it = claims.find(claim); it != claims.end()) {
            meta[claim] = *it;
        }
    }
    return meta;
}

} // namespace

bool any_presence(const Config& config) {
    for (const auto& [kind, topic] : config.topics) {
        if (topic.presence) {
            return true;
        }
    }
    return false;
}

struct RoomHub::Room {
    topics::Topic topic;
    PresenceTable table;
    std::uint64_t generation = 0; // tells this room's load answer from a dropped room's
    bool loaded = false;
    bool counting = false; // clients last got a count (over presence_max_members)
    topics::Scheduler::TimerId window = 0;
};

RoomHub::RoomHub(const Config& config, PresenceStore& store, delta::FramePublisher& publisher,
                 topics::Scheduler& scheduler, Metrics& metrics, std::string replica)
    : config_(config), store_(store), publisher_(publisher), scheduler_(scheduler),
      metrics_(metrics), replica_(std::move(replica)) {}

RoomHub::~RoomHub() {
    scheduler_.cancel(refresh_timer_);
    for (auto& [key, holding] : holdings_) {
        scheduler_.cancel(holding.grace);
    }
    for (auto& [key, room] : rooms_) {
        scheduler_.cancel(room->window);
    }
}

void RoomHub::start() {
    if (any_presence(config_)) {
        refresh();
    }
}

void RoomHub::refresh() {
    store_.refresh([this](bool recreated) {
        if (!recreated) {
            return;
        }
        // Swept as dead while alive (a stall): the other replicas dropped our members.
        log::get("rooms")->warn("replica={} was swept as dead; announcing its members again",
                                replica_);
        for (const auto& [key, holding] : holdings_) {
            store_.announce(key.first, holding.channel, {{key.second, holding.meta}}, {});
        }
    });
    refresh_timer_ = scheduler_.schedule_after(std::chrono::seconds(config_.presence.refresh_s),
                                               [this] { refresh(); });
}

void RoomHub::stream_opened(const sse::OpenRequest& request,
                            const std::shared_ptr<sse::Subscriber>& subscriber) {
    for (const auto& topic : request.topics) {
        if (!topic.kind->presence) {
            continue;
        }
        hold(topic, request.identity);
        const auto it = rooms_.find(topic.key);
        if (it != rooms_.end() && it->second->loaded) {
            subscriber->push(full_frame(*it->second));
        }
    }
}

void RoomHub::stream_closed(const sse::OpenRequest& request) {
    for (const auto& topic : request.topics) {
        if (topic.kind->presence) {
            release(topic, request.identity.subject);
        }
    }
}

void RoomHub::hold(const topics::Topic& topic, const sse::Identity& who) {
    auto [it, fresh] = holdings_.try_emplace({topic.key, who.subject});
    Holding& holding = it->second;
    if (++holding.streams > 1) {
        return;
    }
    if (holding.grace != 0) {
        scheduler_.cancel(holding.grace); // back within the grace: no leave, no new join
        holding.grace = 0;
        return;
    }
    holding.meta = meta_of(*topic.kind, who.claims);
    holding.channel = topic.channel;
    metrics_.presence_members.store(static_cast<std::int64_t>(holdings_.size()));
    store_.announce(topic.key, topic.channel, {{who.subject, holding.meta}}, {});
    if (const auto room = rooms_.find(topic.key); room != rooms_.end()) {
        room->second->table.add(replica_, who.subject, holding.meta);
        changed(*room->second);
    }
}

void RoomHub::release(const topics::Topic& topic, const std::string& sub) {
    const HoldingKey key{topic.key, sub};
    const auto it = holdings_.find(key);
    if (it == holdings_.end() || --it->second.streams > 0) {
        return;
    }
    const int grace = topic.kind->presence_grace_ms.value_or(config_.presence.grace_ms);
    it->second.grace =
        scheduler_.schedule_after(std::chrono::milliseconds(grace), [this, key] { leave(key); });
}

void RoomHub::leave(const HoldingKey& key) {
    const auto it = holdings_.find(key);
    if (it == holdings_.end() || it->second.streams > 0) {
        return;
    }
    store_.announce(key.first, it->second.channel, {}, {key.second});
    holdings_.erase(it);
    metrics_.presence_members.store(static_cast<std::int64_t>(holdings_.size()));
    if (const auto room = rooms_.find(key.first); room != rooms_.end()) {
        room->second->table.remove(replica_, key.second);
        changed(*room->second);
    }
}

void RoomHub::on_listening(const topics::Topic& topic) {
    if (!topic.kind->presence) {
        return;
    }
    auto& room = rooms_[topic.key];
    if (!room) {
        room = std::make_unique<Room>();
        room->topic = topic;
    }
    load(*room);
}

void RoomHub::load(Room& room) {
    room.generation = ++generations_;
    room.loaded = false;
    store_.load(room.topic.key, [this, key = room.topic.key, generation = room.generation](
                                    std::optional<PresenceStore::Rows> rows) {
        const auto it = rooms_.find(key);
        if (it == rooms_.end() || it->second->generation != generation) {
            return; // dropped (or reloaded) meanwhile
        }
        Room& r = *it->second;
        if (!rows) {
            log::get("rooms")->warn("presence load failed topic={}; this replica's members only",
                                    key);
        }
        r.table.replace_others(replica_, rows.value_or(PresenceStore::Rows{}));
        for (const auto& [holding_key, holding] : holdings_) {
            if (holding_key.first == key) {
                r.table.add(replica_, holding_key.second, holding.meta);
            }
        }
        r.loaded = true;
        publish_full(r); // the full state to everyone joined so far
    });
}

void RoomHub::on_unlistened(const topics::Topic& topic) {
    const auto it = rooms_.find(topic.key);
    if (it != rooms_.end()) {
        scheduler_.cancel(it->second->window);
        rooms_.erase(it);
    }
}

void RoomHub::on_resubscribed() {
    // Room messages sent while the listener was down are gone, and after a Postgres restart our
    // rows may be too (UNLOGGED tables are emptied by crash recovery): announce every holding
    // again, then reload every room, whose full state then goes to every subscriber.
    for (const auto& [key, holding] : holdings_) {
        store_.announce(key.first, holding.channel, {{key.second, holding.meta}}, {});
    }
    for (auto& [key, room] : rooms_) {
        load(*room);
    }
}

void RoomHub::on_room_message(const topics::Topic& topic, std::string_view payload) {
    auto message = wire::parse_room_message(payload);
    if (auto* bad = std::get_if<wire::MalformedRoomMessage>(&message)) {
        metrics_.signals_malformed.fetch_add(1, std::memory_order_relaxed);
        std::uint64_t suppressed = 0;
        if (malformed_log_limit.allow(suppressed)) {
            log::get("rooms")->warn("malformed room message topic={} error=\"{}\" suppressed={}",
                                    topic.key, bad->error, suppressed);
        }
        return;
    }
    if (auto* broadcast = std::get_if<wire::BroadcastMessage>(&message)) {
        auto frame = std::make_shared<wire::Frame>();
        frame->topic = topic.key;
        wire::append_broadcast(frame->bytes, topic.key, broadcast->name, broadcast->from,
                               broadcast->data);
        metrics_.broadcast_events.fetch_add(1, std::memory_order_relaxed);
        publisher_.publish(std::move(frame));
        return;
    }
    const auto& presence = std::get<wire::PresenceMessage>(message);
    const auto it = rooms_.find(topic.key);
    if (presence.replica == replica_ || it == rooms_.end()) {
        return; // our own echo (applied first-hand), or not a presence topic here
    }
    for (const auto& member : presence.joins) {
        it->second->table.add(presence.replica, member.sub, member.meta);
    }
    for (const auto& sub : presence.leaves) {
        it->second->table.remove(presence.replica, sub);
    }
    changed(*it->second);
}

void RoomHub::changed(Room& room) {
    if (room.window != 0) {
        return; // the open window will announce it
    }
    room.window = scheduler_.schedule_after(std::chrono::milliseconds(config_.fanout.window_ms),
                                            [this, key = room.topic.key] { flush(key); });
}

void RoomHub::flush(const std::string& topic) {
    const auto it = rooms_.find(topic);
    if (it == rooms_.end()) {
        return;
    }
    Room& room = *it->second;
    room.window = 0;
    if (!room.loaded) {
        return; // the load sends the full state
    }
    if (over_limit(room) || room.counting) {
        // Count mode, or leaving it: clients that only had a count need the full state.
        publish_full(room);
        return;
    }
    const auto diff = room.table.take_diff();
    if (diff.empty()) {
        return; // changes that cancelled out within the window
    }
    auto frame = std::make_shared<wire::Frame>();
    frame->topic = topic;
    const std::vector<std::string_view> leaves(diff.leaves.begin(), diff.leaves.end());
    wire::append_presence_diff(frame->bytes, topic, diff.joins, leaves);
    metrics_.presence_events.fetch_add(1, std::memory_order_relaxed);
    publisher_.publish(std::move(frame));
}

wire::FramePtr RoomHub::full_frame(const Room& room) const {
    auto frame = std::make_shared<wire::Frame>();
    frame->topic = room.topic.key;
    if (over_limit(room)) {
        wire::append_presence_count(frame->bytes, room.topic.key, room.table.size());
    } else {
        wire::append_presence_state(frame->bytes, room.topic.key, room.table.state());
    }
    metrics_.presence_events.fetch_add(1, std::memory_order_relaxed);
    return frame;
}

void RoomHub::publish_full(Room& room) {
    publisher_.publish(full_frame(room));
    room.counting = over_limit(room);
    room.table.mark_announced();
}

bool RoomHub::over_limit(const Room& room) {
    return room.table.size() > static_cast<std::size_t>(room.topic.kind->presence_max_members);
}

std::size_t RoomHub::local_members(const std::string& topic) const {
    std::size_t n = 0;
    for (const auto& [key, holding] : holdings_) {
        n += key.first == topic ? 1 : 0;
    }
    return n;
}

std::size_t RoomHub::room_size(const std::string& topic) const {
    const auto it = rooms_.find(topic);
    return it == rooms_.end() ? 0 : it->second->table.size();
}

} // namespace deltacast::rooms
