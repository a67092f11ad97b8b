#include "delta/delta_engine.hpp"

#include "unit/fakes/delta_fakes.hpp"
#include "unit/fakes/sse_events.hpp"
#include "unit/fakes/test_config.hpp"
#include "util/metrics.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace deltacast::delta {
namespace {

using nlohmann::json;
using unit_test::parse_sse;
using unit_test::SseEvent;
using Ids = std::vector<std::string>;

constexpr const char* kUuidA = "123e4567-e89b-12d3-a456-426614174000";
constexpr const char* kUuidB = "123e4567-e89b-12d3-a456-426614174001";

// The events of a frame; every frame must be whole events (ending in a blank line).
std::vector<SseEvent> events_of(const wire::FramePtr& frame) {
    EXPECT_NE(frame, nullptr);
    if (!frame) {
        return {};
    }
    EXPECT_TRUE(frame->bytes.size() >= 2 &&
                frame->bytes.compare(frame->bytes.size() - 2, 2, "\n\n") == 0)
        << frame->bytes;
    auto events = parse_sse(frame->bytes);
    for (const auto& event : events) {
        EXPECT_EQ(event.data_lines, 1) << "data must be one line: " << frame->bytes;
        EXPECT_TRUE(json::accept(event.data)) << event.data;
    }
    return events;
}

// The sequence number of an event id `<epoch>-<seq>` of epoch "ab12cd34"; -1 if malformed.
long long seq_of(const std::optional<std::string>& id) {
    const std::string prefix = "ab12cd34-";
    if (!id || id->compare(0, prefix.size(), prefix) != 0 || id->size() == prefix.size()) {
        return -1;
    }
    const std::string digits = id->substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos) {
        return -1;
    }
    return std::stoll(digits);
}

class DeltaEngineTest : public ::testing::Test {
protected:
    static topics::WindowBatch batch(const std::string& key, topics::EntityIds ids) {
        return topics::WindowBatch{unit_test::topic(key), std::move(ids)};
    }

    static Row row(const std::string& id, const std::string& json_text) {
        return Row{id, json_text};
    }

    const EntityConfig& entity(const std::string& kind, std::size_t e) {
        return unit_test::test_config().find_kind(kind)->entities.at(e);
    }

    unit_test::FakeRowFetcher fetcher_;
    unit_test::RecordingPublisher publisher_;
    unit_test::RecordingCoverage coverage_;
    wire::EventIds ids_{"ab12cd34"};
    Metrics metrics_;
    DeltaEngine engine_{fetcher_, publisher_, coverage_, ids_, metrics_};
};

// One query per entity that has ids, with that entity's ids and the topic id, and no frame
// until every one of them answered.
TEST_F(DeltaEngineTest, OneFetchPerEntityPerWindow) {
    engine_.on_window(batch("chat:42", {{"101", "102"}, {kUuidA}}));
    ASSERT_EQ(fetcher_.calls.size(), 2u);
    EXPECT_EQ(fetcher_.calls[0].entity, &entity("chat", 0));
    EXPECT_EQ(fetcher_.calls[0].topic_id, "42");
    EXPECT_EQ(fetcher_.calls[0].ids, (Ids{"101", "102"}));
    EXPECT_FALSE(fetcher_.calls[0].snapshot);
    EXPECT_EQ(fetcher_.calls[1].entity, &entity("chat", 1));
    EXPECT_EQ(fetcher_.calls[1].ids, Ids{kUuidA});
    fetcher_.complete(0, {});
    EXPECT_TRUE(publisher_.frames.empty());
    fetcher_.complete(1, {});
    EXPECT_EQ(publisher_.frames.size(), 1u);
}

// An entity without ids in the window is not queried.
TEST_F(DeltaEngineTest, EntityWithoutIdsIsNotQueried) {
    engine_.on_window(batch("chat:42", {{"101"}, {}}));
    ASSERT_EQ(fetcher_.calls.size(), 1u);
    EXPECT_EQ(fetcher_.calls[0].entity, &entity("chat", 0));
}

