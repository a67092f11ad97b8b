#include "sse/compressor.hpp"

#define ZLIB_CONST // z_stream::next_in becomes const
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace deltacast::sse {

namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(kWhitespace);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(kWhitespace) - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        return lower(x) == lower(y);
    });
}

// RFC 9110 qvalue in thousandths: "0", "0.5", "1", "1.000"; nullopt when malformed.
std::optional<int> parse_qvalue(std::string_view v) {
    if (v.empty() || (v[0] != '0' && v[0] != '1') || v.size() > 5 ||
        (v.size() > 1 && v[1] != '.')) {
        return std::nullopt;
    }
    int thousandths = (v[0] - '0') * 1000;
    int scale = 100;
    for (char c : v.substr(std::min<std::size_t>(v.size(), 2))) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        thousandths += (c - '0') * scale;
        scale /= 10;
    }
    return thousandths <= 1000 ? std::optional<int>(thousandths) : std::nullopt;
}

// Parses "token;q=0.5;other=x" into the token and its q (1000 when absent); nullopt when the
// q parameter is malformed.
std::optional<std::pair<std::string_view, int>> parse_coding(std::string_view element) {
    auto semi = element.find(';');
    const std::string_view token = trim(element.substr(0, semi));
    int q = 1000;
    while (semi != std::string_view::npos) {
        element.remove_prefix(semi + 1);
        semi = element.find(';');
        const std::string_view param = element.substr(0, semi);
        const auto eq = param.find('=');
        if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "q")) {
            const auto parsed = parse_qvalue(trim(param.substr(eq + 1)));
            if (!parsed) {
                return std::nullopt;
            }
            q = *parsed;
        }
    }
    return std::pair{token, q};
}

// The client's q for `name`: its lowest explicit q, else the wildcard's, else 0.
int client_q(std::string_view accept_encoding, std::string_view name) {
    std::optional<int> explicit_q;
    std::optional<int> wildcard_q;
    std::size_t start = 0;
    while (start <= accept_encoding.size()) {
        auto comma = accept_encoding.find(',', start);
        if (comma == std::string_view::npos) {
            comma = accept_encoding.size();
        }
        const auto coding = parse_coding(accept_encoding.substr(start, comma - start));
        start = comma + 1;
        if (!coding) {
            continue;
        }
        const auto [token, q] = *coding;
        if (iequals(token, name) || (name == "gzip" && iequals(token, "x-gzip"))) {
            explicit_q = std::min(explicit_q.value_or(q), q);
        } else if (token == "*") {
            wildcard_q = std::min(wildcard_q.value_or(q), q);
        }
    }
    return explicit_q.value_or(wildcard_q.value_or(0));
}

// zstd: ends the open frame. Block header: Last_Block = 1, Block_Type = Raw, Block_Size = 0
// (RFC 8878 3.1.1.2); no checksum is configured, so nothing follows it.
constexpr std::array<char, 3> kEndFrame = {1, 0, 0};

// gzip member header (RFC 1952): ID1 ID2, CM = deflate, no flags, MTIME 0, XFL 0, OS = Unix;
// what zlib writes for 16 + windowBits at the levels that set no XFL.
constexpr std::array<char, 10> kGzipHeader = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, 3};

// Counts the bytes an encoder holds. Each block carries its size in a header aligned like
// malloc's result, so the free callback can subtract it.
struct AllocationCounter {
    static constexpr std::size_t kHeader = alignof(std::max_align_t);
    std::size_t bytes = 0;

    void* allocate(std::size_t size) {
        if (size > SIZE_MAX - kHeader) {
            return nullptr;
        }
        auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
        if (block == nullptr) {
            return nullptr;
        }
        std::memcpy(block, &size, sizeof(size));
        bytes += size;
        return block + kHeader;
    }

    void release(void* address) {
        if (address == nullptr) {
            return;
        }
        auto* block = static_cast<unsigned char*>(address) - kHeader;
        std::size_t size = 0;
        std::memcpy(&size, block, sizeof(size));
        bytes -= size;
        std::free(block);
    }

