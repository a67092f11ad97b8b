// bench_rooms: the live-rooms benchmark's client (SPEC §8), driven by bench/rooms.sh. Three modes,
// each one thread and one Asio loop, each ending in one `RESULT {json}` line:
//
//   viewers  N SSE streams (JWT subjects viewer-0..N-1) on one topic, spread round-robin over
//            the given replicas' ports. Records publish -> arrival latency of every `broadcast`
//            event (its data carries the sender's CLOCK_REALTIME `t` and the port it was POSTed
//            to) and commit -> arrival of every row of an `entity-upsert` (bench_writer's ts_us).
//            SIGUSR1 prints the running totals and the latency since the previous SIGUSR1
//            (`COUNTS {json}`), then restarts the latency record; a stop file ends the run.
//   typists  T subjects (viewer-0..T-1) each POST /api/sse/broadcast R times a second for D
//            seconds, phases staggered, typist i to port i mod P, on keep-alive connections.
//   churn    A watcher on the watch port; then S distinct subjects open one stream each on the
//            join port (a ramp), are held until a continue file appears, and close. Reports the
//            time from each stream's open (its response head arriving) to the watcher seeing
//            that subject in `joins`, and from each close to the matching `leaves`.
//
// Tokens are HS256, signed here with the secret the servers were given. Streams ask for no
// compression (identity): the benchmark measures rooms, not encoders.

#include "auth/jwt.hpp"
#include "support/sse_parser.hpp"

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using deltacast::testing::SseEvent;
using deltacast::testing::SseParser;
using Json = nlohmann::ordered_json;

std::int64_t realtime_us() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

bool exists(const std::string& path) {
    std::error_code ec;
    return !path.empty() && std::filesystem::exists(path, ec);
}

// ---------------------------------------------------------------------------------------------
// Options: `--key value` pairs after the mode.

struct Options {
    std::string mode;
    std::string host = "127.0.0.1";
    std::vector<int> ports;  // viewers, typists
    int join_port = 0, watch_port = 0;  // churn
    std::string topic = "chat:1";
    std::string secret;
    int count = 1000;         // viewers, typists or subjects
    double rate_per_s = 2;    // typists: POSTs per typist per second
    double duration_s = 15;   // typists
    int ramp_per_s = 500;     // viewers and churn: stream opens per second
    std::string ready_file, stop_file, joined_file, continue_file;
};

std::vector<int> parse_ports(const std::string& text) {
    std::vector<int> ports;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        ports.push_back(std::stoi(text.substr(start, comma - start)));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return ports;
}

Options parse_options(int argc, char** argv) {
    if (argc < 2) {
        throw std::runtime_error("usage: bench_rooms viewers|typists|churn --secret S [...]");
    }
    Options o;
    o.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const std::string value = argv[i + 1];
        if (key == "--host") o.host = value;
        else if (key == "--ports") o.ports = parse_ports(value);
        else if (key == "--join-port") o.join_port = std::stoi(value);
        else if (key == "--watch-port") o.watch_port = std::stoi(value);
        else if (key == "--topic") o.topic = value;
        else if (key == "--secret") o.secret = value;
        else if (key == "--count") o.count = std::stoi(value);
        else if (key == "--rate-per-s") o.rate_per_s = std::stod(value);
        else if (key == "--duration-s") o.duration_s = std::stod(value);
        else if (key == "--ramp-per-s") o.ramp_per_s = std::stoi(value);
        else if (key == "--ready-file") o.ready_file = value;
        else if (key == "--stop-file") o.stop_file = value;
        else if (key == "--joined-file") o.joined_file = value;
        else if (key == "--continue-file") o.continue_file = value;
        else throw std::runtime_error("unknown option " + key);
    }
    if (o.secret.empty()) {
        throw std::runtime_error("--secret is required (the servers' HS256 secret)");
    }
    return o;
}

std::string token_for(const Options& o, const std::string& sub) {
    const auto exp = realtime_us() / 1'000'000 + 3600;
    return deltacast::auth::sign_hs256({{"sub", sub}, {"exp", exp}}, o.secret);
}

