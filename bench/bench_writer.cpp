// bench_writer: simulates AI agents streaming tokens into chats, the write side of the
// benchmark (bench/README.md).
//
// Design
// - Chats 1..S stream: each gets one token every T ms, the S phases staggered evenly over T
//   (chat c is due at start + (c-1)*T/S + k*T). Chats are dealt round-robin to C writer
//   threads; each thread owns one libpq connection and a min-heap of its chats' deadlines, and
//   sleeps with clock_nanosleep(TIMER_ABSTIME) until the earliest one: an absolute schedule,
//   so sleeping late never drifts the next tick.
// - A token is ONE short transaction sent as ONE multi-statement simple query (one round
//   trip): BEGIN; UPDATE ... ts_us = <now>; [pg_notify]; COMMIT. ts_us is read from
//   CLOCK_REALTIME immediately before the query is sent, i.e. "just before COMMIT", and the
//   same instant (CLOCK_MONOTONIC) minus the scheduled time is the recorded lag.
//   PQsendQuery + PQgetResult is used instead of PQexec (same wire traffic, one round trip)
//   because PQexec keeps only the last result and the UPDATE's row count / RETURNING row
//   are in the middle ones.
// - Falling behind: a late token is sent at once (its lag recorded); ticks a chat missed
//   entirely (more than one interval late) are skipped and counted, never burst out.
// - Target nchan: the UPDATE has no pg_notify but RETURNING the row; after COMMIT the thread
//   POSTs exactly the data deltacast would stream to nchan's /pub on a keep-alive client.
// - Pokes (--orgs K --poke-ms P) run on their own thread and connection/client: each org is
//   poked every P ms, the orgs staggered over P: pg_notify('signal:org:<k>',''), or one POST.
// - SIGINT/SIGTERM are blocked in every thread; main waits for them or for the end with
//   sigtimedwait, raises the stop flag, joins, and still reports. Errors are counted, the
//   run goes on; a broken connection is reset.

#include <httplib.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace {

enum class Target { Deltacast, Nchan };

struct Options {
    std::string conninfo;
    int chats = 100;
    int streaming = -1;  // -1 = all chats
    double interval_ms = 50;
    double duration_s = 0;
    int orgs = 0;
    double poke_ms = 0;
    int connections = 4;
    Target target = Target::Deltacast;
    std::string nchan_url = "http://127.0.0.1:8090";
    std::size_t body_bytes = 180;
    bool reset = false;
    std::string report_json;
};

std::atomic<bool> g_stop{false};
std::atomic<int> g_errors_logged{0};

// ---- command line ----------------------------------------------------------------------------

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_writer: " << why << "\n"
              << "usage: bench_writer [--conninfo STR] [--chats M] [--streaming S]\n"
                 "  [--interval-ms T] [--duration-s D] [--orgs K --poke-ms P] [--connections C]\n"
                 "  [--target deltacast|nchan] [--nchan-url URL] [--body-bytes B] [--reset]\n"
                 "  [--report-json PATH]\n";
    std::exit(2);
}

double number(const std::string& key, const std::string& value, double min) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(v >= min)) {
        usage("bad value for --" + key + ": " + value);
    }
    return v;
}

void apply_option(Options& o, const std::string& key, const std::string& v) {
    if (key == "conninfo") o.conninfo = v;
    else if (key == "chats") o.chats = static_cast<int>(number(key, v, 1));
    else if (key == "streaming") o.streaming = static_cast<int>(number(key, v, 0));
    else if (key == "interval-ms") o.interval_ms = number(key, v, 0.001);
    else if (key == "duration-s") o.duration_s = number(key, v, 0);
    else if (key == "orgs") o.orgs = static_cast<int>(number(key, v, 0));
    else if (key == "poke-ms") o.poke_ms = number(key, v, 0);
    else if (key == "connections") o.connections = static_cast<int>(number(key, v, 1));
    else if (key == "nchan-url") o.nchan_url = v;
    else if (key == "body-bytes") o.body_bytes = static_cast<std::size_t>(number(key, v, 0));
    else if (key == "report-json") o.report_json = v;
    else if (key == "target" && (v == "deltacast" || v == "nchan"))
        o.target = v == "nchan" ? Target::Nchan : Target::Deltacast;
    else usage("unknown option or value: --" + key + " " + v);
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) usage("unexpected argument: " + arg);
        if (arg == "--reset") {
            o.reset = true;
        } else if (i + 1 < argc) {
            apply_option(o, arg.substr(2), argv[++i]);
        } else {
            usage("missing value for " + arg);
        }
    }
    if (o.streaming < 0 || o.streaming > o.chats) o.streaming = o.chats;
    if (!o.reset && o.duration_s <= 0) usage("nothing to do: give --reset and/or --duration-s");
    return o;
}

