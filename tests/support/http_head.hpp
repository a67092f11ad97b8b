#pragma once
// Small HTTP/1.1 text helpers shared by the test clients: case-insensitive comparison and the
// parsing of a response head. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deltacast::testing {

bool iequals(std::string_view a, std::string_view b);
/// True if `needle` occurs in `haystack`, ignoring ASCII case.
bool icontains(std::string_view haystack, std::string_view needle);
std::string to_lower(std::string_view s);

/// The value of the first header named `name` (case-insensitive), or nullopt.
std::optional<std::string>
find_header(const std::vector<std::pair<std::string, std::string>> &headers, std::string_view name);

/// Parses "HTTP/1.x NNN reason\r\nName: value\r\n..." (without the final blank line). Header
/// values are trimmed of surrounding spaces and tabs; names keep their case. Returns false and
/// sets `error` when the status line or a header line is malformed.
bool parse_response_head(std::string_view head, int &status,
                         std::vector<std::pair<std::string, std::string>> &headers,
                         std::string &error);

} // namespace deltacast::testing
