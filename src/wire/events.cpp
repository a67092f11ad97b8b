#include "wire/events.hpp"

#include "wire/sse_format.hpp"

#include <nlohmann/json.hpp>

namespace deltacast::wire {
namespace {

std::string json_array_of_strings(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i ? "," : "") + json_quote(items[i]);
    }
    return out + "]";
}

std::string topic_entity_prefix(std::string_view topic, std::string_view entity) {
    return "{\"topic\":" + json_quote(topic) + ",\"entity\":" + json_quote(entity);
}

} // namespace

std::string json_quote(std::string_view s) {
    return nlohmann::json(s).dump();
}

void append_upsert(std::string& out, std::string_view id, std::string_view topic,
                   std::string_view entity, const std::vector<std::string_view>& rows,
                   bool snapshot) {
    std::string data = topic_entity_prefix(topic, entity);
    std::size_t size = 32;
    for (const auto row : rows) {
        size += row.size() + 1;
    }
    data.reserve(data.size() + size);
    if (snapshot) {
        data += ",\"snapshot\":true";
    }
    data += ",\"rows\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i) {
            data += ',';
        }
        data += rows[i];
    }
    data += "]}";
    append_event(out, "entity-upsert", id, data);
}

void append_delete(std::string& out, std::string_view id, std::string_view topic,
                   std::string_view entity, const std::vector<std::string>& ids, IdType id_type) {
    std::string data = topic_entity_prefix(topic, entity) + ",\"ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) {
            data += ',';
        }
        // bigint ids were validated as canonical decimals, so they are valid JSON numbers
        data += id_type == IdType::Bigint ? ids[i] : json_quote(ids[i]);
    }
    data += "]}";
    append_event(out, "entity-delete", id, data);
}

void append_poke(std::string& out, std::string_view id, std::string_view topic) {
    append_event(out, "poke", id, "{\"topic\":" + json_quote(topic) + "}");
}

void append_resync(std::string& out, const std::vector<std::string>& topics,
                   std::string_view reason) {
    append_event(out, "resync", "",
                 "{\"topics\":" + json_array_of_strings(topics) +
                     ",\"reason\":" + json_quote(reason) + "}");
}

void append_revoked(std::string& out, const std::vector<std::string>& topics,
                    std::string_view reason) {
    append_event(out, "revoked", "",
                 "{\"topics\":" + json_array_of_strings(topics) +
                     ",\"reason\":" + json_quote(reason) + "}");
}

void append_ready(std::string& out, std::string_view epoch,
                  const std::vector<std::string>& topics) {
    append_event(out, "ready", "",
                 "{\"epoch\":" + json_quote(epoch) +
                     ",\"topics\":" + json_array_of_strings(topics) + "}");
}

namespace {

std::string members_json(const std::vector<MemberView>& members) {
    std::string out = "[";
    for (std::size_t i = 0; i < members.size(); ++i) {
        out += (i ? ",{\"sub\":" : "{\"sub\":") + json_quote(members[i].sub) + ",\"meta\":";
        out += members[i].meta.empty() ? std::string_view("{}") : members[i].meta;
        out += '}';
    }
    return out + "]";
}

} // namespace

void append_presence_state(std::string& out, std::string_view topic,
                           const std::vector<MemberView>& members) {
    append_event(out, "presence", "",
                 "{\"topic\":" + json_quote(topic) + ",\"state\":" + members_json(members) + "}");
}

void append_presence_diff(std::string& out, std::string_view topic,
                          const std::vector<MemberView>& joins,
                          const std::vector<std::string_view>& leaves) {
    std::string data = "{\"topic\":" + json_quote(topic);
    if (!joins.empty()) {
        data += ",\"joins\":" + members_json(joins);
    }
    if (!leaves.empty()) {
        data += ",\"leaves\":[";
        for (std::size_t i = 0; i < leaves.size(); ++i) {
            data += (i ? ",{\"sub\":" : "{\"sub\":") + json_quote(leaves[i]) + "}";
        }
        data += "]";
    }
    append_event(out, "presence", "", data + "}");
}

void append_presence_count(std::string& out, std::string_view topic, std::size_t count) {
    append_event(out, "presence", "",
                 "{\"topic\":" + json_quote(topic) + ",\"count\":" + std::to_string(count) + "}");
}

void append_broadcast(std::string& out, std::string_view topic, std::string_view name,
                      std::string_view from, std::string_view data) {
    std::string body = "{\"topic\":" + json_quote(topic) + ",\"name\":" + json_quote(name) +
                       ",\"from\":" + json_quote(from) + ",\"data\":";
    body += data;
    append_event(out, "broadcast", "", body + "}");
}

} // namespace deltacast::wire