// ---- clocks ----------------------------------------------------------------------------------

std::int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
std::int64_t mono_ns() { return clock_ns(CLOCK_MONOTONIC); }
std::int64_t realtime_us() { return clock_ns(CLOCK_REALTIME) / 1000; }

/// Sleeps until the absolute monotonic `deadline`, waking every 100 ms to notice a stop.
void sleep_until(std::int64_t deadline) {
    constexpr std::int64_t kSlice = 100'000'000;
    for (std::int64_t now = mono_ns(); now < deadline && !g_stop; now = mono_ns()) {
        const std::int64_t until = std::min(deadline, now + kSlice);
        const timespec ts{static_cast<time_t>(until / 1'000'000'000), until % 1'000'000'000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    }
}

/// Logs the first ten errors (libpq's messages end in a newline: trimmed).
void log_error(std::string what) {
    while (!what.empty() && what.back() == '\n') what.pop_back();
    if (g_errors_logged.fetch_add(1) < 10) std::cerr << "bench_writer: error: " << what << "\n";
}

// ---- libpq -----------------------------------------------------------------------------------

struct PgFinish {
    void operator()(PGconn* c) const { PQfinish(c); }
};
using PgPtr = std::unique_ptr<PGconn, PgFinish>;

PgPtr connect_or_exit(const std::string& conninfo) {
    PgPtr conn(PQconnectdb(conninfo.c_str()));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
        std::cerr << "bench_writer: cannot connect: "
                  << (conn ? PQerrorMessage(conn.get()) : "out of memory") << "\n";
        std::exit(1);
    }
    return conn;
}

/// What a token's multi-statement query returned.
struct ScriptResult {
    bool ok = true;
    std::string error;
    long updated = -1;     // rows the UPDATE touched
    std::string row_json;  // the RETURNING row (nchan target)
};

void absorb(ScriptResult& out, PGresult* res) {
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        out.ok = false;
        if (out.error.empty()) out.error = PQresultErrorMessage(res);
        return;
    }
    if (std::string_view(PQcmdStatus(res)).rfind("UPDATE ", 0) == 0) {
        out.updated = std::atol(PQcmdTuples(res));
        if (status == PGRES_TUPLES_OK && PQntuples(res) == 1) out.row_json = PQgetvalue(res, 0, 0);
    }
}

/// Sends `sql` as one simple query (one round trip) and reads every result. After a failure
/// it rolls back an open transaction or resets a broken connection.
ScriptResult run_script(PGconn* conn, const std::string& sql) {
    ScriptResult out;
    if (!PQsendQuery(conn, sql.c_str())) {
        out.ok = false;
        out.error = PQerrorMessage(conn);
    }
    while (PGresult* res = PQgetResult(conn)) {
        absorb(out, res);
        PQclear(res);
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
        PQreset(conn);
    } else if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PQclear(PQexec(conn, "ROLLBACK"));
    }
    return out;
}

// ---- statistics ------------------------------------------------------------------------------

struct Stats {
    std::uint64_t writes = 0, pokes = 0, errors = 0, skipped = 0;
    std::vector<std::int64_t> lag_ns, txn_ns, publish_ns;

    void merge(Stats&& o) {
        writes += o.writes, pokes += o.pokes, errors += o.errors, skipped += o.skipped;
        lag_ns.insert(lag_ns.end(), o.lag_ns.begin(), o.lag_ns.end());
        txn_ns.insert(txn_ns.end(), o.txn_ns.begin(), o.txn_ns.end());
        publish_ns.insert(publish_ns.end(), o.publish_ns.begin(), o.publish_ns.end());
    }
};

/// The p-quantile (0..1) in milliseconds; null when there are no samples.
nlohmann::json quantile_ms(std::vector<std::int64_t>& v, double p) {
    if (v.empty()) return nullptr;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k] / 1000) / 1000.0;
}

// ---- what a token writes ---------------------------------------------------------------------

