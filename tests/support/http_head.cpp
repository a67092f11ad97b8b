#include "support/http_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace deltacast::testing {

namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view next_line(std::string_view &rest) {
    const auto end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    return line;
}

bool parse_status_line(std::string_view line, int &status) {
    // "HTTP/1.1 200 OK": version, one space, three digits, then a space or the end.
    if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ' ||
        (line.size() > 12 && line[12] != ' ')) {
        return false;
    }
    const auto [ptr, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
    return ec == std::errc{} && ptr == line.data() + 12 && status >= 100;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool icontains(std::string_view haystack, std::string_view needle) {
    return to_lower(haystack).find(to_lower(needle)) != std::string::npos;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

std::optional<std::string>
find_header(const std::vector<std::pair<std::string, std::string>> &headers,
            std::string_view name) {
    for (const auto &[key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

bool parse_response_head(std::string_view head, int &status,
                         std::vector<std::pair<std::string, std::string>> &headers,
                         std::string &error) {
    const std::string_view status_line = next_line(head);
    if (!parse_status_line(status_line, status)) {
        error = "malformed status line: " + std::string(status_line);
        return false;
    }
    while (!head.empty()) {
        const std::string_view line = next_line(head);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            trim(line.substr(0, colon)) != line.substr(0, colon)) {
            error = "malformed header line: " + std::string(line);
            return false;
        }
        headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    }
    return true;
}

} // namespace deltacast::testing
