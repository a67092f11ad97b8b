#pragma once
// SSE framing: pure functions that append Server-Sent Events wire bytes to a string. They are
// the only place that writes SSE syntax, so they are where field injection is prevented: data
// is split into one `data:` line per line, and event names / ids that could break a line are
// refused. Stateless and thread-safe.

#include <string>
#include <string_view>

namespace deltacast::wire {

/// Appends one SSE event to `out`: optional "id: <id>\n", optional "event: <event>\n", then
/// `data` split on CR, LF and CRLF into "data: <line>\n" lines (so data can never inject a
/// field), then "\n". NUL bytes in data become U+FFFD (EF BF BD). An empty id or event omits
/// that line; empty data still yields one "data: \n" line (browsers do not dispatch an event
/// whose data is empty). Returns false and appends nothing when `event` or `id` contains CR,
/// LF or NUL: callers must not forward such values from clients or rows unchecked.
bool append_event(std::string& out, std::string_view event, std::string_view id,
                  std::string_view data);

/// Appends ": <text>\n\n" (a comment, e.g. a heartbeat); CR, LF and NUL in text become spaces.
void append_comment(std::string& out, std::string_view text);

/// Appends "retry: <ms>\n\n"; a negative ms is written as 0.
void append_retry(std::string& out, int ms);

} // namespace deltacast::wire
