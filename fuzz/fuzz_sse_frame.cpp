// Fuzz target: the SSE frame writer (events, comments, retry) and the per-connection
// compressors, i.e. the bytes every browser parses.
//
// Input: event name and id (FuzzedDataProvider strings: each ends at a backslash followed by
// any byte but a backslash), then the rest is the data; the retry value and the compressor's
// chunking come from the input's last bytes.
//
// Invariants: append_event refuses (and writes nothing) exactly when the event or id holds CR,
// LF or NUL; otherwise its bytes parse, as a browser would, into exactly one event with that
// type and id and the data with line breaks normalised to "\n" and NUL as U+FFFD, leaving the
// parser at a clean frame boundary. A comment is one comment and no event; retry is read back.
// brotli, gzip and zstd streams decode, after every write_flush, to exactly the bytes written so
// far, also when the encoder is released between writes (an idle connection) and the stream
// goes on with a fresh encoder (brotli stitched at the stream offset, gzip as raw deflate, zstd
// as a new frame). Which writes are followed by a release comes from the input.
// Shared encoders (zstd, gzip): two streams on one shard's encoders both get the chunks as
// shared frames, in an order and with detours (a frame of one stream's own) and releases that
// come from the input; each decodes, after every write, to exactly its own bytes so far.

#include "fuzz_check.hpp"
#include "sse/compressor.hpp"
#include "sse/shared_encoder.hpp"
#include "wire/sse_format.hpp"
#include "support/sse_parser.hpp"
#include "support/stream_decoder.hpp"

#include <fuzzer/FuzzedDataProvider.h>

namespace {

using namespace deltacast;

bool has_breaker(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// What a browser's `data` should be: CRLF, CR and LF become "\n", NUL becomes U+FFFD.
std::string expected_data(std::string_view data) {
    std::string out;
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '\0') {
            out += "\xEF\xBF\xBD";
        } else if (data[i] == '\r') {
            out += '\n';
            if (i + 1 < data.size() && data[i + 1] == '\n') {
                ++i;
            }
        } else {
            out += data[i];
        }
    }
    return out;
}

std::string check_event(const std::string& event, const std::string& id, const std::string& data) {
    std::string frame = "unchanged";
    const bool written = wire::append_event(frame, event, id, data);
    FUZZ_CHECK(written == !(has_breaker(event) || has_breaker(id)));
    if (!written) {
        FUZZ_CHECK(frame == "unchanged");
        return {};
    }
    frame.erase(0, 9);
    FUZZ_CHECK(frame.find('\r') == std::string::npos && frame.find('\0') == std::string::npos);
    testing::SseParser parser;
    const auto events = parser.feed(frame);
    FUZZ_CHECK(events.size() == 1);
    FUZZ_CHECK(events[0].event == (event.empty() ? "message" : event));
    FUZZ_CHECK(events[0].id == id);
    FUZZ_CHECK(events[0].data == expected_data(data));
    // The frame ended cleanly: the next frame parses on its own.
    const auto next = parser.feed("data: next\n\n");
    FUZZ_CHECK(next.size() == 1 && next[0].data == "next" && next[0].event == "message");
    return frame;
}

void check_comment_and_retry(const std::string& text, int retry_ms) {
    std::string frame;
    wire::append_comment(frame, text);
    wire::append_retry(frame, retry_ms);
    testing::SseParser parser;
    FUZZ_CHECK(parser.feed(frame).empty());
    std::string flattened = text;
    for (char& c : flattened) {
        c = has_breaker(std::string_view(&c, 1)) ? ' ' : c;
    }
    FUZZ_CHECK(parser.comments().size() == 1 && parser.comments()[0] == flattened);
    FUZZ_CHECK(parser.retry() == (retry_ms < 0 ? 0 : retry_ms));
}

