#include "sse/broadcast_request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace deltacast::sse {
namespace {

HttpError bad(std::string error, const char* field) {
    return HttpError{400, {{"error", std::move(error)}, {"field", field}}};
}

} // namespace

bool valid_broadcast_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == ':' || c == '-';
    });
}

std::size_t max_broadcast_body(const Config& config) {
    std::size_t largest = 0;
    for (const auto& [kind, topic] : config.topics) {
        if (topic.broadcast) {
            largest = std::max<std::size_t>(largest, topic.broadcast_max_bytes);
        }
    }
    return largest + 1024; // topic, name and JSON syntax around `data`
}

std::variant<BroadcastRequest, HttpError> parse_broadcast_request(const Config& config,
                                                                  std::string_view body) {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return bad("the body must be a JSON object {\"topic\",\"name\",\"data\"}", "body");
    }
    for (const auto& [key, value] : doc.items()) {
        if (key == "from") {
            return bad("`from` is set by deltacast from the token, never from the body", "from");
        }
        if (key != "topic" && key != "name" && key != "data") {
            return bad("unknown key", "body");
        }
    }
    const auto topic_it = doc.find("topic");
    if (topic_it == doc.end() || !topic_it->is_string()) {
        return bad("`topic` must be a string kind:id", "topic");
    }
    const auto name_it = doc.find("name");
    if (name_it == doc.end() || !name_it->is_string() ||
        !valid_broadcast_name(name_it->get_ref<const std::string&>())) {
        return bad("`name` must match [A-Za-z0-9_.:-]{1,64}", "name");
    }
    const auto data_it = doc.find("data");
    if (data_it == doc.end()) {
        return bad("`data` is required (any JSON value)", "data");
    }
    const auto& topic_text = topic_it->get_ref<const std::string&>();
    topics::TopicError error;
    auto topic = topics::parse_topic(config, topic_text, &error);
    if (!topic) {
        // The topic echoed only when it is valid UTF-8 text (json::dump would throw otherwise).
        return HttpError{400,
                         {{"error", error.message}, {"field", "topic"}, {"topic", topic_text}}};
    }
    if (!topic->kind->broadcast) {
        return HttpError{400,
                         {{"error", "this topic kind does not accept broadcasts"},
                          {"field", "topic"},
                          {"topic", topic->key}}};
    }
    std::string data = data_it->dump();
    if (data.size() > static_cast<std::size_t>(topic->kind->broadcast_max_bytes)) {
        return HttpError{413,
                         {{"error", "data too large"},
                          {"field", "data"},
                          {"max_bytes", topic->kind->broadcast_max_bytes}}};
    }
    return BroadcastRequest{std::move(*topic), name_it->get<std::string>(), std::move(data)};
}

} // namespace deltacast::sse
