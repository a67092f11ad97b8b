// bench_compression: what one connection's compressor costs, per setting: the memory its
// encoder holds (counted by deltacast's own allocation counter, the number that multiplies by
// the open connections), the bytes on the wire per event, and the CPU per frame. It feeds the
// same frames the benchmark's chats produce (an entity-upsert of one bench_message row with a
// growing token body, built by wire::append_upsert) through sse::make_compressor, one
// write_flush per frame, exactly as a session does.
//
//   bench_compression [--frames 1000] [--body-bytes 180] [--streams 2000]
//
// Prints one line per setting and `RESULT {json}` with all of them. The rows marked "alone"
// compress each frame by itself (a fresh compressor per frame): the bytes a compression done
// once per topic and shared by its connections would cost without cross-frame context. The
// rows marked "release/N" call release_idle() after every N-th frame and continue the same
// stream with a fresh encoder (what an idle connection costs when it wakes up): "release/1"
// is the worst case, every frame on a new encoder; CPU includes the encoder's creation.
// "resumed" releases once, after the first frame: the steady state of a stream continued by a
// successor encoder (brotli: BROTLI_PARAM_STREAM_OFFSET). The rows
// marked "xN streams" feed each frame to N streams in turn, as a server does with one chat's
// viewers: every compression then finds its encoder's state out of the CPU caches (N encoders
// are far larger than the caches), which is what a frame costs at scale.

#include "wire/events.hpp"
#include "sse/compressor.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using deltacast::sse::CompressionSettings;
using deltacast::sse::Encoding;

struct Setting {
    std::string name;
    Encoding encoding;
    CompressionSettings settings;
};

std::vector<Setting> settings_to_measure() {
    const auto br = [](int quality, int lgwin) {
        CompressionSettings s;
        s.brotli_quality = quality;
        s.brotli_lgwin = lgwin;
        return Setting{"br q" + std::to_string(quality) + " lgwin" + std::to_string(lgwin),
                       Encoding::Brotli, s};
    };
    const auto gz = [](int level, int window_bits, int mem_level) {
        CompressionSettings s;
        s.gzip_level = level;
        s.gzip_window_bits = window_bits;
        s.gzip_mem_level = mem_level;
        return Setting{"gzip l" + std::to_string(level) + " wbits" + std::to_string(window_bits) +
                           " mem" + std::to_string(mem_level),
                       Encoding::Gzip, s};
    };
    const auto zs = [](int level, int window_log, int hash_log, int chain_log) {
        CompressionSettings s;
        s.zstd_level = level;
        s.zstd_window_log = window_log;
        s.zstd_hash_log = hash_log;
        s.zstd_chain_log = chain_log;
        return Setting{"zstd l" + std::to_string(level) + " w" + std::to_string(window_log) + " h" +
                           std::to_string(hash_log) + " c" + std::to_string(chain_log),
                       Encoding::Zstd, s};
    };
    return {br(4, 16),         br(4, 12),         br(4, 10),         br(3, 16),
            br(3, 10),         br(2, 16),         br(2, 10),         br(1, 16),
            br(1, 10),         br(0, 10),         gz(6, 10, 4),      gz(6, 9, 1),
            gz(1, 9, 1),       zs(3, 21, 17, 16), zs(1, 19, 13, 12), zs(1, 16, 12, 12),
            zs(1, 14, 11, 11), zs(1, 12, 10, 10), zs(3, 12, 10, 10), zs(1, 11, 9, 9),
            zs(1, 10, 8, 8),   zs(1, 10, 6, 6),   zs(2, 10, 8, 8),   zs(3, 10, 8, 8),
            zs(-1, 10, 8, 8),  zs(-5, 10, 8, 8)};
}

// The defaults (CompressionSettings{}: br q2 lgwin16, gzip l6 wbits10 mem4, zstd l1 w10 h8
// c8), and br q4, with the encoder released every N frames.
std::vector<Setting> settings_released() {
    CompressionSettings q4;
    q4.brotli_quality = 4;
    return {{"br q2", Encoding::Brotli, {}},
            {"br q4", Encoding::Brotli, q4},
            {"gzip l6", Encoding::Gzip, {}},
            {"zstd l1 w10", Encoding::Zstd, {}}};
}

