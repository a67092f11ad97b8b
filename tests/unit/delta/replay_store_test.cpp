// ReplayStore: what a resuming client is replayed, and when it must get a resync instead.

#include "delta/replay_store.hpp"

#include <gtest/gtest.h>

namespace deltacast::delta {
namespace {

using namespace std::chrono_literals;

class Forward final : public FramePublisher {
public:
    void publish(wire::FramePtr frame) override { frames.push_back(std::move(frame)); }
    std::vector<wire::FramePtr> frames;
};

class ReplayStoreTest : public ::testing::Test {
protected:
    /// Publishes a frame for `topic` carrying `events` event ids (0 = a resync frame).
    wire::FramePtr publish(const std::string& topic, int events = 1, std::size_t size = 10) {
        auto frame = std::make_shared<wire::Frame>();
        frame->topic = topic;
        frame->bytes.assign(size, 'x');
        for (int i = 0; i < events; ++i) {
            ids_.next();
            frame->first_seq = frame->first_seq ? frame->first_seq : ids_.last();
            frame->last_seq = ids_.last();
        }
        store_.publish(frame);
        return frame;
    }
    std::vector<std::uint64_t> seqs(const ReplayStore::Replay& r) {
        std::vector<std::uint64_t> out;
        for (const auto& f : r.frames) {
            out.push_back(f->first_seq);
        }
        return out;
    }

    ReplayConfig config_{4, 1000, 60};
    wire::EventIds ids_{"ep"};
    Forward next_;
    ReplayStore store_{config_, next_, ids_};
};

// Every frame is forwarded, recorded or not.
TEST_F(ReplayStoreTest, ForwardsEverything) {
    publish("chat:1");
    store_.topic_listening("chat:1");
    publish("chat:1");
    EXPECT_EQ(next_.frames.size(), 2U);
}

// Exactly the frames after the client's seq, for its topics, in seq order across topics.
TEST_F(ReplayStoreTest, ReplaysExactlyTheFramesAfterTheSeq) {
    store_.topic_listening("chat:1");
    store_.topic_listening("org:1");
    publish("chat:1");                   // seq 1: seen
    const auto seen = ids_.last();
    publish("org:1");                    // 2
    publish("chat:1");                   // 3
    publish("chat:2");                   // 4: not LISTENed here, not requested
    const auto r = store_.replay_after(seen, {"chat:1", "org:1"});
    EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{2, 3}));
    EXPECT_TRUE(r.uncovered.empty());
    EXPECT_TRUE(store_.replay_after(ids_.last(), {"chat:1"}).frames.empty());
}

// A topic not LISTENed since before the client's seq cannot be covered: signals sent before
// the LISTEN (they take no seq) were not seen, even by a client that saw every id until then.
TEST_F(ReplayStoreTest, CoverageStartsAtListen) {
    publish("chat:9");  // seq 1, before chat:1 is LISTENed here
    store_.topic_listening("chat:1");
    EXPECT_EQ(store_.replay_after(0, {"chat:1"}).uncovered, std::vector<std::string>{"chat:1"});
    EXPECT_EQ(store_.replay_after(1, {"chat:1"}).uncovered, std::vector<std::string>{"chat:1"});
    const auto first = publish("chat:1");  // seq 2: a client that saw it is covered
    EXPECT_TRUE(store_.replay_after(first->last_seq, {"chat:1"}).uncovered.empty());
    EXPECT_EQ(store_.replay_after(1, {"chat:7"}).uncovered, std::vector<std::string>{"chat:7"});
}

// A resync published for the topic ends coverage of everything before it.
TEST_F(ReplayStoreTest, ResyncBreaksCoverage) {
    store_.topic_listening("chat:1");
    publish("chat:1");
    const auto before = ids_.last();
    publish("chat:1", 0);  // resync
    EXPECT_EQ(store_.replay_after(before, {"chat:1"}).uncovered,
              std::vector<std::string>{"chat:1"});
    const auto after = publish("chat:1");  // a client that saw this one is covered again
    EXPECT_EQ(store_.replay_after(before, {"chat:1"}).uncovered.size(), 1U);
    EXPECT_TRUE(store_.replay_after(after->last_seq, {"chat:1"}).uncovered.empty());
}

