// deltacast-agent: an example writer that plays an AI agent. It streams a reply into
// chat_message_content token by token, each token in ONE short transaction that updates the
// row and calls deltacast_signal, which is how any writer should feed deltacast.
// Single-threaded, blocking libpq on one connection; SIGINT/SIGTERM only set a flag.

#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) {
    g_stop = 1;
}

constexpr const char *kUsage =
    "usage: deltacast-agent [--conninfo S] [--token-ms 40] [--think-ms 300] [--org N]\n"
    "         [--pause-ms 1000]\n"
    "         (--chat ID --prompt TEXT | --chat ID --loop N | --serve)\n"
    "  --prompt   stream one reply to TEXT into chat ID\n"
    "  --loop N   ask N canned prompts one after another in chat ID\n"
    "  --serve    LISTEN deltacast_agent_requests for {\"chatId\":42,\"prompt\":\"...\"}\n"
    "  --org N    poke org:N when a reply is done (default: the chat's own org)\n"
    "  conninfo defaults to DATABASE_URL, else libpq's PG* variables\n";

struct Options {
    std::string conninfo;
    std::optional<long long> chat;
    std::optional<long long> org;
    std::string prompt;
    bool has_prompt = false;
    bool serve = false;
    long long loop = 0;
    long long token_ms = 40;
    long long think_ms = 300;  // "thinking" before the first token
    long long pause_ms = 1000;
};

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

/// Db: one blocking libpq connection; every statement parameterised. Errors are printed to
/// stderr and reported as a null result or false. Not thread-safe (the agent has one thread).
class Db {
public:
    bool connect(const std::string &conninfo) {
        const char *keys[] = {"dbname", "fallback_application_name", nullptr};
        const char *values[] = {conninfo.c_str(), "deltacast-agent", nullptr};
        conn_.reset(PQconnectdbParams(keys, values, 1));
        if (PQstatus(conn_.get()) == CONNECTION_OK)
            return true;
        std::fprintf(stderr, "deltacast-agent: connection failed: %s", PQerrorMessage(conn_.get()));
        return false;
    }

    PgResult exec(const char *sql, const std::vector<std::string> &params = {}) {
        std::vector<const char *> values;
        values.reserve(params.size());
        for (const auto &p : params)
            values.push_back(p.c_str());
        PgResult r(PQexecParams(conn_.get(), sql, static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 0),
                   &PQclear);
        const auto status = PQresultStatus(r.get());
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
            return r;
        std::fprintf(stderr, "deltacast-agent: %s",
                     r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_.get()));
        return PgResult(nullptr, &PQclear);
    }

    bool ok(const char *sql, const std::vector<std::string> &params = {}) {
        return exec(sql, params) != nullptr;
    }

    // BEGIN; body; COMMIT, or ROLLBACK when body fails.
    bool transaction(const std::function<bool()> &body) {
        if (!ok("BEGIN"))
            return false;
        if (body() && ok("COMMIT"))
            return true;
        ok("ROLLBACK");
        return false;
    }

    bool alive() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
    PGconn *raw() const { return conn_.get(); }

private:
    PgConn conn_{nullptr, &PQfinish};
};

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : s)
        h = (h ^ c) * 1099511628211ULL;
    return h;
}

// A deterministic reply of 30-60 words derived from the prompt, as word tokens that keep
// their trailing space, so the concatenation of the tokens is the reply.
std::vector<std::string> reply_tokens(const std::string &prompt) {
    static constexpr std::array<const char *, 40> kWords = {
        "the",    "stream", "row",     "signal", "window",   "topic",  "browser", "agent",
        "token",  "update", "query",   "commit", "listener", "frame",  "event",   "client",
        "server", "fast",   "small",   "every",  "one",      "delta",  "brotli",  "compressed",
        "fans",   "out",    "to",      "each",   "tab",      "within", "sixteen", "milliseconds",
        "and",    "then",   "quietly", "waits",  "for",      "more",   "writes",  "again"};
    std::uint64_t h = fnv1a(prompt);
    const auto next = [&h] {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        return h >> 33;
    };
    std::vector<std::string> words = {"Thinking", "about", "that:"};
    const std::size_t count = 30 + next() % 31;
    std::size_t sentence = 0;
    while (words.size() < count) {
        std::string w = kWords[next() % kWords.size()];
        if (sentence == 0)
            w[0] = static_cast<char>(w[0] - 'a' + 'A');
        if (++sentence >= 6 + next() % 7 || words.size() + 1 == count) {
            w += '.';
            sentence = 0;
        }
        words.push_back(std::move(w));
    }
    for (std::size_t i = 0; i + 1 < words.size(); ++i)
        words[i] += ' ';
    return words;
}