// Settings also measured with each frame compressed on its own (measure's `alone`).
std::vector<Setting> settings_alone() {
    CompressionSettings q2;
    q2.brotli_quality = 2;
    CompressionSettings q11;
    q11.brotli_quality = 11;
    q11.brotli_lgwin = 16;
    CompressionSettings gzip; // deltacast's defaults: level 6, windowBits 10, memLevel 4
    CompressionSettings zstd; // deltacast's defaults: level 1, window log 10
    return {{"br q2", Encoding::Brotli, q2},
            {"br q11", Encoding::Brotli, q11},
            {"gzip l6", Encoding::Gzip, gzip},
            {"zstd l1 w10", Encoding::Zstd, zstd}};
}

// The frames of one streaming chat: the same row, version after version, its body the last
// `body_bytes` characters of a growing reply (what an agent's token stream looks like).
std::vector<std::string> chat_frames(int count, std::size_t body_bytes) {
    static const char* const kWords[] = {"the ", "model ", "streams ", "a ", "reply ", "token ",
                                         "by ", "token, ", "and ", "every ", "viewer ", "sees ",
                                         "it ", "grow. "};
    std::vector<std::string> frames;
    std::string reply;
    for (int v = 1; v <= count; ++v) {
        reply += kWords[static_cast<std::size_t>(v * 7 + v / 3) % std::size(kWords)];
        const std::string body =
            reply.size() > body_bytes ? reply.substr(reply.size() - body_bytes) : reply;
        const nlohmann::json row = {{"id", 42},       {"body", body},
                                    {"ts_us", 1763740000000000LL + v * 50000LL},
                                    {"chat_id", 42},  {"version", v}};
        const std::string row_json = row.dump();
        std::string frame;
        deltacast::wire::append_upsert(frame, "a1b2c3d4-" + std::to_string(1000 + v), "chat:42",
                                        "ChatMessageContent", {row_json}, false);
        frames.push_back(std::move(frame));
    }
    return frames;
}

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

nlohmann::json report(const std::string& name, std::size_t memory, std::size_t raw,
                      std::size_t wire, double cpu, std::size_t frames) {
    const auto n = static_cast<double>(frames);
    return {{"setting", name},
            {"memory_kib", static_cast<double>(memory) / 1024.0},
            {"raw_bytes_per_event", static_cast<double>(raw) / n},
            {"wire_bytes_per_event", static_cast<double>(wire) / n},
            {"ratio", static_cast<double>(wire) / static_cast<double>(raw)},
            {"cpu_us_per_frame", cpu * 1e6 / n}};
}

// Feeds the frames through the setting's compressor, one write_flush per frame. With `alone`,
// each frame gets a fresh compressor: what compressing once per topic would send if a frame's
// compressed bytes had to be valid in any connection's stream (no reference to earlier
// frames); the stream header is then counted with each frame. release_every < 0: released
// once, after the first frame ("resumed"). With `release_every` > 0 the
// one stream's encoder is released after every release_every-th frame; memory is then the
// largest held between two releases.
nlohmann::json measure(const Setting& setting, const std::vector<std::string>& frames, bool alone,
                       int release_every = 0) {
    std::unique_ptr<deltacast::sse::Compressor> compressor;
    std::size_t raw = 0;
    std::size_t wire = 0;
    std::size_t memory = 0;
    std::string out;
    const double before = cpu_seconds();
    std::size_t index = 0;
    for (const auto& frame : frames) {
        if (alone || !compressor) {
            compressor = deltacast::sse::make_compressor(setting.encoding, setting.settings);
        } else if ((release_every > 0 && index % static_cast<std::size_t>(release_every) == 0) ||
                   (release_every < 0 && index == 1)) {
            compressor->release_idle();
        }
        ++index;
        out.clear();
        if (!compressor->write_flush(frame, out)) {
            std::cerr << setting.name << ": compressor failed\n";
            std::exit(1);
        }
        raw += frame.size();
        wire += out.size();
        memory = std::max(memory, compressor->memory_bytes());
    }
    const double cpu = cpu_seconds() - before;
    const std::string suffix = alone               ? " alone"
                               : release_every > 0 ? " release/" + std::to_string(release_every)
                               : release_every < 0 ? " resumed"
                                                   : "";
    return report(setting.name + suffix, memory, raw, wire, cpu, frames.size());
}

