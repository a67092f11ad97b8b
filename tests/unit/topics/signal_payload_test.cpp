#include "topics/signal_payload.hpp"

#include "unit/fakes/test_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace deltacast::topics {
namespace {

using unit_test::test_config;
using Ids = std::vector<std::string>;

const TopicKindConfig& chat() { return *test_config().find_kind("chat"); }  // bigint, uuid
const TopicKindConfig& user() { return *test_config().find_kind("user"); }  // text

// Parses and expects a rejection with some message.
std::string expect_error(const TopicKindConfig& kind, std::string_view payload) {
    std::string error;
    const auto ids = parse_signal_payload(kind, payload, &error);
    EXPECT_FALSE(ids.has_value()) << "accepted: " << payload;
    EXPECT_FALSE(error.empty()) << payload;
    return error;
}

// Ids come back per entity, in the kind's entity order, in payload order.
TEST(SignalPayload, IdsPerEntity) {
    std::string error;
    const auto ids = parse_signal_payload(
        chat(),
        R"({"reactionIds":["123e4567-e89b-12d3-a456-426614174000"],"contentIds":[101,102]})",
        &error);
    ASSERT_TRUE(ids.has_value()) << error;
    ASSERT_EQ(ids->size(), 2u);
    EXPECT_EQ((*ids)[0], (Ids{"101", "102"}));
    EXPECT_EQ((*ids)[1], (Ids{"123e4567-e89b-12d3-a456-426614174000"}));
}

// Bigint ids may be JSON integers or decimal strings; both give the canonical text.
TEST(SignalPayload, BigintNumbersAndDecimalStrings) {
    std::string error;
    const auto ids = parse_signal_payload(
        chat(), R"({"contentIds":[7,"8",-9,"-10",0,9223372036854775807]})", &error);
    ASSERT_TRUE(ids.has_value()) << error;
    EXPECT_EQ((*ids)[0], (Ids{"7", "8", "-9", "-10", "0", "9223372036854775807"}));
    EXPECT_TRUE((*ids)[1].empty());
}

// Non-canonical or non-integer bigint ids are errors, not silently fixed.
TEST(SignalPayload, InvalidBigintIds) {
    for (const char* bad :
         {R"({"contentIds":["007"]})", R"({"contentIds":["+7"]})", R"({"contentIds":[1.5]})",
          R"({"contentIds":[1e3]})", R"({"contentIds":[true]})", R"({"contentIds":[null]})",
          R"({"contentIds":[[1]]})", R"({"contentIds":[{"id":1}]})", R"({"contentIds":["x"]})",
          R"({"contentIds":[""]})", R"({"contentIds":[1,"nope"]})"}) {
        const auto error = expect_error(chat(), bad);
        EXPECT_EQ(error, "contentIds holds an invalid bigint id") << bad;
    }
}

// A JSON integer above int8's range is not a valid bigint id (it would fail the whole query).
TEST(SignalPayload, BigintNumberOutOfRange) {
    expect_error(chat(), R"({"contentIds":[9223372036854775808]})");
    expect_error(chat(), R"({"contentIds":[18446744073709551615]})");
    expect_error(chat(), R"({"contentIds":["9223372036854775808"]})");
}

// Uuids are lower-cased so they match the canonical topic/row spelling; bad ones are errors.
TEST(SignalPayload, UuidLowerCasedAndValidated) {
    std::string error;
    const auto ids = parse_signal_payload(
        chat(), R"({"reactionIds":["123E4567-E89B-12D3-A456-4266141740AB"]})", &error);
    ASSERT_TRUE(ids.has_value()) << error;
    EXPECT_EQ((*ids)[1], (Ids{"123e4567-e89b-12d3-a456-4266141740ab"}));
    for (const char* bad : {R"({"reactionIds":["123e4567"]})", R"({"reactionIds":[42]})",
                            R"({"reactionIds":["123e4567e89b12d3a456426614174000"]})"}) {
        EXPECT_EQ(expect_error(chat(), bad), "reactionIds holds an invalid uuid id") << bad;
    }
}

// Text ids must be strings in the text charset; numbers are not silently converted.
TEST(SignalPayload, TextIds) {
    std::string error;
    const auto ids = parse_signal_payload(user(), R"({"profileIds":["ann","b.c@d"]})", &error);
    ASSERT_TRUE(ids.has_value()) << error;
    EXPECT_EQ((*ids)[0], (Ids{"ann", "b.c@d"}));
    expect_error(user(), R"({"profileIds":[42]})");
    expect_error(user(), R"({"profileIds":["a b"]})");
    expect_error(user(), R"({"profileIds":["a,b"]})");
}

// Anything but a JSON object is an error, never a crash.
TEST(SignalPayload, NotAnObject) {
    for (const char* bad : {"", "null", "[]", "[101]", "42", "\"contentIds\"", "{", "{\"a\":",
                            "not json", "{\"contentIds\":[1]} trailing"}) {
        EXPECT_EQ(expect_error(chat(), bad), "payload is not a JSON object") << bad;
    }
}

// A present key whose value is not an array is an error.
TEST(SignalPayload, NotAnArray) {
    for (const char* bad : {R"({"contentIds":101})", R"({"contentIds":"101"})",
                            R"({"contentIds":null})", R"({"contentIds":{"a":1}})"}) {
        EXPECT_EQ(expect_error(chat(), bad), "contentIds is not an array") << bad;
    }
}

// A payload naming none of the kind's keys is an error (the writer signalled nothing usable).
TEST(SignalPayload, MissingKeys) {
    EXPECT_EQ(expect_error(chat(), "{}"), "payload names none of the kind's id keys");
    EXPECT_EQ(expect_error(chat(), R"({"contentids":[1]})"),
              "payload names none of the kind's id keys");
}

// Unknown keys next to a known one are ignored; a known key may hold an empty array.
TEST(SignalPayload, UnknownKeysIgnored) {
    std::string error;
    const auto ids =
        parse_signal_payload(chat(), R"({"contentIds":[5],"extra":{"x":[1]},"v":2})", &error);
    ASSERT_TRUE(ids.has_value()) << error;
    EXPECT_EQ((*ids)[0], (Ids{"5"}));
    const auto empty = parse_signal_payload(chat(), R"({"contentIds":[]})", &error);
    ASSERT_TRUE(empty.has_value()) << error;
    EXPECT_TRUE((*empty)[0].empty());
}

// A null error pointer is allowed.
TEST(SignalPayload, NullErrorPointer) {
    EXPECT_FALSE(parse_signal_payload(chat(), "[]", nullptr));
    EXPECT_FALSE(parse_signal_payload(chat(), R"({"contentIds":["x"]})", nullptr));
}

}  // namespace
}  // namespace deltacast::topics
