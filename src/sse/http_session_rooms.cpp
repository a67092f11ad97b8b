// HttpSession's live-room endpoints (SPEC §8): POST /api/sse/broadcast, GET
// /api/sse/presence?topic=…, and CORS preflights. Each authenticates like the stream (cookie,
// Bearer or access_token) and hands the checked request to the RoomService.

#include "sse/http_session.hpp"

#include "auth/token.hpp"
#include "sse/stream_admission.hpp"
#include "sse/stream_request.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"

#include <boost/asio/post.hpp>

#include <chrono>

namespace deltacast::sse {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// The caller's token from the request (Bearer, cookie, or ?access_token=).
template <class Req> std::string token_of(const HttpContext& context, const Req& request) {
    const auto query = split_target(request.target()).second;
    return auth::extract_token(request[http::field::authorization], request[http::field::cookie],
                               context.config.auth.cookie,
                               query_param(query, "access_token").value_or(""));
}

} // namespace

void HttpSession::read_broadcast_body() {
    body_parser_.emplace(std::move(*parser_));
    body_parser_->body_limit(max_broadcast_body(context_.config));
    http::async_read(stream_, buffer_, *body_parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec == http::error::body_limit) {
                             self->context_.metrics.broadcasts_rejected.fetch_add(
                                 1, std::memory_order_relaxed);
                             self->send(json_response(http::status::payload_too_large,
                                                      {{"error", "body too large"}}, 11, false));
                             return;
                         }
                         if (ec) {
                             self->on_read(ec); // timeouts, resets, malformed framing
                             return;
                         }
                         self->handle_broadcast(self->body_parser_->release());
                     });
}

void HttpSession::handle_broadcast(const BodyRequest& request) {
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    const std::string origin(request[http::field::origin]);
    auto& rejected = context_.metrics.broadcasts_rejected;
    auto parsed = parse_broadcast_request(context_.config, request.body());
    if (auto* error = std::get_if<HttpError>(&parsed)) {
        rejected.fetch_add(1, std::memory_order_relaxed);
        send_answer({static_cast<http::status>(error->status), error->body}, version, keep_alive,
                    origin);
        return;
    }
    auto identity = authenticate(context_, token_of(context_, request), unix_now());
    if (auto* refused = std::get_if<Refused>(&identity)) {
        rejected.fetch_add(1, std::memory_order_relaxed);
        send_answer({refused->status, refused->body}, version, keep_alive, origin);
        return;
    }
    context_.rooms.broadcast(
        std::move(std::get<0>(identity).first), std::move(std::get<BroadcastRequest>(parsed)),
        [self = shared_from_this(), version, keep_alive, origin](Answer answer) {
            if (static_cast<unsigned>(answer.status) >= 400) {
                self->context_.metrics.broadcasts_rejected.fetch_add(1, std::memory_order_relaxed);
            }
            asio::post(self->stream_.get_executor(),
                       [self, answer = std::move(answer), version, keep_alive, origin] {
                           self->send_answer(answer, version, keep_alive, origin);
                       });
        });
}

void HttpSession::handle_presence(const Request& request) {
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    const std::string origin(request[http::field::origin]);
    const auto query = split_target(request.target()).second;
    const auto text = query_param(query, "topic");
    topics::TopicError error;
    auto topic = text ? topics::parse_topic(context_.config, *text, &error) : std::nullopt;
    if (!topic) {
        send_answer({http::status::bad_request,
                     {{"error", text ? error.message : "the topic parameter is required"},
                      {"topic", text.value_or("")}}},
                    version, keep_alive, origin);
        return;
    }
    if (!topic->kind->presence) {
        send_answer({http::status::bad_request,
                     {{"error", "this topic kind has no presence"}, {"topic", topic->key}}},
                    version, keep_alive, origin);
        return;
    }
    auto identity = authenticate(context_, token_of(context_, request), unix_now());
    if (auto* refused = std::get_if<Refused>(&identity)) {
        send_answer({refused->status, refused->body}, version, keep_alive, origin);
        return;
    }
    context_.rooms.presence(
        std::move(std::get<0>(identity).first), std::move(*topic),
        [self = shared_from_this(), version, keep_alive, origin](Answer answer) {
            asio::post(self->stream_.get_executor(),
                       [self, answer = std::move(answer), version, keep_alive, origin] {
                           self->send_answer(answer, version, keep_alive, origin);
                       });
        });
}

void HttpSession::send_preflight(const Request& request) {
    Response res{http::status::no_content, request.version()};
    res.set(http::field::server, "deltacast");
    res.keep_alive(request.keep_alive());
    const auto origin = request[http::field::origin];
    if (cors_allowed(context_.config, origin)) {
        apply_cors(res, context_.config, origin);
        res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
        res.set(http::field::access_control_allow_headers,
                "Content-Type, Authorization, Last-Event-ID");
        res.set(http::field::access_control_max_age, "600");
    }
    res.prepare_payload();
    send(std::move(res));
}

void HttpSession::send_answer(const Answer& answer, unsigned version, bool keep_alive,
                              const std::string& origin) {
    auto res = json_response(answer.status, answer.body, version, keep_alive);
    apply_cors(res, context_.config, origin);
    if (answer.retry_after_s > 0) {
        res.set(http::field::retry_after, std::to_string(answer.retry_after_s));
    }
    send(std::move(res));
}

} // namespace deltacast::sse
