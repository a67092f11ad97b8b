#include "sse/hub.hpp"

#include "unit/fakes/sse_fakes.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace deltacast::sse {
namespace {

using unit_test::RecordingSubscriber;

delta::FramePtr frame(const std::string& topic, const std::string& bytes = "data: x\n\n") {
    return std::make_shared<const delta::Frame>(delta::Frame{topic, bytes});
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

}  // namespace
}  // namespace deltacast::sse
