// The POST /api/sse/broadcast body: what is accepted, and the status and reason of every
// refusal (SPEC §8), before any access check or database call.

#include "sse/broadcast_request.hpp"

#include "unit/fakes/test_config.hpp"

#include <gtest/gtest.h>

namespace deltacast::sse {
namespace {

const Config& config() { return unit_test::test_config(); }

HttpError error_of(const std::string& body) {
    auto parsed = parse_broadcast_request(config(), body);
    EXPECT_TRUE(std::holds_alternative<HttpError>(parsed)) << body;
    return std::holds_alternative<HttpError>(parsed) ? std::get<HttpError>(parsed) : HttpError{};
}

// Invariant: a valid body yields the canonical topic, the name and compact data JSON.
TEST(BroadcastRequest, ValidBody) {
    auto parsed = parse_broadcast_request(
        config(), R"({"topic":"lobby:7","name":"agent.thinking:v1","data":{ "state" : "start" }})");
    ASSERT_TRUE(std::holds_alternative<BroadcastRequest>(parsed));
    const auto& req = std::get<BroadcastRequest>(parsed);
    EXPECT_EQ(req.topic.key, "lobby:7");
    EXPECT_EQ(req.name, "agent.thinking:v1");
    EXPECT_EQ(req.data, R"({"state":"start"})");
    EXPECT_TRUE(std::holds_alternative<BroadcastRequest>(
        parse_broadcast_request(config(), R"({"topic":"lobby:7","name":"x","data":null})")));
}

// Invariant: every malformed body is 400 with a JSON reason naming the field.
TEST(BroadcastRequest, MalformedBodiesAre400) {
    for (const std::string& body : std::vector<std::string>{
             "", "not json", "[]", "\"s\"", R"({"topic":"lobby:7","name":"x"})",
          R"({"topic":7,"name":"x","data":1})", R"({"topic":"lobby:7","name":"","data":1})",
          R"({"topic":"lobby:7","name":"bad name","data":1})",
          R"({"topic":"lobby:7","name":")" + std::string(65, 'a') + R"(","data":1})",
          R"({"topic":"lobby:07","name":"x","data":1})", R"({"topic":"nosuch:1","name":"x","data":1})",
          R"({"topic":"chat:1","name":"x","data":1})",  // a kind without broadcast
          R"({"topic":"lobby:7","name":"x","data":1,"extra":true})"}) {
        const auto error = error_of(body);
        EXPECT_EQ(error.status, 400U) << body;
        EXPECT_TRUE(error.body.contains("error")) << body;
    }
}

// Invariant: a body naming its own `from` is refused: from comes from the token only.
TEST(BroadcastRequest, ForgedFromIsRefused) {
    const auto error = error_of(R"({"topic":"lobby:7","name":"x","data":1,"from":"u9"})");
    EXPECT_EQ(error.status, 400U);
    EXPECT_EQ(error.body.at("field"), "from");
}

// Invariant: data over the kind's broadcast_max_bytes (serialized) is 413; at the limit, fine.
TEST(BroadcastRequest, OversizedDataIs413) {
    const std::string at_limit(62, 'x');  // "x…x" with quotes: 64 bytes
    EXPECT_TRUE(std::holds_alternative<BroadcastRequest>(parse_broadcast_request(
        config(), R"({"topic":"lobby:7","name":"x","data":")" + at_limit + "\"}")));
    const auto error =
        error_of(R"({"topic":"lobby:7","name":"x","data":")" + at_limit + "x\"}");
    EXPECT_EQ(error.status, 413U);
    EXPECT_EQ(error.body.at("max_bytes"), 64);
}

// Invariant: the name charset is exactly [A-Za-z0-9_.:-]{1,64}.
TEST(BroadcastRequest, NameCharset) {
    EXPECT_TRUE(valid_broadcast_name("Az09_.:-"));
    EXPECT_TRUE(valid_broadcast_name(std::string(64, 'a')));
    EXPECT_FALSE(valid_broadcast_name(std::string(65, 'a')));
    for (const std::string& bad :
         std::vector<std::string>{"", "a b", "a/b", "é", "a\nb", std::string("a\0b", 3)}) {
        EXPECT_FALSE(valid_broadcast_name(bad)) << bad;
    }
}

}  // namespace
}  // namespace deltacast::sse