// Count, byte and age bounds evict the oldest frames; a client that needs one gets a resync.
TEST_F(ReplayStoreTest, EvictionByCountBytesAndAge) {
    store_.topic_listening("chat:1");
    for (int i = 0; i < 6; ++i) {
        publish("chat:1");  // seqs 1..6; only 3..6 fit (max_frames 4)
    }
    EXPECT_EQ(store_.replay_after(1, {"chat:1"}).uncovered.size(), 1U);
    EXPECT_EQ(seqs(store_.replay_after(2, {"chat:1"})), (std::vector<std::uint64_t>{3, 4, 5, 6}));
    publish("chat:1", 1, 990);  // 7: bytes 3*10 + 990 > 1000 evicts down to 2 frames
    EXPECT_LE(store_.retained_bytes("chat:1"), 1000U);
    EXPECT_EQ(store_.replay_after(2, {"chat:1"}).uncovered.size(), 1U);
    const auto later = ReplayStore::Clock::now() + 61s;  // past max_age_s: all evicted
    EXPECT_EQ(store_.replay_after(ids_.last() - 1, {"chat:1"}, later).uncovered.size(), 1U);
    EXPECT_TRUE(store_.replay_after(ids_.last(), {"chat:1"}, later).uncovered.empty());
}

// A frame the client saw only in part (cut between its events) is not replayed: resync.
TEST_F(ReplayStoreTest, PartlySeenFrameIsUncovered) {
    store_.topic_listening("chat:1");
    const auto frame = publish("chat:1", 2);  // upsert + delete: two ids
    EXPECT_EQ(store_.replay_after(frame->first_seq, {"chat:1"}).uncovered.size(), 1U);
    EXPECT_TRUE(store_.replay_after(frame->last_seq, {"chat:1"}).uncovered.empty());
}

// LISTEN confirmed again (after a listener reconnect) restarts coverage: the outage's signals are
// gone, so no client from before it is covered, even before the reconnect's resync arrives.
TEST_F(ReplayStoreTest, ListeningAgainRestartsCoverage) {
    store_.topic_listening("chat:1");
    publish("chat:1");
    const auto before = ids_.last();
    store_.topic_listening("chat:1");
    EXPECT_EQ(store_.replay_after(before, {"chat:1"}).uncovered.size(), 1U);
    EXPECT_EQ(store_.retained_bytes("chat:1"), 0U);
    const auto after = publish("chat:1");
    EXPECT_TRUE(store_.replay_after(after->last_seq, {"chat:1"}).uncovered.empty());
}

// A dropped (UNLISTENed) topic forgets its ring.
TEST_F(ReplayStoreTest, DroppedTopicIsUncovered) {
    store_.topic_listening("chat:1");
    publish("chat:1");
    store_.topic_dropped("chat:1");
    EXPECT_EQ(store_.replay_after(0, {"chat:1"}).uncovered.size(), 1U);
    EXPECT_EQ(store_.retained_bytes("chat:1"), 0U);
}

// max_frames = 0 disables replay: resumes always resync.
TEST(ReplayStoreDisabled, EveryResumeResyncs) {
    ReplayConfig config{0, 1000, 60};
    wire::EventIds ids{"ep"};
    Forward next;
    ReplayStore store{config, next, ids};
    store.topic_listening("chat:1");
    auto frame = std::make_shared<wire::Frame>();
    frame->topic = "chat:1";
    ids.next();
    frame->first_seq = frame->last_seq = ids.last();
    store.publish(frame);
    EXPECT_EQ(store.replay_after(0, {"chat:1"}).uncovered.size(), 1U);
    EXPECT_EQ(next.frames.size(), 1U);
}

// Event ids parse back to their seq only for this epoch and only if issued.
TEST(EventIdsParse, OnlyOwnEpochAndIssuedSeqs) {
    wire::EventIds ids{"b7f3"};
    ids.next();
    ids.next();
    EXPECT_EQ(ids.parse("b7f3-2"), 2U);
    EXPECT_EQ(ids.parse("b7f3-0"), 0U);
    EXPECT_FALSE(ids.parse("b7f3-3"));
    EXPECT_FALSE(ids.parse("ffff-1"));
    EXPECT_FALSE(ids.parse("b7f3-"));
    EXPECT_FALSE(ids.parse("b7f3-1x"));
    EXPECT_FALSE(ids.parse("b7f31"));
}

}  // namespace
}  // namespace deltacast::delta
