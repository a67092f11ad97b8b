#include "sse/stream_request.hpp"

#include "unit/fakes/test_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace deltacast::sse {
namespace {

using unit_test::test_config;

struct Headers {
    std::string last_event_id;
    std::string authorization;
    std::string cookie;
};

std::variant<StreamRequest, HttpError> parse(std::string_view query, const Headers& h = {}) {
    return parse_stream_request(test_config(), query, h.last_event_id, h.authorization, h.cookie);
}

// Expects a 400 and returns its JSON body.
nlohmann::json expect_400(std::string_view query, const Headers& h = {}) {
    const auto result = parse(query, h);
    const auto* error = std::get_if<HttpError>(&result);
    EXPECT_NE(error, nullptr) << "accepted: " << query;
    if (error == nullptr) {
        return {};
    }
    EXPECT_EQ(error->status, 400u);
    EXPECT_TRUE(error->body.is_object());
    EXPECT_TRUE(error->body.contains("error")) << error->body.dump();
    EXPECT_TRUE(error->body["error"].is_string()) << error->body.dump();
    return error->body;
}

StreamRequest expect_ok(std::string_view query, const Headers& h = {}) {
    auto result = parse(query, h);
    if (const auto* error = std::get_if<HttpError>(&result)) {
        ADD_FAILURE() << "rejected: " << query << " -> " << error->body.dump();
        return {};
    }
    return std::get<StreamRequest>(std::move(result));
}

// %XX escapes decode (either hex case); '+' is a space only when asked.
TEST(PercentDecode, Escapes) {
    EXPECT_EQ(percent_decode("chat%3A1%2Corg%3a7", false), "chat:1,org:7");
    EXPECT_EQ(percent_decode("a+b%20c", true), "a b c");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("", false), "");
    EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
    EXPECT_EQ(percent_decode("%FF", false), "\xFF");
}

// Truncated or non-hex escapes are rejected, never read past the end.
TEST(PercentDecode, BadEscapesRejected) {
    for (const char* bad : {"%", "%4", "a%", "a%4", "%G1", "%1G", "%%", "%-1", "% 1", "ab%zz"}) {
        EXPECT_FALSE(percent_decode(bad, false).has_value()) << bad;
    }
    // a view that ends inside an escape must not be read past its end
    EXPECT_FALSE(percent_decode(std::string_view("%41").substr(0, 2), false).has_value());
}

// split_target separates the path from the raw query.
TEST(SplitTarget, PathAndQuery) {
    EXPECT_EQ(split_target("/api/sse/stream?topics=a"),
              (std::pair<std::string_view, std::string_view>{"/api/sse/stream", "topics=a"}));
    EXPECT_EQ(split_target("/x").second, "");
    EXPECT_EQ(split_target("/x?").second, "");
    EXPECT_EQ(split_target("/x?a=1?b").second, "a=1?b");
}

// query_param finds a parameter by decoded name, first occurrence, decoded value.
TEST(QueryParam, Lookup) {
    EXPECT_EQ(query_param("topics=chat%3A1%2Corg%3A7", "topics"), "chat:1,org:7");
    EXPECT_EQ(query_param("a=1&topics=x&topics=y", "topics"), "x");
    EXPECT_EQ(query_param("a=1&b", "b"), "");
    EXPECT_EQ(query_param("a=1&b=", "b"), "");
    EXPECT_EQ(query_param("last%45ventId=5", "lastEventId"), "5");
    EXPECT_EQ(query_param("a=b+c", "a"), "b c");
    EXPECT_FALSE(query_param("a=1&b=2", "c").has_value());
    EXPECT_FALSE(query_param("", "a").has_value());
    EXPECT_FALSE(query_param("topicsx=1&xtopics=2", "topics").has_value());
}

// An undecodable value comes back raw (callers validate it); bad escapes never crash.
TEST(QueryParam, BadEscapesDoNotCrash) {
    EXPECT_EQ(query_param("a=%zz", "a"), "%zz");
    EXPECT_EQ(query_param("a=%", "a"), "%");
    EXPECT_EQ(query_param("a=x%4", "a"), "x%4");
    EXPECT_FALSE(query_param("%=1&%4=2", "a").has_value());
    EXPECT_EQ(query_param("&&a=1&&", "a"), "1");
}

// Percent-encoded topics decode into the topic list, in order.
TEST(StreamRequest, TopicsDecode) {
    const auto request = expect_ok("topics=chat%3A1%2Corg%3A7");
    ASSERT_EQ(request.topics.size(), 2u);
    EXPECT_EQ(request.topics[0].key, "chat:1");
    EXPECT_EQ(request.topics[1].key, "org:7");
    EXPECT_EQ(request.last_event_id, "");
    EXPECT_EQ(request.token, "");
    EXPECT_EQ(expect_ok("topics=chat:1,org:7").topics.size(), 2u);
}