// ---------------------------------------------------------------------------------------------
// Latency samples (microseconds), summarised as nearest-rank percentiles in milliseconds.

class Samples {
public:
    void add(std::int64_t us) { values_.push_back(std::max<std::int64_t>(us, 0)); }
    void clear() { values_.clear(); }
    std::size_t size() const { return values_.size(); }

    Json summary() {
        std::sort(values_.begin(), values_.end());
        auto at = [this](double p) {
            if (values_.empty()) {
                return 0.0;
            }
            const auto rank = static_cast<std::size_t>(
                std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(values_.size()))));
            return std::round(static_cast<double>(values_[rank - 1]) / 10.0) / 100.0;
        };
        return {{"count", values_.size()}, {"p50_ms", at(50)}, {"p99_ms", at(99)},
                {"max_ms", at(100)}};
    }

private:
    std::vector<std::int64_t> values_;
};

// ---------------------------------------------------------------------------------------------
// SseStream: one GET /api/sse/stream with a Bearer token, identity encoding. Parses the head,
// then hands each event to `on_event` with the wall clock read right after the read completed.
// Owned by its mode's vector for the whole run; handlers capture `this`.

class SseStream {
public:
    using EventHandler = std::function<void(SseStream&, const SseEvent&, std::int64_t now_us)>;

    SseStream(asio::io_context& io, std::string sub, int port)
        : socket_(io), sub_(std::move(sub)), port_(port) {}

    const std::string& sub() const { return sub_; }
    int port() const { return port_; }
    bool open() const { return opened_us_ != 0 && !closed_; }
    std::int64_t opened_us() const { return opened_us_; }

    void start(const Options& o, EventHandler on_event) {
        on_event_ = std::move(on_event);
        request_ = "GET /api/sse/stream?topics=" + o.topic + " HTTP/1.1\r\nHost: " + o.host +
                   "\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + token_for(o, sub_) +
                   "\r\n\r\n";
        const tcp::endpoint endpoint(asio::ip::make_address(o.host),
                                     static_cast<unsigned short>(port_));
        socket_.async_connect(endpoint, [this](error_code ec) {
            if (ec) {
                fail("connect: " + ec.message());
                return;
            }
            asio::async_write(socket_, asio::buffer(request_), [this](error_code wec, std::size_t) {
                if (wec) {
                    fail("write: " + wec.message());
                    return;
                }
                read();
            });
        });
    }

    void close() {
        closed_ = true;
        error_code ignored;
        socket_.close(ignored);
    }

private:
    void read() {
        socket_.async_read_some(asio::buffer(buffer_), [this](error_code ec, std::size_t n) {
            if (closed_) {
                return;
            }
            if (ec) {
                fail(ec.message());
                return;
            }
            const std::int64_t now = realtime_us();
            consume(std::string_view(buffer_.data(), n), now);
            if (!closed_) {
                read();
            }
        });
    }

    void consume(std::string_view bytes, std::int64_t now_us) {
        if (opened_us_ == 0) {
            head_.append(bytes);
            const auto end = head_.find("\r\n\r\n");
            if (end == std::string::npos) {
                return;
            }
            if (!head_.starts_with("HTTP/1.1 200")) {
                fail(head_.substr(0, head_.find("\r\n")));
                return;
            }
            opened_us_ = now_us;
            const std::string body = head_.substr(end + 4);
            std::string().swap(head_);
            consume(body, now_us);
            return;
        }
        for (const SseEvent& event : parser_.feed(bytes)) {
            on_event_(*this, event, now_us);
        }
    }

    void fail(const std::string& why) {
        if (!closed_) {
            std::cerr << "bench_rooms: stream sub=" << sub_ << " port=" << port_ << ": " << why
                      << '\n';
        }
        close();
    }

    tcp::socket socket_;
    std::string sub_;
    int port_;
    std::string request_, head_;
    SseParser parser_;
    EventHandler on_event_;
    std::array<char, 16 * 1024> buffer_{};
    std::int64_t opened_us_ = 0;
    bool closed_ = false;
};

