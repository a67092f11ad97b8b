// bench_loadgen: the benchmark's load client. One process opens N SSE streams to one server
// (deltacast or nchan), ramps them up at a fixed rate, holds them, parses their events,
// measures commit -> arrival latency from each row's ts_us, and prints a report ending in one
// `RESULT {json}` line. Several processes run side by side; `--merge` combines their latency
// samples files.
//
// Design:
// - One thread, one asio::io_context: a process costs about one core however many streams it
//   holds. Connections live for the whole run in a vector and handlers capture a plain
//   reference, so there is no shared_ptr bookkeeping.
// - Memory per stream is kept small: every socket waits for readability (async_wait) and then
//   reads non-blocking into one 64 KiB buffer shared by the whole process. (With
//   async_read_some the reactor may complete several reads before their handlers run, so a
//   shared buffer would be overwritten; a synchronous read inside the handler cannot.)
//   Decoder state (chunked framing, gzip/brotli/zstd,
//   SSE parser) exists only for sampled streams (--sample) and, briefly, for every deltacast
//   stream until its `ready` event; other streams just count bytes.
// - Latency samples go into a log-linear histogram (0.1 % precision, fixed size) and,
//   optionally, raw into a samples file (uint32 microseconds, little-endian) for --merge.
// - Versions: each sampled stream tracks the highest version seen per row, starting (with
//   --conninfo) from the row's version in the database before the run. A jump of more than
//   one counts as coalesced (the server sends the latest row), a repeat or step back as stale.
//   The loss check after the run counts the versions in the database beyond the highest seen.

#include <libpq-fe.h>
#include <sys/resource.h>
#include <time.h>

#include <utility>

#include <unistd.h>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/chunked_decoder.hpp"
#include "support/sse_parser.hpp"
#include "support/stream_decoder.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using deltacast::testing::ChunkedDecoder;
using deltacast::testing::SseEvent;
using deltacast::testing::SseParser;
using deltacast::testing::StreamDecoder;
using Json = nlohmann::ordered_json;

// Samples files are raw little-endian uint32; written and read in native order.
static_assert(std::endian::native == std::endian::little);

constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr std::size_t max_head_size = 16 * 1024;
constexpr auto tick = std::chrono::milliseconds(100);
constexpr std::int64_t quiet_before_check_us = 500'000;
constexpr std::int64_t max_drain_us = 10'000'000;

std::int64_t realtime_us() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

std::int64_t steady_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

double round2(double v) {
    return std::round(v * 100.0) / 100.0;
}

// ---------------------------------------------------------------------------------------------
// Command line

struct Options {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string target = "deltacast";
    int connections = 1;
    int chats = 1;
    int chat_offset = 0;
    int orgs = 0;
    int ramp_per_s = 2000;
    int max_in_flight = 256;
    std::string encoding = "identity";
    std::string accept_encoding; // the header as sent; empty = --encoding's name
    int sample = 1;
    double duration_s = 0;
    double connect_timeout_s = 30;
    std::string ready_file, stop_file, conninfo, samples_file, label;
    std::vector<std::string> merge_files;
};

constexpr std::string_view usage_text =
    "usage: bench_loadgen [--host H] [--port P] [--target deltacast|nchan]\n"
    "         [--connections N] [--chats M] [--chat-offset O] [--orgs K]\n"
    "         [--ramp-per-s R] [--max-in-flight F] [--encoding identity|gzip|br|zstd]\n"
    "         [--accept-encoding HEADER (e.g. 'gzip, deflate, br, zstd'; overrides --encoding)]\n"
    "         [--sample S] [--ready-file PATH] [--stop-file PATH] [--duration-s D]\n"
    "         [--connect-timeout-s T] [--conninfo STR] [--samples-file PATH] [--label NAME]\n"
    "       bench_loadgen --merge FILE...\n";

