#include "sse/hub.hpp"

#include "unit/fakes/sse_fakes.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace deltacast::sse {
namespace {

using unit_test::RecordingSubscriber;

wire::FramePtr frame(const std::string& topic, const std::string& bytes = "data: x\n\n") {
    auto f = std::make_shared<wire::Frame>();
    f->topic = topic;
    f->bytes = bytes;
    return f;
}

class HubTest : public ::testing::Test {
protected:
    Hub hub_;
    std::shared_ptr<RecordingSubscriber> a_ = std::make_shared<RecordingSubscriber>();
    std::shared_ptr<RecordingSubscriber> b_ = std::make_shared<RecordingSubscriber>();
    std::shared_ptr<RecordingSubscriber> c_ = std::make_shared<RecordingSubscriber>();
};

// Every subscriber of the topic gets the SAME frame object (serialized once, shared).
TEST_F(HubTest, PublishSharesOneFrame) {
    hub_.join({"chat:1", "org:7"}, a_);
    hub_.join({"chat:1"}, b_);
    const auto f = frame("chat:1");
    hub_.publish(f);
    ASSERT_EQ(a_->frames.size(), 1u);
    ASSERT_EQ(b_->frames.size(), 1u);
    EXPECT_EQ(a_->frames[0].get(), f.get());
    EXPECT_EQ(b_->frames[0].get(), f.get());
}

// Subscribers of other topics get nothing; a topic nobody joined is a no-op.
TEST_F(HubTest, OtherTopicsGetNothing) {
    hub_.join({"chat:1"}, a_);
    hub_.join({"chat:2"}, b_);
    hub_.publish(frame("chat:1"));
    hub_.publish(frame("chat:3"));
    EXPECT_EQ(a_->frames.size(), 1u);
    EXPECT_TRUE(b_->frames.empty());
    EXPECT_EQ(hub_.subscribers("chat:3"), 0u);
}

// A subscriber of several topics gets each topic's frames, in publish order.
TEST_F(HubTest, MultiTopicSubscriberGetsEachInOrder) {
    hub_.join({"chat:1", "org:7"}, a_);
    const auto f1 = frame("org:7");
    const auto f2 = frame("chat:1");
    hub_.publish(f1);
    hub_.publish(f2);
    ASSERT_EQ(a_->frames.size(), 2u);
    EXPECT_EQ(a_->frames[0], f1);
    EXPECT_EQ(a_->frames[1], f2);
}

// leave removes exactly that subscriber from exactly those topics.
TEST_F(HubTest, LeaveRemovesExactlyOne) {
    hub_.join({"chat:1", "org:7"}, a_);
    hub_.join({"chat:1"}, b_);
    hub_.join({"chat:1"}, c_);
    hub_.leave({"chat:1"}, b_);
    EXPECT_EQ(hub_.subscribers("chat:1"), 2u);
    EXPECT_EQ(hub_.subscribers("org:7"), 1u);
    hub_.publish(frame("chat:1"));
    hub_.publish(frame("org:7"));
    EXPECT_EQ(a_->frames.size(), 2u);
    EXPECT_TRUE(b_->frames.empty());
    EXPECT_EQ(c_->frames.size(), 1u);
}

// Leaving the last-joined (or only) subscriber works too (no self-move mishap).
TEST_F(HubTest, LeaveLastAndOnly) {
    hub_.join({"chat:1"}, a_);
    hub_.join({"chat:1"}, b_);
    hub_.leave({"chat:1"}, b_);
    EXPECT_EQ(hub_.subscribers("chat:1"), 1u);
    hub_.publish(frame("chat:1"));
    EXPECT_EQ(a_->frames.size(), 1u);
    EXPECT_TRUE(b_->frames.empty());
    EXPECT_EQ(b_.use_count(), 1);  // the hub no longer holds it
}

// A subscriber joined twice to one topic is removed once per leave.
TEST_F(HubTest, DoubleJoinNeedsTwoLeaves) {
    hub_.join({"chat:1"}, a_);
    hub_.join({"chat:1"}, a_);
    hub_.leave({"chat:1"}, a_);
    EXPECT_EQ(hub_.subscribers("chat:1"), 1u);
    hub_.leave({"chat:1"}, a_);
    EXPECT_EQ(hub_.subscribers("chat:1"), 0u);
}

// Leaving a topic one never joined, or one that does not exist, changes nothing.
TEST_F(HubTest, LeaveUnknownIsNoop) {
    hub_.join({"chat:1"}, a_);
    hub_.leave({"chat:1", "chat:9"}, b_);
    EXPECT_EQ(hub_.subscribers("chat:1"), 1u);
    EXPECT_EQ(hub_.subscribers("chat:9"), 0u);
}

// The topic entry is dropped when its last subscriber leaves: a re-join starts clean.
TEST_F(HubTest, EmptyTopicDropped) {
    hub_.join({"chat:1"}, a_);
    hub_.leave({"chat:1"}, a_);
    EXPECT_EQ(hub_.subscribers("chat:1"), 0u);
    EXPECT_EQ(a_.use_count(), 1);
    hub_.publish(frame("chat:1"));
    EXPECT_TRUE(a_->frames.empty());
    hub_.join({"chat:1"}, b_);
    hub_.publish(frame("chat:1"));
    EXPECT_TRUE(a_->frames.empty());
    EXPECT_EQ(b_->frames.size(), 1u);
}

// clear() drops every subscriber.
TEST_F(HubTest, ClearDropsAll) {
    hub_.join({"chat:1", "org:7"}, a_);
    hub_.clear();
    hub_.publish(frame("chat:1"));
    EXPECT_TRUE(a_->frames.empty());
    EXPECT_EQ(a_.use_count(), 1);
}

// A subscriber on a shard: records what deliver() hands it and that it ran on the shard.
class ShardSubscriber final : public Subscriber {
public:
    explicit ShardSubscriber(Shard& shard) : shard_(shard) {}
    void push(wire::FramePtr frame) override { pushed.push_back(std::move(frame)); }
    void end(wire::FramePtr) override {}
    Shard* shard() const override { return &shard_; }
    void deliver(const wire::FramePtr& frame, std::size_t audience) override {
        on_strand = on_strand && shard_.strand.running_in_this_thread();
        delivered.push_back(frame);
        audiences.push_back(audience);
    }