// Sleeps ms milliseconds in short steps so that a stop signal is noticed quickly.
void nap(long long ms) {
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + std::chrono::milliseconds(ms);
    for (auto left = end - Clock::now(); !g_stop && left > Clock::duration::zero();
         left = end - Clock::now()) {
        std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(20)));
    }
}

constexpr const char *kSignalSql = "SELECT deltacast_signal($1, 'contentIds', ARRAY[$2]::bigint[])";

// Inserts a message and signals it in one transaction; returns its id.
std::optional<std::string> insert_message(Db &db, long long chat, const char *role,
                                          const std::string &body, bool done) {
    const std::string topic = "chat:" + std::to_string(chat);
    std::string id;
    const bool committed = db.transaction([&] {
        auto r = db.exec("INSERT INTO chat_message_content (chat_id, seq, role, body, done) "
                         "SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 "
                         "FROM chat_message_content WHERE chat_id = $1 RETURNING id",
                         {std::to_string(chat), role, body, done ? "true" : "false"});
        if (!r)
            return false;
        id = PQgetvalue(r.get(), 0, 0);
        return db.ok(kSignalSql, {topic, id});
    });
    return committed ? std::optional<std::string>(id) : std::nullopt;
}

// Appends one token (the last one also sets done) and signals, in one transaction.
bool append_token(Db &db, long long chat, const std::string &id, const std::string &token,
                  bool last) {
    return db.transaction([&] {
        return db.ok("UPDATE chat_message_content SET body = body || $1, "
                     "version = version + 1, updated_at = now(), done = done OR $3::boolean "
                     "WHERE id = $2",
                     {token, id, last ? "true" : "false"}) &&
               db.ok(kSignalSql, {"chat:" + std::to_string(chat), id});
    });
}

// Touches the chat so the org's conversation list reorders, and pokes that org.
bool touch_chat(Db &db, long long chat, const std::optional<long long> &org) {
    return db.transaction([&] {
        auto r = db.exec("UPDATE chats SET updated_at = now() WHERE id = $1 RETURNING org_id",
                         {std::to_string(chat)});
        if (!r)
            return false;
        if (PQntuples(r.get()) != 1) {
            std::fprintf(stderr, "deltacast-agent: no chat %lld\n", chat);
            return false;
        }
        const std::string org_id = org ? std::to_string(*org) : PQgetvalue(r.get(), 0, 0);
        return db.ok("SELECT deltacast_poke($1)", {"org:" + org_id});
    });
}

// Announces the agent's thinking state on the chat's live room (deltacast_broadcast).
void thinking(Db &db, const std::string &topic, const char *state) {
    if (!db.ok("SELECT deltacast_broadcast($1, 'thinking', $2::jsonb, 'agent')",
               {topic, std::string("{\"state\":\"") + state + "\"}"})) {
        std::fprintf(stderr, "deltacast-agent: thinking broadcast failed (is sql/deltacast.sql "
                             "loaded?)\n");
    }
}

// The user's message, then the agent's reply streamed token by token. A stop signal ends
// the reply early but still marks it done, so no client waits on it forever.
bool stream_reply(Db &db, const Options &opt, long long chat, const std::string &prompt) {
    if (!insert_message(db, chat, "user", prompt, true))
        return false;
    const auto id = insert_message(db, chat, "agent", "", false);
    if (!id)
        return false;
    // Live room: the chat shows "thinking" until the last token (at most once: a lost
    // broadcast costs the indicator, never the reply).
    const std::string topic = "chat:" + std::to_string(chat);
    thinking(db, topic, "start");
    nap(opt.think_ms);
    const auto tokens = reply_tokens(prompt);
    std::size_t sent = 0;
    bool done = false;
    for (; sent < tokens.size() && !g_stop; ++sent) {
        if (sent > 0)
            nap(opt.token_ms);
        done = sent + 1 == tokens.size() || g_stop;
        if (!append_token(db, chat, *id, tokens[sent], done))
            return false;
    }
    if (!done && !append_token(db, chat, *id, "", true))
        return false;
    thinking(db, topic, "stop");
    if (!touch_chat(db, chat, opt.org))
        return false;
    std::printf("chat=%lld message=%s tokens=%zu\n", chat, id->c_str(), sent);
    std::fflush(stdout);
    return true;
}