// The encoders that reach the cold-cache comparison: the defaults, br q4, and larger zstd windows.
std::vector<Setting> settings_cold() {
    CompressionSettings q4;
    q4.brotli_quality = 4;
    CompressionSettings zstd12;
    zstd12.zstd_window_log = 12;
    zstd12.zstd_hash_log = 10;
    CompressionSettings zstd14;
    zstd14.zstd_window_log = 14;
    zstd14.zstd_hash_log = 11;
    return {{"br q2", Encoding::Brotli, {}},         {"br q4", Encoding::Brotli, q4},
            {"gzip l6", Encoding::Gzip, {}},         {"zstd l1 w10", Encoding::Zstd, {}},
            {"zstd l1 w12", Encoding::Zstd, zstd12}, {"zstd l1 w14", Encoding::Zstd, zstd14}};
}

// Every frame goes to `streams` compressors in turn (one chat's viewers); the first frame,
// which creates the encoders, is not timed. Memory is per stream.
nlohmann::json measure_cold(const Setting& setting, const std::vector<std::string>& frames,
                            std::size_t streams) {
    std::vector<std::unique_ptr<deltacast::sse::Compressor>> compressors;
    std::string out;
    for (std::size_t i = 0; i < streams; ++i) {
        compressors.push_back(deltacast::sse::make_compressor(setting.encoding, setting.settings));
        out.clear();
        compressors.back()->write_flush(frames.front(), out);
    }
    std::size_t raw = 0;
    std::size_t wire = 0;
    const double before = cpu_seconds();
    for (std::size_t f = 1; f < frames.size(); ++f) {
        for (const auto& compressor : compressors) {
            out.clear();
            if (!compressor->write_flush(frames[f], out)) {
                std::cerr << setting.name << ": compressor failed\n";
                std::exit(1);
            }
            raw += frames[f].size();
            wire += out.size();
        }
    }
    const double cpu = cpu_seconds() - before;
    std::size_t memory = 0;
    for (const auto& compressor : compressors) {
        memory += compressor->memory_bytes();
    }
    return report(setting.name + " x" + std::to_string(streams) + " streams", memory / streams, raw,
                  wire, cpu, (frames.size() - 1) * streams);
}

}  // namespace

int main(int argc, char** argv) {
    int count = 1000;
    std::size_t body_bytes = 180;
    std::size_t streams = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--frames") {
            count = std::atoi(argv[i + 1]);
        } else if (key == "--body-bytes") {
            body_bytes = static_cast<std::size_t>(std::atoi(argv[i + 1]));
        } else if (key == "--streams") {
            streams = static_cast<std::size_t>(std::atoi(argv[i + 1]));
        } else {
            std::cerr << "usage: bench_compression [--frames N] [--body-bytes B] [--streams S]\n";
            return 2;
        }
    }
    const auto frames = chat_frames(count, body_bytes);
    nlohmann::json all = nlohmann::json::array();
    std::printf("%-28s %12s %14s %8s %14s\n", "setting", "memory KiB", "wire B/event", "ratio",
                "CPU us/frame");
    const auto print = [&all](nlohmann::json result) {
        std::printf(
            "%-28s %12.1f %14.1f %8.3f %14.2f\n", result["setting"].get<std::string>().c_str(),
            result["memory_kib"].get<double>(), result["wire_bytes_per_event"].get<double>(),
            result["ratio"].get<double>(), result["cpu_us_per_frame"].get<double>());
        all.push_back(std::move(result));
    };
    for (const auto& setting : settings_to_measure()) {
        print(measure(setting, frames, false));
    }
    for (const auto& setting : settings_alone()) {
        print(measure(setting, frames, true));
    }
    for (const auto& setting : settings_released()) {
        for (const int every : {1, 10, -1}) {
            print(measure(setting, frames, false, every));
        }
    }
    if (streams > 1) {
        const std::vector<std::string> cold_frames(
            frames.begin(), frames.begin() + std::min<std::ptrdiff_t>(51, std::ssize(frames)));
        for (const auto& setting : settings_cold()) {
            print(measure_cold(setting, cold_frames, streams));
        }
    }
    std::printf("identity: %.1f B/event\n", all[0]["raw_bytes_per_event"].get<double>());
    std::printf("RESULT %s\n", all.dump().c_str());
    return 0;
}
