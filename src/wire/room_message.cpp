#include "wire/room_message.hpp"

#include "wire/events.hpp"

namespace deltacast::wire {
namespace {

constexpr std::string_view kMarker = "{\"deltacast\":";

std::string member_json(const PresenceMember& m) {
    return "{\"sub\":" + json_quote(m.sub) + ",\"meta\":" + m.meta.dump() + "}";
}

} // namespace

bool is_room_message(std::string_view payload) {
    return payload.starts_with(kMarker);
}

RoomMessage parse_room_message(std::string_view payload) {
    const auto doc = nlohmann::json::parse(payload, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return MalformedRoomMessage{"not a JSON object"};
    }
    const auto kind = doc.find("deltacast");
    if (kind == doc.end() || !kind->is_string()) {
        return MalformedRoomMessage{"no \"deltacast\" kind"};
    }
    try {
        if (*kind == "broadcast") {
            const auto data = doc.find("data");
            if (data == doc.end()) {
                return MalformedRoomMessage{"broadcast without data"};
            }
            return BroadcastMessage{doc.at("name").get<std::string>(),
                                    doc.at("from").get<std::string>(), data->dump()};
        }
        if (*kind == "presence") {
            PresenceMessage msg{doc.at("replica").get<std::string>(), {}, {}};
            if (const auto joins = doc.find("joins"); joins != doc.end()) {
                for (const auto& j : joins->get_ref<const nlohmann::json::array_t&>()) {
                    const auto meta = j.find("meta");
                    msg.joins.push_back(
                        {j.at("sub").get<std::string>(),
                         meta != j.end() && meta->is_object() ? *meta : nlohmann::json::object()});
                }
            }
            if (const auto leaves = doc.find("leaves"); leaves != doc.end()) {
                msg.leaves = leaves->get<std::vector<std::string>>();
            }
            return msg;
        }
    } catch (const nlohmann::json::exception& e) {
        return MalformedRoomMessage{e.what()};
    }
    return MalformedRoomMessage{"unknown kind"};
}

std::string broadcast_message(std::string_view name, std::string_view from, std::string_view data) {
    std::string out(kMarker);
    out += "\"broadcast\",\"name\":" + json_quote(name) + ",\"from\":" + json_quote(from) +
           ",\"data\":";
    out += data;
    return out + "}";
}

std::vector<std::string> presence_messages(std::string_view replica,
                                           const std::vector<PresenceMember>& joins,
                                           const std::vector<std::string>& leaves,
                                           std::size_t max_bytes) {
    std::vector<std::string> out;
    const std::string head =
        std::string(kMarker) + "\"presence\",\"replica\":" + json_quote(replica);
    std::string joined;
    std::string left;
    auto flush = [&] {
        if (joined.empty() && left.empty()) {
            return;
        }
        std::string msg = head;
        if (!joined.empty()) {
            msg += ",\"joins\":[" + joined + "]";
        }
        if (!left.empty()) {
            msg += ",\"leaves\":[" + left + "]";
        }
        out.push_back(msg + "}");
        joined.clear();
        left.clear();
    };
    auto room = [&](std::size_t more) {
        return head.size() + joined.size() + left.size() + more + 32 <= max_bytes;
    };
    for (const auto& m : joins) {
        const std::string item = member_json(m);
        if (!room(item.size())) {
            flush();
        }
        joined += (joined.empty() ? "" : ",") + item;
    }
    for (const auto& sub : leaves) {
        const std::string item = json_quote(sub);
        if (!room(item.size())) {
            flush();
        }
        left += (left.empty() ? "" : ",") + item;
    }
    flush();
    return out;
}

} // namespace deltacast::wire
