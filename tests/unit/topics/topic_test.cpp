#include "topics/topic.hpp"

#include "unit/fakes/test_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace deltacast::topics {
namespace {

using unit_test::test_config;

// Parses `list` and expects a rejection; returns the error for the caller to inspect.
TopicError expect_list_error(std::string_view list) {
    TopicError error{"unset", "unset"};
    const auto parsed = parse_topic_list(test_config(), list, &error);
    EXPECT_FALSE(parsed.has_value()) << "accepted: " << list;
    return error;
}

TopicError expect_topic_error(std::string_view text) {
    TopicError error{"unset", "unset"};
    const auto parsed = parse_topic(test_config(), text, &error);
    EXPECT_FALSE(parsed.has_value()) << "accepted: " << text;
    return error;
}

// Canonical bigint: plain decimal, optional '-', no '+', no leading zeros, no "-0".
TEST(ValidId, BigintCanonicalSpellingOnly) {
    for (const char* ok : {"0", "7", "42", "-5", "1234567890"}) {
        EXPECT_TRUE(valid_id(IdType::Bigint, ok)) << ok;
    }
    for (const char* bad : {"", "-", "+5", "05", "00", "-0", "-05", "1.0", "1e3", " 1", "1 ",
                            "0x1", "１", "12a"}) {
        EXPECT_FALSE(valid_id(IdType::Bigint, bad)) << bad;
    }
}

// Bigint ids stay within Postgres' int8 range, so every accepted id fits the column.
TEST(ValidId, BigintRange) {
    EXPECT_TRUE(valid_id(IdType::Bigint, "9223372036854775807"));
    EXPECT_TRUE(valid_id(IdType::Bigint, "-9223372036854775808"));
    EXPECT_FALSE(valid_id(IdType::Bigint, "9223372036854775808"));
    EXPECT_FALSE(valid_id(IdType::Bigint, "-9223372036854775809"));
    EXPECT_FALSE(valid_id(IdType::Bigint, "18446744073709551616"));
    EXPECT_FALSE(valid_id(IdType::Bigint, "99999999999999999999999"));
}

// A uuid is lower-case 8-4-4-4-12 hex: one spelling per uuid, so one channel per topic.
TEST(ValidId, UuidLowerCaseOnly) {
    EXPECT_TRUE(valid_id(IdType::Uuid, "123e4567-e89b-12d3-a456-426614174000"));
    EXPECT_TRUE(valid_id(IdType::Uuid, "00000000-0000-0000-0000-000000000000"));
    EXPECT_FALSE(valid_id(IdType::Uuid, "123E4567-E89B-12D3-A456-426614174000"));
    EXPECT_FALSE(valid_id(IdType::Uuid, "123e4567-e89b-12d3-a456-42661417400"));    // short
    EXPECT_FALSE(valid_id(IdType::Uuid, "123e4567-e89b-12d3-a456-4266141740000"));  // long
    EXPECT_FALSE(valid_id(IdType::Uuid, "123e4567e89b12d3a456426614174000"));       // no dashes
    EXPECT_FALSE(valid_id(IdType::Uuid, "123e4567-e89b-12d3-a456_426614174000"));
    EXPECT_FALSE(valid_id(IdType::Uuid, "123e4567-e89b-12d3-a456-42661417400g"));
    EXPECT_FALSE(valid_id(IdType::Uuid, "{23e4567-e89b-12d3-a456-42661417400}"));
    EXPECT_FALSE(valid_id(IdType::Uuid, ""));
}

// Text ids are 1..64 chars of [A-Za-z0-9_.@-]: nothing that could break a list or a channel.
TEST(ValidId, TextCharsetAndLength) {
    EXPECT_TRUE(valid_id(IdType::Text, "u1"));
    EXPECT_TRUE(valid_id(IdType::Text, "Ann.B_c-d@example.org"));
    EXPECT_TRUE(valid_id(IdType::Text, std::string(64, 'a')));
    EXPECT_FALSE(valid_id(IdType::Text, std::string(65, 'a')));
    EXPECT_FALSE(valid_id(IdType::Text, ""));
    for (const char* bad : {"a b", "a,b", "a:b", "a\"b", "a/b", "a%41", "a\nb", "é", "a+b"}) {
        EXPECT_FALSE(valid_id(IdType::Text, bad)) << bad;
    }
    EXPECT_FALSE(valid_id(IdType::Text, std::string_view("a\0b", 3)));
}

// A valid topic carries its kind, id, key and the prefixed channel name.
TEST(ParseTopic, FillsAllFields) {
    TopicError error;
    const auto topic = parse_topic(test_config(), "chat:42", &error);
    ASSERT_TRUE(topic.has_value()) << error.message;
    EXPECT_EQ(topic->kind, test_config().find_kind("chat"));
    EXPECT_EQ(topic->id, "42");
    EXPECT_EQ(topic->key, "chat:42");
    EXPECT_EQ(topic->channel, "signal:chat:42");
    EXPECT_FALSE(topic->is_poke());
    const auto org = parse_topic(test_config(), "org:7", &error);
    ASSERT_TRUE(org.has_value()) << error.message;
    EXPECT_TRUE(org->is_poke());
}

// Each kind's ids are checked against that kind's id_type.
TEST(ParseTopic, IdCheckedAgainstKindType) {
    EXPECT_TRUE(parse_topic(test_config(), "user:ann", nullptr));
    EXPECT_TRUE(parse_topic(test_config(), "doc:123e4567-e89b-12d3-a456-426614174000", nullptr));
    EXPECT_FALSE(parse_topic(test_config(), "chat:ann", nullptr));
    EXPECT_FALSE(parse_topic(test_config(), "doc:42", nullptr));
    const auto error = expect_topic_error("chat:042");
    EXPECT_EQ(error.message, "malformed id: expected bigint");
    EXPECT_EQ(error.topic, "chat:042");
}

// An unknown kind is rejected and named; kinds are case-sensitive.
TEST(ParseTopic, UnknownKind) {
    auto error = expect_topic_error("room:1");
    EXPECT_EQ(error.message, "unknown topic kind");
    EXPECT_EQ(error.topic, "room:1");
    error = expect_topic_error("Chat:1");
    EXPECT_EQ(error.message, "unknown topic kind");
}

// Anything that is not `kind:id` is rejected, never a crash.
TEST(ParseTopic, NotKindColonId) {
    for (const char* bad : {"", "chat", ":1", "chat:", "chat:1:2", "chat::1"}) {
        const auto error = expect_topic_error(bad);
        EXPECT_NE(error.message, "unset") << bad;
        EXPECT_EQ(error.topic, bad);
    }
    EXPECT_EQ(expect_topic_error(":1").message, "topic must be kind:id");
}

// The channel must fit Postgres' 63-byte identifier: 63 is accepted, 64 rejected, never cut.
TEST(ParseTopic, ChannelLongerThan63BytesRejected) {
    // "signal:" (7) + "user:" (5) + id
    const std::string fits = "user:" + std::string(63 - 12, 'x');
    const auto topic = parse_topic(test_config(), fits, nullptr);
    ASSERT_TRUE(topic.has_value());
    EXPECT_EQ(topic->channel.size(), 63u);
    const std::string too_long = "user:" + std::string(64 - 12, 'x');
    const auto error = expect_topic_error(too_long);
    EXPECT_EQ(error.message, "topic too long for a Postgres channel name");
    EXPECT_EQ(error.topic, too_long);
}

// A null error pointer is allowed on every failure path.
TEST(ParseTopic, NullErrorPointer) {
    EXPECT_FALSE(parse_topic(test_config(), "room:1", nullptr));
    EXPECT_FALSE(parse_topic(test_config(), "chat:x", nullptr));
    EXPECT_FALSE(parse_topic_list(test_config(), "", nullptr));
    EXPECT_FALSE(parse_topic_list(test_config(), "chat:1,chat:1", nullptr));
}

// A list keeps the client's order and every topic of it.
TEST(ParseTopicList, ValidListInOrder) {
    TopicError error;
    const auto list = parse_topic_list(test_config(), "org:7,user:u1,chat:42", &error);
    ASSERT_TRUE(list.has_value()) << error.message;
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[0].key, "org:7");
    EXPECT_EQ((*list)[1].key, "user:u1");
    EXPECT_EQ((*list)[2].key, "chat:42");
}