    // C callbacks; `opaque` is the counter.
    static void* brotli_allocate(void* opaque, std::size_t size) {
        return static_cast<AllocationCounter*>(opaque)->allocate(size);
    }
    static voidpf zlib_allocate(voidpf opaque, uInt items, uInt size) {
        const auto total = std::size_t{items} * std::size_t{size}; // uInt: cannot overflow
        return static_cast<AllocationCounter*>(opaque)->allocate(total);
    }
    static void free_callback(void* opaque, void* address) {
        static_cast<AllocationCounter*>(opaque)->release(address);
    }
};

class BrotliCompressor final : public Compressor {
public:
    explicit BrotliCompressor(const CompressionSettings& s)
        : quality_(std::clamp(s.brotli_quality, BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY)),
          lgwin_(std::clamp(s.brotli_lgwin, BROTLI_MIN_WINDOW_BITS, BROTLI_MAX_WINDOW_BITS)) {}

    ~BrotliCompressor() override {
        if (state_ != nullptr) {
            BrotliEncoderDestroyInstance(state_);
        }
    }

    bool write_flush(std::string_view in, std::string& out) override {
        if (failed_ || in.empty()) {
            return !failed_;
        }
        failed_ = !(state_ != nullptr || create()) || !compress(in, out);
        return !failed_;
    }

    Encoding encoding() const override { return Encoding::Brotli; }
    std::size_t memory_bytes() const override { return counter_.bytes; }

    void release_idle() override {
        if (state_ != nullptr) {
            BrotliEncoderDestroyInstance(state_);
            state_ = nullptr;
        }
    }

private:
    // A successor encoder continues the stream (BROTLI_PARAM_STREAM_OFFSET: no stream header,
    // same parameters, output byte-aligned after the predecessor's flush). Offsets at or past
    // the largest window all mean the same; the library refuses values above 2^30.
    bool create() {
        state_ = BrotliEncoderCreateInstance(&AllocationCounter::brotli_allocate,
                                             &AllocationCounter::free_callback, &counter_);
        const auto offset =
            static_cast<std::uint32_t>(std::min<std::uint64_t>(input_bytes_, 1U << 30));
        return state_ != nullptr &&
               BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY,
                                         static_cast<std::uint32_t>(quality_)) &&
               BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN,
                                         static_cast<std::uint32_t>(lgwin_)) &&
               BrotliEncoderSetParameter(state_, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT) &&
               (offset == 0 ||
                BrotliEncoderSetParameter(state_, BROTLI_PARAM_STREAM_OFFSET, offset));
    }

    // One CompressStream call with no caller buffer; output is taken from the encoder's own.
    bool step(BrotliEncoderOperation op, std::size_t& avail_in, const std::uint8_t*& next_in,
              std::string& out) {
        std::size_t avail_out = 0;
        if (!BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, nullptr,
                                         nullptr)) {
            return false;
        }
        std::size_t taken = 0; // 0 = take everything
        const std::uint8_t* bytes = BrotliEncoderTakeOutput(state_, &taken);
        out.append(reinterpret_cast<const char*>(bytes), taken);
        return true;
    }

    bool compress(std::string_view in, std::string& out) {
        input_bytes_ += in.size();
        std::size_t avail_in = in.size();
        const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
        while (avail_in > 0) {
            const std::size_t in_before = avail_in;
            const std::size_t out_before = out.size();
            if (!step(BROTLI_OPERATION_PROCESS, avail_in, next_in, out) ||
                (avail_in == in_before && out.size() == out_before)) {
                return false; // no progress: never spin
            }
        }
        do {
            if (!step(BROTLI_OPERATION_FLUSH, avail_in, next_in, out)) {
                return false;
            }
        } while (BrotliEncoderHasMoreOutput(state_));
        return true;
    }

    int quality_;
    int lgwin_;
    AllocationCounter counter_;
    BrotliEncoderState* state_ = nullptr;
    std::uint64_t input_bytes_ = 0; // uncompressed bytes of the stream so far
    bool failed_ = false;
};

