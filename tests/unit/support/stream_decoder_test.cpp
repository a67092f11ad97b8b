#include "support/stream_decoder.hpp"

#include <gtest/gtest.h>

#include <brotli/encode.h>
#define ZLIB_CONST
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

namespace deltacast::testing {
namespace {

std::string brotli_compress(const std::string &in) {
    std::string out(BrotliEncoderMaxCompressedSize(in.size()), '\0');
    std::size_t size = out.size();
    const bool ok = BrotliEncoderCompress(4, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, in.size(),
                                          reinterpret_cast<const std::uint8_t *>(in.data()), &size,
                                          reinterpret_cast<std::uint8_t *>(out.data()));
    EXPECT_TRUE(ok);
    out.resize(size);
    return out;
}

std::string gzip_compress(const std::string &in) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<const Bytef *>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string zstd_compress(const std::string& in, int window_log = 0) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log)));
    std::string out(ZSTD_compressBound(in.size()), '\0');
    const std::size_t size = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
    EXPECT_FALSE(ZSTD_isError(size));
    out.resize(ZSTD_isError(size) ? 0 : size);
    ZSTD_freeCCtx(cctx);
    return out;
}

// Several KiB of SSE-like text: enough to span many decoder output blocks once repeated.
std::string sample_payload() {
    std::string text;
    for (int i = 0; i < 3000; ++i) {
        text += "id: b7f3-" + std::to_string(i) +
                "\nevent: entity-upsert\ndata: {\"id\":" + std::to_string(i * 7919 % 10007) +
                ",\"body\":\"token " + std::to_string(i) + "\"}\n\n";
    }
    return text;
}

std::string decode_in_pieces(const std::string &encoding, const std::string &wire,
                             const std::vector<std::size_t> &sizes) {
    StreamDecoder decoder(encoding);
    std::string out;
    std::size_t pos = 0;
    for (std::size_t i = 0; pos < wire.size(); ++i) {
        const std::size_t n = std::min(sizes[i % sizes.size()], wire.size() - pos);
        EXPECT_TRUE(decoder.decode(std::string_view(wire).substr(pos, n), out)) << decoder.error();
        pos += n;
    }
    EXPECT_TRUE(decoder.finished() || encoding.empty() || encoding == "identity");
    return out;
}

std::vector<std::size_t> random_sizes(unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> size(1, 700);
    std::vector<std::size_t> sizes(97); // a prime count, so the cycle drifts over the input
    for (auto &n : sizes) {
        n = size(rng);
    }
    return sizes;
}

class StreamDecoderRoundTrip : public ::testing::TestWithParam<std::string> {
protected:
    std::string compress(const std::string &in) const {
        if (GetParam() == "br") {
            return brotli_compress(in);
        }
        if (GetParam() == "gzip") {
            return gzip_compress(in);
        }
        if (GetParam() == "zstd") {
            return zstd_compress(in);
        }
        return in;
    }
};

// Invariant: decoding in one piece, byte by byte or in random pieces gives the original text.
TEST_P(StreamDecoderRoundTrip, AnyChunkingRestoresInput) {
    const std::string text = sample_payload();
    const std::string wire = compress(text);
    if (GetParam() == "br" || GetParam() == "gzip" || GetParam() == "zstd") {
        ASSERT_LT(wire.size(), text.size() / 4); // really compressed, not stored
    }
    EXPECT_EQ(decode_in_pieces(GetParam(), wire, {wire.size()}), text);
    EXPECT_EQ(decode_in_pieces(GetParam(), wire, {1}), text);
    EXPECT_EQ(decode_in_pieces(GetParam(), wire, random_sizes(7)), text);
    EXPECT_EQ(decode_in_pieces(GetParam(), wire, random_sizes(12345)), text);
}

INSTANTIATE_TEST_SUITE_P(Encodings, StreamDecoderRoundTrip,
                         ::testing::Values("", "identity", "gzip", "br", "zstd"));

// Invariant: concatenated zstd frames decode as one stream, as Chromium decodes them.
TEST(StreamDecoder, ZstdFramesBackToBack) {
    const std::string text = sample_payload();
    const std::string half = text.substr(0, text.size() / 2);
    const std::string wire = zstd_compress(half) + zstd_compress(text.substr(half.size()));
    EXPECT_EQ(decode_in_pieces("zstd", wire, random_sizes(3)), text);
}

// Invariant: a zstd window above 8 MiB is refused, as Chromium refuses it.
TEST(StreamDecoder, ZstdWindowAbove8MiBFails) {
    std::string big(9u << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4093) {
        big[i] = static_cast<char>('a' + i % 26);
    }
    StreamDecoder decoder("zstd");
    std::string out;
    EXPECT_FALSE(decoder.decode(zstd_compress(big, 24), out));
    EXPECT_NE(decoder.error().find("zstd"), std::string::npos);
    StreamDecoder ok("zstd");
    std::string out_ok;
    EXPECT_TRUE(ok.decode(zstd_compress(big, 23), out_ok)) << ok.error();
    EXPECT_EQ(out_ok, big);
}

