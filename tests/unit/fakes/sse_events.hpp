#pragma once
// A minimal reader of the SSE bytes deltacast builds, for asserting on frames: events are
// separated by a blank line; `event:`, `id:` and `data:` fields are read (one optional space
// after the colon dropped, several data lines joined with "\n"); comments and retry ignored.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltacast::unit_test {

struct SseEvent {
    std::string event;
    std::optional<std::string> id;  // nullopt when the event had no `id:` line
    std::string data;
    int data_lines = 0;

    nlohmann::json json() const { return nlohmann::json::parse(data); }
};

inline std::vector<SseEvent> parse_sse(std::string_view bytes) {
    std::vector<SseEvent> events;
    SseEvent current;
    bool any_field = false;
    std::size_t start = 0;
    while (start < bytes.size()) {
        const auto end = bytes.find('\n', start);
        const std::string_view line =
            bytes.substr(start, end == std::string_view::npos ? bytes.size() - start : end - start);
        start = end == std::string_view::npos ? bytes.size() : end + 1;
        if (line.empty()) {
            if (any_field) {
                events.push_back(std::move(current));
            }
            current = SseEvent{};
            any_field = false;
            continue;
        }
        const auto colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        std::string_view value =
            colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
        }
        if (name == "event") {
            current.event = std::string(value);
        } else if (name == "id") {
            current.id = std::string(value);
        } else if (name == "data") {
            current.data += (current.data_lines++ ? "\n" : "") + std::string(value);
        } else {
            continue;  // comments (empty name), retry
        }
        any_field = true;
    }
    return events;
}

}  // namespace deltacast::unit_test