/// Calls `open(i)` for i in [0, n) at `per_s` a second, then `done()`.
void ramp(asio::steady_timer& timer, int n, int per_s, std::function<void(int)> open,
          std::function<void()> done, int next = 0) {
    const int batch = std::max(1, per_s / 100);  // every 10 ms
    for (int i = 0; i < batch && next < n; ++i) {
        open(next++);
    }
    if (next >= n) {
        done();
        return;
    }
    timer.expires_after(std::chrono::milliseconds(10));
    timer.async_wait([&timer, n, per_s, open, done, next](error_code ec) {
        if (!ec) {
            ramp(timer, n, per_s, open, done, next);
        }
    });
}

/// Calls `check()` every 50 ms until it returns false.
void poll(asio::steady_timer& timer, std::function<bool()> check) {
    if (!check()) {
        return;
    }
    timer.expires_after(std::chrono::milliseconds(50));
    timer.async_wait([&timer, check](error_code ec) {
        if (!ec) {
            poll(timer, check);
        }
    });
}

void write_file(const std::string& path, const Json& line) {
    if (path.empty()) {
        return;
    }
    std::ofstream(path + ".tmp") << line.dump() << '\n';
    std::filesystem::rename(path + ".tmp", path);
}

// ---------------------------------------------------------------------------------------------
// viewers

struct ViewerCounts {
    std::uint64_t ready = 0, broadcasts = 0, upsert_frames = 0, rows = 0, presence = 0;
    Json json() const {
        return {{"ready", ready},       {"broadcasts", broadcasts}, {"upsert_frames", upsert_frames},
                {"rows", rows},         {"presence", presence}};
    }
};

