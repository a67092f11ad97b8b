#pragma once
// StreamDecoder: undoes an HTTP Content-Encoding ("" / "identity", "gzip", "br", "zstd")
// incrementally, so a test can check that each SSE frame is decodable as soon as its bytes
// arrive (the server flushes its compressor per frame). Any chunking of the input yields the
// same output. zstd is decoded as Chromium does: concatenated frames are one stream, and a
// window above 8 MiB (window log 23) is an error. Not thread-safe; not copyable (it owns a
// zlib, brotli or zstd state).

#include <memory>
#include <string>
#include <string_view>

namespace deltacast::testing {

class StreamDecoder {
public:
    /// `content_encoding` is the header value, matched case-insensitively. An unknown encoding
    /// makes every decode() fail with error() naming it.
    explicit StreamDecoder(std::string_view content_encoding);
    ~StreamDecoder();
    StreamDecoder(const StreamDecoder &) = delete;
    StreamDecoder &operator=(const StreamDecoder &) = delete;

    /// Appends to `out` everything decodable from the input so far. Returns false (and sets
    /// error()) on corrupt input or data after the end of a brotli stream; once false, always
    /// false. A truncated stream is not an error: its remainder may come in the next call.
    bool decode(std::string_view in, std::string &out);

    /// True once the compressed stream signalled its end (always false for identity; for zstd,
    /// the input so far ends exactly at the end of a frame, and more frames may follow).
    bool finished() const { return finished_; }
    const std::string &error() const { return error_; }

private:
    enum class Kind { Identity, Gzip, Brotli, Zstd, Unsupported };
    struct Codec;

    bool decode_gzip(std::string_view in, std::string &out);
    bool decode_brotli(std::string_view in, std::string &out);
    bool decode_zstd(std::string_view in, std::string& out);
    bool fail(std::string message);

    Kind kind_ = Kind::Unsupported;
    std::unique_ptr<Codec> codec_;
    bool finished_ = false;
    std::string error_;
};

} // namespace deltacast::testing
