#include "support/sse_parser.hpp"

#include <algorithm>
#include <limits>

namespace deltacast::testing {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool all_ascii_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::vector<SseEvent> SseParser::feed(std::string_view chunk) {
    std::vector<SseEvent> out;
    consume(skip_bom(chunk, out), out);
    return out;
}

// The BOM may itself arrive split across chunks: hold bytes while they could still be one.
std::string_view SseParser::skip_bom(std::string_view chunk, std::vector<SseEvent> &out) {
    while (!bom_done_ && !chunk.empty()) {
        bom_prefix_.push_back(chunk.front());
        chunk.remove_prefix(1);
        if (bom_prefix_ == utf8_bom) {
            bom_done_ = true;
            bom_prefix_.clear();
        } else if (!utf8_bom.starts_with(bom_prefix_)) {
            bom_done_ = true;
            std::string held;
            held.swap(bom_prefix_);
            consume(held, out);
        }
    }
    return chunk;
}

void SseParser::consume(std::string_view bytes, std::vector<SseEvent> &out) {
    while (!bytes.empty()) {
        if (after_cr_) {
            after_cr_ = false;
            if (bytes.front() == '\n') {
                bytes.remove_prefix(1);
                continue;
            }
        }
        const auto end = bytes.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            line_.append(bytes);
            return;
        }
        line_.append(bytes.substr(0, end));
        after_cr_ = bytes[end] == '\r';
        bytes.remove_prefix(end + 1);
        std::string line;
        line.swap(line_);
        process_line(line, out);
    }
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent> &out) {
    if (line.empty()) {
        dispatch(out);
        return;
    }
    if (line.front() == ':') {
        line.remove_prefix(1);
        if (line.starts_with(' ')) {
            line.remove_prefix(1);
        }
        comments_.emplace_back(line);
        return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        process_field(line, {});
        return;
    }
    std::string_view value = line.substr(colon + 1);
    if (value.starts_with(' ')) {
        value.remove_prefix(1);
    }
    process_field(line.substr(0, colon), value);
}

void SseParser::process_field(std::string_view field, std::string_view value) {
    if (field == "data") {
        data_.append(value);
        data_.push_back('\n');
    } else if (field == "event") {
        event_type_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) {
            id_buffer_.assign(value);
        }
    } else if (field == "retry") {
        if (all_ascii_digits(value)) {
            long long ms = 0;
            for (char c : value) {
                ms = std::min<long long>(ms * 10 + (c - '0'), std::numeric_limits<int>::max());
            }
            retry_ = static_cast<int>(ms);
        }
    }
    // Any other field name is ignored, as the standard requires.
}

void SseParser::dispatch(std::vector<SseEvent> &out) {
    last_event_id_ = id_buffer_;
    if (data_.empty()) {
        event_type_.clear();
        return;
    }
    data_.pop_back();
    SseEvent event;
    event.event = event_type_.empty() ? "message" : event_type_;
    event.data.swap(data_);
    event.id = last_event_id_;
    event.received = std::chrono::steady_clock::now();
    out.push_back(std::move(event));
    data_.clear();
    event_type_.clear();
}

} // namespace deltacast::testing
