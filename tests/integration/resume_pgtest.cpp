// Resume by Last-Event-ID: a client cut mid-stream gets exactly the frames it missed, in order,
// with no duplicates; when deltacast cannot prove that, it says `resync` instead.

#include "server_fixture.hpp"

namespace deltacast::testing {
namespace {

class ResumeTest : public ServerFixture {
protected:
    /// Ids of the rows of every entity-upsert among `events`, in arrival order.
    static std::vector<std::string> row_ids(const std::vector<SseEvent>& events) {
        std::vector<std::string> ids;
        for (const auto& ev : events) {
            if (ev.event != "entity-upsert") {
                continue;
            }
            const auto data = nlohmann::json::parse(ev.data);  // named: a temporary would dangle
            for (const auto& row : data.at("rows")) {
                ids.push_back(std::to_string(row.at("id").get<long long>()));
            }
        }
        return ids;
    }
};

// Invariant: reconnecting with the last id replays exactly the rows written during the gap, in
// order, none seen before, no resync; live rows follow.
TEST_F(ResumeTest, ReconnectReplaysExactlyTheMissedRows) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::string topic = "chat:" + std::to_string(chat);
    auto keeper = open_stream(topic);  // keeps the topic LISTENed through the gap
    auto client = open_stream(topic);
    const auto seen = write_message(chat, "seen");
    ASSERT_TRUE(wait_for_row(*client, seen));
    const auto last_id = client->last_event_id();
    ASSERT_FALSE(last_id.empty());
    client->close();