/// `bytes` characters of token-like text ([a-z ] only, so it needs no SQL or JSON escaping),
/// different for every (chat, seq).
std::string token_body(int chat, std::uint64_t seq, std::size_t bytes) {
    static constexpr const char* kWords[] = {
        "the", "model", "streams", "tokens", "into", "a", "chat", "while", "readers",
        "watch", "every", "delta", "arrive", "over", "server", "sent", "events", "quickly"};
    constexpr std::size_t kCount = sizeof kWords / sizeof kWords[0];
    std::string out;
    out.reserve(bytes + 16);
    for (std::size_t i = static_cast<std::size_t>(chat) + seq; out.size() < bytes; ++i) {
        out += kWords[i % kCount];
        out += ' ';
    }
    out.resize(bytes);
    return out;
}

std::string token_sql(Target target, int chat, std::int64_t ts_us, const std::string& body) {
    const std::string id = std::to_string(chat);
    std::string sql = "BEGIN; UPDATE bench_message SET version = version + 1, ts_us = " +
                      std::to_string(ts_us) + ", body = '" + body + "' WHERE id = " + id;
    if (target == Target::Deltacast) {
        sql += "; SELECT pg_notify('signal:chat:" + id + "', '{\"contentIds\":[" + id + "]}')";
    } else {
        sql += " RETURNING to_jsonb(bench_message)::text";
    }
    return sql + "; COMMIT;";
}

// ---- nchan publishing ------------------------------------------------------------------------

/// One keep-alive HTTP client to nchan's publisher location. One thread.
class NchanPublisher {
public:
    explicit NchanPublisher(const std::string& url) : client_(url) {
        client_.set_keep_alive(true);
        client_.set_tcp_nodelay(true);  // headers and body go in separate writes: no Nagle wait
        client_.set_connection_timeout(5);
        client_.set_read_timeout(5);
    }

    /// POSTs `body` to /pub?id=`channel` with SSE event name `event`; false on failure.
    bool publish(const std::string& channel, const std::string& body, const char* event) {
        const httplib::Headers headers{{"X-EventSource-Event", event}};
        const auto res = client_.Post("/pub?id=" + channel, headers, body, "application/json");
        if (res && res->status >= 200 && res->status < 300) return true;
        log_error("publish " + channel + ": " +
                  (res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error())));
        return false;
    }

private:
    httplib::Client client_;
};

// ---- one writer thread -----------------------------------------------------------------------

struct Slot {
    std::int64_t due_ns;
    int chat;
    bool operator>(const Slot& o) const { return due_ns > o.due_ns; }
};
using SlotHeap = std::priority_queue<Slot, std::vector<Slot>, std::greater<>>;

/// Streams tokens for its share of the chats on its own connection until the end or a stop.
class Writer {
public:
    Writer(const Options& o, PgPtr conn, std::vector<int> chats, std::int64_t start_ns,
           std::int64_t end_ns)
        : opts_(o), conn_(std::move(conn)), end_ns_(end_ns),
          interval_ns_(static_cast<std::int64_t>(o.interval_ms * 1e6)) {
        if (o.target == Target::Nchan) publisher_.emplace(o.nchan_url);
        for (const int chat : chats) {
            const std::int64_t phase = interval_ns_ * (chat - 1) / std::max(1, o.streaming);
            heap_.push({start_ns + phase, chat});
        }
    }

    void run() {
        while (!g_stop && !heap_.empty() && heap_.top().due_ns < end_ns_) {
            Slot slot = heap_.top();
            heap_.pop();
            sleep_until(slot.due_ns);
            if (g_stop) break;
            write_token(slot);
            slot.due_ns = next_due(slot.due_ns);
            heap_.push(slot);
        }
    }

    Stats take_stats() { return std::move(stats_); }

private:
    /// The next tick after `due`, skipping (and counting) ticks already wholly missed.
    std::int64_t next_due(std::int64_t due) {
        const std::int64_t now = mono_ns();
        std::int64_t next = due + interval_ns_;
        if (next + interval_ns_ <= now) {
            const std::int64_t missed = (now - next) / interval_ns_;
            stats_.skipped += static_cast<std::uint64_t>(missed);
            next += missed * interval_ns_;
        }
        return next;
    }

