#include "delta/frame.hpp"

#include "sse/sse_format.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <random>

namespace deltacast::delta {
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

}  // namespace

std::optional<std::uint64_t> EventIds::parse(std::string_view id) const {
    if (id.size() <= epoch_.size() + 1 || id.substr(0, epoch_.size()) != epoch_ ||
        id[epoch_.size()] != '-') {
        return std::nullopt;
    }
    const std::string_view digits = id.substr(epoch_.size() + 1);
    std::uint64_t seq = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || seq > seq_) {
        return std::nullopt;  // not a number, or an id this process never issued
    }
    return seq;
}

std::string make_epoch() {
    std::random_device rd;
    std::uniform_int_distribution<std::uint32_t> draw;
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", draw(rd));
    return buf;
}

std::string json_quote(std::string_view s) { return nlohmann::json(s).dump(); }

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
    sse::append_event(out, "entity-upsert", id, data);
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
    sse::append_event(out, "entity-delete", id, data);
}

void append_poke(std::string& out, std::string_view id, std::string_view topic) {
    sse::append_event(out, "poke", id, "{\"topic\":" + json_quote(topic) + "}");
}

void append_resync(std::string& out, const std::vector<std::string>& topics,
                   std::string_view reason) {
    sse::append_event(out, "resync", "",
                      "{\"topics\":" + json_array_of_strings(topics) +
                          ",\"reason\":" + json_quote(reason) + "}");
}

void append_revoked(std::string& out, const std::vector<std::string>& topics,
                    std::string_view reason) {
    sse::append_event(out, "revoked", "",
                      "{\"topics\":" + json_array_of_strings(topics) +
                          ",\"reason\":" + json_quote(reason) + "}");
}

void append_ready(std::string& out, std::string_view epoch,
                  const std::vector<std::string>& topics) {
    sse::append_event(out, "ready", "",
                      "{\"epoch\":" + json_quote(epoch) +
                          ",\"topics\":" + json_array_of_strings(topics) + "}");
}

}  // namespace deltacast::delta
