#include "sse/stream_admission.hpp"

#include "auth/jwt.hpp"
#include "sse/stream_request.hpp"
#include "util/metrics.hpp"

namespace deltacast::sse {
namespace http = boost::beast::http;

std::variant<std::pair<Identity, std::optional<std::int64_t>>, Refused>
authenticate(const HttpContext& context, const std::string& token, std::int64_t now_unix_s) {
    if (context.verifier == nullptr) {
        return std::pair{Identity{"anonymous", nlohmann::json::object()}, std::nullopt};
    }
    if (token.empty()) {
        return Refused{http::status::unauthorized,
                       {{"error", "unauthorized"}, {"reason", "missing token"}}};
    }
    auto verified = context.verifier->verify(token, now_unix_s);
    if (auto* error = std::get_if<auth::JwtError>(&verified)) {
        return Refused{
            http::status::unauthorized,
            {{"error", "unauthorized"}, {"reason", std::string(auth::to_string(*error))}}};
    }
    auto& ok = std::get<auth::VerifiedToken>(verified);
    return std::pair{Identity{std::move(ok.subject), std::move(ok.claims)},
                     std::optional<std::int64_t>(ok.expires_at)};
}

namespace {

/// Takes a connection slot for `subject`, or says why not.
std::optional<Refused> take_slot(HttpContext& context, const std::string& subject) {
    if (context.draining.load()) {
        return Refused{http::status::service_unavailable, {{"error", "shutting down"}}, 1};
    }
    switch (context.limits.acquire(subject)) {
    case ConnectionLimits::Verdict::Admitted:
        return std::nullopt;
    case ConnectionLimits::Verdict::ProcessFull:
        context.metrics.rejected_process_limit.fetch_add(1, std::memory_order_relaxed);
        return Refused{http::status::service_unavailable, {{"error", "too many connections"}}, 5};
    case ConnectionLimits::Verdict::SubjectFull:
        context.metrics.rejected_subject_limit.fetch_add(1, std::memory_order_relaxed);
        return Refused{http::status::too_many_requests,
                       {{"error", "too many connections for this subject"}},
                       5};
    }
    return Refused{http::status::service_unavailable, {{"error", "unavailable"}}, 5};
}

} // namespace

std::variant<Admitted, Refused> admit_stream(HttpContext& context, const Request& request,
                                             std::int64_t now_unix_s) {
    const auto query = split_target(request.target()).second;
    auto parsed =
        parse_stream_request(context.config, query, request["Last-Event-ID"],
                             request[http::field::authorization], request[http::field::cookie]);
    if (auto* error = std::get_if<HttpError>(&parsed)) {
        return Refused{static_cast<http::status>(error->status), error->body};
    }
    auto& stream_request = std::get<StreamRequest>(parsed);
    auto identity = authenticate(context, stream_request.token, now_unix_s);
    if (auto* refused = std::get_if<Refused>(&identity)) {
        return std::move(*refused);
    }
    auto& [who, expires_at] = std::get<0>(identity);
    if (auto refused = take_slot(context, who.subject)) {
        return std::move(*refused);
    }
    Admitted admitted;
    for (const auto& topic : stream_request.topics) {
        admitted.topic_keys.push_back(topic.key);
    }
    admitted.subject = who.subject;
    admitted.token_expires_at = expires_at;
    admitted.request = std::make_shared<OpenRequest>(OpenRequest{
        std::move(stream_request.topics), std::move(who), std::move(stream_request.last_event_id)});
    return admitted;
}

Refused refusal_for(const OpenResult& result) {
    if (result.status == OpenStatus::Forbidden) {
        return Refused{http::status::forbidden,
                       {{"error", "forbidden"}, {"topics", result.denied}}};
    }
    return Refused{http::status::service_unavailable,
                   {{"error", "unavailable"}, {"reason", result.reason}},
                   2};
}

std::string stream_response_head(const Config& config, Encoding encoding, std::string_view origin) {
    std::string head = "HTTP/1.1 200 OK\r\n"
                       "Server: deltacast\r\n"
                       "Content-Type: text/event-stream\r\n"
                       "Cache-Control: no-cache, no-transform\r\n"
                       "X-Accel-Buffering: no\r\n"
                       "Connection: close\r\n";
    if (encoding != Encoding::Identity) {
        head += "Content-Encoding: ";
        head += content_encoding_name(encoding);
        head += "\r\nVary: Accept-Encoding\r\n";
    }
    if (cors_allowed(config, origin)) {
        head += "Access-Control-Allow-Origin: " + std::string(origin) +
                "\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n";
    }
    return head + "\r\n";
}

} // namespace deltacast::sse
