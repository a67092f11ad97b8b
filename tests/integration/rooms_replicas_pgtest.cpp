// Presence across real processes: a replica that is SIGKILLed cannot say goodbye; the survivors
// must drop its members within presence.expiry_s + presence.refresh_s (the documented bound),
// and a restarted replica announces its members again.

#include "server_fixture.hpp"
#include "support/child_process.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>

namespace deltacast::testing {
namespace {

constexpr int kExpiryS = 2;
constexpr int kRefreshS = 1;

const std::string kRoom = R"(
[topics.room]
mode = "poke"
id_type = "bigint"
presence = true
presence_grace_ms = 300
)";

const std::string kPresence = "[presence]\nexpiry_s = " + std::to_string(kExpiryS) +
                              "\nrefresh_s = " + std::to_string(kRefreshS) + "\n";

std::string write_config(int port) {
    const std::string path =
        ::testing::TempDir() + "deltacast-rooms-" + std::to_string(port) + ".toml";
    std::ofstream(path) << "[server]\nlisten = \"127.0.0.1:" << port << "\"\nthreads = 1\n"
                        << "[postgres]\nconninfo = \"\"\n[auth]\nmode = \"jwt\"\n"
                        << kPresence << kRoom;
    return path;
}

std::unique_ptr<ChildProcess> start_replica(const std::string& config, int port) {
    const char* dir = std::getenv("DELTACAST_BINARY_DIR");
    if (dir == nullptr) {
        ADD_FAILURE() << "DELTACAST_BINARY_DIR is not set (scripts/test.sh sets it)";
        return nullptr;
    }
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{std::string(dir) + "/deltacast", "--config", config},
        std::vector<std::pair<std::string, std::string>>{{"DELTACAST_JWT_SECRET", kTestSecret}},
        ::testing::TempDir() + "deltacast-rooms-replica.log");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (http_get(port, "/readyz").status != 200) {
        if (std::chrono::steady_clock::now() > deadline || child->wait_exit(0ms)) {
            ADD_FAILURE() << "replica never became ready:\n" << child->log_tail();
            return nullptr;
        }
        std::this_thread::sleep_for(50ms);
    }
    return child;
}

class RoomsReplicaTest : public ServerFixture {
protected:
    std::unique_ptr<SseClient> join(int port, const std::string& topic, const std::string& sub) {
        auto client = std::make_unique<SseClient>();
        SseRequest request{"127.0.0.1", port, "/api/sse/stream?topics=" + topic,
                           {{"Authorization", "Bearer " + make_token(sub)}}};
        EXPECT_TRUE(client->open(request, 5s)) << client->error();
        EXPECT_EQ(client->status(), 200) << client->body();
        return client;
    }
    /// Waits for a presence event on `client` that satisfies `pred`.
    static bool wait_presence(SseClient& client,
                              const std::function<bool(const nlohmann::json&)>& pred,
                              std::chrono::milliseconds timeout) {
        return client
            .wait_for(
                [&](const SseEvent& e) {
                    return e.event == "presence" && pred(nlohmann::json::parse(e.data));
                },
                timeout)
            .has_value();
    }
    static bool names(const nlohmann::json& list, const std::string& sub) {
        for (const auto& m : list) {
            if ((m.is_object() ? m.at("sub") : m) == sub) {
                return true;
            }
        }
        return false;
    }
};

// Invariant: SIGKILL a replica: its members leave the room on the survivor within
// expiry_s + refresh_s (+ grace and a window); restarted, it announces its members again.
TEST_F(RoomsReplicaTest, KilledReplicaMembersLeaveWithinTheBound) {
    auto config = make_test_config("", "", "jwt", kPresence + kRoom);
    start(std::move(config));
    const int port_b = free_tcp_port();
    const auto config_b = write_config(port_b);
    auto replica = start_replica(config_b, port_b);
    ASSERT_TRUE(replica);
    const std::string topic = "room:" + std::to_string(fresh_chat_id());
    auto a = join(port(), topic, "u1");
    auto b = join(port_b, topic, "u2");
    ASSERT_TRUE(wait_presence(
        *a, [](const nlohmann::json& p) { return p.contains("joins") && names(p["joins"], "u2"); },
        5s))
        << "u2's join never crossed replicas";

    replica->signal(SIGKILL);
    ASSERT_TRUE(replica->wait_exit(5s));
    const auto killed_at = std::chrono::steady_clock::now();
    const auto bound = std::chrono::seconds(kExpiryS + kRefreshS) + 300ms + 700ms;
    ASSERT_TRUE(wait_presence(
        *a, [](const nlohmann::json& p) { return p.contains("leaves") && names(p["leaves"], "u2"); },
        bound + 2s))
        << "the killed replica's member never left";
    const auto took = std::chrono::steady_clock::now() - killed_at;
    EXPECT_LE(took, bound) << "took "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms";
    RecordProperty("leave_after_kill_ms", static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    EXPECT_GE(metric("deltacast_presence_dead_replica_leaves_total"), 1);

    auto restarted = start_replica(config_b, port_b);
    ASSERT_TRUE(restarted);
    auto b2 = join(port_b, topic, "u2");
    EXPECT_TRUE(wait_presence(
        *a, [](const nlohmann::json& p) { return p.contains("joins") && names(p["joins"], "u2"); },
        5s))
        << "the restarted replica did not announce its member";
}

}  // namespace
}  // namespace deltacast::testing
