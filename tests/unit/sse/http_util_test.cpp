#include "sse/http_util.hpp"

#include "sse/stream_request.hpp"
#include "unit/fakes/test_config.hpp"

#include <gtest/gtest.h>

namespace deltacast::sse {
namespace {

namespace http = boost::beast::http;

// Invariant: a 400 echoing a topic with invalid UTF-8 (`topics=%FF:1`) serialises, with U+FFFD
// in place of the bad byte, instead of throwing out of the session and terminating the server.
TEST(JsonResponse, RejectedTopicWithInvalidUtf8Serialises) {
    const auto parsed = parse_stream_request(unit_test::test_config(), "topics=%FF:1", "", "", "");
    const auto* error = std::get_if<HttpError>(&parsed);
    ASSERT_NE(error, nullptr);
    const auto response = json_response(http::status::bad_request, error->body, 11, false);
    const auto body = nlohmann::json::parse(response.body());
    EXPECT_EQ(body.at("topic"), "\xEF\xBF\xBD:1");
    EXPECT_EQ(response[http::field::content_type], "application/json");
}

}  // namespace
}  // namespace deltacast::sse
