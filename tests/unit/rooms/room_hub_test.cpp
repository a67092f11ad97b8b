// RoomHub on a manual clock with a fake store: who holds what, when leaves are announced (only
// after the grace), what clients are sent (state, diffs per window, count), and how room
// messages from other replicas and broadcasts are turned into events.

#include "rooms/room_hub.hpp"

#include "unit/fakes/delta_fakes.hpp"
#include "unit/fakes/sse_events.hpp"
#include "unit/fakes/sse_fakes.hpp"
#include "unit/fakes/test_config.hpp"
#include "unit/fakes/topic_fakes.hpp"
#include "util/metrics.hpp"
#include "wire/room_message.hpp"

#include <gtest/gtest.h>

namespace deltacast::rooms {
namespace {

using std::chrono::milliseconds;
using Subs = std::vector<std::string>;

/// PresenceStore that records announces and holds loads until answered.
class FakeStore final : public PresenceStore {
public:
    struct Announce {
        std::string topic;
        Subs joins;
        Subs leaves;
    };
    void announce(const std::string& topic, const std::string&,
                  const std::vector<wire::PresenceMember>& joins,
                  const std::vector<std::string>& leaves) override {
        Announce a{topic, {}, leaves};
        for (const auto& m : joins) {
            a.joins.push_back(m.sub);
        }
        announces.push_back(a);
    }
    void load(const std::string&, std::function<void(std::optional<Rows>)> done) override {
        loads.push_back(std::move(done));
    }
    void refresh(std::function<void(bool)> done) override {
        ++refreshes;
        done(false);
    }
    std::vector<Announce> announces;
    std::vector<std::function<void(std::optional<Rows>)>> loads;
    int refreshes = 0;
};

class RoomHubTest : public ::testing::Test {
protected:
    sse::OpenRequest request(const std::string& sub, const std::string& topic = "lobby:1") {
        return sse::OpenRequest{{unit_test::topic(topic)},
                                {sub, {{"sub", sub}, {"name", "N" + sub}}},
                                ""};
    }
    /// The presence events published to everyone, parsed.
    std::vector<nlohmann::json> published() {
        std::vector<nlohmann::json> out;
        for (const auto& frame : publisher_.frames) {
            for (const auto& ev : unit_test::parse_sse(frame->bytes)) {
                out.push_back(nlohmann::json::parse(ev.data));
            }
        }
        return out;
    }
    static Subs subs(const nlohmann::json& list) {
        Subs out;
        for (const auto& m : list) {
            out.push_back(m.at("sub").get<std::string>());
        }
        return out;
    }
    void listen_and_load(const std::string& topic, PresenceStore::Rows rows = {}) {
        hub_.on_listening(unit_test::topic(topic));
        ASSERT_FALSE(store_.loads.empty());
        auto load = std::move(store_.loads.back());
        store_.loads.pop_back();
        load(std::move(rows));
    }

