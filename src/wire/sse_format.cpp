#include "wire/sse_format.hpp"

#include <charconv>
#include <cstddef>

namespace deltacast::wire {

namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD"; // U+FFFD in UTF-8

// True for the three bytes that end a line or a C string: CR, LF, NUL.
constexpr bool is_breaker(char c) {
    return c == '\r' || c == '\n' || c == '\0';
}

// Index of the first CR, LF or NUL at or after `from`, or npos. One pass; the `<= '\r'`
// test rejects almost every byte of printable text with a single comparison.
std::size_t find_breaker(std::string_view s, std::size_t from = 0) {
    for (std::size_t i = from; i < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) <= '\r' && is_breaker(s[i])) {
            return i;
        }
    }
    return std::string_view::npos;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(value);
    out.push_back('\n');
}

// Slow path: data holds at least one breaker, starting at `pos`.
void append_split_data(std::string& out, std::string_view data, std::size_t pos) {
    out.append("data: ");
    std::size_t start = 0;
    while (pos != std::string_view::npos) {
        out.append(data.substr(start, pos - start));
        if (data[pos] == '\0') {
            out.append(kReplacementChar);
        } else {
            if (data[pos] == '\r' && pos + 1 < data.size() && data[pos + 1] == '\n') {
                ++pos; // CRLF is one line break, not two
            }
            out.append("\ndata: ");
        }
        start = pos + 1;
        pos = find_breaker(data, start);
    }
    out.append(data.substr(start));
    out.append("\n\n");
}

} // namespace

bool append_event(std::string& out, std::string_view event, std::string_view id,
                  std::string_view data) {
    if (find_breaker(event) != std::string_view::npos ||
        find_breaker(id) != std::string_view::npos) {
        return false;
    }
    const std::size_t breaker = find_breaker(data);
    out.reserve(out.size() + id.size() + event.size() + data.size() + 24);
    if (!id.empty()) {
        append_field(out, "id: ", id);
    }
    if (!event.empty()) {
        append_field(out, "event: ", event);
    }
    if (breaker == std::string_view::npos) {
        out.append("data: ");
        out.append(data);
        out.append("\n\n");
    } else {
        append_split_data(out, data, breaker);
    }
    return true;
}

void append_comment(std::string& out, std::string_view text) {
    const std::size_t start = out.size();
    out.append(": ");
    out.append(text);
    for (std::size_t i = start + 2; i < out.size(); ++i) {
        if (is_breaker(out[i])) {
            out[i] = ' ';
        }
    }
    out.append("\n\n");
}

void append_retry(std::string& out, int ms) {
    char digits[16];
    const auto result = std::to_chars(digits, digits + sizeof(digits), ms < 0 ? 0 : ms);
    out.append("retry: ");
    out.append(digits, result.ptr);
    out.append("\n\n");
}

} // namespace deltacast::wire
