// Fan-out cost and the LISTEN set: N viewers share one query per window, and the listener
// LISTENs exactly the channels somebody watches.

#include "server_fixture.hpp"

#include <algorithm>

namespace deltacast::testing {
namespace {

class FanoutTest : public ServerFixture {};

// Invariant: 50 viewers of one topic cause exactly one query per window, and all 50 get the row.
TEST_F(FanoutTest, FiftyViewersOneQueryPerWindow) {
    start(make_test_config("max_connections = 100\n"));
    const auto chat = fresh_chat_id();
    create_chat(chat);
    std::vector<std::unique_ptr<SseClient>> viewers;
    for (int i = 0; i < 50; ++i) {
        viewers.push_back(open_stream("chat:" + std::to_string(chat)));
    }
    const auto queries_before = metric("deltacast_queries_total");
    const auto windows_before = metric("deltacast_windows_total");
    const auto id = write_message(chat, "for everyone");
    for (auto& viewer : viewers) {
        ASSERT_TRUE(wait_for_row(*viewer, id)) << "a viewer missed the row";
    }
    EXPECT_EQ(metric("deltacast_windows_total") - windows_before, 1);
    EXPECT_EQ(metric("deltacast_queries_total") - queries_before, 1);
    EXPECT_EQ(metric("deltacast_frames_total"), 1);
}

// Invariant: a burst of signals within one window is coalesced into one query with the union
// of the ids, and every row arrives.
TEST_F(FanoutTest, BurstWithinAWindowIsOneQuery) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto viewer = open_stream("chat:" + std::to_string(chat));
    const auto queries_before = metric("deltacast_queries_total");
    // One transaction, five separate signals: NOTIFY delivers them together at commit.
    pg_.exec("BEGIN");
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(pg_.scalar("INSERT INTO chat_message_content (chat_id, seq, role, body) "
                                 "VALUES ($1, $2, 'agent', 'x') RETURNING id",
                                 {std::to_string(chat), std::to_string(i)}));
        pg_.query("SELECT deltacast_signal($1, 'contentIds', ARRAY[$2]::bigint[])",
                  {"chat:" + std::to_string(chat), ids.back()});
    }
    pg_.exec("COMMIT");
    const auto ev =
        viewer->wait_for([](const SseEvent& e) { return e.event == "entity-upsert"; }, 5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(nlohmann::json::parse(ev->data).at("rows").size(), 5U);
    EXPECT_EQ(metric("deltacast_queries_total") - queries_before, 1);
}

// Invariant: LISTEN is issued for the first subscriber and UNLISTEN after the last one left
// (plus the linger), as pg_listening_channels() on the listener's own session shows.
TEST_F(FanoutTest, ListenOnFirstSubscriberUnlistenAfterLast) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::string channel = "signal:chat:" + std::to_string(chat);
    auto contains = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    EXPECT_FALSE(contains(listening(), channel));
    auto first = open_stream("chat:" + std::to_string(chat));
    EXPECT_TRUE(contains(listening(), channel));
    auto second = open_stream("chat:" + std::to_string(chat));
    first->close();
    std::this_thread::sleep_for(600ms);  // past the 300 ms linger
    EXPECT_TRUE(contains(listening(), channel)) << "UNLISTEN while a subscriber remained";
    second->close();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (contains(listening(), channel) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_FALSE(contains(listening(), channel)) << "no UNLISTEN after the last subscriber";
    EXPECT_EQ(metric("deltacast_topics"), 0);
}

}  // namespace
}  // namespace deltacast::testing
