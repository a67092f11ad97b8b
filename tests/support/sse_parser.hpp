#pragma once
// SseParser: an incremental text/event-stream parser that follows the WHATWG EventSource
// processing model, so tests see exactly what a browser would. Feed it decoded bytes in chunks
// of any size (a line, a CRLF pair or the BOM may be split anywhere); it returns the events
// completed by each chunk. Not thread-safe: one owner feeds it and reads its accessors.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltacast::testing {

struct SseEvent {
    std::string event; // the event type; "message" when the stream named none (as in browsers)
    std::string data;  // data lines joined with "\n", without the final newline
    std::string id;    // the last event ID in force when the event was dispatched
    std::chrono::steady_clock::time_point received; // when the dispatching blank line arrived
};

class SseParser {
public:
    /// Parses `chunk` and returns the events it completed, in stream order.
    std::vector<SseEvent> feed(std::string_view chunk);

    /// Comment lines seen so far (text after ':' with one leading space removed; ": hb" -> "hb").
    const std::vector<std::string> &comments() const { return comments_; }
    /// The last valid `retry:` value (all ASCII digits), if any.
    std::optional<int> retry() const { return retry_; }
    /// The last event ID string, committed at each blank line even when no event is dispatched.
    const std::string &last_event_id() const { return last_event_id_; }

private:
    void consume(std::string_view bytes, std::vector<SseEvent> &out);
    std::string_view skip_bom(std::string_view chunk, std::vector<SseEvent> &out);
    void process_line(std::string_view line, std::vector<SseEvent> &out);
    void process_field(std::string_view field, std::string_view value);
    void dispatch(std::vector<SseEvent> &out);

    std::string line_;       // the current, unterminated line
    bool after_cr_ = false;  // the previous byte was CR: a following LF belongs to it
    bool bom_done_ = false;  // the start of the stream has been checked for a BOM
    std::string bom_prefix_; // bytes held while they still match a BOM prefix
    std::string data_;       // the data buffer, each line followed by "\n"
    std::string event_type_; // the event type buffer
    std::string id_buffer_;  // the last event ID buffer (persists across events)
    std::string last_event_id_;
    std::optional<int> retry_;
    std::vector<std::string> comments_;
};

} // namespace deltacast::testing
