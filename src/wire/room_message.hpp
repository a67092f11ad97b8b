#pragma once
// Room messages: what replicas tell each other about a topic's live room, on the topic's own
// signal channel (the one every replica watching the topic already LISTENs), so presence and
// broadcasts cross replicas through the database with no extra LISTEN. A room message is a
// JSON object whose first key is "deltacast" (an ids_key can never be "deltacast": config
// refuses it), so one look at the payload's first bytes tells it from a writer's signal:
//
//   {"deltacast":"broadcast","name":"typing","from":"u1","data":{"state":"start"}}
//   {"deltacast":"presence","replica":"9f2c1a7e","joins":[{"sub":"u1","meta":{}}],
//    "leaves":["u2"]}
//
// The SQL function deltacast_broadcast() writes the first form too. Builders and the parser
// are pure; parse_room_message() accepts any input without throwing (fuzzed).

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace deltacast::wire {

/// True when `payload` is a room message rather than a signal (it may still be malformed).
bool is_room_message(std::string_view payload);

struct BroadcastMessage {
    std::string name;
    std::string from;
    std::string data; // JSON text, as received
};

struct PresenceMember {
    std::string sub;
    nlohmann::json meta = nlohmann::json::object();
};

struct PresenceMessage {
    std::string replica;
    std::vector<PresenceMember> joins;
    std::vector<std::string> leaves;
};

struct MalformedRoomMessage {
    std::string error;
};

using RoomMessage = std::variant<BroadcastMessage, PresenceMessage, MalformedRoomMessage>;

/// Parses a payload for which is_room_message() is true. Never throws.
RoomMessage parse_room_message(std::string_view payload);

/// The broadcast message for `data` (valid JSON text).
std::string broadcast_message(std::string_view name, std::string_view from, std::string_view data);

/// Presence messages of `replica`, split so that none exceeds `max_bytes` (Postgres' NOTIFY
/// payload limit): joins first, then leaves. Empty when both lists are empty.
std::vector<std::string> presence_messages(std::string_view replica,
                                           const std::vector<PresenceMember>& joins,
                                           const std::vector<std::string>& leaves,
                                           std::size_t max_bytes = 7900);

} // namespace deltacast::wire
