#include "sse/compressor.hpp"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

namespace deltacast::sse {
namespace {

const std::vector<std::string> kBrGzip = {"br", "gzip"};
const std::vector<std::string> kGzipBr = {"gzip", "br"};
const std::vector<std::string> kZstdGzipBr = {"zstd", "gzip", "br"};

// ---- negotiation -------------------------------------------------------------------------

// A browser's usual header gets the server's first choice.
TEST(NegotiateEncoding, BrowserDefaultGetsServerFirstChoice) {
    EXPECT_EQ(negotiate_encoding("gzip, deflate, br, zstd", kBrGzip), Encoding::Brotli);
    EXPECT_EQ(negotiate_encoding("gzip, deflate, br, zstd", kGzipBr), Encoding::Gzip);
}

// zstd goes to clients that offer it (Chromium over HTTPS, Firefox); Safari's header falls to the
// next encoding in the server's order.
TEST(NegotiateEncoding, ZstdWhenOfferedElseNextInOrder) {
    EXPECT_EQ(negotiate_encoding("gzip, deflate, br, zstd", kZstdGzipBr), Encoding::Zstd);
    EXPECT_EQ(negotiate_encoding("gzip, deflate, br", kZstdGzipBr), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("br, zstd;q=0", kZstdGzipBr), Encoding::Brotli);
    EXPECT_EQ(negotiate_encoding("ZSTD", kZstdGzipBr), Encoding::Zstd);
    EXPECT_EQ(negotiate_encoding("zstd", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("*", kZstdGzipBr), Encoding::Zstd);
}

// Among acceptable encodings the server's order wins over the client's q-values.
TEST(NegotiateEncoding, ServerOrderWinsAmongAcceptable) {
    EXPECT_EQ(negotiate_encoding("br;q=0.1, gzip;q=1", kBrGzip), Encoding::Brotli);
    EXPECT_EQ(negotiate_encoding("br;q=1, gzip;q=0.1", kGzipBr), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("br;q=0.001", kBrGzip), Encoding::Brotli);
}

// q=0 (in any spelling, in any of the coding's entries) refuses that coding.
TEST(NegotiateEncoding, QZeroRefuses) {
    EXPECT_EQ(negotiate_encoding("br;q=0, gzip", kBrGzip), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("br;q=0.000, gzip;q=0.", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("br, br;q=0", kBrGzip), Encoding::Identity);
}

// An encoding the client did not offer is never chosen.
TEST(NegotiateEncoding, NeverChoosesWhatWasNotOffered) {
    EXPECT_EQ(negotiate_encoding("gzip, deflate", kBrGzip), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("deflate, identity", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("brotli, gzipx, b, r", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("br", {"gzip"}), Encoding::Identity);
}

// "*" accepts any coding not listed explicitly; an explicit entry overrides it.
TEST(NegotiateEncoding, Wildcard) {
    EXPECT_EQ(negotiate_encoding("*", kBrGzip), Encoding::Brotli);
    EXPECT_EQ(negotiate_encoding("*;q=0", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("br;q=0, *", kBrGzip), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("*;q=0, gzip", kBrGzip), Encoding::Gzip);
}

// Tokens and parameter names are case-insensitive, on both sides.
TEST(NegotiateEncoding, CaseInsensitive) {
    EXPECT_EQ(negotiate_encoding("BR", kBrGzip), Encoding::Brotli);
    EXPECT_EQ(negotiate_encoding("Br;Q=0, GZip", kBrGzip), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("br", {"BR"}), Encoding::Brotli);
    EXPECT_EQ(negotiate_encoding("x-gzip", kBrGzip), Encoding::Gzip);
}

// Spaces and tabs around tokens, separators and parameters do not change the result.
TEST(NegotiateEncoding, Whitespace) {
    EXPECT_EQ(negotiate_encoding("  gzip ; q = 0.5 ,\tbr\t;q=0 ", kBrGzip), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding(" ,, br ,", kBrGzip), Encoding::Brotli);
}

// A malformed q-value makes that entry count as not offered.
TEST(NegotiateEncoding, MalformedQIgnoresEntry) {
    EXPECT_EQ(negotiate_encoding("br;q=abc, gzip", kBrGzip), Encoding::Gzip);
    EXPECT_EQ(negotiate_encoding("br;q=1.5", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("br;q=0.0001", kBrGzip), Encoding::Identity);
}

// No header, no server list, or only unknown server names: identity.
TEST(NegotiateEncoding, IdentityFallbacks) {
    EXPECT_EQ(negotiate_encoding("", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding(" \t", kBrGzip), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("br, gzip", {}), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("deflate, gzip", {"deflate", "compress"}), Encoding::Identity);
    EXPECT_EQ(negotiate_encoding("zstd, gzip", {"deflate", "gzip"}), Encoding::Gzip);
}

// Header values match what the negotiation returns.
TEST(ContentEncodingName, Names) {
    EXPECT_EQ(content_encoding_name(Encoding::Identity), "");
    EXPECT_EQ(content_encoding_name(Encoding::Gzip), "gzip");
    EXPECT_EQ(content_encoding_name(Encoding::Brotli), "br");
    EXPECT_EQ(content_encoding_name(Encoding::Zstd), "zstd");
}

// ---- streaming decoders (the browser's side) ---------------------------------------------

// Feeds compressed bytes as they arrive; appends whatever decodes. Returns false on a
// corrupt stream.
class BrotliStreamDecoder {
public:
    BrotliStreamDecoder() : state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
    ~BrotliStreamDecoder() { BrotliDecoderDestroyInstance(state_); }
    BrotliStreamDecoder(const BrotliStreamDecoder&) = delete;
    BrotliStreamDecoder& operator=(const BrotliStreamDecoder&) = delete;

    bool feed(std::string_view in, std::string& out) {
        std::size_t avail_in = in.size();
        const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
        for (;;) {
            std::uint8_t buf[4096];
            std::size_t avail_out = sizeof(buf);
            std::uint8_t* next_out = buf;
            const auto rc = BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out,
                                                          &next_out, nullptr);
            out.append(reinterpret_cast<const char*>(buf), sizeof(buf) - avail_out);
            if (rc != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
                return rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && avail_in == 0;
            }
        }
    }

private:
    BrotliDecoderState* state_;
};

class GzipStreamDecoder {
public:
    explicit GzipStreamDecoder(int window_bits) { ok_ = inflateInit2(&z_, window_bits) == Z_OK; }
    ~GzipStreamDecoder() { inflateEnd(&z_); }
    GzipStreamDecoder(const GzipStreamDecoder&) = delete;
    GzipStreamDecoder& operator=(const GzipStreamDecoder&) = delete;

    bool feed(std::string_view in, std::string& out) {
        std::string input(in);  // zlib's next_in is not const without ZLIB_CONST
        z_.next_in = reinterpret_cast<Bytef*>(input.data());
        z_.avail_in = static_cast<uInt>(input.size());
        for (;;) {
            Bytef buf[4096];
            z_.next_out = buf;
            z_.avail_out = sizeof(buf);
            const int rc = inflate(&z_, Z_SYNC_FLUSH);
            out.append(reinterpret_cast<const char*>(buf), sizeof(buf) - z_.avail_out);
            if (!ok_ || (rc != Z_OK && rc != Z_BUF_ERROR)) {
                return false;
            }
            if (z_.avail_in == 0 && z_.avail_out != 0) {
                return true;
            }
        }
    }

private:
    z_stream z_{};
    bool ok_ = false;
};

// Chromium's zstd decoding: concatenated frames are one stream; windows above 8 MiB refused.
class ZstdStreamDecoder {
public:
    ZstdStreamDecoder() : state_(ZSTD_createDStream()) {
        ZSTD_DCtx_setParameter(state_, ZSTD_d_windowLogMax, 23);
    }
    ~ZstdStreamDecoder() { ZSTD_freeDStream(state_); }
    ZstdStreamDecoder(const ZstdStreamDecoder&) = delete;
    ZstdStreamDecoder& operator=(const ZstdStreamDecoder&) = delete;

    bool feed(std::string_view in, std::string& out) {
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        for (;;) {
            char buf[4096];
            ZSTD_outBuffer output{buf, sizeof(buf), 0};
            const std::size_t rc = ZSTD_decompressStream(state_, &output, &input);
            if (ZSTD_isError(rc)) {
                return false;
            }
            out.append(buf, output.pos);
            if (input.pos == input.size && output.pos < output.size) {
                return true;
            }
        }
    }

private:
    ZSTD_DStream* state_;
};

// ---- compression -------------------------------------------------------------------------

// SSE frames of a token-streaming chat (~210 bytes each): one row per frame, a few new words.
std::vector<std::string> chat_frames(int count) {
    static const std::vector<std::string> kWords = {
        "the",      "model",   "streams", "tokens",   "to",      "every",   "tab",    "quickly",
        "and",      "then",    "a",       "database", "row",     "changes", "when",   "users",
        "type",     "in",      "chat",    "window",   "of",      "sixteen", "ms",     "is",
        "enough",   "for",     "smooth",  "updates",  "without", "polling", "server", "sends",
        "events",   "over",    "one",     "long",     "lived",   "HTTP",    "answer", "browser",
        "decodes",  "brotli",  "as",      "soon",     "bytes",   "arrive",  "we",     "measure",
        "memory",   "latency", "with",    "many",     "open",    "tabs",    "today",  "maybe",
        "Postgres", "notify",  "payload", "query",    "rows",    "JSON",    "fast",   "small"};
    std::vector<std::string> frames;
    std::uint32_t seed = 12345;
    for (int i = 0; i < count; ++i) {
        std::string body;
        for (int w = 0; w < 3; ++w) {
            seed = seed * 1103515245u + 12345u;
            body += kWords[(seed >> 16) % kWords.size()] + " ";
        }
        frames.push_back("id: b7f3-" + std::to_string(1000 + i) +
                         "\nevent: entity-upsert\ndata: {\"topic\":\"chat:42\",\"entity\":"
                         "\"ChatMessageContent\",\"rows\":[{\"id\":" +
                         std::to_string(101 + i / 40) +
                         ",\"chat_id\":42,\"role\":\"assistant\",\"seq\":" + std::to_string(i) +
                         ",\"body\":\"" + body +
                         "\",\"created_at\":\"2024-05-01T12:00:00Z\"}]}\n\n");
    }
    return frames;
}

struct StreamResult {
    std::size_t in_bytes = 0;
    std::size_t out_bytes = 0;
    double ratio() const { return static_cast<double>(out_bytes) / static_cast<double>(in_bytes); }
};

// Writes every frame, and after each write decodes only the newly appended bytes: the
// decoder must have produced exactly all input so far. With `release_every` > 0 the encoder
// is released after every release_every-th frame (an idle connection), and the stream goes
// on with a fresh one.
template <typename Decoder>
StreamResult stream_and_decode(Compressor& c, Decoder& decoder, int frame_count,
                               int release_every = 0) {
    StreamResult result;
    std::string wire;
    std::string expected;
    std::string decoded;
    int index = 0;
    for (const std::string& frame : chat_frames(frame_count)) {
        if (release_every > 0 && index % release_every == 0) {
            c.release_idle();
            EXPECT_EQ(c.memory_bytes(), 0u);
        }
        const std::size_t before = wire.size();
        EXPECT_TRUE(c.write_flush(frame, wire));
        expected += frame;
        EXPECT_TRUE(decoder.feed(std::string_view(wire).substr(before), decoded));
        EXPECT_EQ(decoded, expected) << "frame " << index++;
        result.in_bytes += frame.size();
        if (decoded != expected) {
            break;
        }
    }
    result.out_bytes = wire.size();
    return result;
}

// Identity has no compressor; the others report their encoding.
TEST(Compressor, FactoryByEncoding) {
    EXPECT_TRUE(make_compressor(Encoding::Identity, {}) == nullptr);
    EXPECT_EQ(make_compressor(Encoding::Brotli, {})->encoding(), Encoding::Brotli);
    EXPECT_EQ(make_compressor(Encoding::Gzip, {})->encoding(), Encoding::Gzip);
    EXPECT_EQ(make_compressor(Encoding::Zstd, {})->encoding(), Encoding::Zstd);
}

// zstd: every frame decodes on arrival at the default and at the widest allowed settings.
TEST(Compressor, ZstdEveryFrameDecodesOnArrival) {
    for (const CompressionSettings& s :
         {CompressionSettings{},
          CompressionSettings{
              .zstd_level = 3, .zstd_window_log = 23, .zstd_hash_log = 17, .zstd_chain_log = 17}}) {
        auto c = make_compressor(Encoding::Zstd, s);
        ZstdStreamDecoder decoder;
        const StreamResult r = stream_and_decode(*c, decoder, 200);
        EXPECT_GT(r.in_bytes, 200u * 200u);
        EXPECT_LT(r.ratio(), 0.5);
    }
}

// zstd keeps its window at or below what Chromium accepts, whatever the setting asks for, and
// writes no checksum (a stream released mid-frame is ended without one).
TEST(Compressor, ZstdWindowNeverAbove8MiB) {
    auto c = make_compressor(Encoding::Zstd, {.zstd_window_log = 27});
    std::string wire;
    ASSERT_TRUE(c->write_flush(chat_frames(1).front(), wire));
    ASSERT_GE(wire.size(), 6u);
    // RFC 8878 3.1.1.1: magic, Frame_Header_Descriptor, then the Window_Descriptor unless the
    // frame is single-segment (it cannot be: the content size is unknown while streaming).
    const auto descriptor = static_cast<unsigned char>(wire[4]);
    EXPECT_EQ(descriptor & 0x20u, 0u); // not single-segment
    EXPECT_EQ(descriptor & 0x04u, 0u); // no content checksum
    const auto window_descriptor = static_cast<unsigned char>(wire[5]);
    const std::uint64_t base = std::uint64_t{1} << (10 + (window_descriptor >> 3));
    const std::uint64_t window = base + base / 8 * (window_descriptor & 7u);
    EXPECT_LE(window, 8u << 20);
    ZstdStreamDecoder decoder; // refuses windows above 8 MiB, as Chromium does
    std::string decoded;
    EXPECT_TRUE(decoder.feed(wire, decoded));
    EXPECT_EQ(decoded, chat_frames(1).front());
}

// After release_idle() each encoder continues the same stream with a fresh encoder: every
// frame still decodes on arrival, for every quality that stitching has to support.
TEST(Compressor, ReleasedEncodersResumeTheStream) {
    for (const int every : {1, 3, 50}) {
        for (const int quality : {1, 2, 4}) {
            auto br = make_compressor(Encoding::Brotli, {.brotli_quality = quality});
            BrotliStreamDecoder br_decoder;
            EXPECT_LT(stream_and_decode(*br, br_decoder, 120, every).ratio(), 1.0);
        }
        for (const int window_bits : {16 + 15, 32 + 15}) {
            auto gz = make_compressor(Encoding::Gzip, {});
            GzipStreamDecoder gz_decoder(window_bits);
            EXPECT_LT(stream_and_decode(*gz, gz_decoder, 120, every).ratio(), 1.0);
        }
        auto zs = make_compressor(Encoding::Zstd, {});
        ZstdStreamDecoder zs_decoder;
        EXPECT_LT(stream_and_decode(*zs, zs_decoder, 120, every).ratio(), 1.0);
    }
}

// A released encoder frees its memory; releasing twice, or before any write, is harmless.
TEST(Compressor, ReleaseFreesMemory) {
    for (const Encoding e : {Encoding::Brotli, Encoding::Gzip, Encoding::Zstd}) {
        auto c = make_compressor(e, {});
        c->release_idle();
        std::string out;
        ASSERT_TRUE(c->write_flush(chat_frames(1).front(), out));
        EXPECT_GT(c->memory_bytes(), 0u);
        c->release_idle();
        c->release_idle();
        EXPECT_EQ(c->memory_bytes(), 0u);
    }
}

// zstd at the default settings holds a small context: the per-connection memory budget.
TEST(Compressor, ZstdDefaultContextIsSmall) {
    auto c = make_compressor(Encoding::Zstd, {});
    std::string out;
    for (const std::string& frame : chat_frames(50)) {
        ASSERT_TRUE(c->write_flush(frame, out));
    }
    EXPECT_LT(c->memory_bytes(), 36u << 10);
}

// Brotli: every frame decodes on arrival, byte-exact, and context carries across frames.
TEST(Compressor, BrotliEveryFrameDecodesOnArrival) {
    auto c = make_compressor(Encoding::Brotli, {});
    BrotliStreamDecoder decoder;
    const StreamResult r = stream_and_decode(*c, decoder, 200);
    EXPECT_GT(r.in_bytes, 200u * 200u);
    EXPECT_LT(r.ratio(), 0.5);
}

// Gzip: every frame decodes on arrival (gzip-only and auto-detecting inflaters alike).
TEST(Compressor, GzipEveryFrameDecodesOnArrival) {
    for (const int window_bits : {16 + 15, 32 + 15}) {
        auto c = make_compressor(Encoding::Gzip, {});
        GzipStreamDecoder decoder(window_bits);
        const StreamResult r = stream_and_decode(*c, decoder, 200);
        EXPECT_GT(r.in_bytes, 200u * 200u);
        EXPECT_LT(r.ratio(), 0.5);
    }
}

// Brotli allocates nothing until the first non-empty write, then stays under 1 MiB (q4 lgwin16).
TEST(Compressor, BrotliIsLazyAndBounded) {
    auto c = make_compressor(Encoding::Brotli, {.brotli_quality = 4, .brotli_lgwin = 16});
    EXPECT_EQ(c->memory_bytes(), 0u);
    std::string out;
    EXPECT_TRUE(c->write_flush("", out));
    EXPECT_EQ(out, "");
    EXPECT_EQ(c->memory_bytes(), 0u);
    EXPECT_TRUE(c->write_flush(chat_frames(1).front(), out));
    EXPECT_GT(c->memory_bytes(), 0u);
    EXPECT_LT(c->memory_bytes(), 1u << 20);
}

// Gzip's deflate state is counted and small at the default settings.
TEST(Compressor, GzipMemoryIsCounted) {
    auto c = make_compressor(Encoding::Gzip, {});
    std::string out;
    EXPECT_TRUE(c->write_flush(chat_frames(1).front(), out));
    EXPECT_GT(c->memory_bytes(), 0u);
    EXPECT_LT(c->memory_bytes(), 64u << 10);
}

// Out-of-range settings (e.g. gzip window 8, which zlib refuses for gzip) are clamped, not fatal.
TEST(Compressor, OutOfRangeSettingsAreClamped) {
    const CompressionSettings odd{.brotli_quality = 99,
                                  .brotli_lgwin = 5,
                                  .gzip_level = 42,
                                  .gzip_window_bits = 8,
                                  .gzip_mem_level = 0};
    auto gz = make_compressor(Encoding::Gzip, odd);
    GzipStreamDecoder gz_decoder(16 + 15);
    EXPECT_LT(stream_and_decode(*gz, gz_decoder, 20).ratio(), 1.0);
    auto br = make_compressor(Encoding::Brotli, odd);
    BrotliStreamDecoder br_decoder;
    EXPECT_LT(stream_and_decode(*br, br_decoder, 20).ratio(), 1.0);
    const CompressionSettings odd_zstd{
        .zstd_level = -100, .zstd_window_log = 5, .zstd_hash_log = 2, .zstd_chain_log = 1};
    auto zs = make_compressor(Encoding::Zstd, odd_zstd);
    ZstdStreamDecoder zs_decoder;
    EXPECT_LT(stream_and_decode(*zs, zs_decoder, 20).ratio(), 1.0);
}

// Not an invariant: prints memory per stream and ratio per setting, for choosing defaults.
TEST(Compressor, CompressorReport) {
    constexpr int kFrames = 1000;
    const auto report = [](const std::string& name, const CompressionSettings& s, Encoding e) {
        auto c = make_compressor(e, s);
        std::string wire;
        std::size_t in_bytes = 0;
        const auto start = std::chrono::steady_clock::now();
        for (const std::string& frame : chat_frames(kFrames)) {
            ASSERT_TRUE(c->write_flush(frame, wire));
            in_bytes += frame.size();
        }
        const std::chrono::duration<double, std::micro> took =
            std::chrono::steady_clock::now() - start;
        std::cout << std::left << std::setw(24) << name << " memory " << std::right << std::setw(8)
                  << c->memory_bytes() << " B  ratio " << std::fixed << std::setprecision(3)
                  << static_cast<double>(wire.size()) / static_cast<double>(in_bytes) << "  "
                  << std::setprecision(1) << took.count() / kFrames << " us/frame\n";
    };
    std::cout << kFrames << " frames of ~" << chat_frames(1).front().size() << " bytes\n";
    for (const int q : {1, 2, 3, 4}) {
        for (const int lgwin : {10, 12, 16}) {
            report("brotli q" + std::to_string(q) + " lgwin " + std::to_string(lgwin),
                   {.brotli_quality = q, .brotli_lgwin = lgwin}, Encoding::Brotli);
        }
    }
    report("gzip 6 wbits 9 mem 1", {.gzip_window_bits = 9, .gzip_mem_level = 1}, Encoding::Gzip);
    report("gzip 6 wbits 10 mem 4", {.gzip_window_bits = 10, .gzip_mem_level = 4}, Encoding::Gzip);
    report("zstd (default)", {}, Encoding::Zstd);
}

}  // namespace
}  // namespace deltacast::sse
