// bench_floor: the CPU cost floor of one loopback write() of an SSE-sized frame, measured on
// this machine in the same run as the benchmark (bench/README.md).
//
// Design
// - N TCP socket pairs over 127.0.0.1: one listener, N clients connected and accepted in
//   lockstep (so the accept backlog never overflows). The accepted (server) side is what a
//   fan-out server writes to; TCP_NODELAY like a real server; both sides nonblocking.
// - Each round writes one frame of B bytes (or, with --writev-frames F > 1, F frames in one
//   writev) to each of the N server sockets in a loop. Only that loop is measured: process
//   CPU time (CLOCK_PROCESS_CPUTIME_ID, plus getrusage for the user/system split) and wall
//   time. On loopback the receiver's TCP work (softirq) runs in the sender's context and is
//   charged to it, so process CPU is the honest cost of a write as a server would pay it.
// - Then every client socket is drained (not measured) so that each round starts with empty
//   queues. Short writes, EAGAIN and missing bytes are counted, not hidden.
// - That default leaves out a cost a real server pays: a receiver blocked in epoll_wait on
//   another core, which each write must wake (sock_def_readable -> ep_poll_callback ->
//   try_to_wake_up, with an IPI), and whose reads send window updates back. --live-reader
//   forks, once the pairs are connected, a reader that keeps the client ends, pins itself to
//   --reader-core (1) and reads them all from one edge-triggered epoll set, like a load client;
//   the parent keeps the server ends. Rounds are measured the same way; the parent's process
//   CPU time and RUSAGE_SELF exclude the child's. Between rounds the parent sleeps --settle-ms
//   (50) so that the reader drains and goes back to epoll_wait; rounds it had not drained by
//   then are reported as lagging_rounds. At the end the parent closes its ends and the reader
//   reports over a pipe the bytes it received, which must be pairs * rounds * bytes per write.
// - RLIMIT_NOFILE's soft limit is raised to the hard one (at most 20000): N is capped to what
//   fits in that (two descriptors per pair) and the cap is reported.
// Run pinned (taskset -c 0) so that the kernel cannot spread the work over other cores.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <new>
#include <numeric>
#include <string>
#include <vector>

namespace {

struct Options {
    int pairs = 10000;
    std::size_t bytes = 300;
    int rounds = 20;
    int writev_frames = 1;
    bool live_reader = false;
    int reader_core = 1;
    int settle_ms = 50;  // live reader: pause between rounds so that the reader drains
};

[[noreturn]] void die(const std::string& what) {
    std::cerr << "bench_floor: " << what << (errno ? std::string(": ") + std::strerror(errno) : "")
              << "\n";
    std::exit(1);
}

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_floor: " << why << "\n"
              << "usage: bench_floor [--pairs N] [--bytes B] [--rounds R] [--writev-frames F]\n"
              << "                   [--live-reader [--reader-core C] [--settle-ms MS]]\n";
    std::exit(2);
}

long at_least(long min, const std::string& key, const char* value) {
    char* end = nullptr;
    const long v = std::strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || v < min || v > 1'000'000'000) {
        usage("bad value for " + key + ": " + value);
    }
    return v;
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string key = argv[i];
        if (key == "--live-reader") {
            o.live_reader = true;
            continue;
        }
        if (++i >= argc) usage("missing value for " + key);
        const bool may_be_zero = key == "--reader-core" || key == "--settle-ms";
        const long v = at_least(may_be_zero ? 0 : 1, key, argv[i]);
        if (key == "--pairs") o.pairs = static_cast<int>(v);
        else if (key == "--bytes") o.bytes = static_cast<std::size_t>(v);
        else if (key == "--rounds") o.rounds = static_cast<int>(v);
        else if (key == "--writev-frames") o.writev_frames = static_cast<int>(std::min(v, 1024L));
        else if (key == "--reader-core") o.reader_core = static_cast<int>(v);
        else if (key == "--settle-ms") o.settle_ms = static_cast<int>(v);
        else usage("unknown option " + key);
    }
    return o;
}

/// Raises the soft descriptor limit to min(hard, 20000); returns how many pairs fit.
int raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) die("getrlimit");
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 20000);
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) die("setrlimit");
    return static_cast<int>((lim.rlim_cur - 20) / 2);  // a few for stdio and the listener
}

// ---- sockets ---------------------------------------------------------------------------------

void set_nonblocking(int fd) {
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
}

int listen_loopback(sockaddr_in& addr) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        die("listen on 127.0.0.1");
    }
    return fd;
}