class GzipCompressor final : public Compressor {
public:
    GzipCompressor(const CompressionSettings& s, bool continuation)
        : level_(std::clamp(s.gzip_level, 0, 9)),
          window_bits_(std::clamp(s.gzip_window_bits, 9, 15)),
          mem_level_(std::clamp(s.gzip_mem_level, 1, MAX_MEM_LEVEL)), started_(continuation) {}

    ~GzipCompressor() override {
        if (initialized_) {
            deflateEnd(&stream_);
        }
    }

    bool write_flush(std::string_view in, std::string& out) override {
        if (failed_ || in.empty()) {
            return !failed_;
        }
        failed_ = in.size() > UINT_MAX || !(initialized_ || create()) || !compress(in, out);
        return !failed_;
    }

    Encoding encoding() const override { return Encoding::Gzip; }
    std::size_t memory_bytes() const override { return counter_.bytes; }

    void release_idle() override {
        if (initialized_) {
            deflateEnd(&stream_);
            stream_ = z_stream{};
            initialized_ = false;
        }
    }

private:
    // The first encoder writes the gzip header (16 + windowBits); after a release, a raw
    // deflate (-windowBits) continues the stream: the sync flush left it byte-aligned between
    // blocks, and a fresh encoder's blocks refer to nothing before them. The stream ends only
    // with the connection, so its trailer (CRC-32 and length) is never written and no running
    // CRC needs to be carried from one encoder to the next.
    bool create() {
        stream_.zalloc = &AllocationCounter::zlib_allocate;
        stream_.zfree = &AllocationCounter::free_callback;
        stream_.opaque = &counter_;
        const int window = started_ ? -window_bits_ : 16 + window_bits_;
        initialized_ = deflateInit2(&stream_, level_, Z_DEFLATED, window, mem_level_,
                                    Z_DEFAULT_STRATEGY) == Z_OK;
        started_ = true;
        return initialized_;
    }

    bool compress(std::string_view in, std::string& out) {
        stream_.next_in = reinterpret_cast<const Bytef*>(in.data());
        stream_.avail_in = static_cast<uInt>(in.size());
        const std::size_t chunk = in.size() + in.size() / 8 + 64;
        // Z_SYNC_FLUSH is complete once deflate returns with output space left over.
        do {
            const std::size_t old_size = out.size();
            out.resize(old_size + chunk);
            stream_.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
            stream_.avail_out = static_cast<uInt>(chunk);
            const int rc = deflate(&stream_, Z_SYNC_FLUSH);
            out.resize(old_size + chunk - stream_.avail_out);
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                return false;
            }
        } while (stream_.avail_out == 0);
        return stream_.avail_in == 0;
    }

    int level_;
    int window_bits_;
    int mem_level_;
    AllocationCounter counter_;
    z_stream stream_{};
    bool initialized_ = false;
    bool started_ = false; // the gzip header has been written
    bool failed_ = false;
};

// zstd: one frame per encoder. A flush (ZSTD_e_flush) ends a block, so everything so far
// decodes; the frame is left open for the next frame's context. After release_idle() the open
// frame is ended by hand (an empty last raw block; no checksum is configured) in front of the
// next write's output, which starts a new frame: a zstd decoder reads concatenated frames as
// one stream. Memory is counted by ZSTD_sizeof_CCtx.
class ZstdCompressor final : public Compressor {
public:
    explicit ZstdCompressor(const CompressionSettings& s)
        : level_(std::clamp(s.zstd_level, -7, ZSTD_maxCLevel())),
          window_log_(std::clamp(s.zstd_window_log, 10, 23)),
          hash_log_(std::clamp(s.zstd_hash_log, 6, 26)),
          chain_log_(std::clamp(s.zstd_chain_log, 6, 24)) {}

    ~ZstdCompressor() override { ZSTD_freeCCtx(context_); }

