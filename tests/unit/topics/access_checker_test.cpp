// AccessChecker: claim rules, SQL rules through a fake AccessQuery, the per-(subject, topic)
// cache with its TTL and LRU bound, and failures reported as failures (not as denials).

#include "topics/access_checker.hpp"

#include "unit/fakes/topic_fakes.hpp"
#include "util/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace deltacast::topics {
namespace {

using std::chrono::milliseconds;

const Config& access_config() {
    static const Config config = parse_config_toml(R"(
[auth]
mode = "none"
access_cache_ttl_s = 30
access_cache_max_entries = 2
[topics.org]
mode = "poke"
id_type = "bigint"
access = "claim:org"
[topics.chat]
mode = "poke"
id_type = "bigint"
access = "sql:SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2"
[topics.pub]
mode = "poke"
)",
                                                   "access-test");
    return config;
}

class AccessCheckerTest : public ::testing::Test {
protected:
    std::vector<Topic> topics(const std::string& list) {
        return *parse_topic_list(access_config(), list, nullptr);
    }
    std::optional<AccessResult> check(const std::string& list, const std::string& subject,
                                      const nlohmann::json& claims = nlohmann::json::object()) {
        std::optional<AccessResult> out;
        checker_.check(topics(list), subject, claims, [&](AccessResult r) { out = std::move(r); });
        query_.release();
        return out;
    }

    unit_test::ManualScheduler scheduler_;
    unit_test::FakeAccessQuery query_;
    Metrics metrics_;
    AccessChecker checker_{access_config(), query_, scheduler_, metrics_};
};

// Claim rules need no query: the claim must equal the topic id (string, number or array).
TEST_F(AccessCheckerTest, ClaimRuleComparesTheClaim) {
    EXPECT_TRUE(check("org:7", "u1", {{"org", "7"}})->denied.empty());
    EXPECT_TRUE(check("org:7", "u1", {{"org", 7}})->denied.empty());
    EXPECT_TRUE(check("org:7", "u1", {{"org", {"3", "7"}}})->denied.empty());
    EXPECT_EQ(check("org:7", "u1", {{"org", "8"}})->denied, std::vector<std::string>{"org:7"});
    EXPECT_EQ(check("org:7", "u1")->denied, std::vector<std::string>{"org:7"});
    EXPECT_EQ(query_.calls, 0);
}

// A kind without an access rule is open to every authenticated caller.
TEST_F(AccessCheckerTest, NoRuleMeansOpen) {
    EXPECT_TRUE(check("pub:anything", "u1")->denied.empty());
}

// SQL rules pass ($1 topic id, $2 subject) to the query; `done` waits for every answer and
// the result names EVERY denied topic.
TEST_F(AccessCheckerTest, SqlRuleAndEveryDeniedTopicNamed) {
    query_.table[{"1", "u1"}] = true;
    std::optional<AccessResult> out;
    checker_.check(topics("chat:1,chat:2,org:9"), "u1", {{"org", "1"}},
                   [&](AccessResult r) { out = std::move(r); });
    EXPECT_FALSE(out) << "answered before the SQL rules did";
    EXPECT_EQ(query_.last_sql, "SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2");
    query_.release();
    ASSERT_TRUE(out);
    EXPECT_FALSE(out->failed);
    auto denied = out->denied;
    std::sort(denied.begin(), denied.end());
    EXPECT_EQ(denied, (std::vector<std::string>{"chat:2", "org:9"}));
}

// SQL answers are cached per (subject, topic): a reconnecting tab costs no query, another
// subject does.
TEST_F(AccessCheckerTest, CachePerSubjectAndTopic) {
    query_.table[{"1", "u1"}] = true;
    ASSERT_TRUE(check("chat:1", "u1")->denied.empty());
    ASSERT_TRUE(check("chat:1", "u1")->denied.empty());
    EXPECT_EQ(query_.calls, 1);
    EXPECT_EQ(metrics_.access_cache_hits.load(), 1U);
    EXPECT_EQ(check("chat:1", "u2")->denied, std::vector<std::string>{"chat:1"});
    EXPECT_EQ(query_.calls, 2);
}

// Cached answers expire after access_cache_ttl_s, so a revoked membership is seen again.
TEST_F(AccessCheckerTest, CacheEntriesExpire) {
    query_.table[{"1", "u1"}] = true;
    ASSERT_TRUE(check("chat:1", "u1")->denied.empty());
    query_.table[{"1", "u1"}] = false;
    scheduler_.advance(milliseconds(29'000));
    EXPECT_TRUE(check("chat:1", "u1")->denied.empty());  // still cached
    scheduler_.advance(milliseconds(2'000));
    EXPECT_EQ(check("chat:1", "u1")->denied, std::vector<std::string>{"chat:1"});
    EXPECT_EQ(query_.calls, 2);
}

// The cache is bounded (LRU): the least recently used entry goes first.
TEST_F(AccessCheckerTest, CacheIsBoundedLru) {
    check("chat:1", "u1");
    check("chat:2", "u1");
    check("chat:1", "u1");  // touch chat:1: chat:2 is now the oldest
    check("chat:3", "u1");  // evicts chat:2
    EXPECT_EQ(checker_.cache_size(), 2U);
    const int calls = query_.calls;
    check("chat:1", "u1");
    EXPECT_EQ(query_.calls, calls);
    check("chat:2", "u1");
    EXPECT_EQ(query_.calls, calls + 1);
}

// A failed query is a failure (the caller answers 503), never a silent allow or a cached deny.
TEST_F(AccessCheckerTest, FailedQueryIsReportedAndNotCached) {
    query_.failing = true;
    const auto out = check("chat:1", "u1");
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->failed);
    EXPECT_EQ(checker_.cache_size(), 0U);
}

}  // namespace
}  // namespace deltacast::topics