// An empty list is rejected with no offending topic.
TEST(ParseTopicList, EmptyList) {
    const auto error = expect_list_error("");
    EXPECT_EQ(error.message, "no topics");
    EXPECT_EQ(error.topic, "");
}

// An empty item (trailing, leading or doubled comma) rejects the whole list.
TEST(ParseTopicList, EmptyItem) {
    for (const char* bad : {"chat:1,", ",chat:1", "chat:1,,chat:2", ","}) {
        const auto error = expect_list_error(bad);
        EXPECT_EQ(error.message, "topic must be kind:id") << bad;
        EXPECT_EQ(error.topic, "") << bad;
    }
}

// A duplicate topic rejects the list and is named.
TEST(ParseTopicList, Duplicate) {
    const auto error = expect_list_error("chat:1,org:7,chat:1");
    EXPECT_EQ(error.message, "duplicate topic");
    EXPECT_EQ(error.topic, "chat:1");
}

// One bad topic anywhere rejects the whole list (no partial subscription) and is named.
TEST(ParseTopicList, OneBadTopicRejectsAll) {
    auto error = expect_list_error("chat:1,room:2,org:7");
    EXPECT_EQ(error.message, "unknown topic kind");
    EXPECT_EQ(error.topic, "room:2");
    error = expect_list_error("chat:1,chat:+2");
    EXPECT_EQ(error.message, "malformed id: expected bigint");
    EXPECT_EQ(error.topic, "chat:+2");
}

// max_topics_per_connection (4 here) topics pass; one more is rejected and named.
TEST(ParseTopicList, MoreThanMaxTopics) {
    EXPECT_TRUE(parse_topic_list(test_config(), "chat:1,chat:2,chat:3,chat:4", nullptr));
    const auto error = expect_list_error("chat:1,chat:2,chat:3,chat:4,chat:5");
    EXPECT_EQ(error.message, "too many topics (max 4)");
    EXPECT_EQ(error.topic, "chat:5");
}

// Channels map back to their topic; anything else (no prefix, unknown kind, bad id) does not.
TEST(TopicFromChannel, RoundTripAndRejects) {
    const auto topic = topic_from_channel(test_config(), "signal:chat:42");
    ASSERT_TRUE(topic.has_value());
    EXPECT_EQ(topic->key, "chat:42");
    EXPECT_EQ(topic->channel, "signal:chat:42");
    EXPECT_FALSE(topic_from_channel(test_config(), "chat:42"));
    EXPECT_FALSE(topic_from_channel(test_config(), "other:chat:42"));
    EXPECT_FALSE(topic_from_channel(test_config(), "signal:room:42"));
    EXPECT_FALSE(topic_from_channel(test_config(), "signal:chat:042"));
    EXPECT_FALSE(topic_from_channel(test_config(), "signal:"));
    EXPECT_FALSE(topic_from_channel(test_config(), "sig"));
    EXPECT_FALSE(topic_from_channel(test_config(), ""));
}

}  // namespace
}  // namespace deltacast::topics
