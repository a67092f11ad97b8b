// The promise of `ready`: LISTEN is confirmed for every topic before it is sent, so a write
// committed after the client saw `ready` always reaches it.

#include "server_fixture.hpp"

namespace deltacast::testing {
namespace {

class ReadyTest : public ServerFixture {};

// Invariant: a write committed right after `ready` is delivered, 200 times in a row, each
// time on a topic that was not LISTENed before the request (so the LISTEN really races).
TEST_F(ReadyTest, WriteCommittedRightAfterReadyIsDelivered200Times) {
    start(make_test_config());
    for (int i = 0; i < 200; ++i) {
        const auto chat = fresh_chat_id();
        create_chat(chat);
        auto client = open_stream("chat:" + std::to_string(chat));  // returns after `ready`
        const auto id = write_message(chat, "race " + std::to_string(i));
        ASSERT_TRUE(wait_for_row(*client, id, 5s)) << "write after ready lost, round " << i;
    }
}

}  // namespace
}  // namespace deltacast::testing