struct Pairs {
    std::vector<int> server;  // accepted sockets: the ones written to
    std::vector<int> client;  // connected sockets: drained
};

Pairs connect_pairs(int n) {
    sockaddr_in addr{};
    const int listener = listen_loopback(addr);
    Pairs p;
    const int one = 1;
    for (int i = 0; i < n; ++i) {
        const int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            die("connect pair " + std::to_string(i));
        }
        const int s = accept(listener, nullptr, nullptr);
        if (s < 0) die("accept pair " + std::to_string(i));
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_nonblocking(s);
        set_nonblocking(c);
        p.server.push_back(s);
        p.client.push_back(c);
    }
    close(listener);
    return p;
}

// ---- one round -------------------------------------------------------------------------------

std::int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t rusage_ns(const timeval& tv) {
    return std::int64_t{tv.tv_sec} * 1'000'000'000 + std::int64_t{tv.tv_usec} * 1000;
}

struct Round {
    std::int64_t cpu_ns = 0, wall_ns = 0, user_ns = 0, sys_ns = 0;
    std::uint64_t short_writes = 0;
};

/// Writes F frames of B bytes to every server socket (one writev each); measures only that.
Round write_all(const std::vector<int>& fds, const std::vector<iovec>& iov, std::size_t total) {
    Round r;
    rusage ru0{}, ru1{};
    getrusage(RUSAGE_SELF, &ru0);
    const std::int64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall0 = clock_ns(CLOCK_MONOTONIC);
    for (const int fd : fds) {
        const ssize_t n = iov.size() == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len)
                                          : writev(fd, iov.data(), static_cast<int>(iov.size()));
        if (n != static_cast<ssize_t>(total)) ++r.short_writes;
    }
    r.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    r.wall_ns = clock_ns(CLOCK_MONOTONIC) - wall0;
    getrusage(RUSAGE_SELF, &ru1);
    r.user_ns = rusage_ns(ru1.ru_utime) - rusage_ns(ru0.ru_utime);
    r.sys_ns = rusage_ns(ru1.ru_stime) - rusage_ns(ru0.ru_stime);
    return r;
}

/// Reads every client socket until it would block; returns the bytes read.
std::uint64_t drain_all(const std::vector<int>& fds) {
    static char buf[65536];
    std::uint64_t total = 0;
    for (const int fd : fds) {
        ssize_t n = 0;
        while ((n = read(fd, buf, sizeof buf)) > 0) total += static_cast<std::uint64_t>(n);
    }
    return total;
}

/// Drains until `expected` bytes came (loopback delivers during write(), but softirq work can
/// be deferred to ksoftirqd) or two seconds passed.
std::uint64_t drain_until(const std::vector<int>& fds, std::uint64_t expected) {
    const std::int64_t give_up = clock_ns(CLOCK_MONOTONIC) + 2'000'000'000;
    std::uint64_t got = drain_all(fds);
    while (got < expected && clock_ns(CLOCK_MONOTONIC) < give_up) {
        usleep(1000);
        got += drain_all(fds);
    }
    return got;
}

// ---- live reader (--live-reader) -------------------------------------------------------------

/// The receiving side of --live-reader: a forked child pinned to its own core that reads every
/// client socket from one edge-triggered epoll set, as a load client does. It publishes its
/// running byte count in `received` (shared memory) and, once every socket has reached EOF,
/// writes the total to the pipe whose read end is `report`.
struct LiveReader {
    pid_t pid = -1;
    int report = -1;  // read end: one byte when the reader waits in epoll_wait, then the total
    std::atomic<std::uint64_t>* received = nullptr;
};

void pin_to_core(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        die("pin the reader to core " + std::to_string(core));
    }
}

void write_exactly(int fd, const void* data, std::size_t n) {
    if (write(fd, data, n) != static_cast<ssize_t>(n)) die("write to pipe");
}

int watch_all(const std::vector<int>& fds) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    for (const int fd : fds) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    }
    return ep;
}

/// Reads `fd` until it would block (edge-triggered); returns false once it is at EOF or failed.
bool read_until_blocked(int fd, std::uint64_t& total) {
    static char buf[65536];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) total += static_cast<std::uint64_t>(n);
        else if (n < 0 && errno == EINTR) continue;
        else return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

/// The reader's loop: epoll_wait, read what is ready, until every socket is closed.
std::uint64_t read_until_all_closed(int ep, std::size_t open,
                                    std::atomic<std::uint64_t>& received) {
    std::vector<epoll_event> events(1024);
    std::uint64_t total = 0;
    while (open > 0) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int i = 0; i < n; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (read_until_blocked(fd, total)) continue;
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
            close(fd);
            --open;
        }
        received.store(total, std::memory_order_release);
    }
    return total;
}

