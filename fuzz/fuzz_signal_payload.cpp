// Fuzz target: what writers send through pg_notify, i.e. the notification channel name and the
// signal payload, as parsed for every entity-mode kind of the unit tests' config (bigint, uuid
// and text ids).
//
// Input: the channel (FuzzedDataProvider string: ends at a backslash followed by any byte but a
// backslash), then the rest is the payload.
//
// Invariants: a channel maps to a topic only when it is exactly that topic's channel; a parsed
// payload names one id list per entity, every id canonical for its type and free of separators,
// and re-encoding those ids reparses to the same ids (canonical form is a fixed point); a
// rejected payload always says why.

#include "fuzz_check.hpp"
#include "topics/signal_payload.hpp"
#include "topics/topic.hpp"
#include "unit/fakes/test_config.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

namespace {

using namespace deltacast;

void check_channel(const Config& config, const std::string& channel) {
    const auto topic = topics::topic_from_channel(config, channel);
    if (topic) {
        FUZZ_CHECK(topic->channel == channel);
        FUZZ_CHECK(config.postgres.channel_prefix + topic->key == channel);
        FUZZ_CHECK(topics::valid_id(topic->kind->id_type, topic->id));
    }
}

void check_ids(const EntityConfig& entity, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        FUZZ_CHECK(topics::valid_id(entity.id_type, id));
        FUZZ_CHECK(id.find_first_of(std::string_view(",\r\n\0\"", 5)) == std::string::npos);
        if (entity.id_type == IdType::Bigint) {
            FUZZ_CHECK(std::to_string(std::stoll(id)) == id);
        }
    }
}

// Canonical ids, written back as JSON strings, must parse to themselves.
void check_fixed_point(const TopicKindConfig& kind, const topics::EntityIds& ids) {
    nlohmann::json payload = nlohmann::json::object();
    for (std::size_t e = 0; e < kind.entities.size(); ++e) {
        payload[kind.entities[e].ids_key] = ids[e];
    }
    std::string error;
    const auto again = topics::parse_signal_payload(kind, payload.dump(), &error);
    FUZZ_CHECK(again && *again == ids);
}

void check_payload(const TopicKindConfig& kind, std::string_view payload) {
    std::string error;
    const auto ids = topics::parse_signal_payload(kind, payload, &error);
    if (!ids) {
        FUZZ_CHECK(!error.empty());
        return;
    }
    FUZZ_CHECK(ids->size() == kind.entities.size());
    for (std::size_t e = 0; e < kind.entities.size(); ++e) {
        check_ids(kind.entities[e], (*ids)[e]);
    }
    const auto json = nlohmann::json::parse(payload, nullptr, false);
    FUZZ_CHECK(json.is_object());
    check_fixed_point(kind, *ids);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const std::string channel = input.ConsumeRandomLengthString();
    const std::string payload = input.ConsumeRemainingBytesAsString();
    const Config& config = unit_test::test_config();
    check_channel(config, channel);
    for (const auto& [name, kind] : config.topics) {
        if (kind.mode == TopicMode::Entity) {
            check_payload(kind, payload);
        }
    }
    return 0;
}
