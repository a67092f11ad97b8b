#pragma once
// FaultFixture: the in-process server of ServerFixture plus the end-to-end consistency
// checker, for fault tests: several checked clients watch chats that a LoadWriter writes to;
// a test breaks something under that load, then stops the writer and asks the checker whether
// any client silently missed a row (SPEC §3).

#include "load_writer.hpp"
#include "server_fixture.hpp"
#include "support/consistency_checker.hpp"

#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace deltacast::testing {

/// Every row a chat topic's query can return: the truth a resync refetches.
inline constexpr const char* kChatRowsSql =
    "SELECT to_jsonb(c) FROM chat_message_content c WHERE c.chat_id = $1::bigint ORDER BY c.id";

class FaultFixture : public ServerFixture {
protected:
    std::vector<long long> make_chats(int n) {
        std::vector<long long> chats;
        for (int i = 0; i < n; ++i) {
            chats.push_back(fresh_chat_id());
            create_chat(chats.back());
        }
        return chats;
    }

    /// Adds `n` checked clients as u1; client i watches two neighbouring chats of `chats` as
    /// `<kind>:<id>` (odd clients also org:1), every other one brotli-compressed.
    void add_clients(int n, const std::vector<long long>& chats, const std::string& kind = "chat") {
        for (int i = 0; i < n; ++i) {
            const auto k = static_cast<std::size_t>(i);
            std::vector<std::string> topics{kind + ":" + std::to_string(chats[k % chats.size()])};
            if (chats.size() > 1) {
                topics.push_back(kind + ":" + std::to_string(chats[(k + 1) % chats.size()]));
            }
            if (i % 2 == 1) {
                topics.emplace_back("org:1");
            }
            std::vector<std::pair<std::string, std::string>> headers{
                {"Authorization", "Bearer " + make_token("u1")}};
            if (i % 2 == 0) {
                headers.emplace_back("Accept-Encoding", "br");
            }
            checker_.add("client" + std::to_string(i), topics,
                         stream_opener(port(), topics, std::move(headers)));
        }
    }

    /// Pumps the checker for `duration` while the load runs.
    void pump_for(std::chrono::milliseconds duration) {
        pump_until([] { return false; }, duration);
    }

    /// Pumps the checker until `done()` or `timeout`; returns done().
    bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            checker_.pump();
            std::this_thread::sleep_for(20ms);
        }
        return true;
    }

    /// Every checked client saw at least one resync with `reason`.
    void expect_every_client_resynced(const std::string& reason) {
        for (const auto& client : checker_.clients()) {
            const auto& resyncs = client->view().stats().resyncs;
            EXPECT_GE(resyncs.count(reason) ? resyncs.at(reason) : 0, 1)
                << client->view().name() << " got no resync with reason " << reason;
        }
    }

    ConsistencyChecker checker_{pg_row_source(
        {{"chat", kChatRowsSql}, {"slowchat", kChatRowsSql}, {"org", ""}}, test_conninfo())};
};

} // namespace deltacast::testing
