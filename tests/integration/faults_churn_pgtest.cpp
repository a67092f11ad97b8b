// Connection churn: a thousand tabs opening and closing streams over many topics, round after
// round, must leave nothing behind: file descriptors, LISTENed channels, topics, the
// connection gauge and (roughly) memory all return to where they started.

#include "fault_fixture.hpp"
#include "support/socket_util.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <malloc.h>

#if defined(__SANITIZE_ADDRESS__)
// From the ASan runtime (sanitizer/allocator_interface.h, which GCC's packages do not ship).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace deltacast::testing {
namespace {

constexpr int kClients = 1000;
constexpr int kRounds = 5;
constexpr int kChats = 40;

/// Open file descriptors of this process (the server runs in it).
int open_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

/// Resident set size of this process, in KiB.
long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

/// Heap bytes in live allocations (under ASan, its allocator's count: freed memory waiting in
/// the quarantine is not live, but it does count in RSS).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    const auto info = mallinfo2();
    return info.uordblks + info.hblkhd;
#endif
}

constexpr bool kAsan =
#if defined(__SANITIZE_ADDRESS__)
    true;
#else
    false;
#endif

class FaultChurnTest : public FaultFixture {
protected:
    /// Opens kClients raw streams (no reader threads: a thousand would be too many), each on
    /// three random chats and every other one also on org:1, and waits for every `ready`.
    std::vector<UniqueFd> open_round(const std::vector<long long>& chats, std::mt19937& rng) {
        const auto token = make_token("u1");
        std::vector<UniqueFd> fds;
        std::string error;
        for (int i = 0; i < kClients; ++i) {
            const auto first = rng() % chats.size();
            std::string topics = i % 2 == 0 ? "org:1" : "";
            for (std::size_t k = 0; k < 3; ++k) {
                topics += (topics.empty() ? "chat:" : ",chat:") +
                          std::to_string(chats[(first + k * 7) % chats.size()]);
            }
            auto fd = connect_tcp("127.0.0.1", port(), SteadyClock::now() + 5s, error);
            EXPECT_TRUE(fd) << error;
            EXPECT_TRUE(send_all(fd.get(),
                                 "GET /api/sse/stream?topics=" + topics +
                                     " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                                     "\r\n\r\n",
                                 error))
                << error;
            fds.push_back(std::move(fd));
        }
        for (auto& fd : fds) {
            EXPECT_TRUE(wait_ready(fd.get())) << "a stream never got `ready`";
        }
        return fds;
    }

    static bool wait_ready(int fd) {
        std::string seen;
        char buf[4096];
        const auto deadline = SteadyClock::now() + 20s;
        while (seen.find("event: ready") == std::string::npos) {
            const auto r = recv_some(fd, buf, sizeof buf, deadline);
            if (r.status != RecvStatus::Data) {
                return false;
            }
            seen.append(buf, r.size);
        }
        return true;
    }

    bool wait_metric(const std::string& name, double value, std::chrono::milliseconds timeout) {
        return pump_until([&] { return metric(name) == value; }, timeout);
    }
};

// Invariant: after rounds of 1000 streams opening and closing over 40 topics, the process is
// back at its baseline: fds (± slack), no LISTEN left after the linger, no topics, 0
// connections, and memory (live heap; RSS outside ASan) does not grow from round to round.
TEST_F(FaultChurnTest, ThousandClientsComeAndGoLeavingNothingBehind) {
    start(make_test_config("max_connections_per_subject = 0\n"));  // one subject, 1000 streams
    const auto chats = make_chats(kChats);
    const int baseline_fds = open_fds();
    std::mt19937 rng(7);
    std::vector<long> rss;
    std::vector<std::size_t> heap;
    for (int round = 0; round < kRounds; ++round) {
        auto fds = open_round(chats, rng);
        ASSERT_EQ(metric("deltacast_connections"), kClients) << "round " << round;
        fds.clear(); // every tab closes at once
        ASSERT_TRUE(wait_metric("deltacast_connections", 0, 10s))
            << "round " << round << ": " << metric("deltacast_connections") << " still open";
        rss.push_back(rss_kib());
        heap.push_back(heap_in_use());
    }
    EXPECT_TRUE(wait_metric("deltacast_topics", 0, 10s)) << metric("deltacast_topics");
    EXPECT_TRUE(pump_until([&] { return listening().empty(); }, 10s))
        << listening().size() << " channels still LISTENed after the linger";
    EXPECT_EQ(metric("deltacast_listen_channels"), 0);
    int fds_now = 0;
    EXPECT_TRUE(pump_until([&] { return (fds_now = open_fds()) <= baseline_fds + 4; }, 10s))
        << "fds: baseline " << baseline_fds << ", now " << fds_now;
    // Round 1 warms caches (access cache, allocator arenas). Leaking 1 KiB per stream would add
    // 3 MiB from round 2 to round 5.
    EXPECT_LE(heap.back(), heap[1] + 3 * 1024 * 1024)
        << "live heap bytes per round: " << ::testing::PrintToString(heap);
    // ASan's quarantine keeps up to 256 MiB of freed memory resident: RSS says nothing there.
    if (!kAsan) {
        EXPECT_LE(rss.back(), rss[1] + std::max(64L * 1024, rss[1] / 2))
            << "RSS KiB per round: " << ::testing::PrintToString(rss);
    }
    RecordProperty("rss_kib_per_round", ::testing::PrintToString(rss));
    RecordProperty("heap_bytes_per_round", ::testing::PrintToString(heap));
}

} // namespace
} // namespace deltacast::testing
