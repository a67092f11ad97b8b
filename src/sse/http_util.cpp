#include "sse/http_util.hpp"

#include <algorithm>

namespace deltacast::sse {
namespace http = boost::beast::http;

Response json_response(http::status status, const nlohmann::json& body, unsigned version,
                       bool keep_alive) {
    Response res{status, version};
    res.set(http::field::server, "deltacast");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    // Bodies may echo client bytes (a rejected topic); invalid UTF-8 must not make dump() throw.
    res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    res.prepare_payload();
    return res;
}

bool cors_allowed(const Config& config, std::string_view origin) {
    return !origin.empty() &&
           std::find(config.server.cors_origins.begin(), config.server.cors_origins.end(),
                     origin) != config.server.cors_origins.end();
}

void apply_cors(Response& response, const Config& config, std::string_view origin) {
    if (!cors_allowed(config, origin)) {
        return;
    }
    response.set(http::field::access_control_allow_origin, origin);
    response.set(http::field::access_control_allow_credentials, "true");
    response.set(http::field::vary, "Origin");
}

} // namespace deltacast::sse
