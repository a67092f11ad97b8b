#include "support/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace deltacast::testing {
namespace {

struct Flat {
    std::string event, data, id;
    bool operator==(const Flat &) const = default;
};

std::vector<Flat> flatten(const std::vector<SseEvent> &events) {
    std::vector<Flat> out;
    out.reserve(events.size());
    for (const auto &e : events) {
        out.push_back({e.event, e.data, e.id});
    }
    return out;
}

std::vector<Flat> feed_all(SseParser &parser, std::string_view stream) {
    return flatten(parser.feed(stream));
}

std::vector<Flat> feed_bytewise(SseParser &parser, std::string_view stream) {
    std::vector<Flat> out;
    for (char c : stream) {
        auto part = flatten(parser.feed(std::string_view(&c, 1)));
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

// A stream mixing every line ending, a BOM, comments, retry, ids and multi-line data.
const std::string mixed_stream = "\xEF\xBB\xBF"
                                 "retry: 2000\r\n"
                                 "\r\n"
                                 "event: ready\n"
                                 "data: {\"epoch\":\"b7f3\"}\n"
                                 "\n"
                                 ": hb\r"
                                 "id: b7f3-1\r"
                                 "event: entity-upsert\r"
                                 "data: line one\r"
                                 "data:line two\r\n"
                                 "\r"
                                 "data: no type\r\n"
                                 "\r\n";

const std::vector<Flat> mixed_expected = {
    {"ready", "{\"epoch\":\"b7f3\"}", ""},
    {"entity-upsert", "line one\nline two", "b7f3-1"},
    {"message", "no type", "b7f3-1"},
};

// Invariant: the parser's output does not depend on how the stream is split into chunks.
TEST(SseParser, SameEventsWhetherFedWholeOrByteByByte) {
    SseParser whole;
    SseParser bytewise;
    EXPECT_EQ(feed_all(whole, mixed_stream), mixed_expected);
    EXPECT_EQ(feed_bytewise(bytewise, mixed_stream), mixed_expected);
    EXPECT_EQ(whole.retry(), 2000);
    EXPECT_EQ(bytewise.retry(), 2000);
    EXPECT_EQ(bytewise.comments(), std::vector<std::string>{"hb"});
    EXPECT_EQ(bytewise.last_event_id(), "b7f3-1");
}

// Invariant: every two-way split point of the stream yields the same events.
TEST(SseParser, SameEventsForEverySplitPoint) {
    for (std::size_t cut = 0; cut <= mixed_stream.size(); ++cut) {
        SseParser parser;
        auto events = feed_all(parser, std::string_view(mixed_stream).substr(0, cut));
        auto rest = feed_all(parser, std::string_view(mixed_stream).substr(cut));
        events.insert(events.end(), rest.begin(), rest.end());
        EXPECT_EQ(events, mixed_expected) << "cut at " << cut;
    }
}

// Invariant: a CR ending one chunk and an LF starting the next form ONE line ending.
TEST(SseParser, CrLfSplitAcrossChunksIsOneLineEnding) {
    SseParser parser;
    EXPECT_TRUE(parser.feed("data: a\r").empty());
    EXPECT_TRUE(parser.feed("\ndata: b\r").empty()); // the LF must not dispatch
    const auto events = flatten(parser.feed("\n\r\n"));
    EXPECT_EQ(events, (std::vector<Flat>{{"message", "a\nb", ""}}));
}

// Invariant: an event is only dispatched by a blank line; an unterminated one waits.
TEST(SseParser, EventWaitsForBlankLine) {
    SseParser parser;
    EXPECT_TRUE(parser.feed("event: poke\ndata: {}\n").empty());
    EXPECT_EQ(flatten(parser.feed("\n")), (std::vector<Flat>{{"poke", "{}", ""}}));
}

// Invariant: only one space after the colon is removed; a field without colon has empty value.
TEST(SseParser, SpaceHandlingAndColonlessField) {
    SseParser parser;
    const auto events = flatten(parser.feed("data:  two spaces\ndata\ndata:x\n\n"));
    EXPECT_EQ(events, (std::vector<Flat>{{"message", " two spaces\n\nx", ""}}));
}

// Invariant: an id containing NUL is ignored; the previous id stays in force.
TEST(SseParser, IdWithNulIsIgnored) {
    SseParser parser;
    parser.feed("id: good\ndata: 1\n\n");
    const std::string bad("id: b\0d\ndata: 2\n\n", 17);
    const auto events = flatten(parser.feed(bad));
    EXPECT_EQ(events, (std::vector<Flat>{{"message", "2", "good"}}));
    EXPECT_EQ(parser.last_event_id(), "good");
}

// Invariant: a blank line with no data dispatches nothing but still commits the id.
TEST(SseParser, EmptyDataUpdatesIdWithoutDispatch) {
    SseParser parser;
    EXPECT_TRUE(parser.feed("id: 7\nevent: ghost\n\n").empty());
    EXPECT_EQ(parser.last_event_id(), "7");
    // The event type was reset with the dropped event.
    EXPECT_EQ(flatten(parser.feed("data: x\n\n")), (std::vector<Flat>{{"message", "x", "7"}}));
}

// Invariant: an empty id resets the last event id.
TEST(SseParser, EmptyIdResetsLastId) {
    SseParser parser;
    parser.feed("id: 5\ndata: a\n\n");
    EXPECT_EQ(flatten(parser.feed("id\ndata: b\n\n")), (std::vector<Flat>{{"message", "b", ""}}));
    EXPECT_EQ(parser.last_event_id(), "");
}

// Invariant: retry accepts ASCII digits only; anything else leaves the previous value.
TEST(SseParser, RetryDigitsOnly) {
    SseParser parser;
    EXPECT_EQ(parser.retry(), std::nullopt);
    parser.feed("retry: 1500\n\n");
    EXPECT_EQ(parser.retry(), 1500);
    parser.feed("retry: 12a\nretry: -5\nretry: 1.5\nretry:\nretry:  30\n\n");
    EXPECT_EQ(parser.retry(), 1500);
    parser.feed("retry:0\n\n");
    EXPECT_EQ(parser.retry(), 0);
}

// Invariant: comment lines are recorded in order and never produce events.
TEST(SseParser, CommentsRecordedNotDispatched) {
    SseParser parser;
    EXPECT_TRUE(parser.feed(": hb\n:\n:no space\n\n").empty());
    EXPECT_EQ(parser.comments(), (std::vector<std::string>{"hb", "", "no space"}));
}

// Invariant: a BOM is skipped only at the very start, even when split across chunks.
TEST(SseParser, BomOnlyAtStart) {
    SseParser parser;
    parser.feed("\xEF");
    parser.feed("\xBB");
    EXPECT_EQ(flatten(parser.feed("\xBF"
                                  "data: a\n\n")),
              (std::vector<Flat>{{"message", "a", ""}}));
    // A second BOM is part of the field name, which is then unknown and ignored.
    EXPECT_TRUE(parser
                    .feed("\xEF\xBB\xBF"
                          "data: b\n\n")
                    .empty());
}

// Invariant: bytes that merely start like a BOM are not lost.
TEST(SseParser, BomPrefixLookalikeIsKept) {
    SseParser parser;
    const auto events = flatten(parser.feed("\xEF"
                                            "data: a\n\ndata: b\n\n"));
    // "\xEF" + "data" is an unknown field; the second event must still arrive intact.
    EXPECT_EQ(events, (std::vector<Flat>{{"message", "b", ""}}));
}

// Invariant: unknown fields are ignored, event types are taken verbatim.
TEST(SseParser, UnknownFieldsIgnored) {
    SseParser parser;
    const auto events = flatten(parser.feed("foo: bar\nevent: resync\ndata: {}\n\n"));
    EXPECT_EQ(events, (std::vector<Flat>{{"resync", "{}", ""}}));
}

// Invariant: `received` is stamped when the event is dispatched, not when data started.
TEST(SseParser, ReceivedIsDispatchTime) {
    SseParser parser;
    parser.feed("data: a\n");
    const auto before = std::chrono::steady_clock::now();
    const auto events = parser.feed("\n");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_GE(events[0].received, before);
}

} // namespace
} // namespace deltacast::testing
