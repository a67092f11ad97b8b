#include "support/chunked_decoder.hpp"
#include "support/http_util.hpp"

#include "raw_http_server.hpp"

#include <gtest/gtest.h>

namespace deltacast::testing {
namespace {

const std::string metrics_text = R"(# HELP deltacast_connections Open SSE connections.
# TYPE deltacast_connections gauge
deltacast_connections 3
deltacast_frames_total{kind="entity-upsert"} 42
deltacast_frames_total{kind="poke"} 7
deltacast_query_seconds_bucket{topic="chat",le="+Inf"} 5 1700000000000
deltacast_window_ms 1.5e1
deltacast_broken{kind="x"} not-a-number
)";

// Invariant: a plain series is found by name and not confused with a longer name.
TEST(MetricValue, PlainSeries) {
    EXPECT_EQ(metric_value(metrics_text, "deltacast_connections"), 3.0);
    EXPECT_EQ(metric_value(metrics_text, "deltacast_window_ms"), 15.0);
    EXPECT_EQ(metric_value(metrics_text, "deltacast_connection"), std::nullopt);
}

// Invariant: labels select exactly one series; a bare name does not match a labelled series.
TEST(MetricValue, LabelledSeries) {
    EXPECT_EQ(metric_value(metrics_text, R"(deltacast_frames_total{kind="poke"})"), 7.0);
    EXPECT_EQ(metric_value(metrics_text, R"(deltacast_frames_total{kind="entity-upsert"})"), 42.0);
    EXPECT_EQ(metric_value(metrics_text, "deltacast_frames_total"), std::nullopt);
    EXPECT_EQ(
        metric_value(metrics_text, R"(deltacast_query_seconds_bucket{topic="chat", le="+Inf"})"),
        5.0); // spaces in the query are ignored; the timestamp is not the value
}

// Invariant: comment lines never match and an unparsable value is reported as absent.
TEST(MetricValue, CommentsAndBadValues) {
    EXPECT_EQ(metric_value(metrics_text, "#"), std::nullopt);
    EXPECT_EQ(metric_value(metrics_text, R"(deltacast_broken{kind="x"})"), std::nullopt);
}

// Invariant: http_get returns status, body and lower-cased headers, and sends our headers.
TEST(HttpGet, ReturnsStatusBodyAndHeaders) {
    RawHttpServer server([&](int fd) {
        RawHttpServer::write(fd, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
                                 "Content-Length: 9\r\nConnection: close\r\n\r\nnot ready");
    });
    const HttpResult result = http_get(server.port(), "/readyz", {{"X-Probe", "yes"}});
    EXPECT_EQ(result.status, 503);
    EXPECT_EQ(result.body, "not ready");
    ASSERT_EQ(result.headers.count("retry-after"), 1u);
    EXPECT_EQ(result.headers.find("retry-after")->second, "2");
    EXPECT_TRUE(server.request().starts_with("GET /readyz HTTP/1.1\r\n")) << server.request();
    EXPECT_NE(server.request().find("X-Probe: yes\r\n"), std::string::npos) << server.request();
}

// Invariant: chunk framing is removed identically for whole and byte-by-byte input.
TEST(ChunkedDecoder, AnySplitSameOutput) {
    const std::string wire =
        "4\r\nWiki\r\n5;x=y\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: 1\r\n\r\n";
    ChunkedDecoder whole;
    std::string out;
    ASSERT_TRUE(whole.feed(wire, out)) << whole.error();
    EXPECT_EQ(out, "Wikipedia in\r\n\r\nchunks.");
    EXPECT_TRUE(whole.done());
    ChunkedDecoder bytewise;
    std::string out2;
    for (char c : wire) {
        ASSERT_TRUE(bytewise.feed(std::string_view(&c, 1), out2)) << bytewise.error();
    }
    EXPECT_EQ(out2, out);
    EXPECT_TRUE(bytewise.done());
}

// Invariant: malformed chunk framing is an error, not silently accepted data.
TEST(ChunkedDecoder, MalformedFails) {
    ChunkedDecoder bad_size;
    std::string out;
    EXPECT_FALSE(bad_size.feed("zz\r\nabc\r\n", out));
    ChunkedDecoder missing_crlf;
    EXPECT_FALSE(missing_crlf.feed("3\r\nabcX\r\n", out));
    EXPECT_FALSE(missing_crlf.error().empty());
}

} // namespace
} // namespace deltacast::testing