    bool write_flush(std::string_view in, std::string& out) override {
        if (failed_ || in.empty()) {
            return !failed_;
        }
        if (frame_open_ && context_ == nullptr) {
            out.append(kEndFrame.data(), kEndFrame.size());
            frame_open_ = false;
        }
        failed_ = !(context_ != nullptr || create()) || !compress(in, out);
        return !failed_;
    }

    Encoding encoding() const override { return Encoding::Zstd; }
    std::size_t memory_bytes() const override {
        return context_ == nullptr ? 0 : ZSTD_sizeof_CCtx(context_);
    }

    void release_idle() override {
        ZSTD_freeCCtx(context_);
        context_ = nullptr;
    }

private:
    bool set(ZSTD_cParameter p, int value) {
        return !ZSTD_isError(ZSTD_CCtx_setParameter(context_, p, value));
    }

    bool create() {
        context_ = ZSTD_createCCtx();
        frame_open_ = true;
        return context_ != nullptr && set(ZSTD_c_compressionLevel, level_) &&
               set(ZSTD_c_windowLog, window_log_) && set(ZSTD_c_hashLog, hash_log_) &&
               set(ZSTD_c_chainLog, chain_log_) && set(ZSTD_c_checksumFlag, 0);
    }

    bool compress(std::string_view in, std::string& out) {
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        const std::size_t chunk = ZSTD_compressBound(in.size()) + 32;
        std::size_t remaining = 0;
        do {
            const std::size_t old_size = out.size();
            out.resize(old_size + chunk);
            ZSTD_outBuffer output{out.data() + old_size, chunk, 0};
            remaining = ZSTD_compressStream2(context_, &output, &input, ZSTD_e_flush);
            out.resize(old_size + output.pos);
            if (ZSTD_isError(remaining)) {
                return false;
            }
        } while (remaining != 0);
        return input.pos == input.size;
    }

    int level_;
    int window_log_;
    int hash_log_;
    int chain_log_;
    ZSTD_CCtx* context_ = nullptr;
    bool frame_open_ = false; // a frame was started and not yet ended
    bool failed_ = false;
};

} // namespace

std::string_view content_encoding_name(Encoding e) {
    switch (e) {
    case Encoding::Brotli:
        return "br";
    case Encoding::Gzip:
        return "gzip";
    case Encoding::Zstd:
        return "zstd";
    case Encoding::Identity:
        break;
    }
    return "";
}

Encoding negotiate_encoding(std::string_view accept_encoding,
                            const std::vector<std::string>& server_preference) {
    if (trim(accept_encoding).empty()) {
        return Encoding::Identity;
    }
    for (const std::string& name : server_preference) {
        for (const Encoding e : {Encoding::Zstd, Encoding::Brotli, Encoding::Gzip}) {
            const std::string_view token = content_encoding_name(e);
            if (iequals(name, token) && client_q(accept_encoding, token) > 0) {
                return e;
            }
        }
    }
    return Encoding::Identity;
}

std::unique_ptr<Compressor> make_compressor(Encoding e, const CompressionSettings& s,
                                            bool continuation) {
    switch (e) {
    case Encoding::Brotli:
        return continuation ? nullptr : std::make_unique<BrotliCompressor>(s);
    case Encoding::Gzip:
        return std::make_unique<GzipCompressor>(s, continuation);
    case Encoding::Zstd:
        return std::make_unique<ZstdCompressor>(s);
    case Encoding::Identity:
        break;
    }
    return nullptr;
}

bool can_share_encoders(Encoding e) {
    return e == Encoding::Gzip || e == Encoding::Zstd;
}

std::string_view stream_header(Encoding e) {
    return e == Encoding::Gzip ? std::string_view(kGzipHeader.data(), kGzipHeader.size())
                               : std::string_view();
}

std::string_view encoder_handover(Encoding e) {
    return e == Encoding::Zstd ? std::string_view(kEndFrame.data(), kEndFrame.size())
                               : std::string_view();
}

} // namespace deltacast::sse
