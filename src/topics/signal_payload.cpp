#include "topics/signal_payload.hpp"

#include "topics/topic.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace deltacast::topics {
namespace {

std::optional<std::string> canonical_id(IdType type, const nlohmann::json& value) {
    if (type == IdType::Bigint && value.is_number_integer()) {
        // Range-checked like the string form: an id outside int8 would fail the whole query.
        std::string id = value.is_number_unsigned() ? std::to_string(value.get<std::uint64_t>())
                                                    : std::to_string(value.get<std::int64_t>());
        return valid_id(type, id) ? std::optional<std::string>(std::move(id)) : std::nullopt;
    }
    if (!value.is_string()) {
        return std::nullopt;
    }
    std::string id = value.get<std::string>();
    if (type == IdType::Uuid) {
        std::transform(id.begin(), id.end(), id.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    if (!valid_id(type, id)) {
        return std::nullopt;
    }
    return id;
}

bool set_error(std::string* error, std::string message) {
    if (error != nullptr) {
        *error = std::move(message);
    }
    return false;
}

} // namespace

std::optional<EntityIds> parse_signal_payload(const TopicKindConfig& kind, std::string_view payload,
                                              std::string* error) {
    const auto json = nlohmann::json::parse(payload, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        set_error(error, "payload is not a JSON object");
        return std::nullopt;
    }
    EntityIds ids(kind.entities.size());
    bool any_key = false;
    for (std::size_t e = 0; e < kind.entities.size(); ++e) {
        const EntityConfig& entity = kind.entities[e];
        const auto it = json.find(entity.ids_key);
        if (it == json.end()) {
            continue;
        }
        any_key = true;
        if (!it->is_array()) {
            set_error(error, entity.ids_key + " is not an array");
            return std::nullopt;
        }
        ids[e].reserve(it->size());
        for (const auto& value : *it) {
            auto id = canonical_id(entity.id_type, value);
            if (!id) {
                set_error(error, entity.ids_key + " holds an invalid " + to_string(entity.id_type) +
                                     " id");
                return std::nullopt;
            }
            ids[e].push_back(std::move(*id));
        }
    }
    if (!any_key) {
        set_error(error, "payload names none of the kind's id keys");
        return std::nullopt;
    }
    return ids;
}

} // namespace deltacast::topics
