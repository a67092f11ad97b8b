// Live rooms (SPEC §8) against a real Postgres: presence state and diffs, the grace that keeps
// reconnects from flapping, broadcasts (HTTP and SQL) with every error status, the presence
// endpoint, two replicas on one database, and a listener reconnect.

#include "server_fixture.hpp"

namespace deltacast::testing {
namespace {

/// A kind `room` with presence and broadcast (members of chat_members may see room:<chat id>),
/// short grace and small limits so that tests run fast.
const std::string kRoomKind = R"(
[topics.room]
mode = "poke"
id_type = "bigint"
access = "sql:SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2"
presence = true
presence_meta_claims = ["name"]
presence_max_members = 3
presence_grace_ms = 400
broadcast = true
broadcast_max_bytes = 64
broadcast_rate_per_s = 3
)";

Config rooms_config(const std::string& presence_section = "") {
    return make_test_config("cors_origins = [\"https://app.example\"]\n", "", "jwt",
                            kRoomKind + presence_section);
}

std::string token(const std::string& sub) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return auth::sign_hs256({{"sub", sub}, {"org", "1"}, {"name", "Name " + sub},
                             {"exp", now + 3600}},
                            kTestSecret);
}

class RoomsTest : public ServerFixture {
protected:
    long long make_room(const std::vector<std::string>& members) {
        const auto id = fresh_chat_id();
        create_chat(id, members.front());
        for (std::size_t i = 1; i < members.size(); ++i) {
            pg_.query("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)",
                      {std::to_string(id), members[i]});
        }
        return id;
    }

    std::unique_ptr<SseClient> join(int port, const std::string& topic, const std::string& sub) {
        auto client = std::make_unique<SseClient>();
        SseRequest request{"127.0.0.1", port, "/api/sse/stream?topics=" + topic,
                           {{"Authorization", "Bearer " + token(sub)}}};
        EXPECT_TRUE(client->open(request, 5s)) << client->error();
        EXPECT_EQ(client->status(), 200) << client->body();
        const auto ready = client->next_event(5s);
        EXPECT_TRUE(ready && ready->event == "ready");
        return client;
    }

    /// The next `presence` event's data, skipping others; nullopt after `timeout`.
    static std::optional<nlohmann::json> next_presence(SseClient& client,
                                                       std::chrono::milliseconds timeout = 5s) {
        const auto ev = client.wait_for([](const SseEvent& e) { return e.event == "presence"; },
                                        timeout);
        if (!ev) {
            return std::nullopt;
        }
        return nlohmann::json::parse(ev->data);
    }

    static std::vector<std::string> subs(const nlohmann::json& list) {
        std::vector<std::string> out;
        for (const auto& m : list) {
            out.push_back(m.at("sub").get<std::string>());
        }
        return out;
    }

    HttpResult post(int port, const std::string& body, const std::string& sub,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
        if (!sub.empty()) {
            headers.emplace_back("Authorization", "Bearer " + token(sub));
        }
        return http_send(port, "POST", "/api/sse/broadcast", body, headers);
    }
};

