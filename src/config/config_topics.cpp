// Validation of one [topics.<kind>] table: kind name, access rule and entities.

#include "config/config_detail.hpp"

#include <cctype>
#include <set>

namespace deltacast::config_detail {
namespace {

// [a-z][a-z0-9_]{0,30}: short enough for Postgres' 63-byte channel names, safe in URLs.
bool is_kind_name(const std::string& kind) {
    if (kind.empty() || kind.size() > 31 || kind[0] < 'a' || kind[0] > 'z') {
        return false;
    }
    for (const char c : kind) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

bool is_blank(std::string_view s) {
    for (const char c : s) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// "$1" but not "$10": the parameter must really be used.
bool uses_param(const std::string& sql, char digit) {
    for (auto pos = sql.find('$'); pos != std::string::npos; pos = sql.find('$', pos + 1)) {
        const bool next_is_digit =
            pos + 2 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[pos + 2]));
        if (pos + 1 < sql.size() && sql[pos + 1] == digit && !next_is_digit) {
            return true;
        }
    }
    return false;
}

void validate_access(const std::string& at, const std::string& access) {
    const std::string path = at + ".access";
    std::string_view rest;
    if (access.empty()) {
        return;
    }
    if (access.starts_with("claim:")) {
        rest = std::string_view(access).substr(6);
    } else if (access.starts_with("sql:")) {
        rest = std::string_view(access).substr(4);
    } else {
        throw ConfigError(path, "must be empty, \"claim:<name>\" or \"sql:<query>\"");
    }
    if (is_blank(rest)) {
        throw ConfigError(path, "needs a claim name or a query after the prefix");
    }
}

void require(const std::string& path, const std::string& value, const char* what) {
    if (is_blank(value)) {
        throw ConfigError(path, std::string("is required: ") + what);
    }
}

void validate_entity(const std::string& at, const EntityConfig& e, std::set<std::string>& names,
                     std::set<std::string>& ids_keys) {
    require(at + ".name", e.name, "the entity name sent in events");
    require(at + ".ids_key", e.ids_key, "the payload key of this entity's id array");
    require(at + ".id_field", e.id_field, "the row field holding the id");
    require(at + ".query", e.query, "SELECT of one jsonb column, $1 = id array");
    if (!uses_param(e.query, '1')) {
        throw ConfigError(at + ".query", "must use $1 (the id array)");
    }
    if (!e.snapshot.empty() && !uses_param(e.snapshot, '1')) {
        throw ConfigError(at + ".snapshot", "must use $1 (the topic id)");
    }
    if (!names.insert(e.name).second) {
        throw ConfigError(at + ".name", "duplicate entity name in this topic kind");
    }
    if (e.ids_key == "deltacast") {
        throw ConfigError(at + ".ids_key", "\"deltacast\" is reserved (live-room messages)");
    }
    if (!ids_keys.insert(e.ids_key).second) {
        throw ConfigError(at + ".ids_key", "duplicate ids_key in this topic kind");
    }
}

} // namespace

void validate_topic(const TopicKindConfig& topic) {
    const std::string at = "topics." + topic.kind;
    if (!is_kind_name(topic.kind)) {
        throw ConfigError(at, "kind must match [a-z][a-z0-9_]{0,30}");
    }
    validate_access(at, topic.access);
    for (const auto& claim : topic.presence_meta_claims) {
        if (is_blank(claim)) {
            throw ConfigError(at + ".presence_meta_claims", "claim names must not be empty");
        }
    }
    if (topic.mode == TopicMode::Poke) {
        if (!topic.entities.empty()) {
            throw ConfigError(at + ".entities", "poke topics carry no entities");
        }
        return;
    }
    if (topic.entities.empty()) {
        throw ConfigError(at + ".entities",
                          "entity-mode topics need at least one [[" + at + ".entities]]");
    }
    std::set<std::string> names;
    std::set<std::string> ids_keys;
    for (std::size_t i = 0; i < topic.entities.size(); ++i) {
        validate_entity(at + ".entities[" + std::to_string(i) + "]", topic.entities[i], names,
                        ids_keys);
    }
}

} // namespace deltacast::config_detail
