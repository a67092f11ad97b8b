#include "sse/http_session.hpp"

#include "sse/broadcast_request.hpp"
#include "sse/sse_session.hpp"
#include "sse/stream_request.hpp"
#include "sse/stream_service.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace deltacast::sse {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
log::RateLimit auth_none_warning(1, std::chrono::seconds(60));
}

HttpSession::HttpSession(asio::ip::tcp::socket socket, HttpContext& context, Shard& shard)
    : stream_(std::move(socket)), context_(context), shard_(shard) {}

void HttpSession::run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void HttpSession::do_read() {
    const auto& server = context_.config.server;
    parser_.emplace();
    // Beast limits the request line and headers together; on_limit_exceeded() tells them apart.
    parser_->header_limit(
        static_cast<std::uint32_t>(server.max_request_line + server.max_header_bytes));
    // Beast checks a declared Content-Length against the limit with the header: the largest
    // body any endpoint takes (a broadcast's). Other requests refuse any body (empty_body).
    parser_->body_limit(max_broadcast_body(context_.config));
    stream_.expires_after(std::chrono::milliseconds(server.header_timeout_ms));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
    if (ec == http::error::body_limit) {
        context_.metrics.broadcasts_rejected.fetch_add(1, std::memory_order_relaxed);
        send(json_response(http::status::payload_too_large, {{"error", "body too large"}}, 11,
                           false));
        return;
    }
    if (!ec && parser_->get().method() == http::verb::post &&
        split_target(parser_->get().target()).first == "/api/sse/broadcast") {
        read_broadcast_body();
        return;
    }
    if (!ec && !parser_->is_done()) {
        // A body where none is expected: the empty-body parser refuses it (400 below).
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
        return;
    }
    on_read(ec);
}

void HttpSession::on_read(beast::error_code ec) {
    if (ec == http::error::header_limit) {
        on_limit_exceeded();
        return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        do_close(); // a client that does not finish its headers in time is simply dropped
        return;
    }
    if (ec) {
        send(json_response(http::status::bad_request, {{"error", "malformed HTTP request"}}, 11,
                           false));
        return;
    }
    Request request = parser_->release();
    if (request.target().size() > context_.config.server.max_request_line) {
        send(json_response(http::status::uri_too_long, {{"error", "request line too long"}},
                           request.version(), false));
        return;
    }
    std::size_t header_bytes = 0;
    for (const auto& field : request) {
        header_bytes += field.name_string().size() + field.value().size() + 4; // ": " + CRLF
    }
    if (header_bytes > context_.config.server.max_header_bytes) {
        send(json_response(http::status::request_header_fields_too_large,
                           {{"error", "request headers too large"}}, request.version(), false));
        return;
    }
    handle(std::move(request));
}

void HttpSession::on_limit_exceeded() {
    const auto data = buffer_.data();
    const std::string_view head(static_cast<const char*>(data.data()), data.size());
    const auto eol = head.find("\r\n");
    const bool line_too_long =
        eol == std::string_view::npos || eol > context_.config.server.max_request_line;
    send(line_too_long ? json_response(http::status::uri_too_long,
                                       {{"error", "request line too long"}}, 11, false)
                       : json_response(http::status::request_header_fields_too_large,
                                       {{"error", "request headers too large"}}, 11, false));
}

void HttpSession::handle(Request request) {
    const auto target = request.target();
    const auto path = target.substr(0, target.find('?'));
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    if (request.method() == http::verb::options) {
        send_preflight(request);
        return;
    }
    if (request.method() != http::verb::get) {
        auto res = json_response(http::status::method_not_allowed,
                                 {{"error", "method not allowed"}}, version, keep_alive);
        res.set(http::field::allow,
                path == "/api/sse/broadcast" ? "POST, OPTIONS" : "GET, OPTIONS");
        send(std::move(res));
        return;
    }
    if (path == "/api/sse/presence") {
        handle_presence(request);
        return;
    }
    if (path == "/api/sse/stream") {
        stream_.expires_never();
        std::make_shared<SseSession>(stream_.release_socket(), context_, shard_)
            ->start(std::move(request));
        return;
    }
    if (path == "/healthz") {
        send(json_response(http::status::ok, {{"status", "ok"}}, version, keep_alive));
    } else if (path == "/readyz") {
        send_readyz(request);
    } else if (path == "/metrics") {
        Response res{http::status::ok, version};
        res.set(http::field::content_type, "text/plain; version=0.0.4");
        res.keep_alive(keep_alive);
        res.body() = context_.status.metrics_text();
        res.prepare_payload();
        send(std::move(res));
    } else if (path == "/debug/listening" && context_.config.server.debug_endpoints) {
        send_listening(request);
    } else {
        send(json_response(http::status::not_found, {{"error", "not found"}}, version, keep_alive));
    }
}

void HttpSession::send_readyz(const Request& request) {
    const bool draining = context_.draining.load();
    const bool ready = !draining && context_.status.ready();
    nlohmann::json body{{"status", ready ? "ready" : draining ? "draining" : "not-ready"}};
    if (draining) {
        body["reason"] = "shutting down";
    } else if (!ready) {
        body["reason"] = "postgres listener disconnected";
    }
    if (context_.config.auth.mode == AuthMode::None) {
        body["warning"] = "auth.mode=none: every topic is open to anyone";
        std::uint64_t suppressed = 0;
        if (auth_none_warning.allow(suppressed)) {
            log::get("sse")->warn("auth.mode=none: every topic is open to anyone (readyz)");
        }
    }
    send(json_response(ready ? http::status::ok : http::status::service_unavailable, body,
                       request.version(), request.keep_alive()));
}

void HttpSession::send_listening(const Request& request) {
    context_.status.listening_channels(
        [self = shared_from_this(), version = request.version(),
         keep_alive = request.keep_alive()](std::optional<std::vector<std::string>> channels) {
            asio::post(self->stream_.get_executor(), [self, channels, version, keep_alive] {
                if (!channels) {
                    self->send(json_response(http::status::service_unavailable,
                                             {{"error", "listener not connected"}}, version,
                                             keep_alive));
                    return;
                }
                self->send(json_response(http::status::ok, {{"channels", *channels}}, version,
                                         keep_alive));
            });
        });
}

void HttpSession::send(Response response) {
    auto shared = std::make_shared<Response>(std::move(response));
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared](beast::error_code ec, std::size_t) {
                          if (ec || !shared->keep_alive()) {
                              self->do_close();
                              return;
                          }
                          self->do_read();
                      });
}

void HttpSession::do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.close();
}

} // namespace deltacast::sse
