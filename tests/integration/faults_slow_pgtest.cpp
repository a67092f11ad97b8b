// A client that stops reading, under load: the server's memory for it stays bounded
// (server.max_queued_bytes, seen through the deltacast_queued_bytes gauge), the clients that do
// read keep their commit->arrival latency, and they lose nothing (end-to-end checker).
// slow_consumer_pgtest covers the stalled client's own resync.

#include "fault_fixture.hpp"
#include "support/socket_util.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace deltacast::testing {
namespace {

using Millis = std::chrono::duration<double, std::milli>;

/// A connection that sends a stream request and never reads: a tiny receive buffer so that the
/// server's queue for it fills after a few hundred KiB instead of many MiB of socket buffers.
UniqueFd open_stalled(int port, const std::string& topics) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
    const int rcvbuf = 4096;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        return {};
    }
    std::string error;
    const bool sent = send_all(fd.get(),
                               "GET /api/sse/stream?topics=" + topics +
                                   " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                   make_token("u1") + "\r\n\r\n",
                               error);
    return sent ? std::move(fd) : UniqueFd{};
}

double p99(std::vector<double> samples) {
    if (samples.empty()) {
        return 0;
    }
    std::sort(samples.begin(), samples.end());
    return samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
}

class FaultSlowConsumerTest : public FaultFixture {
protected:
    /// Records commit->arrival latency of every upserted row version `writer` committed, into
    /// the current phase's samples.
    void measure_latency(const LoadWriter& writer) {
        for (auto& client : checker_.clients()) {
            client->observe([this, &writer](const SseEvent& ev) {
                if (ev.event != "entity-upsert") {
                    return;
                }
                const auto data = nlohmann::json::parse(ev.data); // named: a temporary would dangle
                for (const auto& row : data.at("rows")) {
                    const auto committed = writer.commit_time(row.at("id").get<long long>(),
                                                              row.at("version").get<long long>());
                    if (committed) {
                        samples_[phase_].push_back(
                            std::max(0.0, Millis(ev.received - *committed).count()));
                    }
                }
            });
        }
    }

    int phase_ = 0; // 0: everyone reads, 1: one client stalled
    std::vector<double> samples_[2];
};

// Invariant: one stalled client costs the server at most max_queued_bytes for its queue (not
// the MiBs written to it meanwhile), the other clients' p99 commit->arrival latency stays within
// a generous bound of their baseline, and the reading clients lose nothing.
TEST_F(FaultSlowConsumerTest, StalledClientStaysBoundedAndOthersStayFast) {
    constexpr int kMaxQueued = 64 * 1024;
    start(make_test_config("max_queued_bytes = " + std::to_string(kMaxQueued) + "\n"));
    const auto chats = make_chats(3); // two for the readers, one bulk chat for the stalled
    add_clients(4, {chats[0], chats[1]});
    LoadWriter writer({{chats[0], chats[1]}, "chat", 10ms, 4 * 1024});
    LoadWriter bulk({{chats[2]}, "chat", 10ms, 32 * 1024}); // ~3 MB/s: fills socket buffers
    measure_latency(writer);
    writer.start();
    pump_for(1500ms);

    phase_ = 1;
    auto stalled = open_stalled(port(), "chat:" + std::to_string(chats[0]) +
                                            ",chat:" + std::to_string(chats[2]));
    ASSERT_TRUE(stalled);
    bulk.start();
    double max_queued = 0;
    const auto sample_until = [&](const std::function<bool()>& done, auto timeout) {
        return pump_until(
            [&] {
                max_queued = std::max(max_queued, metric("deltacast_queued_bytes"));
                return done();
            },
            timeout);
    };
    const bool overflowed =
        sample_until([&] { return metric("deltacast_slow_consumer_resyncs_total") >= 2; }, 20s);
    sample_until([] { return false; }, 1500ms); // unbounded, the queue would grow by MiBs
    bulk.stop();
    writer.stop();

    EXPECT_TRUE(overflowed) << "the stalled client's queue never overflowed";
    // Five connections, each queue within max_queued_bytes (or one lone frame a bit bigger).
    EXPECT_LE(max_queued, 5.0 * (kMaxQueued + 70 * 1024));
    const double baseline = p99(samples_[0]);
    const double stalled_p99 = p99(samples_[1]);
    ASSERT_GE(samples_[0].size(), 50U);
    ASSERT_GE(samples_[1].size(), 50U);
    EXPECT_LE(stalled_p99, 3 * baseline + 250)
        << "p99 commit->arrival: baseline " << baseline << " ms, with a stalled client "
        << stalled_p99 << " ms";
    EXPECT_TRUE(checker_.check());
    for (const auto& client : checker_.clients()) {
        EXPECT_EQ(client->view().stats().resyncs.count("slow-consumer"), 0U)
            << client->view().name() << " reads but was treated as a slow consumer";
    }
    RecordProperty("baseline_p99_ms", std::to_string(baseline));
    RecordProperty("stalled_p99_ms", std::to_string(stalled_p99));
    RecordProperty("max_queued_bytes", std::to_string(max_queued));
}

// A write that stays stuck past server.write_timeout_s closes that connection (it is checked
// at the heartbeat tick, not by a timer per write): its memory is freed, the metric counts it,
// and the clients that read lose nothing.
TEST_F(FaultSlowConsumerTest, StuckWriteIsClosedAfterWriteTimeout) {
    // A queue bound far above what this test writes, so only the write timeout can act.
    start(make_test_config("heartbeat_s = 1\nwrite_timeout_s = 1\nmax_queued_bytes = 268435456\n"));
    const auto chats = make_chats(1);
    add_clients(2, {chats[0]});
    pump_for(300ms);
    const double connections = metric("deltacast_connections");
    auto stalled = open_stalled(port(), "chat:" + std::to_string(chats[0]));
    ASSERT_TRUE(stalled);
    ASSERT_TRUE(pump_until([&] { return metric("deltacast_connections") == connections + 1; }, 5s));
    LoadWriter bulk({{chats[0]}, "chat", 10ms, 32 * 1024}); // ~3 MB/s: fills the socket buffers
    bulk.start();
    const auto started = std::chrono::steady_clock::now();
    const bool closed =
        pump_until([&] { return metric("deltacast_slow_consumer_closes_total") >= 1; }, 30s);
    const auto waited = std::chrono::steady_clock::now() - started;
    bulk.stop();

    ASSERT_TRUE(closed) << "the stuck connection was never closed";
    EXPECT_TRUE(pump_until([&] { return metric("deltacast_connections") == connections; }, 5s));
    // The timeout acted, not the queue bound.
    EXPECT_EQ(metric("deltacast_slow_consumer_resyncs_total"), 0);
    EXPECT_TRUE(checker_.check());
    RecordProperty(
        "closed_after_ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()));
}

} // namespace
} // namespace deltacast::testing
