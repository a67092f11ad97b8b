#pragma once
// Compression of the SSE stream: negotiating the Content-Encoding from the request's
// Accept-Encoding, and streaming encoders that flush after every frame so each event decodes the
// moment it arrives. A brotli stream has an encoder of its own; zstd and gzip encoders are
// shared by the streams that carry the same frames (sse/shared_encoder.hpp), which is why an
// encoder can also continue a stream another one began. bench/RESULTS.md has the memory, bytes
// and CPU each setting costs, the measurements behind the defaults.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace deltacast::sse {

enum class Encoding { Identity, Gzip, Brotli, Zstd };

/// The Content-Encoding header value: "" for Identity, "gzip", "br", "zstd".
std::string_view content_encoding_name(Encoding e);

/// Chooses the response encoding from the request's Accept-Encoding value and the server's
/// preference list (config `fanout.compression`, e.g. {"zstd","gzip","br"}; unknown names
/// ignored).
/// Tokens are case-insensitive; "x-gzip" counts as "gzip". An encoding is acceptable when the
/// client lists it with q > 0, or does not list it but offers "*" with q > 0; q=0 (in any of
/// its entries) refuses it, and an entry with a malformed q is ignored. Among acceptable
/// encodings the server's order wins; client q-values only decide acceptable or not.
/// Identity when nothing matches, the header is empty, or the list is empty.
Encoding negotiate_encoding(std::string_view accept_encoding,
                            const std::vector<std::string>& server_preference);

/// Encoder parameters (config `fanout.*`). make_compressor clamps them to what the libraries
/// accept: brotli quality 0..11, lgwin 10..24; gzip level 0..9, window bits 9..15 (zlib turns
/// 8 into 9 for zlib streams and refuses it for gzip streams), mem level 1..9; zstd level
/// -7..22, window log 10..23 (Chromium refuses windows above 8 MiB), hash log 6..26, chain
/// log 6..24.
struct CompressionSettings {
    int brotli_quality = 2;
    int brotli_lgwin = 16;
    int gzip_level = 6;
    int gzip_window_bits = 10;
    int gzip_mem_level = 4;
    int zstd_level = 1;
    int zstd_window_log = 10;
    int zstd_hash_log = 8;
    int zstd_chain_log = 8;
};

/// One encoder's stream: continuous, so later frames reuse earlier context. Owned by one
/// connection (brotli, or fanout.share_encoders off) or by a link of a shared chain.
/// The encoder is created lazily on the first non-empty write, so memory_bytes() is 0 until
/// then; release_idle() frees it between frames and the next write continues the same stream
/// with a fresh encoder (without the earlier context). Not thread-safe: used on one shard's
/// strand. Neither copyable nor movable (the allocators point into the object).
class Compressor {
public:
    Compressor() = default;
    Compressor(const Compressor&) = delete;
    Compressor& operator=(const Compressor&) = delete;
    virtual ~Compressor() = default;

    /// Compresses `in`, then flushes, appending to `out`, so that all bytes appended so far
    /// decode completely (every event decodes on arrival). Empty `in` appends nothing.
    /// Returns false on an encoder error (the caller then closes the connection); every
    /// later call then fails too.
    virtual bool write_flush(std::string_view in, std::string& out) = 0;
    virtual Encoding encoding() const = 0;
    /// Bytes currently allocated by the encoder (counted by custom allocators), for metrics
    /// and benchmarks.
    virtual std::size_t memory_bytes() const = 0;
    /// Frees the encoder's state (the connection is idle). Everything written so far stays
    /// decodable; the next write_flush continues the stream with a fresh encoder: brotli
    /// stitched at the stream offset, gzip with a fresh raw deflate after the sync flush,
    /// zstd with a new frame after the current one is ended. No-op when nothing is held.
    virtual void release_idle() = 0;
};

/// nullptr for Identity (callers then write the shared frame bytes as they are).
/// `continuation`: the encoder's output will be appended to a stream that another encoder
/// began (sse/shared_encoder.hpp): gzip then writes raw deflate without the gzip header
/// (stream_header() is the caller's); zstd always starts a frame of its own. Brotli cannot
/// continue a stream at an unknown offset: make_compressor returns nullptr for it.
std::unique_ptr<Compressor> make_compressor(Encoding e, const CompressionSettings& s,
                                            bool continuation = false);

/// Whether several encoders can take turns writing one stream (can_share_encoders), and the
/// bytes that make it work: stream_header() goes once before the first encoder's output (gzip's
/// 10-byte header), encoder_handover() between one encoder's output and the next's (zstd: ends
/// the open frame; a decoder reads concatenated frames as one stream). Both empty otherwise.
bool can_share_encoders(Encoding e);
std::string_view stream_header(Encoding e);
std::string_view encoder_handover(Encoding e);

} // namespace deltacast::sse