constexpr std::array<const char *, 6> kPrompts = {"Explain how deltacast streams a reply",
                                                  "What happens when the listener reconnects?",
                                                  "Why coalesce signals into windows?",
                                                  "How small is a compressed frame?",
                                                  "Summarise this chat so far",
                                                  "Tell me about the poke topics"};

int run_loop(Db &db, const Options &opt) {
    for (long long i = 0; i < opt.loop && !g_stop; ++i) {
        if (i > 0)
            nap(opt.pause_ms);
        if (!g_stop && !stream_reply(db, opt, *opt.chat, kPrompts[i % kPrompts.size()]))
            return 1;
    }
    return 0;
}

void handle_request(Db &db, const Options &opt, const std::string &payload) {
    const auto req = nlohmann::json::parse(payload, nullptr, false);
    if (req.is_discarded() || !req.is_object() || !req.contains("chatId") ||
        !req["chatId"].is_number_integer() || !req.contains("prompt") ||
        !req["prompt"].is_string()) {
        std::fprintf(stderr,
                     "deltacast-agent: ignored request (want {\"chatId\":N,"
                     "\"prompt\":\"...\"}): %.200s\n",
                     payload.c_str());
        return;
    }
    stream_reply(db, opt, req["chatId"].get<long long>(), req["prompt"].get<std::string>());
}

int run_serve(Db &db, const Options &opt) {
    if (!db.ok("LISTEN deltacast_agent_requests"))
        return 1;
    std::fprintf(stderr, "deltacast-agent: listening on deltacast_agent_requests\n");
    while (!g_stop && db.alive()) {
        pollfd pfd{PQsocket(db.raw()), POLLIN, 0};
        if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
            std::fprintf(stderr, "deltacast-agent: poll: %s\n", std::strerror(errno));
            return 1;
        }
        if (PQconsumeInput(db.raw()) == 0)
            break;
        while (PGnotify *n = PQnotifies(db.raw())) {
            const std::string payload = n->extra;
            PQfreemem(n);
            handle_request(db, opt, payload);
        }
    }
    if (db.alive())
        return 0;
    std::fprintf(stderr, "deltacast-agent: connection lost: %s", PQerrorMessage(db.raw()));
    return 1;
}

bool parse_int(std::string_view s, long long &out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// Parses `--name value` and `--name=value`; returns false (after a message) on bad input.
bool parse_args(int argc, char **argv, Options &opt) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i], value;
        const auto eq = name.find('=');
        if (eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        } else if (name != "--serve" && i + 1 < args.size()) {
            value = args[++i];
        }
        long long n = 0;
        const bool numeric = parse_int(value, n) && n >= 0;
        if (name == "--serve") {
            opt.serve = true;
        } else if (name == "--conninfo") {
            opt.conninfo = value;
        } else if (name == "--prompt") {
            opt.prompt = value;
            opt.has_prompt = true;
        } else if (numeric && name == "--chat") {
            opt.chat = n;
        } else if (numeric && name == "--org") {
            opt.org = n;
        } else if (numeric && n > 0 && name == "--loop") {
            opt.loop = n;
        } else if (numeric && name == "--token-ms") {
            opt.token_ms = n;
        } else if (numeric && name == "--think-ms") {
            opt.think_ms = n;
        } else if (numeric && name == "--pause-ms") {
            opt.pause_ms = n;
        } else {
            std::fprintf(stderr, "deltacast-agent: bad argument %s\n", args[i].c_str());
            return false;
        }
    }
    const int modes = int{opt.has_prompt} + int{opt.loop > 0} + int{opt.serve};
    if (modes == 1 && (opt.serve || opt.chat))
        return true;
    std::fprintf(stderr, "deltacast-agent: give exactly one of --prompt, --loop, --serve "
                         "(the first two with --chat)\n");
    return false;
}

int run(int argc, char **argv) {
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    Options opt;
    if (!parse_args(argc, argv, opt)) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    if (const char *url = std::getenv("DATABASE_URL"); opt.conninfo.empty() && url)
        opt.conninfo = url;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);

    Db db;
    if (!db.connect(opt.conninfo))
        return 1;
    if (opt.serve)
        return run_serve(db, opt);
    if (opt.loop > 0)
        return run_loop(db, opt);
    return stream_reply(db, opt, *opt.chat, opt.prompt) ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception &e) { // only allocation failures can get here
        std::fprintf(stderr, "deltacast-agent: %s\n", e.what());
        return 1;
    }
}
