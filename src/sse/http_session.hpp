#pragma once
// HttpSession: one TCP connection until it becomes a stream. Reads each request with a fresh
// parser (header size limit, header timeout against slow clients), answers /healthz, /readyz,
// /metrics and the debug endpoint itself (keep-alive), the live-room endpoints (POST
// /api/sse/broadcast with a size-limited body, GET /api/sse/presence, and CORS preflights:
// http_session_rooms.cpp) through the RoomService, and hands a stream request, with the
// socket, to an SseSession.
//
// Threading: the connection's strand. Errors close this connection only.

#include "sse/http_util.hpp"
#include "sse/room_service.hpp"
#include "sse/shard.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

namespace deltacast::sse {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    /// `socket` must run on `shard`'s strand.
    HttpSession(boost::asio::ip::tcp::socket socket, HttpContext& context, Shard& shard);
    void run();

    using Request = boost::beast::http::request<boost::beast::http::empty_body>;
    using BodyRequest = boost::beast::http::request<boost::beast::http::string_body>;

private:
    void do_read();
    void on_header(boost::beast::error_code ec);
    void on_read(boost::beast::error_code ec);
    void on_limit_exceeded();
    void handle(Request request);
    void send(Response response);
    void send_readyz(const Request& request);
    void send_listening(const Request& request);
    // http_session_rooms.cpp
    void read_broadcast_body();
    void handle_broadcast(const BodyRequest& request);
    void handle_presence(const Request& request);
    void send_preflight(const Request& request);
    void send_answer(const Answer& answer, unsigned version, bool keep_alive,
                     const std::string& origin);
    void do_close();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> body_parser_;
    HttpContext& context_;
    Shard& shard_;
};

} // namespace deltacast::sse
