// Fuzz target: the stream request parser (query string, topics, Last-Event-ID, token sources)
// and Accept-Encoding negotiation, i.e. everything a client controls before a stream opens.
//
// Input: fields in FuzzedDataProvider's string format (a field ends at a backslash followed by
// any byte but a backslash; "\\" is one backslash): request target, Last-Event-ID header,
// Authorization, Cookie, then the rest is Accept-Encoding.
//
// Invariants: an accepted request holds 1..max topics, each canonical (re-serialises to its key,
// which reparses to the same topic), printable ASCII without comma, and exactly the list the
// client sent; its Last-Event-ID is short, free of CR/LF/NUL and round-trips through an SSE `id:`
// field; a rejected one is a 400 whose JSON body serialises; negotiation picks an offered coding.

#include "fuzz_check.hpp"
#include "sse/compressor.hpp"
#include "sse/http_util.hpp"
#include "wire/sse_format.hpp"
#include "sse/stream_request.hpp"
#include "support/sse_parser.hpp"
#include "unit/fakes/test_config.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <set>

namespace {

using namespace deltacast;

std::string join_keys(const std::vector<topics::Topic>& list) {
    std::string out;
    for (const auto& topic : list) {
        out += (out.empty() ? "" : ",") + topic.key;
    }
    return out;
}

std::string percent_encode_all(std::string_view in) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : in) {
        const auto byte = static_cast<unsigned char>(c);
        out += '%';
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
    }
    return out;
}

void check_topic(const Config& config, const topics::Topic& topic) {
    for (const char c : topic.key) {
        FUZZ_CHECK(c > ' ' && c < 0x7f && c != ',' && c != '%');
    }
    FUZZ_CHECK(topic.key == topic.kind->kind + ":" + topic.id);
    FUZZ_CHECK(topic.channel == config.postgres.channel_prefix + topic.key);
    FUZZ_CHECK(topic.channel.size() <= topics::kMaxChannelBytes);
    FUZZ_CHECK(topics::valid_id(topic.kind->id_type, topic.id));
    const auto again = topics::parse_topic(config, topic.key, nullptr);
    FUZZ_CHECK(again && again->key == topic.key && again->kind == topic.kind);
    const auto from_channel = topics::topic_from_channel(config, topic.channel);
    FUZZ_CHECK(from_channel && from_channel->key == topic.key);
}

// An accepted Last-Event-ID must survive being written as an SSE id and read by a browser.
void check_event_id_round_trip(const std::string& id) {
    std::string frame;
    FUZZ_CHECK(wire::append_event(frame, "ready", id, "{}"));
    testing::SseParser parser;
    const auto events = parser.feed(frame);
    FUZZ_CHECK(events.size() == 1 && events[0].id == id && events[0].data == "{}");
}

void check_accepted(const Config& config, const sse::StreamRequest& request,
                    std::string_view query, std::string_view last_event_id_header,
                    bool token_headers_empty) {
    const auto limit = static_cast<std::size_t>(config.server.max_topics_per_connection);
    FUZZ_CHECK(!request.topics.empty() && request.topics.size() <= limit);
    std::set<std::string> keys;
    for (const auto& topic : request.topics) {
        check_topic(config, topic);
        FUZZ_CHECK(keys.insert(topic.key).second);
    }
    // No partial subscription and no silent normalisation: the client gets what it asked for.
    const std::string joined = join_keys(request.topics);
    FUZZ_CHECK(sse::query_param(query, "topics") == joined);
    const auto reparsed = topics::parse_topic_list(config, joined, nullptr);
    FUZZ_CHECK(reparsed && join_keys(*reparsed) == joined);

    const std::string& id = request.last_event_id;
    FUZZ_CHECK(id.size() <= sse::kMaxLastEventIdBytes);
    FUZZ_CHECK(id.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    const std::string expected_id = !last_event_id_header.empty()
                                        ? std::string(last_event_id_header)
                                        : sse::query_param(query, "lastEventId").value_or("");
    FUZZ_CHECK(id == expected_id);
    check_event_id_round_trip(id);
    if (token_headers_empty) {
        FUZZ_CHECK(request.token == sse::query_param(query, "access_token").value_or(""));
    }
}

void check_rejected(const sse::HttpError& error) {
    FUZZ_CHECK(error.status == 400);
    FUZZ_CHECK(error.body.is_object() && error.body.contains("error") &&
               error.body["error"].is_string());
    // What the client receives: the body must serialise (no throw) and parse back as JSON.
    const auto response = sse::json_response(boost::beast::http::status::bad_request,
                                             error.body, 11, false);
    const auto echoed = nlohmann::json::parse(response.body(), nullptr, false);
    FUZZ_CHECK(echoed.is_object() && echoed.contains("error"));
}

void check_negotiation(std::string_view accept_encoding) {
    static const std::vector<std::string> preference = {"br", "gzip"};
    const auto chosen = sse::negotiate_encoding(accept_encoding, preference);
    FUZZ_CHECK(sse::negotiate_encoding(accept_encoding, {}) == sse::Encoding::Identity);
    if (accept_encoding.empty()) {
        FUZZ_CHECK(chosen == sse::Encoding::Identity);
    }
    if (chosen != sse::Encoding::Identity) {
        std::string lower(accept_encoding);
        for (char& c : lower) {
            c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        const auto name = std::string(sse::content_encoding_name(chosen));
        FUZZ_CHECK(lower.find(name) != std::string::npos || lower.find('*') != std::string::npos);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const std::string target = input.ConsumeRandomLengthString();
    const std::string last_event_id = input.ConsumeRandomLengthString();
    const std::string authorization = input.ConsumeRandomLengthString();
    const std::string cookie = input.ConsumeRandomLengthString();
    const std::string accept_encoding = input.ConsumeRemainingBytesAsString();
    const Config& config = unit_test::test_config();

    const auto [path, query] = sse::split_target(target);
    if (target.find('?') == std::string::npos) {
        FUZZ_CHECK(path == target && query.empty());
    } else {
        FUZZ_CHECK(std::string(path) + "?" + std::string(query) == target &&
                   path.find('?') == std::string_view::npos);
    }
    FUZZ_CHECK(sse::percent_decode(percent_encode_all(query), false) == std::string(query));

    const auto parsed =
        sse::parse_stream_request(config, query, last_event_id, authorization, cookie);
    if (const auto* request = std::get_if<sse::StreamRequest>(&parsed)) {
        check_accepted(config, *request, query, last_event_id,
                       authorization.empty() && cookie.empty());
    } else {
        check_rejected(std::get<sse::HttpError>(parsed));
    }
    check_negotiation(accept_encoding);
    return 0;
}
