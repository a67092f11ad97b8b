#pragma once
// ChunkedDecoder: removes HTTP/1.1 chunked transfer framing incrementally (any split of the
// input gives the same output). deltacast's streams are not chunked; SseClient still accepts
// chunked bodies so a stray proxy or server change shows up as a clear test failure, not a hang.
// Not thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace deltacast::testing {

class ChunkedDecoder {
public:
    /// Appends the payload bytes in `in` to `out`. Returns false (and sets error()) on malformed
    /// framing; once false, always false. Bytes after the last chunk and trailers are ignored.
    bool feed(std::string_view in, std::string &out);

    /// True once the terminating zero-size chunk and the trailer section were read.
    bool done() const { return state_ == State::Done; }
    const std::string &error() const { return error_; }

private:
    enum class State { Size, Data, DataEnd, Trailer, Done, Failed };

    bool take_line(std::string_view &in, std::string &line);
    bool on_size_line(const std::string &line);
    bool fail(std::string message);

    State state_ = State::Size;
    std::string line_;
    std::size_t remaining_ = 0;
    std::string error_;
};

} // namespace deltacast::testing
