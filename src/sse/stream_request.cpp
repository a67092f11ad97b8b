#include "sse/stream_request.hpp"

#include "auth/token.hpp"

namespace deltacast::sse {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool has_control_chars(std::string_view s) {
    for (const char c : s) {
        if (c == '\r' || c == '\n' || c == '\0') {
            return true;
        }
    }
    return false;
}

HttpError bad_request(std::string message, std::string topic = {}) {
    nlohmann::json body{{"error", std::move(message)}};
    if (!topic.empty()) {
        body["topic"] = std::move(topic);
    }
    return HttpError{400, std::move(body)};
}

} // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) {
                return std::nullopt;
            }
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += (plus_as_space && c == '+') ? ' ' : c;
        }
    }
    return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) {
        return {target, {}};
    }
    return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    std::size_t start = 0;
    while (start <= query.size()) {
        const auto end = std::min(query.find('&', start), query.size());
        const std::string_view pair = query.substr(start, end - start);
        const auto eq = pair.find('=');
        const auto key = percent_decode(pair.substr(0, eq), true);
        if (key && *key == name) {
            if (eq == std::string_view::npos) {
                return std::string();
            }
            // An undecodable value is passed on raw: every caller validates it anyway (topics
            // reject '%', a bad token fails verification).
            const std::string_view raw = pair.substr(eq + 1);
            return percent_decode(raw, true).value_or(std::string(raw));
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::variant<StreamRequest, HttpError> parse_stream_request(const Config& config,
                                                            std::string_view query,
                                                            std::string_view last_event_id_header,
                                                            std::string_view authorization,
                                                            std::string_view cookie) {
    const auto topics_param = query_param(query, "topics");
    if (!topics_param || topics_param->empty()) {
        return bad_request("no topics");
    }
    if (has_control_chars(*topics_param)) {
        return bad_request("malformed topics parameter");
    }
    topics::TopicError error;
    auto topics = topics::parse_topic_list(config, *topics_param, &error);
    if (!topics) {
        return bad_request(error.message, error.topic);
    }
    StreamRequest request;
    request.topics = std::move(*topics);
    std::string last_id(last_event_id_header);
    if (last_id.empty()) {
        last_id = query_param(query, "lastEventId").value_or("");
    }
    if (last_id.size() > kMaxLastEventIdBytes || has_control_chars(last_id)) {
        return bad_request("malformed Last-Event-ID");
    }
    request.last_event_id = std::move(last_id);
    request.token = auth::extract_token(authorization, cookie, config.auth.cookie,
                                        query_param(query, "access_token").value_or(""));
    return request;
}

} // namespace deltacast::sse