    std::vector<std::string> missed;
    for (int i = 0; i < 3; ++i) {
        missed.push_back(write_message(chat, "missed " + std::to_string(i)));
        ASSERT_TRUE(wait_for_row(*keeper, missed.back()));  // one window each
    }
    auto resumed = open_stream(topic + "&lastEventId=" + last_id);
    const auto live = write_message(chat, "live");
    ASSERT_TRUE(wait_for_row(*resumed, live));  // consumes everything up to the live row
    // wait_for_row popped the events; re-read them from a second resume to check the order.
    auto again = open_stream(topic + "&lastEventId=" + last_id);
    std::vector<SseEvent> events;
    while (auto ev = again->next_event(1s)) {
        events.push_back(*ev);
        if (row_ids(events).size() == missed.size() + 1) {
            break;
        }
    }
    missed.push_back(live);
    EXPECT_EQ(row_ids(events), missed);
    for (const auto& ev : events) {
        EXPECT_NE(ev.event, "resync") << ev.data;
        EXPECT_EQ(ev.data.find("\"snapshot\""), std::string::npos);
    }
    EXPECT_GE(metric("deltacast_replayed_frames_total"), 4);
}

// Invariant: a client ALONE on its topic that reconnects within the linger is replayed exactly
// the rows written during its gap: the lingering topic kept building frames with nobody
// subscribed (before, the gap's signals were consumed and the resumed stream got silence).
TEST_F(ResumeTest, SoleViewerGetsTheGapReplayed) {
    auto config = make_test_config();
    config.postgres.unlisten_linger_ms = 2000;  // the default: slow sanitizer runs stay inside
    start(std::move(config));
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::string topic = "chat:" + std::to_string(chat);
    auto client = open_stream(topic);
    const auto seen = write_message(chat, "seen");
    ASSERT_TRUE(wait_for_row(*client, seen));
    const auto last_id = client->last_event_id();
    client->close();  // the only viewer is gone: the topic lingers

    std::vector<std::string> missed;
    for (int i = 0; i < 3; ++i) {
        missed.push_back(write_message(chat, "missed " + std::to_string(i)));
    }
    // The gap's windows ran with nobody subscribed (a frame each, into the replay ring).
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    while (metric("deltacast_windows_unwatched_total") < 1 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_GE(metric("deltacast_windows_unwatched_total"), 1);
    auto resumed = open_stream(topic + "&lastEventId=" + last_id);
    std::vector<SseEvent> events;
    while (row_ids(events).size() < missed.size()) {
        auto ev = resumed->next_event(3s);
        ASSERT_TRUE(ev) << "silence after ready: got " << row_ids(events).size() << " of "
                        << missed.size() << " missed rows";
        ASSERT_NE(ev->event, "resync") << "within the linger the gap must be replayed: "
                                       << ev->data;
        events.push_back(*ev);
    }
    EXPECT_EQ(row_ids(events), missed);
    EXPECT_EQ(metric("deltacast_listen_commands_total"), 1) << "the topic was never UNLISTENed";
}

// Invariant: a poke topic kept across a topic switch (the web client reopens with a new chat,
// keeping org:…) replays the poke sent while the client was away; the newly added chat, which
// the client never held, gets resync (it must load it), and nothing is silent.
TEST_F(ResumeTest, SoleViewerPokeReplayedAcrossTopicSwitch) {
    auto config = make_test_config();
    config.postgres.unlisten_linger_ms = 2000;
    start(std::move(config));
    const auto chat_a = fresh_chat_id();
    const auto chat_b = fresh_chat_id();
    create_chat(chat_a);
    create_chat(chat_b);
    auto poke = [this] { pg_.query("SELECT deltacast_poke('org:1')"); };
    auto is_poke = [](const SseEvent& ev) { return ev.event == "poke"; };
    auto client = open_stream("org:1,chat:" + std::to_string(chat_a));
    poke();
    ASSERT_TRUE(client->wait_for(is_poke, 5s));
    const auto last_id = client->last_event_id();
    ASSERT_FALSE(last_id.empty());
    client->close();  // org:1 now lingers with no subscriber
    poke();           // the poke of the gap
    std::this_thread::sleep_for(100ms);

    auto switched = open_stream("org:1,chat:" + std::to_string(chat_b) + "&lastEventId=" + last_id);
    bool got_poke = false;
    std::vector<std::string> resynced;
    while (auto ev = switched->next_event(1s)) {
        if (ev->event == "poke") {
            EXPECT_EQ(nlohmann::json::parse(ev->data).at("topic"), "org:1");
            EXPECT_FALSE(ev->id.empty());
            got_poke = true;
        } else if (ev->event == "resync") {
            const auto data = nlohmann::json::parse(ev->data);  // named: a temporary would dangle
            for (const auto& t : data.at("topics")) {
                resynced.push_back(t.get<std::string>());
            }
        }
        if (got_poke && !resynced.empty()) {
            break;
        }
    }
    EXPECT_TRUE(got_poke) << "the gap's poke was neither replayed nor resynced";
    EXPECT_EQ(resynced, std::vector<std::string>{"chat:" + std::to_string(chat_b)});
}

// Invariant: an id from another process start (unknown epoch) gets resync for every topic.
TEST_F(ResumeTest, UnknownEpochResyncsEverything) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto client = open_stream("org:1,chat:" + std::to_string(chat) + "&lastEventId=zzzz-5");
    const auto ev = client->next_event(5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->event, "resync");
    const auto data = nlohmann::json::parse(ev->data);
    EXPECT_EQ(data.at("reason"), "unknown-epoch");
    EXPECT_EQ(data.at("topics").size(), 2U);
}

// Invariant: when the topic was UNLISTENed during the gap (nobody watched it past the linger),
// signals may have been missed: resync, not a silent partial replay.
TEST_F(ResumeTest, GapLongerThanTheLingerResyncs) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::string topic = "chat:" + std::to_string(chat);
    auto client = open_stream(topic);
    const auto seen = write_message(chat, "seen");
    ASSERT_TRUE(wait_for_row(*client, seen));
    const auto last_id = client->last_event_id();
    client->close();
    std::this_thread::sleep_for(800ms);  // past the 300 ms linger: UNLISTEN
    write_message(chat, "lost to the listener");
    auto resumed = open_stream(topic + "&lastEventId=" + last_id);
    const auto ev = resumed->next_event(5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->event, "resync");
    EXPECT_EQ(nlohmann::json::parse(ev->data).at("reason"), "replay-unavailable");
}

}  // namespace
}  // namespace deltacast::testing
