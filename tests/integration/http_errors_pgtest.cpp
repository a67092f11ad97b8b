// The error answers of SPEC §2 and §6: 400 for bad topic lists, 401 for bad tokens, 403 naming
// every denied topic, 503 with Retry-After over the connection limit, 414/431 for oversized
// requests. No error opens a stream or leaves a LISTEN behind.

#include "server_fixture.hpp"

namespace deltacast::testing {
namespace {

class HttpErrorTest : public ServerFixture {
protected:
    nlohmann::json body_of(const SseClient& client) {
        return nlohmann::json::parse(client.body(), nullptr, false);
    }
};

// Invariant: every malformed topic list gets 400 with a JSON reason naming the topic.
TEST_F(HttpErrorTest, BadTopicListsAre400) {
    start(make_test_config());
    const auto token = make_token("u1");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"topics=nope:1", "nope:1"},           {"topics=chat:abc", "chat:abc"},
        {"topics=chat:01", "chat:01"},         {"topics=org:1,org:1", "org:1"},
        {"topics=", ""},                       {"", ""},
        {"topics=org:1,", ""},                 {"topics=org%0A:1", ""},
        {"topics=org:1,org:2,org:3,org:4,org:5,org:6,org:7,org:8,org:9", "org:9"},
    };
    for (const auto& [query, topic] : cases) {
        auto client = request("/api/sse/stream?" + query, token);
        EXPECT_EQ(client->status(), 400) << query;
        const auto body = body_of(*client);
        ASSERT_TRUE(body.is_object()) << query << " body=" << client->body();
        EXPECT_TRUE(body.contains("error")) << query;
        if (!topic.empty()) {
            EXPECT_EQ(body.value("topic", ""), topic) << query;
        }
        EXPECT_EQ(client->header("Content-Type").value_or(""), "application/json");
    }
    EXPECT_TRUE(listening().empty());
}

// Invariant: missing, malformed, expired or wrongly signed tokens get 401.
TEST_F(HttpErrorTest, BadTokensAre401) {
    start(make_test_config());
    const std::string target = "/api/sse/stream?topics=org:1";
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "missing token"},
        {"not-a-jwt", "malformed"},
        {make_token("u1", "1", -3600), "expired"},
        {auth::sign_hs256({{"sub", "u1"}, {"org", "1"}, {"exp", now + 60}}, "wrong-secret"),
         "bad-signature"},
    };
    for (const auto& [token, reason] : cases) {
        auto client = request(target, token);
        EXPECT_EQ(client->status(), 401) << reason;
        EXPECT_EQ(body_of(*client).value("reason", ""), reason);
    }
    // The token may also come as a cookie or as access_token (EventSource cannot set headers).
    auto by_param = request(target + "&access_token=" + make_token("u1"), "");
    EXPECT_EQ(by_param->status(), 200);
    auto by_cookie = std::make_unique<SseClient>();
    SseRequest req{"127.0.0.1", port(), target, {{"Cookie", "a=b; session=" + make_token("u1")}}};
    ASSERT_TRUE(by_cookie->open(req, 5s));
    EXPECT_EQ(by_cookie->status(), 200);
}

// Invariant: a topic the caller may not see gets 403 naming EVERY denied topic; no stream opens
// and nothing is LISTENed.
TEST_F(HttpErrorTest, DeniedTopicsAre403AndNamed) {
    start(make_test_config());
    const auto mine = fresh_chat_id();
    const auto theirs = fresh_chat_id();
    create_chat(mine, "u1");
    create_chat(theirs, "u2");
    auto client = request("/api/sse/stream?topics=org:2,chat:" + std::to_string(mine) +
                              ",chat:" + std::to_string(theirs),
                          make_token("u1", "1"));
    EXPECT_EQ(client->status(), 403);
    const auto body = body_of(*client);
    auto denied = body.at("topics").get<std::vector<std::string>>();
    std::sort(denied.begin(), denied.end());
    EXPECT_EQ(denied, (std::vector<std::string>{"chat:" + std::to_string(theirs), "org:2"}));
    EXPECT_TRUE(listening().empty());
}

// Invariant: over server.max_connections the answer is 503 with Retry-After, and a slot freed
// by a closing stream can be used again.
TEST_F(HttpErrorTest, OverConnectionLimitIs503WithRetryAfter) {
    start(make_test_config("max_connections = 2\n"));
    auto a = open_stream("org:1");
    auto b = open_stream("org:1");
    auto c = request("/api/sse/stream?topics=org:1", make_token("u1"));
    EXPECT_EQ(c->status(), 503);
    EXPECT_TRUE(c->header("Retry-After").has_value());
    a->close();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int status = 0;
    std::unique_ptr<SseClient> d;
    while (status != 200 && std::chrono::steady_clock::now() < deadline) {
        d = request("/api/sse/stream?topics=org:1", make_token("u1"));
        status = d->status();
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(status, 200);
}

// Invariant: an over-long request line gets 414 and over-large headers 431, then the
// connection closes; unknown paths 404, other methods 405.
TEST_F(HttpErrorTest, OversizedRequestsAndUnknownRoutes) {
    start(make_test_config("max_request_line = 1024\nmax_header_bytes = 2048\n"));
    auto long_line = request("/api/sse/stream?topics=" + std::string(3000, 'a'), "");
    EXPECT_EQ(long_line->status(), 414);
    auto big_headers = std::make_unique<SseClient>();
    SseRequest req{"127.0.0.1", port(), "/api/sse/stream?topics=org:1",
                   {{"X-Filler", std::string(2500, 'x')}}};
    ASSERT_TRUE(big_headers->open(req, 5s));
    EXPECT_EQ(big_headers->status(), 431);
    EXPECT_EQ(http_get(port(), "/nope").status, 404);
    EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

// Invariant: an allowed cross-origin page gets CORS headers with credentials; others get none.
TEST_F(HttpErrorTest, CorsOnlyForListedOrigins) {
    start(make_test_config("cors_origins = [\"http://app.example.com\"]\n"));
    for (const std::string origin : {"http://app.example.com", "http://evil.example.com"}) {
        SseClient client;
        SseRequest req{"127.0.0.1", port(), "/api/sse/stream?topics=org:1",
                       {{"Origin", origin}, {"Authorization", "Bearer " + make_token("u1")}}};
        ASSERT_TRUE(client.open(req, 5s));
        EXPECT_EQ(client.status(), 200);
        const bool listed = origin == "http://app.example.com";
        EXPECT_EQ(client.header("Access-Control-Allow-Origin").value_or(""),
                  listed ? origin : "");
        EXPECT_EQ(client.header("Access-Control-Allow-Credentials").has_value(), listed);
    }
}

}  // namespace
}  // namespace deltacast::testing