    void write_token(const Slot& slot) {
        const std::string body = token_body(slot.chat, ++seq_, opts_.body_bytes);
        const std::int64_t sent_ns = mono_ns();
        const std::string sql = token_sql(opts_.target, slot.chat, realtime_us(), body);
        const ScriptResult res = run_script(conn_.get(), sql);
        stats_.txn_ns.push_back(mono_ns() - sent_ns);
        stats_.lag_ns.push_back(sent_ns - slot.due_ns);
        if (!res.ok || res.updated != 1) {
            ++stats_.errors;
            log_error("chat " + std::to_string(slot.chat) + ": " +
                      (res.ok ? "no row (run --reset first?)" : res.error));
            return;
        }
        if (publisher_ && !publish(slot.chat, res.row_json)) return;
        ++stats_.writes;
    }

    bool publish(int chat, const std::string& row_json) {
        const std::string id = std::to_string(chat);
        const std::string data = "{\"topic\":\"chat:" + id +
                                 "\",\"entity\":\"ChatMessageContent\",\"rows\":[" + row_json + "]}";
        const std::int64_t t0 = mono_ns();
        const bool ok = publisher_->publish("chat_" + id, data, "entity-upsert");
        stats_.publish_ns.push_back(mono_ns() - t0);
        if (!ok) ++stats_.errors;
        return ok;
    }

    const Options& opts_;
    PgPtr conn_;
    std::optional<NchanPublisher> publisher_;
    SlotHeap heap_;
    std::int64_t end_ns_;
    std::int64_t interval_ns_;
    std::uint64_t seq_ = 0;
    Stats stats_;
};

// ---- pokes -----------------------------------------------------------------------------------

/// Every org 1..K is poked once every `poke_ms`, the orgs' phases staggered evenly over the
/// period (independent orgs do not change at the same instant); ticks missed entirely are
/// skipped.
Stats run_poker(const Options& o, PgPtr conn, std::int64_t start_ns, std::int64_t end_ns) {
    Stats stats;
    std::optional<NchanPublisher> publisher;
    if (o.target == Target::Nchan) publisher.emplace(o.nchan_url);
    const auto period = static_cast<std::int64_t>(o.poke_ms * 1e6 / o.orgs);
    int k = 0;
    for (std::int64_t due = start_ns; due < end_ns && !g_stop; due += period) {
        sleep_until(due);
        if (g_stop) break;
        const std::string id = std::to_string(k + 1);
        k = (k + 1) % o.orgs;
        if (publisher) {
            const bool ok = publisher->publish("org_" + id, "{\"topic\":\"org:" + id + "\"}", "poke");
            ++(ok ? stats.pokes : stats.errors);
        } else {
            const ScriptResult res = run_script(conn.get(), "SELECT pg_notify('signal:org:" + id + "', '')");
            if (res.ok) {
                ++stats.pokes;
            } else {
                ++stats.errors;
                log_error("poke: " + res.error);
            }
        }
        while (due + 2 * period <= mono_ns()) due += period, ++stats.skipped;
    }
    return stats;
}

// ---- setup and report ------------------------------------------------------------------------

void reset_table(const Options& o) {
    PgPtr conn = connect_or_exit(o.conninfo);
    const std::string sql =
        "BEGIN; TRUNCATE bench_message; INSERT INTO bench_message (id, chat_id) "
        "SELECT g, g FROM generate_series(1, " + std::to_string(o.chats) + ") g; COMMIT;";
    const ScriptResult res = run_script(conn.get(), sql);
    if (!res.ok) {
        std::cerr << "bench_writer: reset failed: " << res.error;
        std::exit(1);
    }
    std::cout << "reset: bench_message holds chats 1.." << o.chats << " at version 0\n";
}

/// Chats 1..S dealt round-robin to at most S threads.
std::vector<std::vector<int>> partition_chats(const Options& o) {
    const int threads = std::max(1, std::min(o.connections, o.streaming));
    std::vector<std::vector<int>> shares(static_cast<std::size_t>(threads));
    for (int chat = 1; chat <= o.streaming; ++chat) {
        shares[static_cast<std::size_t>((chat - 1) % threads)].push_back(chat);
    }
    return shares;
}

double round1(double x) { return std::round(x * 10) / 10; }

