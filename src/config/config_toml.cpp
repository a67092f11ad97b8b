// The TOML layer: scalar keys through the key table, topic kinds ([topics.<kind>]) by hand.
// Every key of the document must be known: a typo is an error, never a silent default.

#include "config/config_detail.hpp"

#include <toml.hpp>

#include <sstream>

namespace deltacast::config_detail {
namespace {

// std::map keeps tables in key order, so the first unknown key reported is deterministic.
using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

TomlValue parse_document(const std::string& text, const std::string& source_name) {
    std::istringstream in(text);
    try {
        return toml::parse<toml::discard_comments, std::map, std::vector>(in, source_name);
    } catch (const std::exception& e) {
        throw ConfigError(source_name, std::string("invalid TOML: ") + e.what());
    }
}

RawValue to_raw(const TomlValue& v) {
    if (v.is_string()) {
        return v.as_string().str;
    }
    if (v.is_integer()) {
        return static_cast<long long>(v.as_integer());
    }
    if (v.is_boolean()) {
        return v.as_boolean();
    }
    if (v.is_array()) {
        std::vector<std::string> items;
        for (const auto& item : v.as_array()) {
            if (!item.is_string()) {
                return std::monostate{};
            }
            items.push_back(item.as_string().str);
        }
        return items;
    }
    return std::monostate{};
}

// "topics.chat" + "mode" -> "topics.chat.mode": the key path used in errors.
std::string child(const std::string& parent, const std::string& name) {
    std::string path = parent;
    path += '.';
    path += name;
    return path;
}

const std::string& want_string(const std::string& path, const TomlValue& v) {
    if (!v.is_string()) {
        throw ConfigError(path, "must be a string");
    }
    return v.as_string().str;
}

const TomlValue::table_type& want_table(const std::string& path, const TomlValue& v) {
    if (!v.is_table()) {
        throw ConfigError(path, "must be a table");
    }
    return v.as_table();
}

IdType want_id_type(const std::string& path, const TomlValue& v) {
    if (const auto t = parse_id_type(want_string(path, v))) {
        return *t;
    }
    throw ConfigError(path, "must be \"bigint\", \"uuid\" or \"text\"");
}

EntityConfig parse_entity(const std::string& at, const TomlValue& body) {
    static const std::map<std::string, std::string EntityConfig::*> strings = {
        {"name", &EntityConfig::name},         {"ids_key", &EntityConfig::ids_key},
        {"id_field", &EntityConfig::id_field}, {"query", &EntityConfig::query},
        {"snapshot", &EntityConfig::snapshot},
    };
    EntityConfig entity;
    for (const auto& [name, value] : want_table(at, body)) {
        const std::string path = child(at, name);
        if (name == "id_type") {
            entity.id_type = want_id_type(path, value);
        } else if (const auto it = strings.find(name); it != strings.end()) {
            entity.*(it->second) = want_string(path, value);
        } else {
            throw ConfigError(path, "unknown key");
        }
    }
    return entity;
}

std::vector<EntityConfig> parse_entities(const std::string& at, const TomlValue& v) {
    if (!v.is_array()) {
        throw ConfigError(at, "must be an array of tables ([[" + at + "]])");
    }
    std::vector<EntityConfig> entities;
    for (const auto& item : v.as_array()) {
        entities.push_back(parse_entity(at + "[" + std::to_string(entities.size()) + "]", item));
    }
    return entities;
}

TopicMode want_mode(const std::string& path, const TomlValue& v) {
    const std::string& mode = want_string(path, v);
    if (mode != "entity" && mode != "poke") {
        throw ConfigError(path, "must be \"entity\" or \"poke\"");
    }
    return mode == "entity" ? TopicMode::Entity : TopicMode::Poke;
}

bool want_bool(const std::string& path, const TomlValue& v) {
    if (!v.is_boolean()) {
        throw ConfigError(path, "must be true or false");
    }
    return v.as_boolean();
}

int want_int(const std::string& path, const TomlValue& v, long long min, long long max) {
    if (!v.is_integer() || v.as_integer() < min || v.as_integer() > max) {
        throw ConfigError(path, "must be an integer between " + std::to_string(min) + " and " +
                                    std::to_string(max));
    }
    return static_cast<int>(v.as_integer());
}

std::vector<std::string> want_strings(const std::string& path, const TomlValue& v) {
    if (!v.is_array()) {
        throw ConfigError(path, "must be an array of strings");
    }
    std::vector<std::string> out;
    for (const auto& item : v.as_array()) {
        out.push_back(want_string(path, item));
    }
    return out;
}

// The live-room keys of a topic kind (SPEC §8); false for any other key.
bool parse_room_key(TopicKindConfig& topic, const std::string& name, const std::string& path,
                    const TomlValue& v) {
    if (name == "presence") {
        topic.presence = want_bool(path, v);
    } else if (name == "presence_meta_claims") {
        topic.presence_meta_claims = want_strings(path, v);
    } else if (name == "presence_max_members") {
        topic.presence_max_members = want_int(path, v, 1, 1000000);
    } else if (name == "presence_grace_ms") {
        topic.presence_grace_ms = want_int(path, v, 0, 3600000);
    } else if (name == "broadcast") {
        topic.broadcast = want_bool(path, v);
    } else if (name == "broadcast_max_bytes") {
        // A broadcast crosses replicas as one NOTIFY (< 8000 bytes with its envelope).
        topic.broadcast_max_bytes = want_int(path, v, 1, kMaxBroadcastBytes);
    } else if (name == "broadcast_rate_per_s") {
        topic.broadcast_rate_per_s = want_int(path, v, 1, 1000000);
    } else {
        return false;
    }
    return true;
}

TopicKindConfig parse_topic(const std::string& kind, const TomlValue& body) {
    const std::string at = "topics." + kind;
    TopicKindConfig topic;
    topic.kind = kind;
    for (const auto& [name, value] : want_table(at, body)) {
        const std::string path = child(at, name);
        if (name == "mode") {
            topic.mode = want_mode(path, value);
        } else if (name == "id_type") {
            topic.id_type = want_id_type(path, value);
        } else if (name == "access") {
            topic.access = want_string(path, value);
        } else if (name == "entities") {
            topic.entities = parse_entities(path, value);
        } else if (!parse_room_key(topic, name, path, value)) {
            throw ConfigError(path, "unknown key");
        }
    }
    return topic;
}

void apply_topics(Config& config, const TomlValue& topics) {
    for (const auto& [kind, body] : want_table("topics", topics)) {
        TopicKindConfig topic = parse_topic(kind, body);
        validate_topic(topic);
        config.topics[kind] = std::move(topic);
    }
}

bool is_section(const std::string& name) {
    const std::string prefix = name + ".";
    for (const KeySpec& key : key_table()) {
        if (key.path.starts_with(prefix)) {
            return true;
        }
    }
    return false;
}

void apply_section(Config& config, const std::string& section, const TomlValue& body) {
    for (const auto& [name, value] : want_table(section, body)) {
        const std::string path = child(section, name);
        const KeySpec* key = find_key(path);
        if (key == nullptr && path == "auth.jwt_secret") {
            throw ConfigError(path, "not a file setting: the secret is read from the "
                                    "environment variable named by auth.jwt_secret_env");
        }
        if (key == nullptr) {
            throw ConfigError(path, "unknown key");
        }
        assign(config, *key, to_raw(value));
    }
}

} // namespace

void apply_toml(Config& config, const std::string& toml_text, const std::string& source_name) {
    const TomlValue root = parse_document(toml_text, source_name);
    for (const auto& [section, body] : root.as_table()) {
        if (section == "topics") {
            apply_topics(config, body);
        } else if (is_section(section)) {
            apply_section(config, section, body);
        } else {
            throw ConfigError(section, "unknown section or key");
        }
    }
}

} // namespace deltacast::config_detail
