#include "wire/sse_format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace deltacast::wire {
namespace {

using namespace std::string_literals;

// The common case: id, event and one-line data produce exactly the SPEC's wire bytes.
TEST(SseFormat, SimpleEventIsExact) {
    std::string out;
    ASSERT_TRUE(append_event(out, "poke", "b7f3-1044", R"({"topic":"org:7"})"));
    EXPECT_EQ(out, "id: b7f3-1044\nevent: poke\ndata: {\"topic\":\"org:7\"}\n\n");
}

// Empty id and event omit their lines; data alone is still a complete event.
TEST(SseFormat, EmptyIdAndEventAreOmitted) {
    std::string out;
    ASSERT_TRUE(append_event(out, "", "", "x"));
    EXPECT_EQ(out, "data: x\n\n");
    out.clear();
    ASSERT_TRUE(append_event(out, "ready", "", "{}"));
    EXPECT_EQ(out, "event: ready\ndata: {}\n\n");
    out.clear();
    ASSERT_TRUE(append_event(out, "", "7", "{}"));
    EXPECT_EQ(out, "id: 7\ndata: {}\n\n");
}

// Empty data still yields one data line, so the event is well formed.
TEST(SseFormat, EmptyDataYieldsOneDataLine) {
    std::string out;
    ASSERT_TRUE(append_event(out, "e", "", ""));
    EXPECT_EQ(out, "event: e\ndata: \n\n");
}

// Events append: existing content of `out` is kept untouched.
TEST(SseFormat, AppendsAfterExistingBytes) {
    std::string out = "retry: 1\n\n";
    ASSERT_TRUE(append_event(out, "a", "", "1"));
    ASSERT_TRUE(append_event(out, "b", "", "2"));
    EXPECT_EQ(out, "retry: 1\n\nevent: a\ndata: 1\n\nevent: b\ndata: 2\n\n");
}

// LF in data cannot end the event or start a field: it starts another data line.
TEST(SseFormat, LfInDataSplitsIntoDataLines) {
    std::string out;
    ASSERT_TRUE(append_event(out, "", "", "a\n\nevent: evil\nid: 9"));
    EXPECT_EQ(out, "data: a\ndata: \ndata: event: evil\ndata: id: 9\n\n");
}

// CR alone is a line break for browsers, so it must split too.
TEST(SseFormat, CrInDataSplitsIntoDataLines) {
    std::string out;
    ASSERT_TRUE(append_event(out, "", "", "a\revent: evil\r\r"));
    EXPECT_EQ(out, "data: a\ndata: event: evil\ndata: \ndata: \n\n");
}

// CRLF is one line break, not two (no phantom empty lines).
TEST(SseFormat, CrlfInDataIsOneBreak) {
    std::string out;
    ASSERT_TRUE(append_event(out, "", "", "a\r\nb\r\n"));
    EXPECT_EQ(out, "data: a\ndata: b\ndata: \n\n");
}

// LF CR is two breaks (only CR followed by LF is folded).
TEST(SseFormat, LfCrIsTwoBreaks) {
    std::string out;
    ASSERT_TRUE(append_event(out, "", "", "a\n\rb"));
    EXPECT_EQ(out, "data: a\ndata: \ndata: b\n\n");
}

// NUL in data becomes U+FFFD; it never reaches the wire.
TEST(SseFormat, NulInDataIsReplaced) {
    std::string out;
    ASSERT_TRUE(append_event(out, "", "", "a\0b\0"s));
    EXPECT_EQ(out, "data: a\xEF\xBF\xBD"
                   "b\xEF\xBF\xBD\n\n");
    EXPECT_EQ(out.find('\0'), std::string::npos);
}

// A mix of all breakers and NULs is handled in one event.
TEST(SseFormat, MixedBreakersAndNul) {
    std::string out;
    ASSERT_TRUE(append_event(out, "e", "1", "\0\r\n\0\nx\r"s));
    EXPECT_EQ(out, "id: 1\nevent: e\ndata: \xEF\xBF\xBD\ndata: \xEF\xBF\xBD\ndata: x\ndata: \n\n");
}

// CR, LF or NUL in the event name is refused and nothing is appended.
TEST(SseFormat, BreakerInEventIsRejected) {
    for (const std::string& event : {"a\nb"s, "a\rb"s, "a\r\nb"s, "a\0b"s, "\n"s}) {
        std::string out = "keep";
        EXPECT_FALSE(append_event(out, event, "1", "data")) << event;
        EXPECT_EQ(out, "keep");
    }
}

// CR, LF or NUL in the id (e.g. an echoed Last-Event-ID) is refused and nothing is appended.
TEST(SseFormat, BreakerInIdIsRejected) {
    for (const std::string& id : {"1\ndata: x"s, "1\r"s, "1\r\n"s, "1\0"s}) {
        std::string out = "keep";
        EXPECT_FALSE(append_event(out, "e", id, "data")) << id;
        EXPECT_EQ(out, "keep");
    }
}

// Comments carry text on one line: breakers become spaces, so a comment cannot start a field.
TEST(SseFormat, CommentReplacesBreakers) {
    std::string out;
    append_comment(out, "hb");
    EXPECT_EQ(out, ": hb\n\n");
    out.clear();
    append_comment(out, "a\nevent: x\r\0"s);
    EXPECT_EQ(out, ": a event: x  \n\n");
}

// Comments append after existing bytes without touching them (breakers there stay).
TEST(SseFormat, CommentLeavesEarlierBytesAlone) {
    std::string out = "data: x\n\n";
    append_comment(out, "");
    EXPECT_EQ(out, "data: x\n\n: \n\n");
}

// The retry field is exact and never negative.
TEST(SseFormat, Retry) {
    std::string out;
    append_retry(out, 2000);
    EXPECT_EQ(out, "retry: 2000\n\n");
    out.clear();
    append_retry(out, -5);
    EXPECT_EQ(out, "retry: 0\n\n");
}

}  // namespace
}  // namespace deltacast::wire
