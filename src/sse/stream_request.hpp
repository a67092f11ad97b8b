#pragma once
// StreamRequest: the pure part of `GET /api/sse/stream?...`: query-string decoding, topic
// validation, Last-Event-ID checks and token extraction, with the exact 400 answers of SPEC §2.
// No I/O; safe from any thread.
//
// Callers must not use anything from the request in SSE fields unvalidated: CR, LF or NUL
// could inject fields, so Last-Event-ID is rejected when it holds them.

#include "config/config.hpp"
#include "topics/topic.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace deltacast::sse {

struct HttpError {
    unsigned status = 400;
    nlohmann::json body; // {"error": "...", ...}
};

struct StreamRequest {
    std::vector<topics::Topic> topics;
    std::string last_event_id; // "" when not resuming
    std::string token;         // "" when none was sent
};

inline constexpr std::size_t kMaxLastEventIdBytes = 128;

/// Decodes %XX escapes (and '+' as space when `plus_as_space`); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space);

/// Splits a request target into its path and raw query.
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

/// The decoded value of query parameter `name` (first occurrence; raw if it does not decode),
/// nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

std::variant<StreamRequest, HttpError> parse_stream_request(const Config& config,
                                                            std::string_view query,
                                                            std::string_view last_event_id_header,
                                                            std::string_view authorization,
                                                            std::string_view cookie);

} // namespace deltacast::sse
