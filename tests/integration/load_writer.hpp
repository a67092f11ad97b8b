#pragma once
// LoadWriter: a thread that writes to a set of chats at a steady pace, as agents would: each
// write is one short transaction that inserts, updates (body replaced, version bumped) or
// deletes one chat_message_content row and signals its id (deltacast_signal). It tolerates
// Postgres going away: a failed write is rolled back or abandoned, the connection is reopened
// and writing goes on; a write whose COMMIT failed counts as not committed. The end-to-end
// checker compares clients with the database itself, so an ambiguous commit cannot fool it.
// Commit times of (id, version) are kept for latency measurements.
//
// Threading: start()/stop() and the accessors from the test thread; the writes on its own.

#include "support/pg_test.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace deltacast::testing {

class LoadWriter {
public:
    using Clock = std::chrono::steady_clock;

    struct Options {
        std::vector<long long> chats;
        std::string kind = "chat"; // the topic kind signalled: "<kind>:<chat id>"
        std::chrono::milliseconds interval{5};
        std::size_t body_bytes = 24;
    };

    explicit LoadWriter(Options options) : options_(std::move(options)) {}
    ~LoadWriter() { stop(); }
    LoadWriter(const LoadWriter&) = delete;
    LoadWriter& operator=(const LoadWriter&) = delete;

    void start() {
        stopping_ = false;
        thread_ = std::thread([this] { run(); });
    }
    void stop() {
        stopping_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    int committed() const { return committed_; }
    int failed() const { return failed_; }
    /// When the write that gave row `id` its `version` committed, if this writer made it.
    std::optional<Clock::time_point> commit_time(long long id, long long version) const {
        std::lock_guard lock(mu_);
        const auto it = commits_.find({id, version});
        return it == commits_.end() ? std::nullopt : std::optional(it->second);
    }

private:
    enum class Op { Insert, Update, Delete };

    struct Write {
        Op op;
        long long chat;
        long long target; // the row to update or delete
    };

    void run() {
        std::mt19937 rng(12345);
        std::optional<PgConn> pg;
        std::optional<Write> pending; // a write that failed is retried, not dropped
        auto next = Clock::now();
        while (!stopping_) {
            next += options_.interval;
            std::this_thread::sleep_until(next);
            if (!pending) {
                pending = pick(rng);
            }
            try {
                if (!pg) {
                    pg.emplace(test_conninfo());
                }
                write(*pg, *pending, rng);
                pending.reset();
                ++committed_;
            } catch (const std::runtime_error&) {
                ++failed_;
                pg.reset(); // a fresh connection; anything uncommitted was rolled back
                next = Clock::now() + std::chrono::milliseconds(50);
            }
        }
    }

    Write pick(std::mt19937& rng) {
        const auto chat = options_.chats[rng() % options_.chats.size()];
        const auto& live = live_[chat];
        const auto roll = rng() % 10;
        const Op op = live.empty() || roll < 5 ? Op::Insert : roll < 9 ? Op::Update : Op::Delete;
        return {op, chat, live.empty() ? 0 : live[rng() % live.size()]};
    }

    void write(PgConn& pg, const Write& w, std::mt19937& rng) {
        const auto [op, chat, target] = w;
        const std::string body(options_.body_bytes, static_cast<char>('a' + rng() % 26));
        pg.exec("BEGIN");
        long long id = target;
        long long version = 0;
        if (op == Op::Insert) {
            id = std::stoll(pg.scalar("INSERT INTO chat_message_content (chat_id, seq, role, body) "
                                      "VALUES ($1, 1, 'agent', $2) RETURNING id",
                                      {std::to_string(chat), body}));
            version = 1;
        } else if (op == Op::Update) {
            const auto rows = pg.query("UPDATE chat_message_content SET body = $2, "
                                       "version = version + 1, updated_at = now() "
                                       "WHERE id = $1 RETURNING version",
                                       {std::to_string(id), body});
            version = rows.empty() ? 0 : std::stoll(rows[0].at(0).value_or("0"));
        } else {
            pg.query("DELETE FROM chat_message_content WHERE id = $1", {std::to_string(id)});
        }
        pg.query("SELECT deltacast_signal($1, 'contentIds', ARRAY[$2]::bigint[])",
                 {options_.kind + ":" + std::to_string(chat), std::to_string(id)});
        pg.exec("COMMIT");
        const auto now = Clock::now();
        auto& live = live_[chat];
        if (op == Op::Insert) {
            live.push_back(id);
        } else if (op == Op::Delete) {
            std::erase(live, id);
        }
        if (version > 0) {
            std::lock_guard lock(mu_);
            commits_[{id, version}] = now;
        }
    }

    Options options_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> committed_{0};
    std::atomic<int> failed_{0};
    std::map<long long, std::vector<long long>> live_; // writer thread only
    mutable std::mutex mu_;
    std::map<std::pair<long long, long long>, Clock::time_point> commits_;
};

} // namespace deltacast::testing
