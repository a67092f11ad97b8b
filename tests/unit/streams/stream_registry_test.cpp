// StreamRegistry: periodic access re-checks end a stream whose topic was revoked (and only
// then), and a drain ends every stream at a random moment within the spread.

#include "streams/stream_registry.hpp"

#include "unit/fakes/sse_fakes.hpp"
#include "unit/fakes/topic_fakes.hpp"
#include "util/metrics.hpp"

#include <gtest/gtest.h>

namespace deltacast::streams {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using unit_test::RecordingSubscriber;

const Config& registry_config() {
    static const Config config = parse_config_toml(R"(
[auth]
mode = "none"
access_cache_ttl_s = 30
[topics.org]
mode = "poke"
id_type = "bigint"
access = "claim:org"
[topics.chat]
mode = "poke"
id_type = "bigint"
access = "sql:SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2"
)",
                                                   "registry-test");
    return config;
}

class StreamRegistryTest : public ::testing::Test {
protected:
    StreamRegistryTest() { query_.table[{"42", "u1"}] = true; }

    std::shared_ptr<RecordingSubscriber> open(const std::string& topics,
                                              nlohmann::json claims = {{"org", "7"}}) {
        auto request = std::make_shared<sse::OpenRequest>(
            sse::OpenRequest{*topics::parse_topic_list(registry_config(), topics, nullptr),
                        sse::Identity{"u1", std::move(claims)}, ""});
        auto sub = std::make_shared<RecordingSubscriber>();
        registry_.add(request, sub);
        return sub;
    }
    /// Advances the clock in 1 s steps, answering every access query as it is asked.
    void advance(seconds by) {
        for (seconds s{0}; s < by; ++s) {
            scheduler_.advance(seconds(1));
            query_.release();
        }
    }

    unit_test::ManualScheduler scheduler_;
    unit_test::FakeAccessQuery query_;
    Metrics metrics_;
    topics::AccessChecker access_{registry_config(), query_, scheduler_, metrics_};
    StreamRegistry registry_{seconds(60), &access_, scheduler_, metrics_};
};

// A revoked sql topic ends the stream with `event: revoked` naming it, one interval later.
TEST_F(StreamRegistryTest, RevokedTopicEndsTheStream) {
    auto sub = open("org:7,chat:42");
    advance(seconds(61));
    EXPECT_EQ(sub->ends, 0) << "still allowed: the stream stays";
    EXPECT_EQ(query_.calls, 1);

    query_.table[{"42", "u1"}] = false;
    advance(seconds(60));
    ASSERT_EQ(sub->ends, 1);
    ASSERT_NE(sub->ended_with, nullptr);
    EXPECT_EQ(sub->ended_with->bytes,
              "event: revoked\ndata: {\"topics\":[\"chat:42\"],\"reason\":\"access-revoked\"}\n\n");
    EXPECT_EQ(metrics_.streams_revoked.load(), 1U);
}

// Claims cannot change during a token's life: claim-only streams cost no re-check.
TEST_F(StreamRegistryTest, ClaimOnlyStreamsAreNotRechecked) {
    auto sub = open("org:7");
    advance(seconds(200));
    EXPECT_EQ(query_.calls, 0);
    EXPECT_EQ(metrics_.access_rechecks.load(), 0U);
    EXPECT_EQ(sub->ends, 0);
}

// A check that cannot be evaluated (database down) keeps the stream and is retried.
TEST_F(StreamRegistryTest, FailedCheckKeepsTheStreamAndRetries) {
    auto sub = open("chat:42");
    query_.failing = true;
    advance(seconds(61));
    EXPECT_EQ(sub->ends, 0);
    EXPECT_EQ(query_.calls, 1);
    query_.failing = false;
    query_.table[{"42", "u1"}] = false;
    advance(seconds(60));
    EXPECT_EQ(query_.calls, 2);
    EXPECT_EQ(sub->ends, 1);
}

// A closed stream is forgotten: no re-check, no end.
TEST_F(StreamRegistryTest, RemovedStreamIsNotRechecked) {
    auto sub = open("chat:42");
    registry_.remove(sub);
    advance(seconds(200));
    EXPECT_EQ(query_.calls, 0);
    EXPECT_EQ(registry_.size(), 0U);
}

// Churn does not grow the re-check queue: closed streams' entries are dropped, so the queue
// stays within twice the open streams (plus a constant), and the open ones are still checked.
TEST_F(StreamRegistryTest, ChurnDoesNotGrowTheRecheckQueue) {
    auto kept = open("chat:42");
    for (int i = 0; i < 10000; ++i) {
        registry_.remove(open("chat:42"));
    }
    EXPECT_LE(registry_.queued_rechecks(), 2U + 64U);
    query_.table[{"42", "u1"}] = false;
    advance(seconds(61));
    EXPECT_EQ(query_.calls, 1) << "one re-check: the open stream's";
    EXPECT_EQ(kept->ends, 1);
}

// A drain ends every stream within the spread, spread out (not all at once), and reports done
// only when the last stream has gone.
TEST_F(StreamRegistryTest, DrainEndsStreamsSpreadOverTheWindow) {
    std::vector<std::shared_ptr<RecordingSubscriber>> subs;
    for (int i = 0; i < 200; ++i) {
        subs.push_back(open("chat:42"));
    }
    bool done = false;
    registry_.drain(milliseconds(1000), [&] { done = true; });
    auto ended = [&] {
        return std::count_if(subs.begin(), subs.end(), [](const auto& s) { return s->ends > 0; });
    };
    scheduler_.advance(milliseconds(250));
    const auto first_quarter = ended();
    EXPECT_GT(first_quarter, 10);
    EXPECT_LT(first_quarter, 100);
    scheduler_.advance(milliseconds(750));
    EXPECT_EQ(ended(), 200);
    EXPECT_EQ(metrics_.streams_drained.load(), 200U);
    for (std::size_t i = 0; i + 1 < subs.size(); ++i) {
        registry_.remove(subs[i]);
    }
    EXPECT_FALSE(done);
    registry_.remove(subs.back());
    EXPECT_TRUE(done);
}

// A stream that opens while draining is ended too, and an empty registry drains at once.
TEST_F(StreamRegistryTest, DrainCoversLateStreamsAndEmptyRegistry) {
    bool done = false;
    registry_.drain(milliseconds(500), [&] { done = true; });
    EXPECT_TRUE(done);
    auto late = open("chat:42");
    scheduler_.advance(milliseconds(500));
    EXPECT_EQ(late->ends, 1);
    EXPECT_EQ(late->ended_with, nullptr);
}

}  // namespace
}  // namespace deltacast::streams