int to_int(const std::string& key, const std::string& value, int min) {
    std::size_t used = 0;
    int v = 0;
    try {
        v = std::stoi(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value.size() || v < min) {
        throw std::runtime_error(key + ": expected an integer >= " + std::to_string(min));
    }
    return v;
}

double to_double(const std::string& key, const std::string& value) {
    try {
        return std::stod(value);
    } catch (const std::exception&) {
        throw std::runtime_error(key + ": expected a number");
    }
}

void set_option(Options& o, const std::string& key, const std::string& v) {
    static const std::map<std::string_view, std::string Options::*> strings = {
        {"--host", &Options::host},
        {"--target", &Options::target},
        {"--encoding", &Options::encoding},
        {"--accept-encoding", &Options::accept_encoding},
        {"--ready-file", &Options::ready_file},
        {"--stop-file", &Options::stop_file},
        {"--conninfo", &Options::conninfo},
        {"--samples-file", &Options::samples_file},
        {"--label", &Options::label}};
    // Each integer option with its minimum.
    static const std::map<std::string_view, std::pair<int Options::*, int>> ints = {
        {"--port", {&Options::port, 1}},     {"--connections", {&Options::connections, 1}},
        {"--chats", {&Options::chats, 1}},   {"--chat-offset", {&Options::chat_offset, 0}},
        {"--orgs", {&Options::orgs, 0}},     {"--ramp-per-s", {&Options::ramp_per_s, 1}},
        {"--sample", {&Options::sample, 1}}, {"--max-in-flight", {&Options::max_in_flight, 1}}};
    static const std::map<std::string_view, double Options::*> doubles = {
        {"--duration-s", &Options::duration_s},
        {"--connect-timeout-s", &Options::connect_timeout_s}};
    if (const auto s = strings.find(key); s != strings.end()) {
        o.*(s->second) = v;
    } else if (const auto i = ints.find(key); i != ints.end()) {
        o.*(i->second.first) = to_int(key, v, i->second.second);
    } else if (const auto d = doubles.find(key); d != doubles.end()) {
        o.*(d->second) = to_double(key, v);
    } else {
        throw std::runtime_error("unknown option " + key);
    }
}

Options parse_options(int argc, char** argv) {
    Options o;
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--merge") {
            o.merge_files.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            if (o.merge_files.empty())
                throw std::runtime_error("--merge: no files given");
            return o;
        }
        if (i + 1 >= args.size())
            throw std::runtime_error(args[i] + ": missing value");
        set_option(o, args[i], args[i + 1]);
        ++i;
    }
    if (o.port > 65535)
        throw std::runtime_error("--port: expected at most 65535");
    if (o.target != "deltacast" && o.target != "nchan") {
        throw std::runtime_error("--target: expected deltacast or nchan");
    }
    if (o.encoding != "identity" && o.encoding != "gzip" && o.encoding != "br" &&
        o.encoding != "zstd") {
        throw std::runtime_error("--encoding: expected identity, gzip, br or zstd");
    }
    return o;
}

// ---------------------------------------------------------------------------------------------
// Latency histogram: exact below 2048 us, then 1024 sub-buckets per power of two (< 0.1 %
// error). Fixed size (~190 KiB) however long the run.

class LatencyHistogram {
public:
    void add(std::uint32_t us) {
        ++counts_[bucket_of(us)];
        ++count_;
        max_ = std::max(max_, us);
    }

    std::uint64_t count() const { return count_; }
    std::uint32_t max() const { return max_; }

    /// Nearest-rank percentile, in microseconds (the bucket's midpoint, capped at the max).
    double percentile(double p) const {
        if (count_ == 0)
            return 0;
        const auto rank = static_cast<std::uint64_t>(
            std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(count_))));
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < counts_.size(); ++b) {
            seen += counts_[b];
            if (seen >= rank)
                return std::min<double>(midpoint_of(b), max_);
        }
        return max_;
    }

private:
    static constexpr std::size_t exact = 2048;
    static constexpr std::size_t sub = 1024;

    static std::size_t bucket_of(std::uint32_t v) {
        if (v < exact)
            return v;
        const int msb = std::bit_width(v) - 1; // >= 11
        const int shift = msb - 10;
        return exact + static_cast<std::size_t>(msb - 11) * sub + ((v >> shift) - sub);
    }

    static double midpoint_of(std::size_t b) {
        if (b < exact)
            return static_cast<double>(b);
        const std::size_t k = (b - exact) / sub;
        const std::size_t mantissa = (b - exact) % sub + sub;
        const double width = std::ldexp(1.0, static_cast<int>(k) + 1);
        return static_cast<double>(mantissa) * width + width / 2;
    }

    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(exact + 21 * sub);
    std::uint64_t count_ = 0;
    std::uint32_t max_ = 0;
};

/// Appends raw samples (uint32 little-endian) to a file; a no-op without a path.
class SamplesFile {
public:
    explicit SamplesFile(const std::string& path) {
        if (path.empty())
            return;
        file_ = std::fopen(path.c_str(), "ab");
        if (!file_)
            throw std::runtime_error("--samples-file: cannot open " + path);
        std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    }
    ~SamplesFile() {
        if (file_)
            std::fclose(file_);
    }
    SamplesFile(const SamplesFile&) = delete;
    SamplesFile& operator=(const SamplesFile&) = delete;

    void write(std::uint32_t us) {
        if (!file_)
            return;
        std::fwrite(&us, sizeof us, 1, file_);
    }

    /// Drops what was written so far (a benchmark's warm-up).
    void restart() {
        if (!file_)
            return;
        std::fflush(file_);
        if (ftruncate(fileno(file_), 0) != 0)
            throw std::runtime_error("--samples-file: cannot truncate");
    }

private:
    std::FILE* file_ = nullptr;
};