// Invariant: everything decodable is output before the stream ends (per-frame flushes work).
TEST(StreamDecoder, BrotliFlushedFrameDecodesBeforeStreamEnd) {
    BrotliEncoderState *enc = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    ASSERT_NE(enc, nullptr);
    const std::string frame = "event: ready\ndata: {}\n\n";
    std::size_t avail_in = frame.size();
    const auto *next_in = reinterpret_cast<const std::uint8_t *>(frame.data());
    std::string wire(1024, '\0');
    std::size_t avail_out = wire.size();
    auto *next_out = reinterpret_cast<std::uint8_t *>(wire.data());
    ASSERT_TRUE(BrotliEncoderCompressStream(enc, BROTLI_OPERATION_FLUSH, &avail_in, &next_in,
                                            &avail_out, &next_out, nullptr));
    wire.resize(wire.size() - avail_out);
    BrotliEncoderDestroyInstance(enc);

    StreamDecoder decoder("br");
    std::string out;
    ASSERT_TRUE(decoder.decode(wire, out)) << decoder.error();
    EXPECT_EQ(out, frame);
    EXPECT_FALSE(decoder.finished());
}

// Invariant: corrupt brotli input is reported, with a reason, and stays an error.
TEST(StreamDecoder, CorruptBrotliFails) {
    std::string wire = brotli_compress(sample_payload());
    for (std::size_t i = 10; i < wire.size(); i += 13) {
        wire[i] = static_cast<char>(wire[i] ^ 0x5a);
    }
    StreamDecoder decoder("br");
    std::string out;
    EXPECT_FALSE(decoder.decode(wire, out));
    EXPECT_FALSE(decoder.error().empty());
    EXPECT_FALSE(decoder.decode("", out));
}

// Invariant: corrupt gzip input (bad header, then bad deflate data) is reported.
TEST(StreamDecoder, CorruptGzipFails) {
    StreamDecoder bad_header("gzip");
    std::string out;
    EXPECT_FALSE(bad_header.decode("this is not gzip at all", out));
    EXPECT_FALSE(bad_header.error().empty());

    std::string wire = gzip_compress(sample_payload());
    for (std::size_t i = 12; i < wire.size(); i += 11) {
        wire[i] = static_cast<char>(wire[i] ^ 0xff);
    }
    StreamDecoder bad_body("gzip");
    EXPECT_FALSE(bad_body.decode(wire, out));
    EXPECT_FALSE(bad_body.error().empty());
}

// Invariant: data after the end of a brotli stream is an error, not silently dropped.
TEST(StreamDecoder, TrailingBytesAfterBrotliEndFail) {
    StreamDecoder decoder("br");
    std::string out;
    EXPECT_FALSE(decoder.decode(brotli_compress("abc") + "junk", out));
}

// Invariant: a truncated stream is not an error; it just has not produced everything yet.
TEST(StreamDecoder, TruncatedStreamIsNotAnError) {
    const std::string text = sample_payload();
    const std::string wire = gzip_compress(text);
    StreamDecoder decoder("gzip");
    std::string out;
    EXPECT_TRUE(decoder.decode(std::string_view(wire).substr(0, wire.size() / 2), out));
    EXPECT_FALSE(decoder.finished());
    EXPECT_LT(out.size(), text.size());
    EXPECT_EQ(out, text.substr(0, out.size()));
}

// Invariant: concatenated gzip members (RFC 1952) decode to the concatenated texts.
TEST(StreamDecoder, GzipMembersBackToBack) {
    const std::string wire = gzip_compress("first,") + gzip_compress("second");
    EXPECT_EQ(decode_in_pieces("gzip", wire, {1}), "first,second");
    EXPECT_EQ(decode_in_pieces("gzip", wire, {wire.size()}), "first,second");
}

// Invariant: an unknown Content-Encoding is refused with its name in the error.
TEST(StreamDecoder, UnknownEncodingFails) {
    StreamDecoder decoder("zstd");
    std::string out;
    EXPECT_FALSE(decoder.decode("abc", out));
    EXPECT_NE(decoder.error().find("zstd"), std::string::npos);
    EXPECT_TRUE(out.empty());
}

// Invariant: the encoding name is matched case-insensitively, as HTTP requires.
TEST(StreamDecoder, EncodingNameIsCaseInsensitive) {
    StreamDecoder decoder(" GZip ");
    std::string out;
    EXPECT_TRUE(decoder.decode(gzip_compress("hello"), out)) << decoder.error();
    EXPECT_EQ(out, "hello");
}

} // namespace
} // namespace deltacast::testing
