#pragma once
// Streaming decoders for the unit tests of the compressed SSE streams: each feeds compressed
// bytes as they arrive and appends whatever decodes, as a browser does.

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace deltacast::sse::test {

// feed() returns false on a corrupt stream.
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

} // namespace deltacast::sse::test
