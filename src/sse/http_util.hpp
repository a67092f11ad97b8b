#pragma once
// Small HTTP helpers shared by HttpSession and SseSession: JSON error/status responses and
// CORS headers. Pure; any thread.

#include "config/config.hpp"
#include "sse/connection_limits.hpp"

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <string_view>

namespace deltacast {
struct Metrics;
}
namespace deltacast::auth {
class JwtVerifier;
}

namespace deltacast::sse {

class StreamService;
class ServerStatus;
class RoomService;

/// Everything a connection needs, owned by the App and outliving every session.
struct HttpContext {
    const Config& config;
    Metrics& metrics;
    StreamService& streams;
    ServerStatus& status;
    RoomService& rooms;
    const auth::JwtVerifier* verifier; // nullptr with auth.mode = "none"
    ConnectionLimits limits;           // admitted stream sessions
    std::atomic<bool> draining{false}; // shutting down: new streams get 503, /readyz 503
};

using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// A response with a JSON body (Content-Type, Content-Length, Cache-Control: no-store).
Response json_response(boost::beast::http::status status, const nlohmann::json& body,
                       unsigned version, bool keep_alive);

/// True when `origin` is listed in server.cors_origins.
bool cors_allowed(const Config& config, std::string_view origin);

/// Adds Access-Control-Allow-Origin/Credentials and Vary: Origin for a listed origin.
void apply_cors(Response& response, const Config& config, std::string_view origin);

} // namespace deltacast::sse