int run_viewers(const Options& o) {
    asio::io_context io;
    std::vector<std::unique_ptr<SseStream>> streams;
    ViewerCounts counts;
    Samples broadcast_all, broadcast_cross, rows;
    auto on_event = [&](SseStream& s, const SseEvent& e, std::int64_t now) {
        if (e.event == "ready") {
            ++counts.ready;
        } else if (e.event == "presence") {
            ++counts.presence;
        } else if (e.event == "broadcast") {
            ++counts.broadcasts;
            const auto doc = Json::parse(e.data, nullptr, false);
            const auto data = doc.is_object() ? doc.value("data", Json::object()) : Json::object();
            const std::int64_t sent = data.value("t", std::int64_t{0});
            broadcast_all.add(now - sent);
            if (data.value("via", 0) != s.port()) {
                broadcast_cross.add(now - sent);
            }
        } else if (e.event == "entity-upsert") {
            ++counts.upsert_frames;
            const auto doc = Json::parse(e.data, nullptr, false);
            if (doc.is_object() && doc.contains("rows")) {
                for (const auto& row : doc["rows"]) {
                    ++counts.rows;
                    rows.add(now - row.value("ts_us", now));
                }
            }
        }
    };
    for (int i = 0; i < o.count; ++i) {
        const int port = o.ports[static_cast<std::size_t>(i) % o.ports.size()];
        streams.push_back(std::make_unique<SseStream>(io, "viewer-" + std::to_string(i), port));
    }
    asio::steady_timer ramp_timer(io), poll_timer(io);
    ramp(ramp_timer, o.count, o.ramp_per_s,
         [&](int i) { streams[static_cast<std::size_t>(i)]->start(o, on_event); }, [] {});
    bool ready_written = false;
    poll(poll_timer, [&] {
        if (!ready_written && counts.ready == static_cast<std::uint64_t>(o.count)) {
            ready_written = true;
            write_file(o.ready_file, {{"ready", counts.ready}});
        }
        if (exists(o.stop_file)) {
            io.stop();
            return false;
        }
        return true;
    });
    asio::signal_set mark(io, SIGUSR1);
    std::function<void()> wait_mark = [&] {
        mark.async_wait([&](error_code ec, int) {
            if (ec) {
                return;
            }
            Json line = counts.json();
            line["broadcast_latency"] = broadcast_all.summary();
            line["broadcast_latency_cross_replica"] = broadcast_cross.summary();
            line["row_latency"] = rows.summary();
            std::cout << "COUNTS " << line.dump() << std::endl;
            broadcast_all.clear();
            broadcast_cross.clear();
            rows.clear();
            wait_mark();
        });
    };
    wait_mark();
    io.run();
    const auto open = std::count_if(streams.begin(), streams.end(),
                                    [](const auto& s) { return s->open(); });
    Json result = counts.json();
    result["open_at_end"] = open;
    result["broadcast_latency"] = broadcast_all.summary();
    result["broadcast_latency_cross_replica"] = broadcast_cross.summary();
    result["row_latency"] = rows.summary();
    std::cout << "RESULT " << result.dump() << std::endl;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// typists: each typist a keep-alive connection to its replica, one POST at a time.

struct Typist {
    Typist(asio::io_context& io, int index, int typist_port)
        : socket(io), timer(io), i(index), port(typist_port) {}
    tcp::socket socket;
    asio::steady_timer timer;
    int i, port;
    std::string token, request;
    asio::streambuf response;
    bool connected = false;
};

int run_typists(const Options& o) {
    asio::io_context io;
    std::map<std::string, int> answers;  // status line -> count
    std::uint64_t sent = 0;
    const auto period = std::chrono::microseconds(static_cast<std::int64_t>(1e6 / o.rate_per_s));
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<std::int64_t>(o.duration_s * 1000));
    std::vector<std::unique_ptr<Typist>> typists;
    std::function<void(Typist&)> post;
    // Reads one response (head + Content-Length body) and schedules the next POST.
    auto on_written = [&](Typist& t) {
        asio::async_read_until(t.socket, t.response, "\r\n\r\n", [&](error_code ec, std::size_t n) {
            if (ec) {
                ++answers["read: " + ec.message()];
                return;
            }
            const std::string head(asio::buffers_begin(t.response.data()),
                                   asio::buffers_begin(t.response.data()) +
                                       static_cast<std::ptrdiff_t>(n));
            t.response.consume(n);
            ++answers[head.substr(9, 3)];
            const auto cl = head.find("Content-Length: ");
            const std::size_t body = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
            const std::size_t have = t.response.size();
            asio::async_read(t.socket, t.response,
                             asio::transfer_exactly(body > have ? body - have : 0),
                             [&, body](error_code rec, std::size_t) {
                                 if (rec) {
                                     ++answers["read: " + rec.message()];
                                     return;
                                 }
                                 t.response.consume(body);
                                 t.timer.expires_at(t.timer.expiry() + period);
                                 if (t.timer.expiry() < end) {
                                     t.timer.async_wait([&](error_code) { post(t); });
                                 }
                             });
        });
    };
    post = [&](Typist& t) {
        const Json body = {{"topic", o.topic},
                           {"name", "typing"},
                           {"data", {{"t", realtime_us()}, {"via", t.port}, {"typist", t.i}}}};
        const std::string text = body.dump();
        t.request = "POST /api/sse/broadcast HTTP/1.1\r\nHost: " + o.host +
                    "\r\nContent-Type: application/json\r\nAuthorization: Bearer " + t.token +
                    "\r\nContent-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
        ++sent;
        asio::async_write(t.socket, asio::buffer(t.request), [&](error_code ec, std::size_t) {
            if (ec) {
                ++answers["write: " + ec.message()];
                return;
            }
            on_written(t);
        });
    };
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.count; ++i) {
        const int port = o.ports[static_cast<std::size_t>(i) % o.ports.size()];
        auto& t = *typists.emplace_back(std::make_unique<Typist>(io, i, port));
        t.token = token_for(o, "viewer-" + std::to_string(i));
        t.socket.connect(tcp::endpoint(asio::ip::make_address(o.host),
                                       static_cast<unsigned short>(port)));
        t.socket.set_option(tcp::no_delay(true));
        // Staggered phases: typist i starts i/T of a period after the first.
        t.timer.expires_at(start + period * i / o.count);
        t.timer.async_wait([&](error_code) { post(t); });
    }
    io.run();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "RESULT "
              << Json{{"sent", sent}, {"elapsed_s", elapsed}, {"answers", answers}}.dump()
              << std::endl;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// churn