nlohmann::json make_result(const Options& o, Stats& s, double elapsed_s) {
    const bool nchan = o.target == Target::Nchan;
    return {{"target", nchan ? "nchan" : "deltacast"}, {"chats", o.chats},
            {"streaming", o.streaming}, {"interval_ms", o.interval_ms},
            {"connections", std::min(o.connections, std::max(1, o.streaming))},
            {"writes", s.writes}, {"pokes", s.pokes}, {"errors", s.errors},
            {"skipped_ticks", s.skipped}, {"duration_s", std::round(elapsed_s * 1000) / 1000},
            {"writes_per_s", elapsed_s > 0 ? round1(static_cast<double>(s.writes) / elapsed_s) : 0.0},
            {"lag_p50_ms", quantile_ms(s.lag_ns, 0.5)}, {"lag_p99_ms", quantile_ms(s.lag_ns, 0.99)},
            {"lag_max_ms", quantile_ms(s.lag_ns, 1.0)}, {"txn_p50_ms", quantile_ms(s.txn_ns, 0.5)},
            {"txn_p99_ms", quantile_ms(s.txn_ns, 0.99)},
            {"publish_p50_ms", nchan ? quantile_ms(s.publish_ns, 0.5) : nlohmann::json()},
            {"publish_p99_ms", nchan ? quantile_ms(s.publish_ns, 0.99) : nlohmann::json()}};
}

void report(const Options& o, const nlohmann::json& r) {
    std::cout << "target=" << r["target"].get<std::string>() << " chats=" << o.chats
              << " streaming=" << o.streaming << " interval_ms=" << o.interval_ms
              << " connections=" << r["connections"] << "\n"
              << "writes=" << r["writes"] << " (" << r["writes_per_s"] << "/s over "
              << r["duration_s"] << " s) pokes=" << r["pokes"] << " errors=" << r["errors"]
              << " skipped_ticks=" << r["skipped_ticks"] << "\n"
              << "lag ms: p50=" << r["lag_p50_ms"] << " p99=" << r["lag_p99_ms"]
              << " max=" << r["lag_max_ms"] << "  txn ms: p50=" << r["txn_p50_ms"]
              << " p99=" << r["txn_p99_ms"] << "  publish p99 ms=" << r["publish_p99_ms"] << "\n"
              << "RESULT " << r.dump() << std::endl;
    if (!o.report_json.empty()) std::ofstream(o.report_json) << r.dump(2) << "\n";
}

/// Blocks SIGINT/SIGTERM (threads inherit the mask) and returns the set to wait on.
sigset_t block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

/// Waits for the end of the run or a stop signal; returns when the run stopped.
std::int64_t wait_for_end(const sigset_t& set, std::int64_t end_ns) {
    for (std::int64_t now = mono_ns(); now < end_ns; now = mono_ns()) {
        const std::int64_t left = std::min<std::int64_t>(end_ns - now, 1'000'000'000);
        const timespec ts{static_cast<time_t>(left / 1'000'000'000), left % 1'000'000'000};
        const int sig = sigtimedwait(&set, nullptr, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            std::cerr << "bench_writer: signal " << sig << ", stopping\n";
            return mono_ns();
        }
    }
    return end_ns;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opts = parse_options(argc, argv);
    const sigset_t stop_signals = block_stop_signals();
    if (opts.reset) reset_table(opts);
    if (opts.duration_s <= 0) return 0;

    std::vector<std::unique_ptr<Writer>> writers;
    const std::int64_t start_ns = mono_ns() + 200'000'000;  // after every connection is up
    const std::int64_t end_ns = start_ns + static_cast<std::int64_t>(opts.duration_s * 1e9);
    for (auto& share : partition_chats(opts)) {
        writers.push_back(std::make_unique<Writer>(opts, connect_or_exit(opts.conninfo),
                                                   std::move(share), start_ns, end_ns));
    }
    std::vector<std::thread> threads;
    for (auto& w : writers) threads.emplace_back([&w] { w->run(); });
    Stats poke_stats;
    if (opts.orgs > 0 && opts.poke_ms > 0) {
        threads.emplace_back([&, conn = connect_or_exit(opts.conninfo)]() mutable {
            poke_stats = run_poker(opts, std::move(conn), start_ns, end_ns);
        });
    }
    const std::int64_t stopped_ns = wait_for_end(stop_signals, end_ns);
    g_stop = true;
    for (auto& t : threads) t.join();

    Stats total = std::move(poke_stats);
    for (auto& w : writers) total.merge(w->take_stats());
    const double elapsed_s = static_cast<double>(std::max<std::int64_t>(stopped_ns - start_ns, 0)) / 1e9;
    report(opts, make_result(opts, total, elapsed_s));
    return 0;
}
