#include "wire/event_ids.hpp"
#include "wire/events.hpp"
#include "wire/frame.hpp"

#include "unit/fakes/sse_events.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace deltacast::wire {
namespace {

using nlohmann::json;

// A topic and an entity name with every character that could break JSON or the SSE line.
const std::string kNastyTopic = std::string("a\"b\\c\nid: 9\r\n\ndata: x\t") + '\0' + "\x01z";
const std::string kNastyEntity = "E\"n\nt\rity\\";

// Every event of `bytes` has one data line holding valid JSON.
std::vector<unit_test::SseEvent> events_one_line_json(const std::string& bytes) {
    auto events = unit_test::parse_sse(bytes);
    for (const auto& event : events) {
        EXPECT_EQ(event.data_lines, 1) << bytes;
        EXPECT_TRUE(json::accept(event.data)) << event.data;
    }
    return events;
}

// ready is exactly the SPEC's bytes: no id, the epoch and the topics.
TEST(Frame, ReadyExactBytes) {
    std::string out;
    append_ready(out, "b7f3", {"org:7", "chat:42"});
    EXPECT_EQ(out, "event: ready\ndata: {\"epoch\":\"b7f3\",\"topics\":[\"org:7\",\"chat:42\"]}\n\n");
}

// resync is exactly the SPEC's bytes: no id, the topics and the reason.
TEST(Frame, ResyncExactBytes) {
    std::string out;
    append_resync(out, {"chat:42"}, "listener-reconnected");
    EXPECT_EQ(out, "event: resync\ndata: {\"topics\":[\"chat:42\"],\"reason\":"
                   "\"listener-reconnected\"}\n\n");
    out.clear();
    append_resync(out, {}, "slow-consumer");
    EXPECT_EQ(out, "event: resync\ndata: {\"topics\":[],\"reason\":\"slow-consumer\"}\n\n");
}

// poke is exactly the SPEC's bytes, with its event id first.
TEST(Frame, PokeExactBytes) {
    std::string out;
    append_poke(out, "b7f3-1044", "org:7");
    EXPECT_EQ(out, "id: b7f3-1044\nevent: poke\ndata: {\"topic\":\"org:7\"}\n\n");
}

// upsert splices the rows verbatim and marks snapshots; without an id it has no id line.
TEST(Frame, UpsertExactBytes) {
    std::string out;
    append_upsert(out, "b7f3-1042", "chat:42", "ChatMessageContent",
                  {R"({"id": 101, "body": "Hel"})", R"({"id":102})"}, false);
    EXPECT_EQ(out, "id: b7f3-1042\nevent: entity-upsert\ndata: {\"topic\":\"chat:42\",\"entity\":"
                   "\"ChatMessageContent\",\"rows\":[{\"id\": 101, \"body\": \"Hel\"},"
                   "{\"id\":102}]}\n\n");
    out.clear();
    append_upsert(out, "", "chat:42", "M", {}, true);
    EXPECT_EQ(out, "event: entity-upsert\ndata: {\"topic\":\"chat:42\",\"entity\":\"M\","
                   "\"snapshot\":true,\"rows\":[]}\n\n");
}

// delete writes bigint ids as JSON numbers and other id types as strings.
TEST(Frame, DeleteIdTypes) {
    std::string out;
    append_delete(out, "e-1", "chat:42", "M", {"99", "-3"}, IdType::Bigint);
    EXPECT_EQ(out, "id: e-1\nevent: entity-delete\ndata: {\"topic\":\"chat:42\",\"entity\":\"M\","
                   "\"ids\":[99,-3]}\n\n");
    out.clear();
    append_delete(out, "e-2", "doc:x", "D", {"123e4567-e89b-12d3-a456-426614174000"},
                  IdType::Uuid);
    append_delete(out, "e-3", "user:x", "U", {"99"}, IdType::Text);
    const auto events = events_one_line_json(out);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].json()["ids"], json::array({"123e4567-e89b-12d3-a456-426614174000"}));
    EXPECT_EQ(events[1].json()["ids"], json::array({"99"}));
}

// Every builder's data is valid one-line JSON, even for names with quotes, backslashes,
// CR/LF, NUL and other control characters, and the names survive the round trip.
TEST(Frame, NamesAreEscapedAndDataStaysOneLine) {
    std::string out;
    append_upsert(out, "e-1", kNastyTopic, kNastyEntity, {R"({"id":1})"}, false);
    append_upsert(out, "", kNastyTopic, kNastyEntity, {}, true);
    append_delete(out, "e-2", kNastyTopic, kNastyEntity, {"a\"b"}, IdType::Text);
    append_delete(out, "e-3", kNastyTopic, kNastyEntity, {"5"}, IdType::Bigint);
    append_poke(out, "e-4", kNastyTopic);
    append_resync(out, {kNastyTopic, "chat:1"}, "why\n\"not\"");
    append_ready(out, "ep\"\n", {kNastyTopic});
    const auto events = events_one_line_json(out);
    ASSERT_EQ(events.size(), 7u) << out;
    const std::vector<std::string> names = {"entity-upsert", "entity-upsert", "entity-delete",
                                            "entity-delete", "poke",          "resync",
                                            "ready"};
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].event, names[i]);
        const json data = events[i].json();
        if (i < 5) {
            EXPECT_EQ(data["topic"], kNastyTopic) << i;
        }
        if (i < 4) {
            EXPECT_EQ(data["entity"], kNastyEntity) << i;
        }
    }
    EXPECT_EQ(events[2].json()["ids"], json::array({"a\"b"}));
    EXPECT_EQ(events[5].json()["topics"], json::array({kNastyTopic, "chat:1"}));
    EXPECT_EQ(events[5].json()["reason"], "why\n\"not\"");
    EXPECT_EQ(events[6].json()["epoch"], "ep\"\n");
    EXPECT_EQ(out.find('\0'), std::string::npos);
    EXPECT_EQ(out.find('\r'), std::string::npos);
}

// json_quote yields a JSON string literal that decodes back to its input.
TEST(Frame, JsonQuoteRoundTrips) {
    EXPECT_EQ(json_quote("abc"), "\"abc\"");
    EXPECT_EQ(json_quote("a\"b\\c\n"), R"("a\"b\\c\n")");
    EXPECT_EQ(json::parse(json_quote(kNastyTopic)).get<std::string>(), kNastyTopic);
}

// The epoch is 8 lower-case hex digits and fresh per call (per process start).
TEST(Frame, EpochIsEightHexAndFresh) {
    std::set<std::string> seen;
    for (int i = 0; i < 8; ++i) {
        const std::string epoch = make_epoch();
        EXPECT_EQ(epoch.size(), 8u) << epoch;
        EXPECT_EQ(epoch.find_first_not_of("0123456789abcdef"), std::string::npos) << epoch;
        seen.insert(epoch);
    }
    EXPECT_GT(seen.size(), 1u);  // 8 draws of 32 random bits all equal: odds 2^-224
}

// EventIds: `<epoch>-<seq>`, seq starting at 1 and increasing by one.
TEST(Frame, EventIdsSequence) {
    EventIds ids("0a1b2c3d");
    EXPECT_EQ(ids.epoch(), "0a1b2c3d");
    EXPECT_EQ(ids.next(), "0a1b2c3d-1");
    EXPECT_EQ(ids.next(), "0a1b2c3d-2");
    EXPECT_EQ(ids.next(), "0a1b2c3d-3");
}

}  // namespace
}  // namespace deltacast::wire
