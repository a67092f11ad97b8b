#pragma once
// Stream admission: everything decided about a stream request before the stream exists, apart
// from the I/O that carries it out. admit_stream() parses the request (topics, Last-Event-ID,
// token; 400 on bad input), verifies the token (401), and takes a connection slot (503 while
// draining or over server.max_connections, 429 over server.max_connections_per_subject).
// refusal_for() turns the core's answer to an admitted stream (403, 503) into a refusal, and
// stream_response_head() writes the 200 head of an opened one. SseSession calls them and does
// the writing.
//
// Threading: any thread (HttpContext's limits and metrics are thread-safe).

#include "sse/compressor.hpp"
#include "sse/http_util.hpp"
#include "sse/stream_service.hpp"

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace deltacast::sse {

/// A request admitted as a stream: it holds a slot in HttpContext::limits, owned by `subject`,
/// which the session must release when it ends.
struct Admitted {
    std::shared_ptr<OpenRequest> request;
    std::vector<std::string> topic_keys;
    std::string subject;
    std::optional<std::int64_t> token_expires_at; // unix seconds; none with auth.mode none
};

/// A refusal: status, JSON body, and a Retry-After in seconds when > 0.
struct Refused {
    boost::beast::http::status status;
    nlohmann::json body;
    int retry_after_s = 0;
};

using Request = boost::beast::http::request<boost::beast::http::empty_body>;

/// The caller's identity from the request's token (cookie, Bearer or access_token, already
/// extracted into `token`), or 401. With auth.mode none: "anonymous", no expiry.
std::variant<std::pair<Identity, std::optional<std::int64_t>>, Refused>
authenticate(const HttpContext& context, const std::string& token, std::int64_t now_unix_s);

/// Parses, authenticates and admits a GET /api/sse/stream request; see the file comment.
std::variant<Admitted, Refused> admit_stream(HttpContext& context, const Request& request,
                                             std::int64_t now_unix_s);

/// The refusal for the core's answer to open() (Forbidden -> 403, Unavailable -> 503).
Refused refusal_for(const OpenResult& result);

/// The head of a 200 stream response: SSE headers, Content-Encoding for a compressed stream
/// (`encoding` other than Identity), CORS headers for a listed `origin`.
std::string stream_response_head(const Config& config, Encoding encoding, std::string_view origin);

} // namespace deltacast::sse