// The frame splices rows verbatim into entity-upsert and lists ids the query did not find in
// entity-delete: bigint ids as JSON numbers, uuid/text ids as strings.
TEST_F(DeltaEngineTest, FrameHoldsUpsertAndDelete) {
    const std::string row101 = R"({"id": 101, "body": "Hel\"lo", "n": 1.50})";
    engine_.on_window(batch("chat:42", {{"101", "102"}, {kUuidA}}));
    fetcher_.complete(0, {row("101", row101)});
    fetcher_.complete(1, {});
    ASSERT_EQ(publisher_.frames.size(), 1u);
    const wire::FramePtr frame = publisher_.frames[0];
    EXPECT_EQ(frame->topic, "chat:42");
    EXPECT_NE(frame->bytes.find(row101), std::string::npos) << "row not spliced verbatim";
    const auto events = events_of(frame);
    ASSERT_EQ(events.size(), 3u) << frame->bytes;

    EXPECT_EQ(events[0].event, "entity-upsert");
    const json upsert = events[0].json();
    EXPECT_EQ(upsert["topic"], "chat:42");
    EXPECT_EQ(upsert["entity"], "ChatMessageContent");
    EXPECT_FALSE(upsert.contains("snapshot"));
    ASSERT_EQ(upsert["rows"].size(), 1u);
    EXPECT_EQ(upsert["rows"][0], json::parse(row101));

    EXPECT_EQ(events[1].event, "entity-delete");
    const json deleted = events[1].json();
    EXPECT_EQ(deleted["entity"], "ChatMessageContent");
    ASSERT_EQ(deleted["ids"].size(), 1u);
    EXPECT_TRUE(deleted["ids"][0].is_number_integer());
    EXPECT_EQ(deleted["ids"][0], 102);

    EXPECT_EQ(events[2].event, "entity-delete");
    const json reactions = events[2].json();
    EXPECT_EQ(reactions["entity"], "ChatReaction");
    EXPECT_EQ(reactions["ids"], json::array({kUuidA}));
    for (const auto& event : events) {
        EXPECT_GT(seq_of(event.id), 0) << event.id.value_or("(no id)");
    }
}

// Text ids that vanished are deleted as JSON strings; a window whose rows all exist has no
// entity-delete.
TEST_F(DeltaEngineTest, TextIdsDeletedAsStringsAndNoEmptyDelete) {
    engine_.on_window(batch("user:ann", {{"ann", "bob"}}));
    fetcher_.complete(0, {row("ann", R"({"id":"ann"})")});
    engine_.on_window(batch("user:ann", {{"ann"}}));
    fetcher_.complete(1, {row("ann", R"({"id":"ann"})")});
    ASSERT_EQ(publisher_.frames.size(), 2u);
    const auto first = events_of(publisher_.frames[0]);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[1].event, "entity-delete");
    EXPECT_EQ(first[1].json()["ids"], json::array({"bob"}));
    const auto second = events_of(publisher_.frames[1]);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].event, "entity-upsert");
}

// Event ids are `<epoch>-<seq>` with seq strictly increasing across events and frames.
TEST_F(DeltaEngineTest, EventIdsStrictlyIncrease) {
    engine_.on_window(batch("chat:1", {{"1", "2"}, {kUuidA}}));
    engine_.on_window(batch("chat:2", {{"3"}, {}}));
    engine_.on_window(batch("org:7", {}));
    fetcher_.complete(0, {row("1", R"({"id":1})")});
    fetcher_.complete(1, {});
    fetcher_.complete(2, {row("3", R"({"id":3})")});
    long long last = 0;
    std::size_t seen = 0;
    for (const auto& frame : publisher_.frames) {
        for (const auto& event : events_of(frame)) {
            const long long seq = seq_of(event.id);
            EXPECT_GT(seq, last) << event.id.value_or("(no id)");
            last = seq;
            ++seen;
        }
    }
    EXPECT_EQ(seen, 5u);  // upsert + 2 deletes, poke, upsert
}