    std::vector<wire::FramePtr> pushed;
    std::vector<wire::FramePtr> delivered;
    std::vector<std::size_t> audiences;
    bool on_strand = true;

private:
    Shard& shard_;
};

// Subscribers on a shard get each frame from ONE handler posted to that shard (not one post
// each), in publish order, on the shard's strand; subscribers without a shard still get push().
TEST(HubShards, OneHandlerPerShardPerFrame) {
    boost::asio::io_context ioc;
    Shards shards(ioc, 2);
    Shard& s1 = shards.next();
    Shard& s2 = shards.next();
    EXPECT_EQ(&shards.next(), &s1);  // round-robin
    Hub hub;
    std::vector<std::shared_ptr<ShardSubscriber>> subs;
    for (int i = 0; i < 100; ++i) {
        subs.push_back(std::make_shared<ShardSubscriber>(i % 2 ? s2 : s1));
        hub.join({"chat:1"}, subs.back());
    }
    auto plain = std::make_shared<RecordingSubscriber>();
    hub.join({"chat:1"}, plain);
    EXPECT_EQ(hub.subscribers("chat:1"), 101u);

    const auto f1 = frame("chat:1", "data: 1\n\n");
    const auto f2 = frame("chat:1", "data: 2\n\n");
    hub.publish(f1);
    hub.publish(f2);
    EXPECT_EQ(plain->frames.size(), 2u);  // pushed at once
    EXPECT_TRUE(subs[0]->delivered.empty());  // shard subscribers: only once the shard runs
    EXPECT_EQ(ioc.run(), 4u);  // 2 frames x 2 shards, whatever the number of subscribers
    for (const auto& sub : subs) {
        ASSERT_EQ(sub->delivered.size(), 2u);
        EXPECT_EQ(sub->delivered[0].get(), f1.get());
        EXPECT_EQ(sub->delivered[1].get(), f2.get());
        // The audience is the shard's subscribers of the topic, for the shared encoders.
        EXPECT_EQ(sub->audiences, (std::vector<std::size_t>{50, 50}));
        EXPECT_TRUE(sub->on_strand);
        EXPECT_TRUE(sub->pushed.empty());
    }
}

// A subscriber that left is not in the next frame's snapshot; one that joined is.
TEST(HubShards, SnapshotFollowsJoinAndLeave) {
    boost::asio::io_context ioc;
    Shards shards(ioc, 1);
    Shard& shard = shards.next();
    Hub hub;
    auto a = std::make_shared<ShardSubscriber>(shard);
    auto b = std::make_shared<ShardSubscriber>(shard);
    hub.join({"chat:1"}, a);
    hub.join({"chat:1"}, b);
    hub.publish(frame("chat:1"));
    hub.leave({"chat:1"}, a);
    auto c = std::make_shared<ShardSubscriber>(shard);
    hub.join({"chat:1"}, c);
    hub.publish(frame("chat:1"));
    hub.leave({"chat:1"}, b);
    hub.leave({"chat:1"}, c);
    EXPECT_EQ(hub.subscribers("chat:1"), 0u);
    hub.publish(frame("chat:1"));  // nobody left: nothing posted
    EXPECT_EQ(ioc.run(), 2u);
    EXPECT_EQ(a->delivered.size(), 1u);
    EXPECT_EQ(b->delivered.size(), 2u);
    EXPECT_EQ(c->delivered.size(), 1u);
}

}  // namespace
}  // namespace deltacast::sse