int run_churn(const Options& o) {
    asio::io_context io;
    std::unordered_map<std::string, std::int64_t> joined_at, left_at, closed_at;
    std::size_t watcher_ready = 0;
    auto note = [](auto& seen, const std::string& sub, std::int64_t now) {
        seen.emplace(sub, now);  // the first sighting counts
    };
    auto watch = [&](SseStream&, const SseEvent& e, std::int64_t now) {
        if (e.event == "ready") {
            ++watcher_ready;
        }
        if (e.event != "presence") {
            return;
        }
        const auto doc = Json::parse(e.data, nullptr, false);
        if (!doc.is_object()) {
            return;
        }
        for (const auto& m : doc.value("joins", Json::array())) {
            note(joined_at, m.value("sub", ""), now);
        }
        for (const auto& m : doc.value("state", Json::array())) {
            note(joined_at, m.value("sub", ""), now);
        }
        for (const auto& m : doc.value("leaves", Json::array())) {
            note(left_at, m.value("sub", ""), now);
        }
    };
    SseStream watcher(io, "watcher", o.watch_port);
    watcher.start(o, watch);
    std::vector<std::unique_ptr<SseStream>> subjects;
    for (int i = 0; i < o.count; ++i) {
        subjects.push_back(
            std::make_unique<SseStream>(io, "subject-" + std::to_string(i), o.join_port));
    }
    auto ignore = [](SseStream&, const SseEvent&, std::int64_t) {};
    auto seen_all = [&](const auto& seen) {
        return std::all_of(subjects.begin(), subjects.end(),
                           [&](const auto& s) { return seen.contains(s->sub()); });
    };
    asio::steady_timer ramp_timer(io), poll_timer(io);
    enum class Phase { Watching, Joining, Joined, Leaving } phase = Phase::Watching;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    poll(poll_timer, [&] {
        if (std::chrono::steady_clock::now() > give_up) {
            std::cerr << "bench_rooms: churn timed out\n";
            io.stop();
            return false;
        }
        if (phase == Phase::Watching && watcher_ready > 0) {
            phase = Phase::Joining;
            ramp(ramp_timer, o.count, o.ramp_per_s,
                 [&](int i) { subjects[static_cast<std::size_t>(i)]->start(o, ignore); }, [] {});
        } else if (phase == Phase::Joining && seen_all(joined_at)) {
            phase = Phase::Joined;
            write_file(o.joined_file, {{"joined", joined_at.size()}});
        } else if (phase == Phase::Joined && exists(o.continue_file)) {
            phase = Phase::Leaving;
            ramp(ramp_timer, o.count, o.ramp_per_s, [&](int i) {
                auto& s = *subjects[static_cast<std::size_t>(i)];
                closed_at[s.sub()] = realtime_us();
                s.close();
            }, [] {});
        } else if (phase == Phase::Leaving && seen_all(left_at)) {
            io.stop();
            return false;
        }
        return true;
    });
    io.run();
    Samples join_latency, leave_latency;
    for (const auto& s : subjects) {
        if (const auto j = joined_at.find(s->sub()); j != joined_at.end() && s->opened_us() != 0) {
            join_latency.add(j->second - s->opened_us());
        }
        if (const auto l = left_at.find(s->sub()); l != left_at.end()) {
            leave_latency.add(l->second - closed_at[s->sub()]);
        }
    }
    std::cout << "RESULT "
              << Json{{"subjects", o.count},
                      {"joins_seen", join_latency.size()},
                      {"leaves_seen", leave_latency.size()},
                      {"join_latency", join_latency.summary()},
                      {"leave_latency", leave_latency.summary()}}
                     .dump()
              << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse_options(argc, argv);
        if (o.mode == "viewers") {
            return run_viewers(o);
        }
        if (o.mode == "typists") {
            return run_typists(o);
        }
        if (o.mode == "churn") {
            return run_churn(o);
        }
        throw std::runtime_error("unknown mode " + o.mode);
    } catch (const std::exception& e) {
        std::cerr << "bench_rooms: " << e.what() << '\n';
        return 2;
    }
}