// While a topic's query runs, later windows merge into ONE pending fetch (ids unioned) that
// starts only after the first completes, and the frames come out in window order.
TEST_F(DeltaEngineTest, WindowsDuringFlightMergeIntoOneNextFetch) {
    engine_.on_window(batch("chat:42", {{"1", "2"}, {}}));
    engine_.on_window(batch("chat:42", {{"3"}, {kUuidB}}));
    engine_.on_window(batch("chat:42", {{"2", "4"}, {kUuidA}}));
    ASSERT_EQ(fetcher_.calls.size(), 1u);
    engine_.on_window(batch("chat:7", {{"9"}, {}}));  // another topic is not held back
    ASSERT_EQ(fetcher_.calls.size(), 2u);
    EXPECT_EQ(fetcher_.calls[1].topic_id, "7");

    fetcher_.complete(0, {row("1", R"({"id":1})"), row("2", R"({"id":2})")});
    ASSERT_EQ(publisher_.frames.size(), 1u);
    ASSERT_EQ(fetcher_.calls.size(), 4u);  // the merged batch: one query per entity
    EXPECT_EQ(fetcher_.calls[2].topic_id, "42");
    EXPECT_EQ(fetcher_.calls[2].ids, (Ids{"2", "3", "4"}));
    EXPECT_EQ(fetcher_.calls[3].ids, (Ids{kUuidA, kUuidB}));

    fetcher_.complete(2, {row("3", R"({"id":3})")});
    fetcher_.complete(3, {});
    ASSERT_EQ(publisher_.frames.size(), 2u);
    EXPECT_EQ(fetcher_.calls.size(), 4u);  // nothing else pending
    const auto first = events_of(publisher_.frames[0]);
    const auto second = events_of(publisher_.frames[1]);
    ASSERT_FALSE(first.empty());
    ASSERT_FALSE(second.empty());
    EXPECT_EQ(first[0].json()["rows"], json::parse(R"([{"id":1},{"id":2}])"));
    EXPECT_EQ(second[0].json()["rows"], json::parse(R"([{"id":3}])"));
    EXPECT_LT(seq_of(first.back().id), seq_of(second.front().id));
}

// After the merged batch completes, the topic is idle again: the next window fetches at once.
TEST_F(DeltaEngineTest, TopicIdleAfterFlightDrains) {
    engine_.on_window(batch("chat:42", {{"1"}, {}}));
    engine_.on_window(batch("chat:42", {{"2"}, {}}));
    fetcher_.complete(0, {});
    fetcher_.complete(1, {});
    EXPECT_EQ(fetcher_.pending(), 0u);
    engine_.on_window(batch("chat:42", {{"3"}, {}}));
    ASSERT_EQ(fetcher_.calls.size(), 3u);
    EXPECT_EQ(fetcher_.calls[2].ids, Ids{"3"});
}

// A failed query becomes a resync ("query-failed") for the topic and no upsert at all, and
// the windows merged meanwhile still run.
TEST_F(DeltaEngineTest, FailedFetchResyncs) {
    engine_.on_window(batch("chat:42", {{"1"}, {kUuidA}}));
    engine_.on_window(batch("chat:42", {{"5"}, {}}));
    fetcher_.complete(0, {row("1", R"({"id":1})")});
    fetcher_.fail(1);
    ASSERT_EQ(publisher_.frames.size(), 1u);
    EXPECT_EQ(publisher_.frames[0]->topic, "chat:42");
    const auto events = events_of(publisher_.frames[0]);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].event, "resync");
    EXPECT_FALSE(events[0].id.has_value());
    EXPECT_EQ(events[0].json(), json::parse(R"({"topics":["chat:42"],"reason":"query-failed"})"));
    EXPECT_EQ(publisher_.frames[0]->bytes.find("entity-upsert"), std::string::npos);
    EXPECT_EQ(metrics_.resyncs.load(), 1u);
    ASSERT_EQ(fetcher_.calls.size(), 3u);
    EXPECT_EQ(fetcher_.calls[2].ids, Ids{"5"});
}