// Invariant: a stream gets the full `state` right after `ready`; others get coalesced joins and
// leaves; meta carries the configured claims; a leave comes only after the grace.
TEST_F(RoomsTest, StateThenJoinsAndLeavesAfterTheGrace) {
    start(rooms_config());
    const auto id = make_room({"u1", "u2"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    auto state = next_presence(*a);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->at("topic"), topic);
    EXPECT_EQ(subs(state->at("state")), std::vector<std::string>{"u1"});
    EXPECT_EQ(state->at("state")[0].at("meta"), (nlohmann::json{{"name", "Name u1"}}));

    auto b = join(port(), topic, "u2");
    auto b_state = next_presence(*b);
    ASSERT_TRUE(b_state);
    EXPECT_EQ(subs(b_state->at("state")), (std::vector<std::string>{"u1", "u2"}));
    auto joined = next_presence(*a);
    ASSERT_TRUE(joined);
    EXPECT_EQ(subs(joined->at("joins")), std::vector<std::string>{"u2"});
    EXPECT_FALSE(joined->contains("leaves"));

    const auto closed_at = std::chrono::steady_clock::now();
    b->close();
    auto left = next_presence(*a, 5s);
    ASSERT_TRUE(left);
    EXPECT_EQ(subs(left->at("leaves")), std::vector<std::string>{"u2"});
    EXPECT_GE(std::chrono::steady_clock::now() - closed_at, 350ms) << "left before the grace";
}

// Invariant: a subject that reconnects (or switches topics and back) within the grace never
// leaves: the room sees no leave and no second join.
TEST_F(RoomsTest, ReconnectWithinTheGraceDoesNotFlap) {
    start(rooms_config());
    const auto id = make_room({"u1", "u2"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    ASSERT_TRUE(next_presence(*a));
    auto b = join(port(), topic, "u2");
    ASSERT_TRUE(next_presence(*a));  // u2 joins
    for (int i = 0; i < 3; ++i) {
        b->close();
        std::this_thread::sleep_for(100ms);
        b = join(port(), topic, "u2");
        auto again = next_presence(*b);
        ASSERT_TRUE(again);
        EXPECT_EQ(subs(again->at("state")), (std::vector<std::string>{"u1", "u2"}));
    }
    EXPECT_FALSE(next_presence(*a, 1s)) << "u1 saw a presence change for u2's reconnects";
}

// Invariant: above presence_max_members, presence events carry the count only; back under it,
// the full state again.
TEST_F(RoomsTest, CountOnlyAboveTheMemberLimit) {
    start(rooms_config());
    const auto id = make_room({"u1", "u2", "u3", "u4"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    ASSERT_TRUE(next_presence(*a));
    auto b = join(port(), topic, "u2");
    auto c = join(port(), topic, "u3");
    auto d = join(port(), topic, "u4");
    std::optional<nlohmann::json> last;
    while (auto ev = next_presence(*a, 1s)) {
        last = ev;
    }
    ASSERT_TRUE(last);
    EXPECT_EQ(last->at("count"), 4) << last->dump();
    EXPECT_FALSE(last->contains("state"));
    d->close();
    auto back = next_presence(*a, 5s);
    ASSERT_TRUE(back);
    EXPECT_EQ(subs(back->at("state")), (std::vector<std::string>{"u1", "u2", "u3"}));
}

// Invariant: a broadcast reaches every stream of the topic (the sender's too), `from` is the
// token's subject, the event has no id, and the answer is 202 {"delivered":"queued"}.
TEST_F(RoomsTest, BroadcastReachesEveryStreamFromTheToken) {
    start(rooms_config());
    const auto id = make_room({"u1", "u2"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    auto b = join(port(), topic, "u2");
    const auto res =
        post(port(), R"({"topic":")" + topic + R"(","name":"typing","data":{"state":"start"}})",
             "u1");
    EXPECT_EQ(res.status, 202) << res.body;
    EXPECT_EQ(nlohmann::json::parse(res.body), (nlohmann::json{{"delivered", "queued"}}));
    for (auto* client : {a.get(), b.get()}) {
        const auto ev =
            client->wait_for([](const SseEvent& e) { return e.event == "broadcast"; }, 5s);
        ASSERT_TRUE(ev);
        EXPECT_TRUE(ev->id.empty()) << "a broadcast must not carry an event id";
        EXPECT_EQ(nlohmann::json::parse(ev->data),
                  (nlohmann::json{{"topic", topic},
                                  {"name", "typing"},
                                  {"from", "u1"},
                                  {"data", {{"state", "start"}}}}));
    }
    EXPECT_EQ(metric("deltacast_replayed_frames_total"), 0);
}

// Invariant: server-side writers broadcast with SQL, `from` being the sender they name.
TEST_F(RoomsTest, SqlBroadcastFromAnAgent) {
    start(rooms_config());
    const auto id = make_room({"u1"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    pg_.query("SELECT deltacast_broadcast($1, 'thinking', '{\"state\":\"start\"}'::jsonb, 'agent')",
              {topic});
    const auto ev = a->wait_for([](const SseEvent& e) { return e.event == "broadcast"; }, 5s);
    ASSERT_TRUE(ev);
    const auto data = nlohmann::json::parse(ev->data);
    EXPECT_EQ(data.at("from"), "agent");
    EXPECT_EQ(data.at("name"), "thinking");
    EXPECT_EQ(data.at("data"), (nlohmann::json{{"state", "start"}}));
}

// Invariant: every bad broadcast gets its status and a JSON reason, nothing reaches the room,
// and the server goes on.
TEST_F(RoomsTest, BroadcastErrorsEachGetTheirStatus) {
    start(rooms_config());
    const auto id = make_room({"u1"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    auto body = [&](const std::string& t, const std::string& name, const std::string& data) {
        return R"({"topic":")" + t + R"(","name":")" + name + R"(","data":)" + data + "}";
    };
    const std::vector<std::tuple<std::string, std::string, int>> cases{
        {"not json", "u1", 400},
        {"[1,2]", "u1", 400},
        {body(topic, "bad name!", "1"), "u1", 400},
        {body("nosuch:1", "typing", "1"), "u1", 400},
        {body("chat:" + std::to_string(id), "typing", "1"), "u1", 400},  // no broadcast
        {R"({"topic":")" + topic + R"(","name":"typing","data":1,"from":"u9"})", "u1", 400},
        {R"({"topic":")" + topic + R"(","name":"typing"})", "u1", 400},
        {body(topic, "typing", "\"" + std::string(100, 'x') + "\""), "u1", 413},
        {body(topic, "typing", "1"), "", 401},
        {body(topic, "typing", "1"), "u3", 403},
    };
    for (const auto& [text, sub, status] : cases) {
        const auto res = post(port(), text, sub);
        EXPECT_EQ(res.status, status) << text << " -> " << res.body;
        const auto json = nlohmann::json::parse(res.body, nullptr, false);
        EXPECT_TRUE(json.is_object() && json.contains("error")) << res.body;
    }
    const auto huge = post(port(), body(topic, "typing", "\"" + std::string(5000, 'x') + "\""),
                           "u1");
    EXPECT_EQ(huge.status, 413) << huge.body;
    EXPECT_FALSE(a->wait_for([](const SseEvent& e) { return e.event == "broadcast"; }, 300ms))
        << "a refused broadcast reached the room";
    EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

// Invariant: over broadcast_rate_per_s (bursts up to the same number), 429 with Retry-After;
// the budget is per subject per topic.
TEST_F(RoomsTest, BroadcastRateLimitPerSubject) {
    start(rooms_config());
    const auto id = make_room({"u1", "u2"});
    const std::string body =
        R"({"topic":"room:)" + std::to_string(id) + R"(","name":"typing","data":null})";
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(post(port(), body, "u1").status, 202) << "burst " << i;
    }
    const auto limited = post(port(), body, "u1");
    EXPECT_EQ(limited.status, 429) << limited.body;
    const auto retry = limited.headers.find("retry-after");
    ASSERT_NE(retry, limited.headers.end());
    EXPECT_GE(std::stoi(retry->second), 1);
    EXPECT_EQ(post(port(), body, "u2").status, 202) << "another subject has its own budget";
    EXPECT_GE(metric("deltacast_broadcasts_rate_limited_total"), 1);
}

// Invariant: the CORS preflight is answered for listed origins only; the POST answer carries
// the origin too.
TEST_F(RoomsTest, PreflightForListedOrigins) {
    start(rooms_config());
    const std::vector<std::pair<std::string, std::string>> listed{
        {"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}};
    const auto ok = http_send(port(), "OPTIONS", "/api/sse/broadcast", "", listed);
    EXPECT_EQ(ok.status, 204);
    EXPECT_EQ(ok.headers.count("access-control-allow-origin"), 1U);
    EXPECT_NE(ok.headers.find("access-control-allow-methods")->second.find("POST"),
              std::string::npos);
    const auto other = http_send(port(), "OPTIONS", "/api/sse/broadcast", "",
                                 {{"Origin", "https://evil.example"}});
    EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0U);
}

// Invariant: GET /api/sse/presence answers the members (same auth and access as the stream).
TEST_F(RoomsTest, PresenceEndpoint) {
    start(rooms_config());
    const auto id = make_room({"u1", "u2"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    ASSERT_TRUE(next_presence(*a));
    const auto target = "/api/sse/presence?topic=" + topic;
    nlohmann::json body;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {  // the join reaches the table with the announce (one round trip)
        const auto res = http_get(port(), target, {{"Authorization", "Bearer " + token("u2")}});
        ASSERT_EQ(res.status, 200) << res.body;
        body = nlohmann::json::parse(res.body);
    } while (body.at("state").empty() && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(body.at("topic"), topic);
    EXPECT_EQ(subs(body.at("state")), std::vector<std::string>{"u1"});
    EXPECT_EQ(http_get(port(), target, {{"Authorization", "Bearer " + token("u3")}}).status, 403);
    EXPECT_EQ(http_get(port(), target).status, 401);
    EXPECT_EQ(http_get(port(), "/api/sse/presence?topic=chat:" + std::to_string(id),
                       {{"Authorization", "Bearer " + token("u1")}})
                  .status,
              400);
}

// Invariant: after a listener reconnect every stream of a presence topic gets the full state
// again (room messages sent while it was down are gone).
TEST_F(RoomsTest, ListenerReconnectSendsStateAgain) {
    start(rooms_config());
    const auto id = make_room({"u1"});
    auto a = join(port(), "room:" + std::to_string(id), "u1");
    ASSERT_TRUE(next_presence(*a));
    pg_.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name = 'deltacast/listen'");
    auto again = next_presence(*a, 10s);
    ASSERT_TRUE(again);
    EXPECT_EQ(subs(again->at("state")), std::vector<std::string>{"u1"});
}

// Invariant: two replicas on one Postgres share the room: each sees the other's members join
// and leave, and a broadcast on one reaches the streams of the other.
TEST_F(RoomsTest, TwoReplicasShareTheRoom) {
    start(rooms_config());
    auto other = std::make_unique<App>(rooms_config());
    other->start();
    const int port_b = other->port();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (http_get(port_b, "/readyz").status != 200) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline);
        std::this_thread::sleep_for(20ms);
    }
    const auto id = make_room({"u1", "u2"});
    const std::string topic = "room:" + std::to_string(id);
    auto a = join(port(), topic, "u1");
    ASSERT_TRUE(next_presence(*a));
    auto b = join(port_b, topic, "u2");
    auto b_state = next_presence(*b);
    ASSERT_TRUE(b_state);
    EXPECT_EQ(subs(b_state->at("state")), (std::vector<std::string>{"u1", "u2"}));
    auto joined = next_presence(*a);
    ASSERT_TRUE(joined);
    EXPECT_EQ(subs(joined->at("joins")), std::vector<std::string>{"u2"});

    EXPECT_EQ(post(port(), R"({"topic":")" + topic + R"(","name":"typing","data":1})", "u1")
                  .status,
              202);
    const auto ev = b->wait_for([](const SseEvent& e) { return e.event == "broadcast"; }, 5s);
    ASSERT_TRUE(ev) << "the broadcast did not cross replicas";
    EXPECT_EQ(nlohmann::json::parse(ev->data).at("from"), "u1");

    b->close();
    auto left = next_presence(*a, 5s);
    ASSERT_TRUE(left);
    EXPECT_EQ(subs(left->at("leaves")), std::vector<std::string>{"u2"});
    other.reset();
}

}  // namespace
}  // namespace deltacast::testing