[[noreturn]] void run_reader(const Options& o, const Pairs& pairs, int report,
                             std::atomic<std::uint64_t>& received) {
    for (const int fd : pairs.server) close(fd);  // or the parent's close() gives no EOF
    pin_to_core(o.reader_core);
    const int ep = watch_all(pairs.client);
    write_exactly(report, "r", 1);
    const std::uint64_t total = read_until_all_closed(ep, pairs.client.size(), received);
    write_exactly(report, &total, sizeof total);
    _exit(0);
}

/// Forks the reader with the client ends; the parent keeps only the server ends. Returns once
/// the reader has registered every socket and waits in epoll_wait.
LiveReader start_reader(const Options& o, Pairs& pairs) {
    void* shared = mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int pipe_fds[2];
    if (shared == MAP_FAILED || pipe(pipe_fds) != 0) die("mmap or pipe for the reader");
    LiveReader r;
    r.received = new (shared) std::atomic<std::uint64_t>{0};
    std::cout.flush();
    r.pid = fork();
    if (r.pid < 0) die("fork");
    if (r.pid == 0) {
        close(pipe_fds[0]);
        run_reader(o, pairs, pipe_fds[1], *r.received);
    }
    close(pipe_fds[1]);
    for (const int fd : pairs.client) close(fd);
    pairs.client.clear();
    r.report = pipe_fds[0];
    char ready = 0;
    if (read(r.report, &ready, 1) != 1) die("reader did not start");
    return r;
}

/// Sleeps `settle_ms`, then up to two more seconds until the reader has `expected` bytes.
/// Returns whether the settle pause alone was too short (the reader lagged).
bool wait_for_reader(const LiveReader& r, std::uint64_t expected, int settle_ms) {
    usleep(static_cast<useconds_t>(settle_ms) * 1000);
    if (r.received->load(std::memory_order_acquire) >= expected) return false;
    const std::int64_t give_up = clock_ns(CLOCK_MONOTONIC) + 2'000'000'000;
    while (r.received->load(std::memory_order_acquire) < expected &&
           clock_ns(CLOCK_MONOTONIC) < give_up) {
        usleep(1000);
    }
    return true;
}

/// Closes the server ends (EOF for the reader) and returns the total the reader received.
std::uint64_t stop_reader(const LiveReader& r, Pairs& pairs) {
    for (const int fd : pairs.server) close(fd);
    pairs.server.clear();
    std::uint64_t total = 0;
    if (read(r.report, &total, sizeof total) != static_cast<ssize_t>(sizeof total)) {
        die("reader exited without reporting");
    }
    int status = 0;
    if (waitpid(r.pid, &status, 0) != r.pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        die("reader failed");
    }
    close(r.report);
    return total;
}

// ---- frames and rounds -----------------------------------------------------------------------

/// An SSE-looking frame of exactly `bytes` bytes.
std::string make_frame(std::size_t bytes) {
    std::string f = "event: entity-upsert\nid: 0000-1\ndata: {\"rows\":[";
    f.resize(std::max(bytes, f.size() + 2), 'x');
    f.resize(bytes);
    if (bytes >= 2) f.replace(bytes - 2, 2, "\n\n");
    return f;
}

