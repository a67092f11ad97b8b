#include "topics/topic.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>

namespace deltacast::topics {
namespace {

bool valid_bigint(std::string_view id) {
    std::string_view digits = id;
    if (!digits.empty() && digits.front() == '-') {
        digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 19 || (digits.front() == '0' && digits.size() > 1) ||
        (digits.front() == '0' && id.front() == '-')) {
        return false;
    }
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    long long value = 0;
    const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
    return ec == std::errc() && ptr == id.data() + id.size();
}

bool valid_uuid(std::string_view id) {
    if (id.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool valid_text(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == '@';
    });
}

bool fail(TopicError* error, std::string message, std::string_view topic) {
    if (error != nullptr) {
        *error = TopicError{std::move(message), std::string(topic)};
    }
    return false;
}

} // namespace

bool valid_id(IdType type, std::string_view id) {
    switch (type) {
    case IdType::Bigint:
        return valid_bigint(id);
    case IdType::Uuid:
        return valid_uuid(id);
    case IdType::Text:
        return valid_text(id);
    }
    return false;
}

std::optional<Topic> parse_topic(const Config& config, std::string_view text, TopicError* error) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        fail(error, "topic must be kind:id", text);
        return std::nullopt;
    }
    const std::string kind_name(text.substr(0, colon));
    const std::string_view id = text.substr(colon + 1);
    const TopicKindConfig* kind = config.find_kind(kind_name);
    if (kind == nullptr) {
        fail(error, "unknown topic kind", text);
        return std::nullopt;
    }
    if (!valid_id(kind->id_type, id)) {
        fail(error, std::string("malformed id: expected ") + to_string(kind->id_type), text);
        return std::nullopt;
    }
    Topic topic{kind, std::string(id), std::string(text),
                config.postgres.channel_prefix + std::string(text)};
    if (topic.channel.size() > kMaxChannelBytes) {
        fail(error, "topic too long for a Postgres channel name", text);
        return std::nullopt;
    }
    return topic;
}

std::optional<std::vector<Topic>> parse_topic_list(const Config& config, std::string_view list,
                                                   TopicError* error) {
    if (list.empty()) {
        fail(error, "no topics", "");
        return std::nullopt;
    }
    std::vector<Topic> topics;
    std::unordered_set<std::string_view> seen;
    const auto limit = static_cast<std::size_t>(config.server.max_topics_per_connection);
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto end = std::min(list.find(',', start), list.size());
        const std::string_view item = list.substr(start, end - start);
        if (topics.size() == limit) {
            fail(error, "too many topics (max " + std::to_string(limit) + ")", item);
            return std::nullopt;
        }
        auto topic = parse_topic(config, item, error);
        if (!topic) {
            return std::nullopt;
        }
        if (!seen.insert(item).second) {
            fail(error, "duplicate topic", item);
            return std::nullopt;
        }
        topics.push_back(std::move(*topic));
        start = end + 1;
    }
    return topics;
}

std::optional<Topic> topic_from_channel(const Config& config, std::string_view channel) {
    const std::string& prefix = config.postgres.channel_prefix;
    if (channel.substr(0, prefix.size()) != prefix) {
        return std::nullopt;
    }
    return parse_topic(config, channel.substr(prefix.size()), nullptr);
}

} // namespace deltacast::topics
