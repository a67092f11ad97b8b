#include "support/body_decoder.hpp"

#include "support/http_head.hpp"

#include <algorithm>
#include <charconv>

namespace deltacast::testing {

bool BodyDecoder::init(int status, const Headers &headers, std::string &error) {
    decoder_ =
        std::make_unique<StreamDecoder>(find_header(headers, "content-encoding").value_or(""));
    const auto transfer = find_header(headers, "transfer-encoding");
    const auto length = find_header(headers, "content-length");
    if (transfer && icontains(*transfer, "chunked")) {
        framing_ = Framing::Chunked;
    } else if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
        framing_ = Framing::Length;
        remaining_ = 0;
    } else if (length) {
        framing_ = Framing::Length;
        const char *end = length->data() + length->size();
        const auto [ptr, ec] = std::from_chars(length->data(), end, remaining_);
        if (ec != std::errc{} || ptr != end) {
            error = "bad Content-Length: " + *length;
            return false;
        }
    }
    return true;
}

BodyDecoder::Result BodyDecoder::feed(std::string_view raw, std::string &decoded) {
    Result result;
    std::string dechunked;
    std::string_view content = raw;
    if (framing_ == Framing::Length) {
        content = raw.substr(0, std::min(remaining_, raw.size()));
        remaining_ -= content.size();
        result.complete = remaining_ == 0;
    } else if (framing_ == Framing::Chunked) {
        if (!chunked_.feed(raw, dechunked)) {
            result.error = chunked_.error();
        }
        content = dechunked;
        result.complete = chunked_.done();
    }
    result.content_bytes = content.size();
    if (!decoder_->decode(content, decoded) && result.error.empty()) {
        result.error = decoder_->error();
    }
    return result;
}

} // namespace deltacast::testing
