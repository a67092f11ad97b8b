#pragma once
// Topics: parsing and validating `kind:id` against the configured kinds, before anything
// touches Postgres. Pure functions of their inputs; safe from any thread.
//
// Canonical forms only (one topic string = one channel name): bigint ids are decimal without
// sign or leading zeros ("-5" is allowed, "05" and "+5" are not), uuids are lower-case 8-4-4-4-12
// hex, text ids are 1..64 chars of [A-Za-z0-9_.@-]. The channel `<prefix><kind>:<id>` must fit
// Postgres' 63-byte identifier limit, or the topic is rejected (Postgres would truncate it).

#include "config/config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltacast::topics {

struct Topic {
    const TopicKindConfig* kind = nullptr; // points into the process's Config
    std::string id;                        // "42"
    std::string key;                       // "chat:42"
    std::string channel;                   // "signal:chat:42"

    bool is_poke() const { return kind->mode == TopicMode::Poke; }
};

/// Why a topic list was rejected: a short message and the offending topic ("" if none).
struct TopicError {
    std::string message;
    std::string topic;
};

inline constexpr std::size_t kMaxChannelBytes = 63;

/// True when `id` is the canonical spelling of an id of type `type`.
bool valid_id(IdType type, std::string_view id);

/// Parses one topic (`kind:id`). Errors: unknown kind, malformed id, channel too long.
std::optional<Topic> parse_topic(const Config& config, std::string_view text, TopicError* error);

/// Parses a comma-separated topic list: empty list, duplicates, more than
/// server.max_topics_per_connection, or any bad topic rejects the whole list.
std::optional<std::vector<Topic>> parse_topic_list(const Config& config, std::string_view list,
                                                   TopicError* error);

/// Maps a notification channel back to its topic ("signal:chat:42" -> chat:42); nullopt for a
/// channel without the prefix or with an invalid topic.
std::optional<Topic> topic_from_channel(const Config& config, std::string_view channel);

} // namespace deltacast::topics
