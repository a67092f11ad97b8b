// SIGTERM on the real `deltacast` binary under write load (SPEC §3 under a deploy): the process
// refuses new streams, ends its open streams spread over server.shutdown_spread_ms (not all at
// once), exits 0; the clients reconnect to the next process with their last event id, get
// `resync` (another epoch) and, checked against the database, end up with every row. The
// server logs at debug level are checked for tokens (SPEC §6: never in logs).

#include "fault_fixture.hpp"
#include "support/child_process.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>

namespace deltacast::testing {
namespace {

constexpr auto kSpread = 2000ms;

/// The integration config as a TOML file for the binary (PG* from the environment).
std::string write_config(int port) {
    const std::string path =
        ::testing::TempDir() + "deltacast-sigterm-" + std::to_string(port) + ".toml";
    std::ofstream(path) << "[server]\nlisten = \"127.0.0.1:" << port
                        << "\"\nthreads = 2\nshutdown_spread_ms = " << kSpread.count()
                        << "\n[postgres]\nconninfo = \"\"\nunlisten_linger_ms = 300\n"
                        << "[auth]\nmode = \"jwt\"\n[log]\nlevel = \"debug\"\n"
                        << "[topics.chat]\nid_type = \"bigint\"\n"
                        << "[[topics.chat.entities]]\nname = \"ChatMessageContent\"\n"
                        << "ids_key = \"contentIds\"\nquery = \"SELECT to_jsonb(c) FROM "
                        << "chat_message_content c WHERE c.id = ANY($1) AND c.chat_id = $2\"\n";
    return path;
}

std::unique_ptr<ChildProcess> start_server(const std::string& config, int port,
                                           const std::string& name) {
    const char* dir = std::getenv("DELTACAST_BINARY_DIR");
    if (dir == nullptr) {
        ADD_FAILURE() << "DELTACAST_BINARY_DIR is not set (scripts/test.sh sets it)";
        return nullptr;
    }
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{std::string(dir) + "/deltacast", "--config", config},
        std::vector<std::pair<std::string, std::string>>{{"DELTACAST_JWT_SECRET", kTestSecret}},
        ::testing::TempDir() + "deltacast-" + name + ".log");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (http_get(port, "/readyz").status != 200) {
        if (std::chrono::steady_clock::now() > deadline || child->wait_exit(0ms)) {
            ADD_FAILURE() << name << " never became ready:\n" << child->log_tail();
            return nullptr;
        }
        std::this_thread::sleep_for(50ms);
    }
    return child;
}

// Invariant: SIGTERM loses nothing and spreads the reconnects: every stream ends within the
// spread (not all at once), the process exits 0, and every client, resumed on the next
// process, matches the database.
TEST(SigtermTest, DrainSpreadsReconnectsAndLosesNothing) {
    PgConn pg;
    const auto chat = fresh_chat_id();
    pg.query("INSERT INTO chats (id, org_id, title) VALUES ($1, 1, 'sigterm')",
             {std::to_string(chat)});
    const int port = free_tcp_port();
    const auto config = write_config(port);
    auto first = start_server(config, port, "first");
    ASSERT_TRUE(first);

    const std::string topic = "chat:" + std::to_string(chat);
    ConsistencyChecker checker(pg_row_source({{"chat", kChatRowsSql}}));
    constexpr int kClients = 16;
    for (int i = 0; i < kClients; ++i) {
        checker.add("c" + std::to_string(i), {topic},
                    stream_opener(port, {topic},
                                  {{"Authorization", "Bearer " + make_token("u1")}}));
    }
    // A token in a query parameter (a valid one, but with a byte too many: 401), to look for
    // in the log later.
    const auto url_token = make_token("u1");
    EXPECT_EQ(http_get(port, "/api/sse/stream?topics=chat:1&access_token=" + url_token + "x")
                  .status,
              401);
    LoadWriter writer({{chat}, "chat", 10ms, 24});
    writer.start();
    std::this_thread::sleep_for(300ms);

    const auto t0 = std::chrono::steady_clock::now();
    first->signal(SIGTERM);
    // First end of each client's stream, seen at a 10 ms granularity (pump() then reopens).
    std::vector<std::optional<std::chrono::milliseconds>> ended(kClients);
    std::optional<int> exit_status;
    std::chrono::steady_clock::duration exited_after{};
    const auto all_ended = [&] {
        return std::all_of(ended.begin(), ended.end(), [](const auto& at) { return at.has_value(); });
    };
    // Until the process exited and every end was seen (the last one may come just before exit).
    while (!(exit_status && all_ended()) && std::chrono::steady_clock::now() - t0 < kSpread + 8s) {
        if (!exit_status && (exit_status = first->wait_exit(0ms))) {
            exited_after = std::chrono::steady_clock::now() - t0;
        }
        for (int i = 0; i < kClients; ++i) {
            auto& client = *checker.clients()[static_cast<std::size_t>(i)];
            // A stream that ended just before the last pump() was reopened by it already.
            const bool gone = client.stream().closed_by_server() || client.reopens() > 0;
            if (!ended[static_cast<std::size_t>(i)] && gone) {
                ended[static_cast<std::size_t>(i)] =
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t0);
            }
        }
        checker.pump();
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(exit_status) << "still running " << (kSpread + 8s).count() << " ms after SIGTERM\n"
                             << first->log_tail();
    EXPECT_EQ(*exit_status, 0) << first->log_tail();
    EXPECT_LT(exited_after, kSpread + 3s);

    std::chrono::milliseconds earliest = 1h;
    std::chrono::milliseconds latest = 0ms;
    for (int i = 0; i < kClients; ++i) {
        const auto& at = ended[static_cast<std::size_t>(i)];
        ASSERT_TRUE(at) << "client " << i << " was never disconnected";
        earliest = std::min(earliest, *at);
        latest = std::max(latest, *at);
    }
    EXPECT_LE(latest, kSpread + 1000ms);
    EXPECT_GE(latest - earliest, kSpread * 2 / 5)
        << "streams ended within " << (latest - earliest).count() << " ms: not spread out";

    auto second = start_server(config, port, "second");
    ASSERT_TRUE(second);
    std::this_thread::sleep_for(1500ms);  // clients resume (retried every 200 ms), writes go on
    writer.stop();
    EXPECT_TRUE(checker.check());
    EXPECT_GT(writer.committed(), 100);
    EXPECT_GE(checker.resyncs()["unknown-epoch"], kClients)
        << "clients did not resume on the second process";
    second->signal(SIGINT);
    EXPECT_EQ(second->wait_exit(10s).value_or(-1), 0) << second->log_tail();
    EXPECT_NE(first->log_tail(1000000).find("stream rejected status=401"), std::string::npos)
        << "the 401 was not logged at debug level:\n" << first->log_tail();
    for (const auto* server : {first.get(), second.get()}) {
        const auto log = server->log_tail(1000000);
        EXPECT_EQ(log.find("eyJ"), std::string::npos) << "a token reached the log:\n" << log;
        EXPECT_EQ(log.find(url_token.substr(0, 40)), std::string::npos);
    }
}

}  // namespace
}  // namespace deltacast::testing
