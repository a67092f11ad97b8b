#pragma once
// The Config the topic, delta and sse unit tests share, built in code (no TOML): a poke kind
// `org` (bigint ids), an entity kind `chat` (bigint ids) with two entities (bigint contents with
// a snapshot query, uuid reactions without), a text kind `user` without snapshot, and a uuid
// kind `doc`, and a poke kind `lobby` (bigint) with presence (meta claim `name`, at most 3
// members before count mode, grace 1000 ms) and broadcasts (64 bytes, 3/s). At most 4 topics
// per connection. Built once: Topic::kind points into it.

#include "config/config.hpp"
#include "topics/topic.hpp"

#include <stdexcept>
#include <string>

namespace deltacast::unit_test {

inline EntityConfig make_entity(std::string name, std::string ids_key, IdType id_type,
                                std::string snapshot = {}) {
    EntityConfig entity;
    entity.name = std::move(name);
    entity.ids_key = std::move(ids_key);
    entity.id_type = id_type;
    entity.query = "SELECT to_jsonb(t) FROM t WHERE id = ANY($1)";
    entity.snapshot = std::move(snapshot);
    return entity;
}

inline Config build_test_config() {
    Config config;
    config.server.max_topics_per_connection = 4;
    config.server.subscribe_timeout_ms = 5000;
    config.postgres.channel_prefix = "signal:";
    config.postgres.unlisten_linger_ms = 2000;
    config.fanout.window_ms = 16;

    TopicKindConfig org;
    org.kind = "org";
    org.mode = TopicMode::Poke;
    org.id_type = IdType::Bigint;

    TopicKindConfig chat;
    chat.kind = "chat";
    chat.id_type = IdType::Bigint;
    chat.entities.push_back(make_entity("ChatMessageContent", "contentIds", IdType::Bigint,
                                        "SELECT to_jsonb(c) FROM c WHERE chat_id = $1"));
    chat.entities.push_back(make_entity("ChatReaction", "reactionIds", IdType::Uuid));

    TopicKindConfig user;
    user.kind = "user";
    user.id_type = IdType::Text;
    user.entities.push_back(make_entity("UserProfile", "profileIds", IdType::Text));

    TopicKindConfig doc;
    doc.kind = "doc";
    doc.id_type = IdType::Uuid;
    doc.entities.push_back(make_entity("Doc", "docIds", IdType::Uuid));

    TopicKindConfig lobby;
    lobby.kind = "lobby";
    lobby.mode = TopicMode::Poke;
    lobby.id_type = IdType::Bigint;
    lobby.presence = true;
    lobby.presence_meta_claims = {"name"};
    lobby.presence_max_members = 3;
    lobby.presence_grace_ms = 1000;
    lobby.broadcast = true;
    lobby.broadcast_max_bytes = 64;
    lobby.broadcast_rate_per_s = 3;

    for (auto* kind : {&org, &chat, &user, &doc, &lobby}) {
        const std::string name = kind->kind;
        config.topics.emplace(name, std::move(*kind));
    }
    return config;
}

inline const Config& test_config() {
    static const Config config = build_test_config();
    return config;
}

/// A topic of test_config() that must parse; throws (failing the test) when it does not.
inline topics::Topic topic(const std::string& text) {
    topics::TopicError error;
    auto parsed = topics::parse_topic(test_config(), text, &error);
    if (!parsed) {
        throw std::invalid_argument("test topic " + text + ": " + error.message);
    }
    return *parsed;
}

}  // namespace deltacast::unit_test
