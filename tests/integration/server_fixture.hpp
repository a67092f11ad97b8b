#pragma once
// ServerFixture: a real deltacast App, in-process (so ASan/UBSan see the server too), against
// the real PostgreSQL the test script started (PG* variables), with a small test config:
// poke kind `org` (claim:org), entity kind `chat` (sql access on chat_members, snapshot off),
// JWT HS256 with a fixed test secret, linger 300 ms, debug endpoints on.
// Tests create their own chats with fresh ids, so they never depend on each other's data.

#include "app/app.hpp"
#include "auth/jwt.hpp"
#include "support/http_util.hpp"
#include "support/pg_test.hpp"
#include "support/sse_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace deltacast::testing {

using namespace std::chrono_literals;

inline constexpr const char* kTestSecret = "integration-test-secret";

/// The integration config; `extra` is appended TOML (later keys of a table cannot repeat
/// earlier ones, so tests pass whole extra tables or use the `server`/`postgres` overrides).
inline Config make_test_config(const std::string& server_extra = "",
                               const std::string& postgres_extra = "",
                               const std::string& auth_mode = "jwt",
                               const std::string& chat_extra = "") {
    const std::string toml = R"(
[server]
listen = "127.0.0.1:0"
threads = 2
debug_endpoints = true
max_topics_per_connection = 8
)" + server_extra + R"(
[postgres]
conninfo = ""
query_connections = 2
unlisten_linger_ms = 300
reconnect_min_ms = 50
reconnect_max_ms = 500
)" + postgres_extra + R"(
[auth]
mode = ")" + auth_mode + R"("

[topics.org]
mode = "poke"
id_type = "bigint"
access = "claim:org"

[topics.chat]
id_type = "bigint"
access = "sql:SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2"

[[topics.chat.entities]]
name = "ChatMessageContent"
ids_key = "contentIds"
query = "SELECT to_jsonb(c) FROM chat_message_content c WHERE c.id = ANY($1) AND c.chat_id = $2"
)" + chat_extra;
    return parse_config_toml(toml, "integration-test", {{"DELTACAST_JWT_SECRET", kTestSecret}});
}

/// A token for `subject` with an `org` claim, valid for an hour.
inline std::string make_token(const std::string& subject, const std::string& org = "1",
                              std::int64_t exp_offset_s = 3600) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return auth::sign_hs256({{"sub", subject}, {"org", org}, {"exp", now + exp_offset_s}},
                            kTestSecret);
}

/// A fresh chat id, unique across tests of one run and across runs on the same database.
inline long long fresh_chat_id() {
    static std::atomic<long long> next{0};
    static const long long base = [] {
        PgConn pg;
        return std::stoll(pg.scalar("SELECT coalesce(max(id), 0) + 1000 FROM chats"));
    }();
    return base + next.fetch_add(1);
}

class ServerFixture : public ::testing::Test {
protected:
    /// Starts the server with `config` and waits until /readyz says the listener is up.
    void start(Config config) {
        app_ = std::make_unique<App>(std::move(config));
        app_->start();
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (http_get(port(), "/readyz").status != 200) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "server never became ready";
            std::this_thread::sleep_for(20ms);
        }
    }
    void TearDown() override { app_.reset(); }

    int port() const { return app_->port(); }

    /// Creates chat `id` in org 1 with `user` as member.
    void create_chat(long long id, const std::string& user = "u1") {
        pg_.query("INSERT INTO chats (id, org_id, title) VALUES ($1, 1, 'test')",
                  {std::to_string(id)});
        pg_.query("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)",
                  {std::to_string(id), user});
    }

    /// Inserts a message into `chat` and signals it in the same transaction; returns its id.
    std::string write_message(long long chat, const std::string& body) {
        pg_.exec("BEGIN");
        const auto id = pg_.scalar(
            "INSERT INTO chat_message_content (chat_id, seq, role, body) "
            "VALUES ($1, 1, 'agent', $2) RETURNING id",
            {std::to_string(chat), body});
        pg_.query("SELECT deltacast_signal($1, 'contentIds', ARRAY[$2]::bigint[])",
                  {"chat:" + std::to_string(chat), id});
        pg_.exec("COMMIT");
        return id;
    }

    /// GETs `target` with `token` as Bearer (none when empty) and returns the client whatever
    /// the status: for tests of refusals.
    std::unique_ptr<SseClient> request(const std::string& target, const std::string& token) {
        auto client = std::make_unique<SseClient>();
        SseRequest req;
        req.port = port();
        req.target = target;
        if (!token.empty()) {
            req.headers.emplace_back("Authorization", "Bearer " + token);
        }
        EXPECT_TRUE(client->open(req, 5s)) << client->error();
        return client;
    }

    /// Opens a stream as `user` (Bearer token) and asserts the first event is `ready`.
    std::unique_ptr<SseClient> open_stream(const std::string& topics,
                                           const std::string& user = "u1",
                                           const std::string& encoding = "") {
        auto client = std::make_unique<SseClient>();
        SseRequest request;
        request.port = port();
        request.target = "/api/sse/stream?topics=" + topics;
        request.headers.emplace_back("Authorization", "Bearer " + make_token(user));
        if (!encoding.empty()) {
            request.headers.emplace_back("Accept-Encoding", encoding);
        }
        EXPECT_TRUE(client->open(request, 5s)) << client->error();
        EXPECT_EQ(client->status(), 200) << client->body();
        const auto ready = client->next_event(5s);
        EXPECT_TRUE(ready && ready->event == "ready") << "no ready event";
        if (ready && ready->event == "ready") {
            last_epoch_ = nlohmann::json::parse(ready->data).at("epoch").get<std::string>();
        }
        return client;
    }

    double metric(const std::string& name) {
        return metric_value(http_get(port(), "/metrics").body, name).value_or(-1);
    }

    /// Channels LISTENed by the listener's own Postgres session (pg_listening_channels()).
    std::vector<std::string> listening() {
        const auto res = http_get(port(), "/debug/listening");
        if (res.status != 200) {
            return {};
        }
        return nlohmann::json::parse(res.body).at("channels").get<std::vector<std::string>>();
    }

    PgConn pg_;
    std::unique_ptr<App> app_;
    std::string last_epoch_;  // from the last `ready` open_stream() read
};

/// Waits for an entity-upsert on `client` whose rows contain a row with id `id`.
inline std::optional<nlohmann::json> wait_for_row(SseClient& client, const std::string& id,
                                                  std::chrono::milliseconds timeout = 5s) {
    std::optional<nlohmann::json> found;
    client.wait_for(
        [&](const SseEvent& ev) {
            if (ev.event != "entity-upsert") {
                return false;
            }
            const auto data = nlohmann::json::parse(ev.data);
            for (const auto& row : data.at("rows")) {
                if (std::to_string(row.at("id").get<long long>()) == id) {
                    found = row;
                    return true;
                }
            }
            return false;
        },
        timeout);
    return found;
}

}  // namespace deltacast::testing