double percentile_of_sorted(const std::vector<double>& sorted, double p) {
    if (sorted.empty())
        return 0;
    const auto rank = static_cast<std::size_t>(
        std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
    return sorted[std::min(rank, sorted.size()) - 1];
}

// ---------------------------------------------------------------------------------------------
// HTTP response head: status line plus the two headers that shape the body.

struct ResponseHead {
    int status = 0;
    bool chunked = false;
    std::string content_encoding;
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." (without the final blank line).
ResponseHead parse_head(std::string_view head) {
    ResponseHead out;
    auto line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (status_line.starts_with("HTTP/1.") && status_line.size() >= 12) {
        out.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    }
    while (line_end != std::string_view::npos) {
        head.remove_prefix(line_end + 2);
        line_end = head.find("\r\n");
        const std::string_view line = head.substr(0, line_end);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        const auto name = trim(line.substr(0, colon));
        const auto value = trim(line.substr(colon + 1));
        if (iequals(name, "transfer-encoding"))
            out.chunked = iequals(value, "chunked");
        if (iequals(name, "content-encoding"))
            out.content_encoding = value;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Connections and statistics

enum class Phase { Idle, AwaitHead, AwaitReady, Established, Closed };

/// Body decoding state, allocated only while a stream's events are parsed.
struct Decoding {
    Decoding(std::string_view content_encoding, bool is_chunked)
        : stream(content_encoding), chunked(is_chunked) {}
    ChunkedDecoder chunk;
    StreamDecoder stream;
    SseParser sse;
    bool chunked;
    std::size_t comments_seen = 0;
};

struct RowSeen {
    std::int64_t id;
    std::int64_t max_version;
};

/// One SSE stream. Owned by LoadClient::connections_ for the whole run.
struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::int64_t chat = 0;
    std::int64_t org = 0; // 0: no org topic
    bool sampled = false;
    bool was_established = false;
    Phase phase = Phase::Idle;
    std::int64_t started_us = 0; // steady clock, when the connect began
    std::string head;            // response bytes until the head is complete
    std::string request;         // until written
    std::unique_ptr<Decoding> decoding;
    std::uint32_t upserts = 0;
    std::uint32_t pokes = 0;
    std::vector<RowSeen> rows;
};

using RowVersions = std::map<std::int64_t, std::vector<RowSeen>>; // chat id -> its rows

struct Stats {
    int established = 0;
    int failed = 0;
    int disconnects = 0;
    std::map<std::string, int> failures;
    std::map<std::string, int> disconnect_reasons;
    std::map<std::string, int> content_encodings; // response Content-Encoding ("" = identity)
    std::uint64_t decode_errors = 0;              // streams whose encoding failed to decode
    std::vector<double> setup_ms;
    double ramp_s = 0;
    std::uint64_t upserts = 0, rows = 0, pokes = 0, resyncs = 0, heartbeats = 0;
    std::uint64_t wire_bytes = 0;         // every stream, body only (chunk framing included)
    std::uint64_t sampled_wire_bytes = 0; // sampled streams only
    std::uint64_t decoded_bytes = 0;      // sampled streams, after chunked + content decoding
    std::uint64_t coalesced = 0, stale = 0, bad_payloads = 0;
    LatencyHistogram latency;
};

// ---------------------------------------------------------------------------------------------
// LoadClient: the ramp, the per-stream read path and the stop logic. Single-threaded: every
// handler runs on the one io_context thread; none re-enters another.

class LoadClient {
public:
    LoadClient(asio::io_context& io, const Options& options, tcp::endpoint endpoint)
        : io_(io), options_(options), endpoint_(endpoint), ticker_(io),
          signals_(io, SIGINT, SIGTERM), mark_signal_(io, SIGUSR1), samples_(options.samples_file),
          read_buffer_(read_buffer_size) {
        connections_.reserve(static_cast<std::size_t>(options.connections));
        for (int i = 0; i < options.connections; ++i) {
            auto& c = *connections_.emplace_back(std::make_unique<Connection>(io));
            c.chat = options.chat_offset + (i % options.chats) + 1;
            c.org = options.orgs > 0 ? (i % options.orgs) + 1 : 0;
            c.sampled = i % options.sample == 0;
        }
    }

    void start() {
        start_us_ = steady_us();
        signals_.async_wait([this](error_code ec, int) {
            if (!ec)
                begin_stop();
        });
        wait_for_mark();
        on_tick();
    }

    /// SIGUSR1 prints `COUNTS {json}`, the running totals, so a benchmark can take the
    /// difference over a measured phase (after a warm-up) without restarting the clients, and
    /// restarts the latency record (histogram and samples file): the report's latency covers
    /// what arrived after the last SIGUSR1.
    void wait_for_mark() {
        mark_signal_.async_wait([this](error_code ec, int) {
            if (ec)
                return;
            const nlohmann::json counts = {{"upserts", stats_.upserts}, {"rows", stats_.rows},
                                           {"pokes", stats_.pokes},     {"resyncs", stats_.resyncs},
                                           {"wire_bytes", stats_.wire_bytes},
                                           {"sampled_wire_bytes", stats_.sampled_wire_bytes}};
            std::cout << "COUNTS " << counts.dump() << std::endl;
            stats_.latency = LatencyHistogram{};
            samples_.restart();
            wait_for_mark();
        });
    }

    /// Starts each sampled stream's version tracking at the database's versions before the
    /// run, so that a first event already skipping versions counts them as coalesced.
    void seed_versions(const RowVersions& before) {
        for (auto& c : connections_) {
            const auto rows = before.find(c->chat);
            if (c->sampled && rows != before.end())
                c->rows = rows->second;
        }
    }

    const Stats& stats() const { return stats_; }
    const std::vector<std::unique_ptr<Connection>>& connections() const { return connections_; }

    void close_all() {
        for (auto& c : connections_) {
            error_code ignored;
            c->socket.close(ignored);
        }
    }

private:
    // --- ramp, timers and stopping -----------------------------------------------------------

    void on_tick() {
        const std::int64_t now = steady_us();
        if (!stopping_)
            ramp(now);
        if (now - last_expiry_us_ >= 100'000) {
            last_expiry_us_ = now;
            expire_timeouts(now);
        }
        maybe_write_ready_file();
        check_stop_conditions(now);
        if (stopping_ && drained(now)) {
            io_.stop();
            return;
        }
        // Ramp in 5 ms steps while connections remain to be started; then every 100 ms.
        const bool ramping = !stopping_ && next_ < connections_.size();
        ticker_.expires_after(ramping ? std::chrono::milliseconds(5) : tick);
        ticker_.async_wait([this](error_code ec) {
            if (!ec)
                on_tick();
        });
    }

    void ramp(std::int64_t now) {
        const double elapsed_s = static_cast<double>(now - start_us_) / 1e6;
        const auto due = std::min<std::size_t>(
            connections_.size(), static_cast<std::size_t>(elapsed_s * options_.ramp_per_s) + 1);
        while (next_ < due && in_flight_ < options_.max_in_flight) {
            start_connect(*connections_[next_++], now);
        }
    }

    void expire_timeouts(std::int64_t now) {
        if (in_flight_ == 0)
            return;
        const auto limit = static_cast<std::int64_t>(options_.connect_timeout_s * 1e6);
        for (std::size_t i = 0; i < next_; ++i) {
            auto& c = *connections_[i];
            if (c.phase != Phase::Established && c.phase != Phase::Closed &&
                now - c.started_us > limit) {
                close(c, "timeout");
            }
        }
    }

    void check_stop_conditions(std::int64_t now) {
        if (stopping_)
            return;
        std::error_code ec;
        if (!options_.stop_file.empty() && std::filesystem::exists(options_.stop_file, ec)) {
            begin_stop();
        } else if (options_.duration_s > 0 &&
                   static_cast<double>(now - start_us_) >= options_.duration_s * 1e6) {
            begin_stop();
        }
    }

    void begin_stop() {
        if (stopping_)
            return;
        stopping_ = true;
        stop_us_ = steady_us();
        signals_.cancel();
    }

    // Stop reading once no event arrived for 500 ms (at most 10 s), so in-flight events land
    // before the loss check.
    bool drained(std::int64_t now) const {
        return now - last_data_us_ >= quiet_before_check_us || now - stop_us_ >= max_drain_us;
    }

    void maybe_write_ready_file() {
        if (ready_written_ || next_ < connections_.size() || in_flight_ > 0)
            return;
        ready_written_ = true;
        stats_.ramp_s = static_cast<double>(last_resolved_us_ - start_us_) / 1e6;
        if (options_.ready_file.empty())
            return;
        auto sorted = stats_.setup_ms;
        std::sort(sorted.begin(), sorted.end());
        const Json line = {{"connected", stats_.established},
                           {"failed", stats_.failed},
                           {"setup_p50_ms", round2(percentile_of_sorted(sorted, 50))},
                           {"setup_p99_ms", round2(percentile_of_sorted(sorted, 99))},
                           {"setup_max_ms", round2(sorted.empty() ? 0 : sorted.back())},
                           {"ramp_s", round2(stats_.ramp_s)}};
        const std::string tmp = options_.ready_file + ".tmp";
        std::ofstream(tmp) << line.dump() << '\n';
        std::filesystem::rename(tmp, options_.ready_file);
    }

    // --- connect and request -----------------------------------------------------------------

    void start_connect(Connection& c, std::int64_t now) {
        c.phase = Phase::AwaitHead;
        c.started_us = now;
        ++in_flight_;
        c.socket.async_connect(endpoint_, [this, &c](error_code ec) { on_connected(c, ec); });
    }

    void on_connected(Connection& c, error_code ec) {
        if (c.phase == Phase::Closed)
            return;
        if (ec) {
            close(c, ec == asio::error::connection_refused ? "connect refused"
                                                           : "connect: " + ec.message());
            return;
        }
        c.socket.non_blocking(true, ec);
        c.request = request_for(c);
        asio::async_write(c.socket, asio::buffer(c.request),
                          [this, &c](error_code wec, std::size_t) {
                              if (c.phase == Phase::Closed)
                                  return;
                              if (wec) {
                                  close(c, "write: " + wec.message());
                                  return;
                              }
                              std::string().swap(c.request);
                              wait_readable(c);
                          });
    }

    std::string request_for(const Connection& c) const {
        std::string target;
        const std::string chat = std::to_string(c.chat);
        const std::string org = std::to_string(c.org);
        if (options_.target == "deltacast") {
            target = "/api/sse/stream?topics=" +
                     (options_.orgs > 0 ? "org:" + org + ",chat:" + chat : "chat:" + chat);
        } else {
            target = options_.orgs > 0 ? "/sub?chat=" + chat + "&org=" + org : "/sub1?chat=" + chat;
        }
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + options_.host + ":" +
                          std::to_string(options_.port) + "\r\nAccept: text/event-stream\r\n";
        if (!options_.accept_encoding.empty())
            req += "Accept-Encoding: " + options_.accept_encoding + "\r\n";
        else if (options_.encoding != "identity")
            req += "Accept-Encoding: " + options_.encoding + "\r\n";
        return req + "\r\n";
    }

    // --- read path ---------------------------------------------------------------------------

    void wait_readable(Connection& c) {
        c.socket.async_wait(tcp::socket::wait_read,
                            [this, &c](error_code ec) { on_readable(c, ec); });
    }

    // Reads until the socket is drained (a short read) into the shared buffer; the clock is
    // read once per read, right after it completed.
    void on_readable(Connection& c, error_code ec) {
        if (c.phase == Phase::Closed || ec == asio::error::operation_aborted)
            return;
        if (ec) {
            close(c, ec.message());
            return;
        }
        for (;;) {
            const std::size_t n = c.socket.read_some(asio::buffer(read_buffer_), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again)
                break;
            if (ec) {
                close(c, ec == asio::error::eof ? "EOF" : ec.message());
                return;
            }
            const std::int64_t now = realtime_us();
            last_data_us_ = steady_us();
            if (!consume(c, std::string_view(read_buffer_.data(), n), now))
                return;
            if (n < read_buffer_.size())
                break;
        }
        wait_readable(c);
    }

    /// Returns false when the connection was closed.
    bool consume(Connection& c, std::string_view bytes, std::int64_t now_us) {
        if (c.phase == Phase::AwaitHead) {
            c.head.append(bytes);
            const auto end = c.head.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (c.head.size() <= max_head_size)
                    return true;
                close(c, "oversized response head");
                return false;
            }
            body_scratch_.assign(c.head, end + 4);
            if (!on_head(c, parse_head(std::string_view(c.head).substr(0, end))))
                return false;
            std::string().swap(c.head);
            bytes = body_scratch_;
        }
        stats_.wire_bytes += bytes.size();
        if (c.sampled)
            stats_.sampled_wire_bytes += bytes.size();
        if (!c.decoding || bytes.empty())
            return true;
        return decode(c, bytes, now_us);
    }

    bool on_head(Connection& c, const ResponseHead& head) {
        if (head.status != 200) {
            close(c, "HTTP status " + std::to_string(head.status));
            return false;
        }
        ++stats_.content_encodings[head.content_encoding];
        const bool deltacast = options_.target == "deltacast";
        if (deltacast || c.sampled) {
            c.decoding = std::make_unique<Decoding>(head.content_encoding, head.chunked);
        }
        if (deltacast) {
            c.phase = Phase::AwaitReady;
        } else {
            mark_established(c);
        }
        return true;
    }

    bool decode(Connection& c, std::string_view bytes, std::int64_t now_us) {
        auto& d = *c.decoding;
        if (d.chunked) {
            chunk_scratch_.clear();
            if (!d.chunk.feed(bytes, chunk_scratch_)) {
                close(c, "bad chunked framing");
                return false;
            }
            bytes = chunk_scratch_;
        }
        decoded_scratch_.clear();
        if (!d.stream.decode(bytes, decoded_scratch_)) {
            ++stats_.decode_errors;
            close(c, "bad content encoding");
            return false;
        }
        if (c.sampled)
            stats_.decoded_bytes += decoded_scratch_.size();
        for (const SseEvent& event : d.sse.feed(decoded_scratch_))
            on_event(c, event, now_us);
        if (c.sampled) {
            stats_.heartbeats += d.sse.comments().size() - d.comments_seen;
            d.comments_seen = d.sse.comments().size();
        } else if (c.phase == Phase::Established) {
            c.decoding.reset(); // unsampled: decoded only to see `ready`
        }
        return true;
    }

    // --- events ------------------------------------------------------------------------------

    void on_event(Connection& c, const SseEvent& event, std::int64_t now_us) {
        if (event.event == "ready") {
            if (c.phase == Phase::AwaitReady)
                mark_established(c);
            return;
        }
        if (!c.sampled)
            return;
        if (event.event == "poke") {
            count_poke(c);
        } else if (event.event == "resync") {
            ++stats_.resyncs;
        } else if (event.event == "entity-upsert" || event.event == "message") {
            on_data(c, event.data, now_us);
        }
    }

    void count_poke(Connection& c) {
        ++c.pokes;
        ++stats_.pokes;
    }

    // An upsert (deltacast) or a message (nchan): rows carry id, version and ts_us; nchan
    // data without rows is a poke.
    void on_data(Connection& c, const std::string& data, std::int64_t now_us) {
        const auto doc = nlohmann::json::parse(data, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) {
            ++stats_.bad_payloads;
            return;
        }
        const auto rows = doc.find("rows");
        if (rows == doc.end()) {
            count_poke(c);
            return;
        }
        if (!rows->is_array()) {
            ++stats_.bad_payloads;
            return;
        }
        ++c.upserts;
        ++stats_.upserts;
        for (const auto& row : *rows)
            on_row(c, row, now_us);
    }

    void on_row(Connection& c, const nlohmann::json& row, std::int64_t now_us) {
        const auto id = row.value("id", std::int64_t{-1});
        const auto version = row.value("version", std::int64_t{-1});
        const auto ts_us = row.value("ts_us", std::int64_t{0});
        if (id < 0 || version < 0) {
            ++stats_.bad_payloads;
            return;
        }
        ++stats_.rows;
        const std::int64_t latency = std::clamp<std::int64_t>(now_us - ts_us, 0, UINT32_MAX);
        stats_.latency.add(static_cast<std::uint32_t>(latency));
        samples_.write(static_cast<std::uint32_t>(latency));
        track_version(c, id, version);
    }

    void track_version(Connection& c, std::int64_t id, std::int64_t version) {
        const auto it = std::find_if(c.rows.begin(), c.rows.end(),
                                     [id](const RowSeen& r) { return r.id == id; });
        if (it == c.rows.end()) {
            c.rows.push_back({id, version});
        } else if (version <= it->max_version) {
            ++stats_.stale;
        } else {
            stats_.coalesced += static_cast<std::uint64_t>(version - it->max_version - 1);
            it->max_version = version;
        }
    }

    // --- state transitions -------------------------------------------------------------------

    void mark_established(Connection& c) {
        c.phase = Phase::Established;
        c.was_established = true;
        --in_flight_;
        ++stats_.established;
        last_resolved_us_ = steady_us();
        stats_.setup_ms.push_back(static_cast<double>(last_resolved_us_ - c.started_us) / 1000.0);
    }

    void close(Connection& c, const std::string& reason) {
        if (c.phase == Phase::Established) {
            if (!stopping_) {
                ++stats_.disconnects;
                ++stats_.disconnect_reasons[reason];
            }
        } else if (c.phase != Phase::Closed) {
            --in_flight_;
            ++stats_.failed;
            ++stats_.failures[reason];
            last_resolved_us_ = steady_us();
        }
        c.phase = Phase::Closed;
        c.decoding.reset();
        std::string().swap(c.head);
        error_code ignored;
        c.socket.close(ignored);
    }

    asio::io_context& io_;
    const Options& options_;
    tcp::endpoint endpoint_;
    asio::steady_timer ticker_;
    asio::signal_set signals_;
    asio::signal_set mark_signal_;
    SamplesFile samples_;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::vector<char> read_buffer_;
    std::string body_scratch_, chunk_scratch_, decoded_scratch_;
    Stats stats_;
    std::size_t next_ = 0;
    int in_flight_ = 0;
    std::int64_t last_expiry_us_ = 0;
    std::int64_t last_resolved_us_ = 0; // when the last connection was established or failed
    bool ready_written_ = false;
    bool stopping_ = false;
    std::int64_t start_us_ = 0, stop_us_ = 0, last_data_us_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Loss check against the database

struct LossResult {
    bool checked = false;
    std::string error;
    std::uint64_t lost_versions = 0;
    int connections_with_loss = 0;
};

std::set<std::int64_t> sampled_chats(const std::vector<std::unique_ptr<Connection>>& conns) {
    std::set<std::int64_t> chats;
    for (const auto& c : conns) {
        if (c->sampled)
            chats.insert(c->chat);
    }
    return chats;
}

/// Every row of the given chats with its current version. Throws on any database error.
RowVersions query_versions(const std::string& conninfo, const std::set<std::int64_t>& chats) {
    const std::unique_ptr<PGconn, decltype(&PQfinish)> db(PQconnectdb(conninfo.c_str()), &PQfinish);
    if (PQstatus(db.get()) != CONNECTION_OK) {
        throw std::runtime_error(std::string("connect: ") + PQerrorMessage(db.get()));
    }
    std::string array = "{";
    for (const auto chat : chats)
        array += (array.size() > 1 ? "," : "") + std::to_string(chat);
    array += "}";
    const char* params[] = {array.c_str()};
    const std::unique_ptr<PGresult, decltype(&PQclear)> res(
        PQexecParams(db.get(),
                     "SELECT id, chat_id, version FROM bench_message "
                     "WHERE chat_id = ANY($1::bigint[])",
                     1, nullptr, params, nullptr, nullptr, 0),
        &PQclear);
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
        throw std::runtime_error(std::string("query: ") + PQerrorMessage(db.get()));
    }
    RowVersions out;
    for (int r = 0; r < PQntuples(res.get()); ++r) {
        const auto field = [&](int col) {
            return std::strtoll(PQgetvalue(res.get(), r, col), nullptr, 10);
        };
        out[field(1)].push_back({field(0), field(2)});
    }
    return out;
}

std::int64_t version_in(const std::vector<RowSeen>& rows, std::int64_t id) {
    for (const auto& r : rows) {
        if (r.id == id)
            return r.max_version;
    }
    return 0;
}

/// For each sampled stream that was established and each row of its chat: versions in the
/// database beyond the highest seen (or the seeded version before the run) count as lost.
LossResult compute_loss(const std::vector<std::unique_ptr<Connection>>& conns,
                        const RowVersions& after) {
    LossResult result;
    result.checked = true;
    for (const auto& c : conns) {
        if (!c->sampled || !c->was_established)
            continue;
        const auto final_rows = after.find(c->chat);
        if (final_rows == after.end())
            continue;
        std::uint64_t lost = 0;
        for (const auto& row : final_rows->second) {
            const auto seen = version_in(c->rows, row.id);
            if (row.max_version > seen)
                lost += static_cast<std::uint64_t>(row.max_version - seen);
        }
        result.lost_versions += lost;
        result.connections_with_loss += lost > 0 ? 1 : 0;
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Report

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Json latency_json(const LatencyHistogram& h) {
    return {{"lat_count", h.count()},
            {"lat_p50_ms", round2(h.percentile(50) / 1000)},
            {"lat_p90_ms", round2(h.percentile(90) / 1000)},
            {"lat_p99_ms", round2(h.percentile(99) / 1000)},
            {"lat_p999_ms", round2(h.percentile(99.9) / 1000)},
            {"lat_max_ms", round2(h.max() / 1000.0)}};
}

struct PerConnection {
    std::uint32_t min_upserts = 0, max_upserts = 0, min_pokes = 0, max_pokes = 0;
    int decoded = 0;
};

PerConnection per_connection(const std::vector<std::unique_ptr<Connection>>& conns) {
    PerConnection out;
    for (const auto& c : conns) {
        if (!c->sampled || !c->was_established)
            continue;
        const bool first = out.decoded++ == 0;
        out.min_upserts = first ? c->upserts : std::min(out.min_upserts, c->upserts);
        out.max_upserts = std::max(out.max_upserts, c->upserts);
        out.min_pokes = first ? c->pokes : std::min(out.min_pokes, c->pokes);
        out.max_pokes = std::max(out.max_pokes, c->pokes);
    }
    return out;
}

double ratio(std::uint64_t a, std::uint64_t b) {
    return b == 0 ? 0 : round2(static_cast<double>(a) / static_cast<double>(b));
}

Json build_result(const Options& o, const Stats& s, const PerConnection& pc, const LossResult& loss,
                  double cpu) {
    auto setup = s.setup_ms;
    std::sort(setup.begin(), setup.end());
    Json r = {{"label", o.label},
              {"target", o.target},
              {"encoding", o.encoding},
              {"requested", o.connections},
              {"established", s.established},
              {"failed", s.failed},
              {"failures", s.failures},
              {"disconnects", s.disconnects},
              {"disconnect_reasons", s.disconnect_reasons},
              {"accept_encoding", o.accept_encoding},
              {"content_encodings", s.content_encodings},
              {"decode_errors", s.decode_errors},
              {"setup_p50_ms", round2(percentile_of_sorted(setup, 50))},
              {"setup_p99_ms", round2(percentile_of_sorted(setup, 99))},
              {"setup_max_ms", round2(setup.empty() ? 0 : setup.back())},
              {"ramp_s", round2(s.ramp_s)},
              {"decoded_connections", pc.decoded},
              {"upserts", s.upserts},
              {"rows", s.rows},
              {"pokes", s.pokes},
              {"resyncs", s.resyncs},
              {"heartbeats", s.heartbeats},
              {"bad_payloads", s.bad_payloads},
              {"upserts_per_conn_min", pc.min_upserts},
              {"upserts_per_conn_max", pc.max_upserts},
              {"pokes_per_conn_min", pc.min_pokes},
              {"pokes_per_conn_max", pc.max_pokes}};
    r.update(latency_json(s.latency));
    r.update(Json{
        {"wire_bytes", s.wire_bytes},
        {"wire_bytes_per_conn", ratio(s.wire_bytes, static_cast<std::uint64_t>(s.established))},
        {"sampled_wire_bytes", s.sampled_wire_bytes},
        {"decoded_bytes", s.decoded_bytes},
        {"wire_bytes_per_event", ratio(s.sampled_wire_bytes, s.rows)},
        {"decoded_bytes_per_event", ratio(s.decoded_bytes, s.rows)},
        {"loss_checked", loss.checked},
        {"lost_versions", loss.lost_versions},
        {"connections_with_loss", loss.connections_with_loss},
        {"coalesced", s.coalesced},
        {"stale", s.stale},
        {"cpu_s", round2(cpu)}});
    if (!loss.error.empty())
        r["loss_check_error"] = loss.error;
    return r;
}

void print_report(const Json& r) {
    std::ostringstream out;
    out << "== bench_loadgen " << r["label"].get<std::string>() << " (target "
        << r["target"].get<std::string>() << ", encoding " << r["encoding"].get<std::string>()
        << ")\n"
        << "connections  requested " << r["requested"] << ", established " << r["established"]
        << ", failed " << r["failed"] << " " << r["failures"].dump() << "\n"
        << "disconnects  " << r["disconnects"] << " " << r["disconnect_reasons"].dump() << "\n"
        << "encodings    " << r["content_encodings"].dump() << ", decode errors "
        << r["decode_errors"] << "\n"
        << "setup        p50 " << r["setup_p50_ms"] << " ms, p99 " << r["setup_p99_ms"]
        << " ms, max " << r["setup_max_ms"] << " ms; ramp " << r["ramp_s"] << " s\n"
        << "events       (" << r["decoded_connections"] << " decoded connections) upserts "
        << r["upserts"] << " (rows " << r["rows"] << "), pokes " << r["pokes"] << ", resyncs "
        << r["resyncs"] << ", heartbeats " << r["heartbeats"] << ", bad payloads "
        << r["bad_payloads"] << "\n"
        << "per conn     upserts min " << r["upserts_per_conn_min"] << " max "
        << r["upserts_per_conn_max"] << ", pokes min " << r["pokes_per_conn_min"] << " max "
        << r["pokes_per_conn_max"] << "\n"
        << "latency      n=" << r["lat_count"] << " p50 " << r["lat_p50_ms"] << " ms, p90 "
        << r["lat_p90_ms"] << ", p99 " << r["lat_p99_ms"] << ", p99.9 " << r["lat_p999_ms"]
        << ", max " << r["lat_max_ms"] << " ms\n"
        << "bytes        wire " << r["wire_bytes"] << " (" << r["wire_bytes_per_conn"]
        << "/conn); decoded conns: wire " << r["sampled_wire_bytes"] << " = "
        << r["wire_bytes_per_event"] << "/row, decoded " << r["decoded_bytes"] << " = "
        << r["decoded_bytes_per_event"] << "/row\n"
        << "loss         " << (r["loss_checked"].get<bool>() ? "" : "(not checked) ")
        << "lost_versions " << r["lost_versions"] << ", connections_with_loss "
        << r["connections_with_loss"] << ", coalesced " << r["coalesced"] << ", stale "
        << r["stale"] << "\n"
        << "cpu          " << r["cpu_s"] << " s\n";
    if (r.contains("loss_check_error"))
        out << "loss check error: " << r["loss_check_error"] << "\n";
    out << "RESULT " << r.dump() << "\n";
    std::cout << out.str() << std::flush;
}

// ---------------------------------------------------------------------------------------------
// Modes

int run_merge(const std::vector<std::string>& files) {
    LatencyHistogram merged;
    std::vector<std::uint32_t> chunk(1 << 16);
    for (const auto& path : files) {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            throw std::runtime_error("cannot read " + path);
        while (in) {
            in.read(reinterpret_cast<char*>(chunk.data()),
                    static_cast<std::streamsize>(chunk.size() * sizeof(std::uint32_t)));
            const auto n = static_cast<std::size_t>(in.gcount()) / sizeof(std::uint32_t);
            for (std::size_t i = 0; i < n; ++i) {
                merged.add(chunk[i]);
            }
        }
    }
    Json r = {{"files", files.size()}};
    r.update(latency_json(merged));
    std::cout << "merged " << files.size() << " samples files: n=" << r["lat_count"] << " p50 "
              << r["lat_p50_ms"] << " ms, p90 " << r["lat_p90_ms"] << ", p99 " << r["lat_p99_ms"]
              << ", p99.9 " << r["lat_p999_ms"] << ", max " << r["lat_max_ms"] << " ms\n"
              << "RESULT " << r.dump() << std::endl;
    return 0;
}

// Several load processes share the machine; each may hold up to its hard limit of files.
void raise_open_files_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

tcp::endpoint resolve(asio::io_context& io, const Options& o) {
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(o.host, std::to_string(o.port));
    if (results.empty())
        throw std::runtime_error("cannot resolve " + o.host);
    return results.begin()->endpoint();
}

LossResult check_loss(const Options& o, const std::vector<std::unique_ptr<Connection>>& conns) {
    if (o.conninfo.empty())
        return {};
    try {
        return compute_loss(conns, query_versions(o.conninfo, sampled_chats(conns)));
    } catch (const std::exception& e) {
        LossResult failed;
        failed.error = e.what();
        return failed;
    }
}

int run_load(const Options& o) {
    raise_open_files_limit();
    asio::io_context io(1);
    LoadClient client(io, o, resolve(io, o));
    const RowVersions before =
        o.conninfo.empty() ? RowVersions{}
                           : query_versions(o.conninfo, sampled_chats(client.connections()));
    client.seed_versions(before);
    client.start();
    io.run();
    const double cpu = cpu_seconds();
    client.close_all();
    const auto loss = check_loss(o, client.connections());
    print_report(build_result(o, client.stats(), per_connection(client.connections()), loss, cpu));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const Options options = parse_options(argc, argv);
        return options.merge_files.empty() ? run_load(options) : run_merge(options.merge_files);
    } catch (const std::exception& e) {
        std::cerr << "bench_loadgen: " << e.what() << "\n" << usage_text;
        return 2;
    }
}
