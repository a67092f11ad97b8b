// Back-pressure: a client that stops reading cannot make the server buffer without bound. Its
// unsent frames are dropped and replaced by one `resync`, and other clients are unaffected.

#include "server_fixture.hpp"
#include "support/socket_util.hpp"

namespace deltacast::testing {
namespace {

class SlowConsumerTest : public ServerFixture {};

// Invariant: past server.max_queued_bytes a stalled client's queue is dropped for a resync
// ("slow-consumer"), while a reading client on the same topic still gets the last row or, if it
// fell behind too, a resync: nothing is silently lost for anyone.
TEST_F(SlowConsumerTest, StalledClientGetsResyncOthersGetEverything) {
    start(make_test_config("max_queued_bytes = 65536\n"));
    const auto chat = fresh_chat_id();
    create_chat(chat);
    auto reader = open_stream("chat:" + std::to_string(chat));

    std::string error;
    auto stalled = connect_tcp("127.0.0.1", port(), SteadyClock::now() + 5s, error);
    ASSERT_TRUE(stalled) << error;
    ASSERT_TRUE(send_all(stalled.get(),
                         "GET /api/sse/stream?topics=chat:" + std::to_string(chat) +
                             " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + make_token("u1") +
                             "\r\n\r\n",
                         error))
        << error;
    // Wait until the stalled client is subscribed (it never reads, so ask the server).
    const auto deadline = SteadyClock::now() + 5s;
    while (metric("deltacast_connections") < 2 && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(metric("deltacast_connections"), 2);

    // 300 x 64 KiB = ~19 MiB: more than loopback's socket buffers hold, so the server's queue
    // for the stalled client must overflow.
    const std::string big(64 * 1024, 'x');
    std::string last_id;
    for (int i = 0; i < 300; ++i) {
        last_id = write_message(chat, big);
    }
    bool reader_covered = false;
    reader->wait_for(
        [&](const SseEvent& ev) {
            if (ev.event == "resync") {
                return reader_covered = true;
            }
            if (ev.event == "entity-upsert" && ev.data.find("\"id\": " + last_id + ",") !=
                                                   std::string::npos) {
                return reader_covered = true;
            }
            return false;
        },
        30s);
    ASSERT_TRUE(reader_covered) << "the reading client got neither the last row nor a resync";
    EXPECT_GE(metric("deltacast_slow_consumer_resyncs_total"), 1);

    // Draining the stalled socket now shows the resync that replaced what it missed.
    const std::string marker = "\"reason\":\"slow-consumer\"";
    std::string seen;
    char buf[65536];
    const auto drain_deadline = SteadyClock::now() + 20s;
    bool found = false;
    std::size_t total = 0;
    while (!found) {
        const auto r = recv_some(stalled.get(), buf, sizeof buf, drain_deadline);
        ASSERT_EQ(r.status, RecvStatus::Data)
            << "stream ended without a slow-consumer resync after " << total << " bytes";
        total += r.size;
        seen.append(buf, r.size);
        found = seen.find(marker) != std::string::npos;
        if (seen.size() > 256 * 1024) {
            seen.erase(0, seen.size() - marker.size());  // memory stays small
        }
    }
}

}  // namespace
}  // namespace deltacast::testing
