// Faults under load, judged end to end: several clients watch chats a writer keeps changing,
// something breaks (Postgres restarts, the listener is killed, queries time out), and at the
// end every client's rows must equal the database's: each update was delivered or covered by a
// `resync` (SPEC §3). The checker fails on any silent loss.

#include "fault_fixture.hpp"

#include <cstdlib>

namespace deltacast::testing {
namespace {

class FaultTest : public FaultFixture {};

// Invariant: Postgres restarted under load (listener and query connections all lost) -> every
// client gets `resync` (listener-reconnected), writes flow again, nothing is silently lost.
TEST_F(FaultTest, PostgresRestartUnderLoadLosesNothing) {
    const char* pg_dir = std::getenv("DELTACAST_TEST_PG_DIR");
    const char* source_dir = std::getenv("DELTACAST_SOURCE_DIR");
    ASSERT_TRUE(pg_dir != nullptr && source_dir != nullptr)
        << "DELTACAST_TEST_PG_DIR and DELTACAST_SOURCE_DIR must name the test cluster's "
           "directory and the repo (scripts/test.sh exports both)";
    start(make_test_config());
    const auto chats = make_chats(4);
    add_clients(6, chats);
    LoadWriter writer({chats});
    writer.start();
    pump_for(800ms);

    const auto command = std::string(source_dir) + "/scripts/pg-cluster.sh restart " + pg_dir;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const int committed_before = writer.committed();
    EXPECT_TRUE(pump_until(
        [&] {
            return metric("deltacast_listener_reconnects_total") >= 1 &&
                   http_get(port(), "/readyz").status == 200;
        },
        20s))
        << "the listener did not come back after the restart";
    EXPECT_TRUE(pump_until([&] { return writer.committed() >= committed_before + 100; }, 20s))
        << "the writer did not recover";
    pump_for(300ms);
    writer.stop();

    EXPECT_GE(writer.failed(), 1) << "the restart was not felt: the test tests nothing";
    EXPECT_TRUE(checker_.check());
    expect_every_client_resynced("listener-reconnected");
}

// Invariant: the listener killed twice under load -> each time every client is resynced, and
// at the end no client silently misses a row (reconnect_pgtest covers the unloaded basics).
TEST_F(FaultTest, ListenerTerminatedUnderLoadLosesNothing) {
    start(make_test_config());
    const auto chats = make_chats(4);
    add_clients(6, chats);
    LoadWriter writer({chats});
    writer.start();
    for (int round = 1; round <= 2; ++round) {
        pump_for(600ms);
        ASSERT_EQ(pg_.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = 'deltacast/listen'"),
                  "1");
        EXPECT_TRUE(pump_until(
            [&] { return metric("deltacast_listener_reconnects_total") >= round; }, 10s));
    }
    pump_for(600ms);
    writer.stop();

    EXPECT_TRUE(checker_.check());
    expect_every_client_resynced("listener-reconnected");
    EXPECT_EQ(writer.failed(), 0);
}

/// A kind whose entity query sleeps 2 s while the flag row 'slow-query' exists: longer than
/// the test's query_timeout_ms, so its windows fail while the flag is set.
const char* const kSlowChatKind = R"toml(
[topics.slowchat]
id_type = "bigint"

[[topics.slowchat.entities]]
name = "ChatMessageContent"
ids_key = "contentIds"
query = "SELECT to_jsonb(c) FROM chat_message_content c WHERE c.id = ANY($1) AND c.chat_id = $2 AND (SELECT deltacast_test_nap())"
)toml";

// Invariant: queries that hit postgres.query_timeout_ms under load become `resync`
// (query-failed) for their topics, and once queries are fast again every client converges.
TEST_F(FaultTest, QueryTimeoutsResyncAndLoseNothing) {
    pg_.exec(R"sql(
        SET client_min_messages = warning;
        CREATE TABLE IF NOT EXISTS deltacast_test_flags (name text PRIMARY KEY);
        DELETE FROM deltacast_test_flags;
        CREATE OR REPLACE FUNCTION deltacast_test_nap() RETURNS boolean
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM deltacast_test_flags WHERE name = 'slow-query') THEN
                PERFORM pg_sleep(2);
            END IF;
            RETURN true;
        END $$;)sql");
    start(make_test_config("", "query_timeout_ms = 300\n", "jwt", kSlowChatKind));
    const auto chats = make_chats(3);
    add_clients(5, chats, "slowchat");
    LoadWriter writer({chats, "slowchat"});
    writer.start();
    pump_for(600ms);

    pg_.exec("INSERT INTO deltacast_test_flags VALUES ('slow-query')");
    const bool all_resynced = pump_until(
        [&] {
            for (const auto& client : checker_.clients()) {
                if (client->view().stats().resyncs.count("query-failed") == 0) {
                    return false;
                }
            }
            return true;
        },
        15s);
    pg_.exec("DELETE FROM deltacast_test_flags");
    EXPECT_TRUE(all_resynced) << "not every client got a query-failed resync";
    pump_for(600ms);
    writer.stop();

    EXPECT_GE(metric("deltacast_query_errors_total"), 1);
    EXPECT_TRUE(checker_.check());
}

} // namespace
} // namespace deltacast::testing