// A poke window becomes one `poke` frame with an event id, without any query.
TEST_F(DeltaEngineTest, PokeWindowMakesPokeFrame) {
    engine_.on_window(batch("org:7", {}));
    EXPECT_TRUE(fetcher_.calls.empty());
    ASSERT_EQ(publisher_.frames.size(), 1u);
    EXPECT_EQ(publisher_.frames[0]->topic, "org:7");
    const auto events = events_of(publisher_.frames[0]);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].event, "poke");
    EXPECT_EQ(events[0].id, "ab12cd34-1");
    EXPECT_EQ(events[0].json(), json::parse(R"({"topic":"org:7"})"));
}

// on_resync publishes a resync frame for the topic with the given reason.
TEST_F(DeltaEngineTest, ResyncFrame) {
    engine_.on_resync(unit_test::topic("chat:1"), "listener-reconnected");
    ASSERT_EQ(publisher_.frames.size(), 1u);
    EXPECT_EQ(publisher_.frames[0]->bytes,
              "event: resync\ndata: {\"topics\":[\"chat:1\"],\"reason\":\"listener-reconnected\"}"
              "\n\n");
}

// A snapshot runs only the entities' snapshot queries and yields an upsert marked
// "snapshot":true with no event id (it is not part of the replayable stream).
TEST_F(DeltaEngineTest, SnapshotFrame) {
    wire::FramePtr got;
    int calls = 0;
    engine_.snapshot(unit_test::topic("chat:42"), [&](wire::FramePtr f) {
        got = std::move(f);
        ++calls;
    });
    ASSERT_EQ(fetcher_.calls.size(), 1u);  // ChatReaction has no snapshot query
    EXPECT_TRUE(fetcher_.calls[0].snapshot);
    EXPECT_EQ(fetcher_.calls[0].entity, &entity("chat", 0));
    EXPECT_EQ(fetcher_.calls[0].topic_id, "42");
    EXPECT_EQ(calls, 0);
    fetcher_.complete(0, {row("1", R"({"id":1})"), row("2", R"({"id":2})")});
    ASSERT_EQ(calls, 1);
    const auto events = events_of(got);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].event, "entity-upsert");
    EXPECT_FALSE(events[0].id.has_value());
    EXPECT_EQ(got->bytes.find("id:"), std::string::npos);
    const json data = events[0].json();
    EXPECT_EQ(data["snapshot"], true);
    EXPECT_EQ(data["topic"], "chat:42");
    EXPECT_EQ(data["rows"], json::parse(R"([{"id":1},{"id":2}])"));
    EXPECT_TRUE(publisher_.frames.empty());  // for one connection, not published
    EXPECT_EQ(ids_.next(), "ab12cd34-1");    // consumed no event id
}

// A failed snapshot query yields a resync("snapshot-failed") frame for that connection.
TEST_F(DeltaEngineTest, SnapshotFailureResyncs) {
    wire::FramePtr got;
    engine_.snapshot(unit_test::topic("chat:42"), [&](wire::FramePtr f) { got = std::move(f); });
    fetcher_.fail(0);
    const auto events = events_of(got);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].event, "resync");
    EXPECT_EQ(events[0].json(),
              json::parse(R"({"topics":["chat:42"],"reason":"snapshot-failed"})"));
    EXPECT_TRUE(publisher_.frames.empty());
}

// Kinds without a snapshot query answer done(nullptr) at once, without a query.
TEST_F(DeltaEngineTest, NoSnapshotQueryGivesNull) {
    int calls = 0;
    wire::FramePtr got = std::make_shared<wire::Frame>();
    engine_.snapshot(unit_test::topic("user:ann"), [&](wire::FramePtr f) {
        got = std::move(f);
        ++calls;
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(got, nullptr);
    EXPECT_TRUE(fetcher_.calls.empty());
}

// A topic's LISTEN and UNLISTEN reach the coverage seam (the replay ring), in order, and
// publish nothing.
TEST_F(DeltaEngineTest, ListenAndUnlistenGoToTheCoverage) {
    engine_.on_listening(unit_test::topic("chat:1"));
    engine_.on_unlistened(unit_test::topic("chat:1"));
    EXPECT_EQ(coverage_.listening, Ids{"chat:1"});
    EXPECT_EQ(coverage_.dropped, Ids{"chat:1"});
    EXPECT_TRUE(publisher_.frames.empty());
}

}  // namespace
}  // namespace deltacast::delta
