// SPEC §6 on open streams and §2's limits: access re-checked while a stream is open (revoked
// -> `event: revoked`, then the connection closes), a stream closes when its token expires,
// per-subject limits answer 429 with Retry-After; and the graceful drain of App::drain.

#include "server_fixture.hpp"

#include <thread>

namespace deltacast::testing {
namespace {

class SecurityTest : public ServerFixture {
protected:
    std::unique_ptr<SseClient> open_raw(const std::string& topics, const std::string& token) {
        return request("/api/sse/stream?topics=" + topics, token);
    }
};

// Invariant: a member removed from a chat loses the open stream: `event: revoked` naming the
// chat, then the connection closes; a stream on other topics is untouched.
TEST_F(SecurityTest, RevokedAccessEndsTheStream) {
    auto config = make_test_config();
    config.auth.recheck_interval_s = 1;
    config.auth.access_cache_ttl_s = 1;
    start(std::move(config));
    const auto chat = fresh_chat_id();
    create_chat(chat, "u1");
    auto chat_stream = open_stream("org:1,chat:" + std::to_string(chat));
    auto org_stream = open_stream("org:1");

    pg_.query("DELETE FROM chat_members WHERE chat_id = $1 AND user_id = 'u1'",
              {std::to_string(chat)});
    const auto revoked =
        chat_stream->wait_for([](const SseEvent& ev) { return ev.event == "revoked"; }, 10s);
    ASSERT_TRUE(revoked) << "no revoked event";
    const auto data = nlohmann::json::parse(revoked->data);
    EXPECT_EQ(data.at("topics"), nlohmann::json::array({"chat:" + std::to_string(chat)}));
    EXPECT_TRUE(chat_stream->wait_closed(5s)) << "the stream stayed open after revoked";
    EXPECT_FALSE(org_stream->wait_closed(1500ms)) << "a claim-only stream was closed";
    EXPECT_GE(metric("deltacast_streams_revoked_total"), 1);

    // Reopening with the revoked topic is refused.
    auto again = open_raw("chat:" + std::to_string(chat), make_token("u1"));
    EXPECT_EQ(again->status(), 403);
}

// Invariant: a stream does not outlive its token: it closes (at a heartbeat tick) once `exp`
// has passed, so the client must come back with valid credentials.
TEST_F(SecurityTest, StreamClosesWhenTheTokenExpires) {
    start(make_test_config("heartbeat_s = 1\n"));
    auto client = open_raw("org:1", make_token("u1", "1", 2));
    ASSERT_EQ(client->status(), 200);
    ASSERT_TRUE(client->next_event(5s));  // ready
    EXPECT_TRUE(client->wait_closed(8s)) << "stream still open after its token expired";
    EXPECT_EQ(metric("deltacast_token_expiry_closes_total"), 1);
}

// Invariant: one subject cannot hold more than server.max_connections_per_subject streams
// (429 + Retry-After, JSON reason); other subjects are unaffected; a closed stream frees its
// slot.
TEST_F(SecurityTest, PerSubjectLimitIs429WithRetryAfter) {
    start(make_test_config("max_connections_per_subject = 3\n"));
    std::vector<std::unique_ptr<SseClient>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(open_stream("org:1", "greedy"));
    }
    auto over = open_raw("org:1", make_token("greedy"));
    EXPECT_EQ(over->status(), 429);
    EXPECT_EQ(over->header("Retry-After").value_or(""), "5");
    const auto body = nlohmann::json::parse(over->body(), nullptr, false);
    EXPECT_EQ(body.value("error", ""), "too many connections for this subject") << over->body();
    EXPECT_EQ(metric("deltacast_stream_rejected_subject_limit_total"), 1);

    auto other = open_stream("org:1", "someone-else");
    EXPECT_EQ(other->status(), 200);

    held.pop_back();  // closes one of greedy's streams
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        auto retry = open_raw("org:1", make_token("greedy"));
        status = retry->status();
        if (status == 200) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(status, 200) << "the closed stream's slot never came back";
}

// Invariant: a drain refuses new streams (503 + Retry-After, /readyz 503), keeps delivering to
// open streams until each one's moment, and closes them spread over the window, not at once.
TEST_F(SecurityTest, DrainClosesStreamsSpreadOverTheWindow) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat, "u1");
    constexpr int kClients = 24;
    std::vector<std::unique_ptr<SseClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(open_stream("chat:" + std::to_string(chat)));
    }
    std::atomic<bool> drained{false};
    const auto t0 = std::chrono::steady_clock::now();
    app_->drain(2000ms, [&] { drained = true; });

    EXPECT_EQ(http_get(port(), "/readyz").status, 503);
    auto late = open_raw("org:1", make_token("u1"));
    EXPECT_EQ(late->status(), 503);
    EXPECT_EQ(late->header("Retry-After").value_or(""), "1");

    std::vector<std::chrono::milliseconds> closed_after(kClients);
    std::vector<std::thread> waiters;
    for (int i = 0; i < kClients; ++i) {
        waiters.emplace_back([&, i] {
            clients[static_cast<std::size_t>(i)]->wait_closed(6s);
            closed_after[static_cast<std::size_t>(i)] =
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - t0);
        });
    }
    const auto id = write_message(chat, "during drain");  // open streams still get it
    for (auto& t : waiters) {
        t.join();
    }
    int early = 0;
    int late_with_row = 0;
    for (int i = 0; i < kClients; ++i) {
        auto& client = *clients[static_cast<std::size_t>(i)];
        const auto after = closed_after[static_cast<std::size_t>(i)];
        EXPECT_TRUE(client.closed_by_server()) << "client " << i << " never closed";
        EXPECT_LT(after, 4000ms);
        early += after < 500ms ? 1 : 0;
        if (after > 1000ms) {  // open well after the write committed: must have received it
            const auto events = client.drain();
            const bool got = std::any_of(events.begin(), events.end(), [&](const SseEvent& ev) {
                if (ev.event != "entity-upsert") {
                    return false;
                }
                const auto rows = nlohmann::json::parse(ev.data).at("rows");
                return std::any_of(rows.begin(), rows.end(), [&](const nlohmann::json& row) {
                    return std::to_string(row.at("id").get<long long>()) == id;
                });
            });
            EXPECT_TRUE(got) << "client " << i << " open until " << after.count()
                             << " ms missed the row written during the drain";
            late_with_row += got ? 1 : 0;
        }
    }
    // Uniform over 2 s: about a quarter end in the first 500 ms (3/4 or more: p < 1e-6).
    EXPECT_LT(early, kClients * 3 / 4) << "most streams closed at once, not spread out";
    EXPECT_GT(late_with_row, 0) << "no stream stayed open long enough to check delivery";
    const auto deadline = std::chrono::steady_clock::now() + 3s;  // the closes reach the core
    while (!drained.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(drained.load()) << "drain never reported done";
    EXPECT_EQ(metric("deltacast_streams_drained_total"), kClients);
}

}  // namespace
}  // namespace deltacast::testing
