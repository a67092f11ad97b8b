// End-to-end delivery: a writer's insert + signal reaches a real HTTP SSE client, in every
// encoding, as entity-upsert / entity-delete / poke, with the headers of SPEC §2.

#include "server_fixture.hpp"

namespace deltacast::testing {
namespace {

class StreamTest : public ServerFixture, public ::testing::WithParamInterface<std::string> {};

// Invariant: a committed insert + signal arrives as entity-upsert with the row as Postgres
// rendered it, whatever encoding the client negotiated, and the stream says which encoding.
TEST_P(StreamTest, InsertAndSignalArriveInEveryEncoding) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto client = open_stream("chat:" + std::to_string(chat), "u1", GetParam());
    EXPECT_EQ(client->header("Content-Type").value_or(""), "text/event-stream");
    EXPECT_EQ(client->header("Cache-Control").value_or(""), "no-cache, no-transform");
    EXPECT_EQ(client->header("X-Accel-Buffering").value_or(""), "no");
    const std::string expected_encoding = GetParam() == "identity" ? "" : GetParam();
    EXPECT_EQ(client->header("Content-Encoding").value_or(""), expected_encoding);
    EXPECT_EQ(client->retry(), 2000);

    for (int i = 0; i < 3; ++i) {  // several frames: each must decode on arrival
        const auto body = "hello " + std::to_string(i);
        const auto id = write_message(chat, body);
        const auto row = wait_for_row(*client, id);
        ASSERT_TRUE(row) << "row " << id << " never arrived; error=" << client->error();
        EXPECT_EQ(row->at("body"), body);
        EXPECT_EQ(row->at("chat_id"), chat);
    }
    EXPECT_TRUE(client->error().empty()) << client->error();
}

INSTANTIATE_TEST_SUITE_P(Encodings, StreamTest,
                         ::testing::Values("identity", "gzip", "br", "zstd"));

class DeliveryTest : public ServerFixture {
protected:
    /// Writes a message with `body` into `chat`; every client must get its row.
    void write_and_expect_everywhere(long long chat, const std::string& body,
                                     const std::vector<std::unique_ptr<SseClient>>& clients) {
        const auto id = write_message(chat, body);
        for (const auto& client : clients) {
            const auto row = wait_for_row(*client, id);
            ASSERT_TRUE(row) << "row " << id << " never arrived; error=" << client->error();
            EXPECT_EQ(row->at("body"), body);
        }
    }
};

// Invariant: with the default fanout.compression, Chromium's header gets zstd and Safari's the
// next encoding in the server's order, both with Vary: Accept-Encoding; every frame decodes,
// also after the stream idled for a whole heartbeat interval (the encoder was released and the
// stream continues with a fresh one).
TEST_F(DeliveryTest, DefaultOrderAndStreamsResumeAfterIdle) {
    start(make_test_config("heartbeat_s = 1\n"));
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::pair<std::string, std::string> browsers[] = {
        {"gzip, deflate, br, zstd", "zstd"}, {"gzip, deflate, br", "gzip"}, {"br", "br"}};
    std::vector<std::unique_ptr<SseClient>> clients;
    for (const auto& [accept, expected] : browsers) {
        clients.push_back(open_stream("chat:" + std::to_string(chat), "u1", accept));
        EXPECT_EQ(clients.back()->header("Content-Encoding").value_or(""), expected);
        EXPECT_EQ(clients.back()->header("Vary").value_or(""), "Accept-Encoding");
    }
    for (int round = 0; round < 2; ++round) {
        const auto released = metric("deltacast_encoders_released_total");
        write_and_expect_everywhere(chat, "after idle " + std::to_string(round), clients);
        ASSERT_FALSE(HasFatalFailure());
        std::this_thread::sleep_for(2500ms); // a tick with no write: the encoders are released
        EXPECT_GE(metric("deltacast_encoders_released_total"), released + 3);
    }
    for (const auto& client : clients) {
        EXPECT_GE(client->comment_count(), 1); // heartbeats were written (and decoded) too
        EXPECT_TRUE(client->error().empty()) << client->error();
    }
}

// Invariant: streams that carry the same frames share their encoder (zstd and gzip): a frame
// to many streams costs one compression per shard, not one per stream, and every stream still
// decodes every row. With fanout.share_encoders = false it costs one per stream.
TEST_F(DeliveryTest, StreamsWithTheSameFramesShareTheirEncoder) {
    for (const bool shared : {true, false}) {
        SCOPED_TRACE(shared ? "shared" : "one encoder per stream");
        start(make_test_config(shared ? "" : "[fanout]\nshare_encoders = false\n"));
        const auto chat = fresh_chat_id();
        create_chat(chat);
        std::vector<std::unique_ptr<SseClient>> clients;
        for (int i = 0; i < 16; ++i) {
            clients.push_back(open_stream("chat:" + std::to_string(chat), "u1",
                                          i % 2 == 0 ? "zstd" : "gzip"));
        }
        const auto compressions = metric("deltacast_compressions_total");
        const auto delivered = metric("deltacast_frames_delivered_total");
        for (int n = 0; n < 5; ++n) {
            write_and_expect_everywhere(chat, "shared " + std::to_string(n), clients);
            ASSERT_FALSE(HasFatalFailure());
        }
        const auto calls = metric("deltacast_compressions_total") - compressions;
        EXPECT_EQ(metric("deltacast_frames_delivered_total") - delivered, 80);
        if (shared) {
            // 2 encodings x 2 shards (server.threads = 2) x 5 frames.
            EXPECT_LE(calls, 20) << "frames were compressed per stream";
        } else {
            EXPECT_EQ(calls, 80);
        }
        for (const auto& client : clients) {
            EXPECT_TRUE(client->error().empty()) << client->error();
        }
        clients.clear();
        app_.reset();
    }
}

// Invariant: an id that was signalled but is not (or no longer) in the topic's rows comes out
// as entity-delete, never silently dropped.
TEST_F(DeliveryTest, MissingIdBecomesEntityDelete) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto client = open_stream("chat:" + std::to_string(chat));
    const auto id = write_message(chat, "soon gone");
    ASSERT_TRUE(wait_for_row(*client, id));
    pg_.exec("BEGIN");
    pg_.query("DELETE FROM chat_message_content WHERE id = $1", {id});
    pg_.query("SELECT deltacast_signal($1, 'contentIds', ARRAY[$2]::bigint[])",
              {"chat:" + std::to_string(chat), id});
    pg_.exec("COMMIT");
    const auto ev = client->wait_for([](const SseEvent& e) { return e.event == "entity-delete"; },
                                     5s);
    ASSERT_TRUE(ev);
    const auto data = nlohmann::json::parse(ev->data);
    EXPECT_EQ(data.at("ids"), nlohmann::json::array({std::stoll(id)}));
    EXPECT_EQ(data.at("entity"), "ChatMessageContent");
    EXPECT_FALSE(ev->id.empty());
}

