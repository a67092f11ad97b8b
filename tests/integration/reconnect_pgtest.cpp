// Listener failure: when Postgres kills the LISTEN session, deltacast reconnects, re-LISTENs,
// tells every client `resync` (signals sent meanwhile are gone), and delivers writes again.

#include "server_fixture.hpp"

namespace deltacast::testing {
namespace {

class ReconnectTest : public ServerFixture {};

// Invariant: pg_terminate_backend on the listener -> every client gets resync for its topics
// with reason listener-reconnected, and writes after the reconnect arrive again.
TEST_F(ReconnectTest, TerminatedListenerResyncsEveryClientAndRecovers) {
    start(make_test_config());
    const auto chat_a = fresh_chat_id();
    const auto chat_b = fresh_chat_id();
    create_chat(chat_a);
    create_chat(chat_b);
    auto a = open_stream("chat:" + std::to_string(chat_a));
    auto b = open_stream("org:1,chat:" + std::to_string(chat_b));
    const auto killed = pg_.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'deltacast/listen'");
    ASSERT_EQ(killed, "1");

    for (auto* client : {a.get(), b.get()}) {
        const auto ev =
            client->wait_for([](const SseEvent& e) { return e.event == "resync"; }, 10s);
        ASSERT_TRUE(ev) << "no resync after the listener was terminated";
        EXPECT_EQ(nlohmann::json::parse(ev->data).at("reason"), "listener-reconnected");
    }
    EXPECT_EQ(metric("deltacast_listener_reconnects_total"), 1);
    EXPECT_EQ(http_get(port(), "/readyz").status, 200);
    const auto id_a = write_message(chat_a, "after reconnect");
    const auto id_b = write_message(chat_b, "after reconnect");
    EXPECT_TRUE(wait_for_row(*a, id_a));
    EXPECT_TRUE(wait_for_row(*b, id_b));
}

// Invariant: a topic that was lingering (its sole viewer away) while the listener was down keeps
// no claim over the outage: the viewer resuming within the linger gets resync, not a partial
// replay that silently skips what was signalled while nothing listened.
TEST_F(ReconnectTest, LingeringTopicResyncsAfterListenerReconnect) {
    auto config = make_test_config();
    config.postgres.unlisten_linger_ms = 5000;
    start(std::move(config));
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::string topic = "chat:" + std::to_string(chat);
    auto client = open_stream(topic);
    const auto seen = write_message(chat, "seen");
    ASSERT_TRUE(wait_for_row(*client, seen));
    const auto last_id = client->last_event_id();
    client->close();
    ASSERT_EQ(pg_.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                         "WHERE application_name = 'deltacast/listen'"),
              "1");
    write_message(chat, "maybe lost while the listener is down");
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (metric("deltacast_listener_reconnects_total") < 1) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the listener never came back";
        std::this_thread::sleep_for(20ms);
    }
    auto resumed = open_stream(topic + "&lastEventId=" + last_id);
    const auto ev = resumed->next_event(5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->event, "resync") << ev->data;
    EXPECT_EQ(metric("deltacast_listen_commands_total"), 2) << "LISTEN, then the re-LISTEN only";
}

// Invariant: the query pool survives its connections being terminated: the next window's query
// fails over to a fresh connection (or resyncs) and later writes are delivered.
TEST_F(ReconnectTest, TerminatedQueryConnectionsRecover) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto client = open_stream("chat:" + std::to_string(chat));
    pg_.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name = 'deltacast/query'");
    bool delivered = false;
    for (int attempt = 0; attempt < 20 && !delivered; ++attempt) {
        const auto id = write_message(chat, "after pool loss");
        delivered = wait_for_row(*client, id, 1s).has_value();
    }
    EXPECT_TRUE(delivered);
}

// Invariant: /readyz is 503 while the listener cannot reach Postgres, and new streams are
// refused with 503 rather than opened without LISTEN.
TEST_F(ReconnectTest, NotReadyWithoutDatabase) {
    start(make_test_config());
    app_.reset();
    auto config = make_test_config();
    config.postgres.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";
    app_ = std::make_unique<App>(std::move(config));
    app_->start();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(http_get(port(), "/readyz").status, 503);
    SseClient client;
    SseRequest req{"127.0.0.1", port(), "/api/sse/stream?topics=org:1",
                   {{"Authorization", "Bearer " + make_token("u1")}}};
    ASSERT_TRUE(client.open(req, 5s));
    EXPECT_EQ(client.status(), 503);
    EXPECT_TRUE(client.header("Retry-After").has_value());
}

}  // namespace
}  // namespace deltacast::testing