// Writes `bytes` through a fresh compressor in up to three chunks; after each flush the
// decoder must have produced exactly the input so far (each event decodes on arrival). Bit i
// of `releases` releases the encoder after chunk i.
void check_round_trip(sse::Encoding encoding, const std::string& bytes, std::size_t cut1,
                      std::size_t cut2, int quality, unsigned releases) {
    sse::CompressionSettings settings;
    settings.brotli_quality = quality;
    settings.gzip_level = quality;
    settings.zstd_level = quality - 2;
    settings.zstd_window_log = 10 + quality;
    const auto compressor = sse::make_compressor(encoding, settings);
    FUZZ_CHECK(compressor != nullptr && compressor->encoding() == encoding);
    testing::StreamDecoder decoder(sse::content_encoding_name(encoding));
    std::string decoded;
    const std::size_t cuts[] = {std::min(cut1, cut2), std::max(cut1, cut2), bytes.size()};
    std::size_t start = 0;
    for (const std::size_t end : cuts) {
        std::string wire;
        FUZZ_CHECK(compressor->write_flush(std::string_view(bytes).substr(start, end - start),
                                           wire));
        FUZZ_CHECK(end > start || wire.empty());
        FUZZ_CHECK(decoder.decode(wire, decoded));
        FUZZ_CHECK(decoded == bytes.substr(0, end));
        start = end;
        if ((releases & 1U) != 0) {
            compressor->release_idle();
            FUZZ_CHECK(compressor->memory_bytes() == 0);
        }
        releases >>= 1U;
    }
}

// Two streams through one SharedEncoders. Chunk i is one frame for both (audience 2); bit i of
// `order` says which stream writes it first (and so advances the shared encoder); after chunk
// i, bit i of `detours` gives stream B a frame of its own (audience 1) and bit i of `releases`
// releases B's share of the encoder.
void check_shared(sse::Encoding encoding, const std::string& bytes, std::size_t cut1,
                  std::size_t cut2, int quality, unsigned releases, unsigned detours,
                  unsigned order) {
    sse::CompressionSettings settings;
    settings.gzip_level = quality;
    settings.zstd_level = quality - 2;
    settings.zstd_window_log = 10 + quality;
    sse::SharedEncoders encoders(encoding, settings);
    struct Stream {
        Stream(sse::SharedEncoders& e, std::string_view name) : shared(e), decoder(name) {}
        sse::SharedStream shared;
        testing::StreamDecoder decoder;
        std::string expected;
        std::string decoded;
    };
    Stream a(encoders, sse::content_encoding_name(encoding));
    Stream b(encoders, sse::content_encoding_name(encoding));
    const auto write = [](Stream& s, const wire::FramePtr& frame, std::size_t audience) {
        std::string wire;
        FUZZ_CHECK(s.shared.write(frame, audience, wire));
        s.expected += frame->bytes;
        FUZZ_CHECK(s.decoder.decode(wire, s.decoded));
        FUZZ_CHECK(s.decoded == s.expected);
    };
    const std::size_t cuts[] = {std::min(cut1, cut2), std::max(cut1, cut2), bytes.size()};
    std::size_t start = 0;
    for (const std::size_t end : cuts) {
        auto frame = std::make_shared<wire::Frame>();
        frame->bytes = bytes.substr(start, end - start);
        start = end;
        if ((order & 1U) != 0) {
            write(b, frame, 2);
            write(a, frame, 2);
        } else {
            write(a, frame, 2);
            write(b, frame, 2);
        }
        if ((detours & 1U) != 0) {
            auto own = std::make_shared<wire::Frame>();
            wire::append_comment(own->bytes, "own");
            write(b, own, 1);
        }
        if ((releases & 1U) != 0) {
            b.shared.release_idle();
            FUZZ_CHECK(!b.shared.holds_encoder());
        }
        order >>= 1U;
        detours >>= 1U;
        releases >>= 1U;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const int retry_ms = input.ConsumeIntegral<int>();
    const int quality = input.ConsumeIntegralInRange(0, 6);
    const unsigned releases = input.ConsumeIntegralInRange(0U, 7U);
    const unsigned detours = input.ConsumeIntegralInRange(0U, 7U);
    const unsigned order = input.ConsumeIntegralInRange(0U, 7U);
    const auto cut1 = input.ConsumeIntegral<std::uint16_t>();
    const auto cut2 = input.ConsumeIntegral<std::uint16_t>();
    const std::string event = input.ConsumeRandomLengthString();
    const std::string id = input.ConsumeRandomLengthString();
    const std::string body = input.ConsumeRemainingBytesAsString();

    const std::string frame = check_event(event, id, body);
    check_comment_and_retry(body, retry_ms);
    const std::string stream = frame.empty() ? body : frame;
    for (const auto encoding : {sse::Encoding::Brotli, sse::Encoding::Gzip, sse::Encoding::Zstd}) {
        check_round_trip(encoding, stream, cut1 % (stream.size() + 1), cut2 % (stream.size() + 1),
                         quality, releases);
    }
    for (const auto encoding : {sse::Encoding::Gzip, sse::Encoding::Zstd}) {
        check_shared(encoding, stream, cut1 % (stream.size() + 1), cut2 % (stream.size() + 1),
                     quality, releases, detours, order);
    }
    return 0;
}