// Missing or empty topics -> 400 {"error": ...}.
TEST(StreamRequest, MissingOrEmptyTopics) {
    for (const char* query : {"", "topic=chat:1", "topics", "topics=", "a=1&topics=&b=2"}) {
        const auto body = expect_400(query);
        EXPECT_EQ(body.value("error", ""), "no topics") << query;
    }
}

// A bad topic -> 400 whose body names the topic.
TEST(StreamRequest, BadTopicNamed) {
    auto body = expect_400("topics=chat:1,room:2");
    EXPECT_EQ(body.value("error", ""), "unknown topic kind");
    EXPECT_EQ(body.value("topic", ""), "room:2");
    body = expect_400("topics=chat:1,chat:1");
    EXPECT_EQ(body.value("error", ""), "duplicate topic");
    EXPECT_EQ(body.value("topic", ""), "chat:1");
    body = expect_400("topics=chat:1,chat:2,chat:3,chat:4,chat:5");
    EXPECT_EQ(body.value("topic", ""), "chat:5");
    body = expect_400("topics=chat%3A007");
    EXPECT_EQ(body.value("topic", ""), "chat:007");
    expect_400("topics=chat:1,");
    expect_400("topics=chat:1%");    // undecodable: passed raw, then rejected as a topic
    expect_400("topics=chat%3A1%2");  // likewise
}

// CR, LF or NUL smuggled into topics (percent-encoded) -> 400.
TEST(StreamRequest, ControlCharsInTopicsRejected) {
    for (const char* query : {"topics=chat:1%0D", "topics=chat:1%0A", "topics=chat:1%00",
                              "topics=chat:1%0D%0Aorg:7", "topics=%00"}) {
        expect_400(query);
    }
}

// The Last-Event-ID header wins over the lastEventId parameter, which is the fallback.
TEST(StreamRequest, LastEventIdHeaderWins) {
    EXPECT_EQ(expect_ok("topics=chat:1&lastEventId=ab-2", {"ab-9", "", ""}).last_event_id,
              "ab-9");
    EXPECT_EQ(expect_ok("topics=chat:1&lastEventId=ab-2").last_event_id, "ab-2");
    EXPECT_EQ(expect_ok("lastEventId=ab%2D3&topics=chat:1").last_event_id, "ab-3");
}

// CR, LF or NUL in Last-Event-ID (header or percent-encoded parameter) -> 400: it could
// inject SSE fields if echoed.
TEST(StreamRequest, ControlCharsInLastEventIdRejected) {
    for (const char* query :
         {"topics=chat:1&lastEventId=a%0Ab", "topics=chat:1&lastEventId=a%0Db",
          "topics=chat:1&lastEventId=a%00b", "topics=chat:1&lastEventId=%0D%0Aevent:%20x"}) {
        EXPECT_EQ(expect_400(query).value("error", ""), "malformed Last-Event-ID") << query;
    }
    expect_400("topics=chat:1", {std::string("a\0b", 3), "", ""});
    expect_400("topics=chat:1", {"a\nb", "", ""});
    expect_400("topics=chat:1", {"a\rb", "", ""});
}

// Last-Event-ID up to 128 bytes is accepted; 129 is a 400 (header or parameter).
TEST(StreamRequest, LastEventIdLengthLimit) {
    const std::string max(kMaxLastEventIdBytes, 'a');
    EXPECT_EQ(expect_ok("topics=chat:1", {max, "", ""}).last_event_id, max);
    EXPECT_EQ(expect_ok("topics=chat:1&lastEventId=" + max).last_event_id, max);
    expect_400("topics=chat:1", {max + "a", "", ""});
    expect_400("topics=chat:1&lastEventId=" + max + "a");
}

// Token sources: Bearer header, then the configured cookie, then access_token.
TEST(StreamRequest, TokenExtractionOrder) {
    const std::string q = "topics=chat:1&access_token=qp";
    EXPECT_EQ(expect_ok(q, {"", "Bearer hdr", "session=ck"}).token, "hdr");
    EXPECT_EQ(expect_ok(q, {"", "Basic xyz", "session=ck"}).token, "ck");
    EXPECT_EQ(expect_ok(q, {"", "", "other=1; session=ck"}).token, "ck");
    EXPECT_EQ(expect_ok(q, {"", "", "other=1"}).token, "qp");
    EXPECT_EQ(expect_ok("topics=chat:1&access_token=a%2Eb").token, "a.b");
    EXPECT_EQ(expect_ok("topics=chat:1").token, "");
}

}  // namespace
}  // namespace deltacast::sse