// ---- report ----------------------------------------------------------------------------------

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double mean(const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

struct Totals {
    std::vector<double> cpu_us, wall_us, sys_share;  // per write, per round
    std::uint64_t short_writes = 0, missing_bytes = 0;
    std::uint64_t reader_bytes = 0;
    int lagging_rounds = 0;  // live reader: rounds it had not drained after the settle pause
};

void add_round(Totals& t, const Round& r, int writes) {
    t.cpu_us.push_back(static_cast<double>(r.cpu_ns) / 1000.0 / writes);
    t.wall_us.push_back(static_cast<double>(r.wall_ns) / 1000.0 / writes);
    const std::int64_t ru = r.user_ns + r.sys_ns;
    t.sys_share.push_back(ru > 0 ? static_cast<double>(r.sys_ns) / static_cast<double>(ru) : 0);
    t.short_writes += r.short_writes;
}

double round3(double x) { return std::round(x * 1000) / 1000; }

nlohmann::json make_result(const Options& o, const Totals& t, int requested_pairs) {
    const double cpu = median(t.cpu_us);
    return {{"pairs", o.pairs}, {"pairs_requested", requested_pairs}, {"bytes", o.bytes},
            {"rounds", o.rounds}, {"writev_frames", o.writev_frames},
            {"cpu_us_per_write", round3(cpu)}, {"cpu_us_per_write_mean", round3(mean(t.cpu_us))},
            {"cpu_us_per_frame", round3(cpu / o.writev_frames)},
            {"wall_us_per_write", round3(median(t.wall_us))},
            {"sys_share", round3(median(t.sys_share))},
            {"short_writes", t.short_writes}, {"missing_bytes", t.missing_bytes},
            {"live_reader", o.live_reader}};
}

void add_reader_fields(nlohmann::json& result, const Options& o, const Totals& t) {
    result["reader_core"] = o.reader_core;
    result["settle_ms"] = o.settle_ms;
    result["reader_bytes"] = t.reader_bytes;
    result["lagging_rounds"] = t.lagging_rounds;
}

void print_round(int round, const Totals& t) {
    std::cout << "round " << round << ": cpu_us_per_write=" << t.cpu_us.back()
              << " wall_us_per_write=" << t.wall_us.back() << "\n";
}

// ---- the two modes ---------------------------------------------------------------------------

struct Load {
    std::string frame;
    std::vector<iovec> iov;
    std::size_t per_write = 0;  // bytes per write: F frames of B bytes
};

/// Default mode: after each measured round this process drains the client ends itself.
Totals run_drained(const Options& o, const Pairs& pairs, const Load& load) {
    Totals t;
    const std::uint64_t expected = load.per_write * pairs.server.size();
    for (int round = 0; round < o.rounds; ++round) {
        const Round r = write_all(pairs.server, load.iov, load.per_write);
        const std::uint64_t got = drain_until(pairs.client, expected);
        t.missing_bytes += expected > got ? expected - got : 0;
        add_round(t, r, o.pairs);
        print_round(round, t);
    }
    return t;
}

/// --live-reader: a forked reader on its own core drains the client ends while this process
/// writes, so each write also pays for waking it; only this process's CPU is measured.
Totals run_live(const Options& o, Pairs& pairs, const Load& load) {
    Totals t;
    const LiveReader reader = start_reader(o, pairs);
    const std::uint64_t per_round = load.per_write * pairs.server.size();
    for (int round = 0; round < o.rounds; ++round) {
        const Round r = write_all(pairs.server, load.iov, load.per_write);
        const auto sent = per_round * static_cast<std::uint64_t>(round + 1);
        if (wait_for_reader(reader, sent, o.settle_ms)) ++t.lagging_rounds;
        add_round(t, r, o.pairs);
        print_round(round, t);
    }
    t.reader_bytes = stop_reader(reader, pairs);
    const auto sent = per_round * static_cast<std::uint64_t>(o.rounds);
    t.missing_bytes = sent > t.reader_bytes ? sent - t.reader_bytes : 0;
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    Options opts = parse_options(argc, argv);
    const int requested = opts.pairs;
    const int fit = raise_fd_limit();
    if (opts.pairs > fit) {
        std::cerr << "bench_floor: --pairs " << opts.pairs << " capped to " << fit
                  << " (RLIMIT_NOFILE; two descriptors per pair)\n";
        opts.pairs = fit;
    }
    Pairs pairs = connect_pairs(opts.pairs);
    Load load;
    load.frame = make_frame(opts.bytes);
    load.iov.assign(static_cast<std::size_t>(opts.writev_frames),
                    iovec{const_cast<char*>(load.frame.data()), load.frame.size()});
    load.per_write = load.frame.size() * load.iov.size();

    const Totals totals =
        opts.live_reader ? run_live(opts, pairs, load) : run_drained(opts, pairs, load);
    nlohmann::json result = make_result(opts, totals, requested);
    if (opts.live_reader) add_reader_fields(result, opts, totals);
    std::cout << "pairs=" << opts.pairs << " bytes=" << opts.bytes << " frames_per_write="
              << opts.writev_frames << " rounds=" << opts.rounds
              << " live_reader=" << (opts.live_reader ? "true" : "false") << "\n"
              << "cpu_us_per_write median=" << result["cpu_us_per_write"]
              << " mean=" << result["cpu_us_per_write_mean"]
              << " (per frame " << result["cpu_us_per_frame"] << ")  wall_us_per_write="
              << result["wall_us_per_write"] << "  system share=" << result["sys_share"] << "\n"
              << "RESULT " << result.dump() << std::endl;
    return 0;
}
