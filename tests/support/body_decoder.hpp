#pragma once
// BodyDecoder: turns the raw bytes of one HTTP/1.1 response body into its content. It removes
// the framing the response head chose (until close, Content-Length or chunked) and undoes the
// Content-Encoding, incrementally: any split of the input gives the same content. Not
// thread-safe; one owner feeds it.

#include "support/chunked_decoder.hpp"
#include "support/stream_decoder.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deltacast::testing {

class BodyDecoder {
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    struct Result {
        std::size_t content_bytes = 0; // bytes after unframing, before decoding
        bool complete = false;         // the framing says the body is over
        std::string error;             // malformed framing or corrupt encoding
    };

    /// Chooses framing and encoding from the response head. Returns false and sets `error`
    /// on a malformed Content-Length.
    bool init(int status, const Headers &headers, std::string &error);

    /// Appends the content in `raw` to `decoded`.
    Result feed(std::string_view raw, std::string &decoded);

    /// True when the head already says there is no body (Content-Length: 0, 204, 304, 1xx).
    bool empty_body() const { return framing_ == Framing::Length && remaining_ == 0; }
    /// True when only the server closing the connection ends the body.
    bool ends_at_close() const { return framing_ == Framing::UntilClose; }

private:
    enum class Framing { UntilClose, Length, Chunked };

    Framing framing_ = Framing::UntilClose;
    std::size_t remaining_ = 0;
    ChunkedDecoder chunked_;
    std::unique_ptr<StreamDecoder> decoder_;
};

} // namespace deltacast::testing