// Invariant: a row of another chat cannot leak through a wrong signal ($2 = topic id).
TEST_F(DeliveryTest, SignalForAnotherChatsRowDoesNotLeakIt) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    const auto other = fresh_chat_id();
    create_chat(chat);
    create_chat(other);
    auto client = open_stream("chat:" + std::to_string(chat));
    const auto foreign = pg_.scalar(
        "INSERT INTO chat_message_content (chat_id, seq, role, body) VALUES ($1, 1, 'user', "
        "'secret') RETURNING id",
        {std::to_string(other)});
    pg_.query("SELECT deltacast_signal($1, 'contentIds', ARRAY[$2]::bigint[])",
              {"chat:" + std::to_string(chat), foreign});
    const auto ev = client->wait_for(
        [](const SseEvent& e) { return e.event.rfind("entity-", 0) == 0; }, 5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->event, "entity-delete");
    EXPECT_EQ(ev->data.find("secret"), std::string::npos);
}

// Invariant: org topics carry no data: a signal becomes one `poke` event with an id.
TEST_F(DeliveryTest, OrgSignalBecomesPoke) {
    start(make_test_config());
    auto client = open_stream("org:1");
    pg_.exec("SELECT deltacast_poke('org:1')");
    const auto ev = client->wait_for([](const SseEvent& e) { return e.event == "poke"; }, 5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(nlohmann::json::parse(ev->data), nlohmann::json({{"topic", "org:1"}}));
    EXPECT_EQ(ev->id.rfind(last_epoch_ + "-", 0), 0U) << "id " << ev->id << " is not <epoch>-<seq>";
}

// Invariant: event ids are <epoch>-<seq> with seq strictly increasing within the epoch.
TEST_F(DeliveryTest, EventIdsAreEpochAndIncreasingSeq) {
    start(make_test_config());
    auto client = open_stream("org:1");
    long long last_seq = 0;
    for (int i = 0; i < 3; ++i) {
        pg_.exec("SELECT deltacast_poke('org:1')");
        const auto ev = client->wait_for([](const SseEvent& e) { return e.event == "poke"; }, 5s);
        ASSERT_TRUE(ev);
        ASSERT_EQ(ev->id.rfind(last_epoch_ + "-", 0), 0U) << ev->id;
        const long long seq = std::stoll(ev->id.substr(last_epoch_.size() + 1));
        EXPECT_GT(seq, last_seq);
        last_seq = seq;
    }
}

// Invariant: an idle stream gets a heartbeat comment every heartbeat_s seconds of silence.
TEST_F(DeliveryTest, IdleStreamGetsHeartbeats) {
    start(make_test_config("heartbeat_s = 1\n"));
    auto client = open_stream("org:1");
    std::this_thread::sleep_for(3500ms);  // ready at 0 s, silent from 1 s: a heartbeat by 2 s
    EXPECT_GE(client->comment_count(), 1);
    EXPECT_GE(metric("deltacast_heartbeats_total"), 1);
}

// Invariant: a malformed payload is counted and answered with resync for that topic; the
// server keeps serving.
TEST_F(DeliveryTest, MalformedSignalIsCountedAndResyncs) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto client = open_stream("chat:" + std::to_string(chat));
    const auto before = metric("deltacast_signals_malformed_total");
    pg_.notify("signal:chat:" + std::to_string(chat), "{not json");
    const auto ev = client->wait_for([](const SseEvent& e) { return e.event == "resync"; }, 5s);
    ASSERT_TRUE(ev);
    EXPECT_EQ(nlohmann::json::parse(ev->data).at("reason"), "malformed-signal");
    EXPECT_EQ(metric("deltacast_signals_malformed_total"), before + 1);
    const auto id = write_message(chat, "still alive");
    EXPECT_TRUE(wait_for_row(*client, id));
}

// Invariant: a kind with a snapshot query sends the current rows right after `ready`, marked
// "snapshot":true, to fresh connections only (a resuming one gets resync instead).
TEST_F(DeliveryTest, SnapshotAfterReadyForFreshStreamsOnly) {
    start(make_test_config("", "", "jwt",
                           "snapshot = \"SELECT to_jsonb(c) FROM chat_message_content c WHERE "
                           "c.chat_id = $1 ORDER BY c.id DESC LIMIT 50\"\n"));
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const auto id = write_message(chat, "history");
    auto fresh = open_stream("chat:" + std::to_string(chat));
    const auto snap = fresh->next_event(5s);
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->event, "entity-upsert");
    const auto data = nlohmann::json::parse(snap->data);
    EXPECT_EQ(data.at("snapshot"), true);
    ASSERT_EQ(data.at("rows").size(), 1U);
    EXPECT_EQ(std::to_string(data.at("rows")[0].at("id").get<long long>()), id);

    auto resumed = open_stream("chat:" + std::to_string(chat) + "&lastEventId=abc-1");
    const auto next = resumed->next_event(5s);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->event, "resync");
}

}  // namespace
}  // namespace deltacast::testing
