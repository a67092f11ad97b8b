#include "support/stream_decoder.hpp"

#include "support/http_head.hpp"

#define ZLIB_CONST
#include <zlib.h>

#include <brotli/decode.h>
#include <zstd.h>

#include <array>
#include <cstdint>

namespace deltacast::testing {

namespace {

constexpr std::size_t out_block = 16 * std::size_t{1024};
constexpr int zstd_window_log_max = 23; // Chromium's limit: 8 MiB

std::string normalise(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return to_lower(s);
}

} // namespace

struct StreamDecoder::Codec {
    z_stream zs{};
    bool zs_ready = false;
    BrotliDecoderState *brotli = nullptr;
    ZSTD_DStream* zstd = nullptr;

    ~Codec() {
        ZSTD_freeDStream(zstd);
        if (zs_ready) {
            inflateEnd(&zs);
        }
        if (brotli != nullptr) {
            BrotliDecoderDestroyInstance(brotli);
        }
    }
};

StreamDecoder::StreamDecoder(std::string_view content_encoding)
    : codec_(std::make_unique<Codec>()) {
    const std::string name = normalise(content_encoding);
    if (name.empty() || name == "identity") {
        kind_ = Kind::Identity;
    } else if (name == "gzip" || name == "x-gzip") {
        // 16 + 15: expect the gzip wrapper and allow the largest window.
        if (inflateInit2(&codec_->zs, 16 + 15) == Z_OK) {
            codec_->zs_ready = true;
            kind_ = Kind::Gzip;
        } else {
            error_ = "inflateInit2 failed";
        }
    } else if (name == "br") {
        codec_->brotli = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
        if (codec_->brotli != nullptr) {
            kind_ = Kind::Brotli;
        } else {
            error_ = "BrotliDecoderCreateInstance failed";
        }
    } else if (name == "zstd") {
        codec_->zstd = ZSTD_createDStream();
        if (codec_->zstd != nullptr &&
            !ZSTD_isError(
                ZSTD_DCtx_setParameter(codec_->zstd, ZSTD_d_windowLogMax, zstd_window_log_max))) {
            kind_ = Kind::Zstd;
        } else {
            error_ = "ZSTD_createDStream failed";
        }
    } else {
        error_ = "unsupported content-encoding: " + std::string(content_encoding);
    }
}

StreamDecoder::~StreamDecoder() = default;

bool StreamDecoder::decode(std::string_view in, std::string &out) {
    if (!error_.empty()) {
        return false;
    }
    switch (kind_) {
    case Kind::Identity:
        out.append(in);
        return true;
    case Kind::Gzip:
        return decode_gzip(in, out);
    case Kind::Brotli:
        return decode_brotli(in, out);
    case Kind::Zstd:
        return decode_zstd(in, out);
    case Kind::Unsupported:
        break;
    }
    return false;
}

bool StreamDecoder::decode_gzip(std::string_view in, std::string &out) {
    z_stream &zs = codec_->zs;
    if (finished_ && !in.empty()) {
        // RFC 1952 allows several members back to back; each starts a fresh inflate.
        inflateReset(&zs);
        finished_ = false;
    }
    zs.next_in = reinterpret_cast<const Bytef *>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    std::array<Bytef, out_block> buf{};
    for (;;) {
        zs.next_out = buf.data();
        zs.avail_out = static_cast<uInt>(buf.size());
        const int rc = inflate(&zs, Z_NO_FLUSH);
        out.append(reinterpret_cast<const char *>(buf.data()), buf.size() - zs.avail_out);
        if (rc == Z_STREAM_END) {
            finished_ = true;
            if (zs.avail_in == 0) {
                return true;
            }
            inflateReset(&zs);
            finished_ = false;
        } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
            if (zs.avail_in == 0 && zs.avail_out != 0) {
                return true;
            }
            if (rc == Z_BUF_ERROR) {
                return fail("gzip: inflate made no progress");
            }
        } else {
            return fail(std::string("gzip: ") + (zs.msg != nullptr ? zs.msg : "inflate error") +
                        " (" + std::to_string(rc) + ")");
        }
    }
}

bool StreamDecoder::decode_brotli(std::string_view in, std::string &out) {
    if (finished_) {
        return in.empty() || fail("br: data after the end of the stream");
    }
    std::size_t avail_in = in.size();
    const auto *next_in = reinterpret_cast<const std::uint8_t *>(in.data());
    std::array<std::uint8_t, out_block> buf{};
    for (;;) {
        std::size_t avail_out = buf.size();
        std::uint8_t *next_out = buf.data();
        const auto rc = BrotliDecoderDecompressStream(codec_->brotli, &avail_in, &next_in,
                                                      &avail_out, &next_out, nullptr);
        out.append(reinterpret_cast<const char *>(buf.data()), buf.size() - avail_out);
        switch (rc) {
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
            continue;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
            return true;
        case BROTLI_DECODER_RESULT_SUCCESS:
            finished_ = true;
            return avail_in == 0 || fail("br: data after the end of the stream");
        case BROTLI_DECODER_RESULT_ERROR:
            break;
        }
        return fail(std::string("br: ") +
                    BrotliDecoderErrorString(BrotliDecoderGetErrorCode(codec_->brotli)));
    }
}

bool StreamDecoder::decode_zstd(std::string_view in, std::string& out) {
    if (in.empty()) {
        return true;
    }
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::array<char, out_block> buf{};
    for (;;) {
        ZSTD_outBuffer output{buf.data(), buf.size(), 0};
        const std::size_t rc = ZSTD_decompressStream(codec_->zstd, &output, &input);
        if (ZSTD_isError(rc)) {
            return fail(std::string("zstd: ") + ZSTD_getErrorName(rc));
        }
        out.append(buf.data(), output.pos);
        // A full output buffer may hide more output; otherwise all input is consumed.
        if (input.pos == input.size && output.pos < output.size) {
            finished_ = rc == 0; // 0: a frame just ended (another may follow)
            return true;
        }
    }
}

bool StreamDecoder::fail(std::string message) {
    error_ = std::move(message);
    return false;
}

} // namespace deltacast::testing