    unit_test::ManualScheduler scheduler_;
    FakeStore store_;
    unit_test::RecordingPublisher publisher_;
    Metrics metrics_;
    RoomHub hub_{unit_test::test_config(), store_, publisher_, scheduler_, metrics_, "me"};
};

// Invariant: the first stream of a subject announces it; more streams of it announce nothing;
// the leave comes only once the last stream has been closed for the grace.
TEST_F(RoomHubTest, LeaveOnlyAfterTheGrace) {
    auto sub = std::make_shared<unit_test::RecordingSubscriber>();
    const auto a = request("u1");
    hub_.stream_opened(a, sub);
    hub_.stream_opened(a, sub);
    ASSERT_EQ(store_.announces.size(), 1U);
    EXPECT_EQ(store_.announces[0].joins, Subs{"u1"});
    hub_.stream_closed(a);
    hub_.stream_closed(a);
    scheduler_.advance(milliseconds(999));
    EXPECT_EQ(store_.announces.size(), 1U) << "left before the grace";
    scheduler_.advance(milliseconds(1));
    ASSERT_EQ(store_.announces.size(), 2U);
    EXPECT_EQ(store_.announces[1].leaves, Subs{"u1"});
    EXPECT_EQ(hub_.local_members("lobby:1"), 0U);
}

// Invariant: coming back within the grace cancels the leave and announces no second join.
TEST_F(RoomHubTest, BackWithinTheGraceIsNoChange) {
    auto sub = std::make_shared<unit_test::RecordingSubscriber>();
    hub_.stream_opened(request("u1"), sub);
    hub_.stream_closed(request("u1"));
    scheduler_.advance(milliseconds(800));
    hub_.stream_opened(request("u1"), sub);
    scheduler_.advance(milliseconds(5000));
    EXPECT_EQ(store_.announces.size(), 1U);
    EXPECT_EQ(hub_.local_members("lobby:1"), 1U);
}

// Invariant: a loaded room sends its full state (other replicas' members and ours, meta from
// the claims) to everyone, then each new stream gets the state right away.
TEST_F(RoomHubTest, StateOnLoadAndForNewStreams) {
    auto first = std::make_shared<unit_test::RecordingSubscriber>();
    hub_.on_listening(unit_test::topic("lobby:1"));
    hub_.stream_opened(request("u1"), first);
    EXPECT_TRUE(first->frames.empty()) << "no state before the room is loaded";
    store_.loads.back()(PresenceStore::Rows{{"r2", {"u2", {{"name", "Two"}}}}});
    const auto events = published();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(subs(events[0].at("state")), (Subs{"u1", "u2"}));
    EXPECT_EQ(events[0].at("state")[0].at("meta"), (nlohmann::json{{"name", "Nu1"}}));

    auto second = std::make_shared<unit_test::RecordingSubscriber>();
    hub_.stream_opened(request("u3"), second);
    ASSERT_EQ(second->frames.size(), 1U);
    const auto state = unit_test::parse_sse(second->frames[0]->bytes);
    EXPECT_EQ(subs(nlohmann::json::parse(state[0].data).at("state")), (Subs{"u1", "u2", "u3"}));
}

// Invariant: changes within one window go out as ONE diff; changes that cancel out send none.
TEST_F(RoomHubTest, DiffsCoalescedPerWindow) {
    listen_and_load("lobby:1");
    publisher_.frames.clear();
    const auto topic = unit_test::topic("lobby:1");
    hub_.on_room_message(topic, wire::presence_messages("r2", {{"u2", {}}, {"u3", {}}}, {})[0]);
    hub_.on_room_message(topic, wire::presence_messages("r2", {}, {"u3"})[0]);
    scheduler_.advance(milliseconds(16));
    auto events = published();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(subs(events[0].at("joins")), Subs{"u2"});
    EXPECT_FALSE(events[0].contains("leaves"));
    publisher_.frames.clear();
    hub_.on_room_message(topic, wire::presence_messages("r3", {{"u4", {}}}, {})[0]);
    hub_.on_room_message(topic, wire::presence_messages("r3", {}, {"u4"})[0]);
    scheduler_.advance(milliseconds(16));
    EXPECT_TRUE(publisher_.frames.empty()) << "a join and leave within a window is no change";
    hub_.on_room_message(topic, wire::presence_messages("r2", {}, {"u2"})[0]);
    scheduler_.advance(milliseconds(16));
    events = published();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(subs(events[0].at("leaves")), Subs{"u2"});
}

// Invariant: our own announcements' echo is ignored (applied first-hand already).
TEST_F(RoomHubTest, OwnEchoIgnored) {
    listen_and_load("lobby:1");
    const auto topic = unit_test::topic("lobby:1");
    hub_.on_room_message(topic, wire::presence_messages("me", {{"ghost", {}}}, {})[0]);
    scheduler_.advance(milliseconds(16));
    EXPECT_EQ(hub_.room_size("lobby:1"), 0U);
}

// Invariant: above presence_max_members clients get the count only; back under it, the state.
TEST_F(RoomHubTest, CountModeAboveTheLimit) {
    listen_and_load("lobby:1");
    publisher_.frames.clear();
    const auto topic = unit_test::topic("lobby:1");
    hub_.on_room_message(
        topic, wire::presence_messages("r2", {{"a", {}}, {"b", {}}, {"c", {}}, {"d", {}}}, {})[0]);
    scheduler_.advance(milliseconds(16));
    auto events = published();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].at("count"), 4);
    publisher_.frames.clear();
    hub_.on_room_message(topic, wire::presence_messages("r2", {}, {"d"})[0]);
    scheduler_.advance(milliseconds(16));
    events = published();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(subs(events[0].at("state")), (Subs{"a", "b", "c"}));
}

// Invariant: a broadcast message becomes one shared `broadcast` event without an id; a
// malformed room message is counted, never fatal.
TEST_F(RoomHubTest, BroadcastsAndMalformedMessages) {
    const auto topic = unit_test::topic("lobby:1");
    hub_.on_room_message(topic, wire::broadcast_message("typing", "u1", R"({"state":"start"})"));
    ASSERT_EQ(publisher_.frames.size(), 1U);
    EXPECT_EQ(publisher_.frames[0]->last_seq, 0U);
    const auto events = unit_test::parse_sse(publisher_.frames[0]->bytes);
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].event, "broadcast");
    EXPECT_FALSE(events[0].id.has_value());
    EXPECT_EQ(nlohmann::json::parse(events[0].data),
              (nlohmann::json{{"topic", "lobby:1"},
                              {"name", "typing"},
                              {"from", "u1"},
                              {"data", {{"state", "start"}}}}));
    hub_.on_room_message(topic, R"({"deltacast":"presence","replica":7})");
    hub_.on_room_message(topic, R"({"deltacast":)");
    EXPECT_EQ(metrics_.signals_malformed.load(), 2U);
}

// Invariant: a listener reconnect announces every holding again and reloads every room,
// whose full state then goes to everyone.
TEST_F(RoomHubTest, ReconnectReannouncesAndReloads) {
    listen_and_load("lobby:1");
    hub_.stream_opened(request("u1"), std::make_shared<unit_test::RecordingSubscriber>());
    store_.announces.clear();
    publisher_.frames.clear();
    hub_.on_resubscribed();
    ASSERT_EQ(store_.announces.size(), 1U);
    EXPECT_EQ(store_.announces[0].joins, Subs{"u1"});
    ASSERT_EQ(store_.loads.size(), 1U);
    store_.loads.back()(PresenceStore::Rows{});
    const auto events = published();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(subs(events[0].at("state")), Subs{"u1"});
}

// Invariant: the heartbeat/sweep runs every presence.refresh_s.
TEST_F(RoomHubTest, RefreshEveryPeriod) {
    hub_.start();
    EXPECT_EQ(store_.refreshes, 1);
    scheduler_.advance(std::chrono::seconds(unit_test::test_config().presence.refresh_s));
    EXPECT_EQ(store_.refreshes, 2);
}

}  // namespace
}  // namespace deltacast::rooms
