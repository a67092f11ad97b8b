// Fuzz target: the body of POST /api/sse/broadcast (SPEC §8), and the room messages replicas
// exchange on a topic's channel (the same bytes a writer's pg_notify could put there).
//
// Input: the whole input is a body, and also a room-message payload.
//
// Invariants: parsing never throws; an accepted body names a kind with broadcast on, a name of
// [A-Za-z0-9_.:-]{1,64}, and data that is compact JSON within the kind's limit; a refusal is
// 400 or 413 with an "error"; the room message built from an accepted body parses back as the
// same broadcast; any payload marked as a room message parses without throwing, to a broadcast,
// a presence change or a reason it is malformed.

#include "fuzz_check.hpp"
#include "sse/broadcast_request.hpp"
#include "unit/fakes/test_config.hpp"
#include "wire/room_message.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace {

using namespace deltacast;

void check_body(const Config& config, std::string_view body) {
    auto parsed = sse::parse_broadcast_request(config, body);
    if (const auto* error = std::get_if<sse::HttpError>(&parsed)) {
        FUZZ_CHECK(error->status == 400 || error->status == 413);
        FUZZ_CHECK(error->body.contains("error"));
        return;
    }
    const auto& request = std::get<sse::BroadcastRequest>(parsed);
    FUZZ_CHECK(request.topic.kind->broadcast);
    FUZZ_CHECK(sse::valid_broadcast_name(request.name));
    FUZZ_CHECK(request.data.size() <=
               static_cast<std::size_t>(request.topic.kind->broadcast_max_bytes));
    const auto data = nlohmann::json::parse(request.data, nullptr, false);
    FUZZ_CHECK(!data.is_discarded());
    FUZZ_CHECK(data.dump() == request.data);
    const auto message = wire::broadcast_message(request.name, "u1", request.data);
    FUZZ_CHECK(wire::is_room_message(message));
    const auto back = wire::parse_room_message(message);
    const auto* broadcast = std::get_if<wire::BroadcastMessage>(&back);
    FUZZ_CHECK(broadcast != nullptr);
    FUZZ_CHECK(broadcast->name == request.name && broadcast->from == "u1");
    FUZZ_CHECK(broadcast->data == request.data);
}

void check_room_message(std::string_view payload) {
    if (!wire::is_room_message(payload)) {
        return;
    }
    const auto message = wire::parse_room_message(payload);
    if (const auto* presence = std::get_if<wire::PresenceMessage>(&message)) {
        // What this replica would send back for the same change parses to the same change.
        for (const auto& out :
             wire::presence_messages(presence->replica, presence->joins, presence->leaves, 400)) {
            FUZZ_CHECK(std::holds_alternative<wire::PresenceMessage>(wire::parse_room_message(out)));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_body(unit_test::test_config(), input);
    check_room_message(input);
    return 0;
}
