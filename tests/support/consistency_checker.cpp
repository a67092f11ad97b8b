#include "support/consistency_checker.hpp"

#include "support/pg_test.hpp"

#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace deltacast::testing {

using namespace std::chrono_literals;

namespace {

constexpr auto kReopenInterval = 200ms;
constexpr std::size_t kMaxReportLines = 60;

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const auto& part : parts) {
        out += (out.empty() ? "" : separator) + part;
    }
    return out;
}

/// One Postgres connection for pg_row_source(), reopened after the database went away.
struct PgTruth {
    std::map<std::string, std::string> sql_by_kind;
    std::string conninfo;
    std::mutex mu;
    std::optional<PgConn> conn;

    std::vector<nlohmann::json> rows(const std::string& topic) {
        const auto colon = topic.find(':');
        const auto it = sql_by_kind.find(topic.substr(0, colon));
        if (colon == std::string::npos || it == sql_by_kind.end()) {
            throw std::runtime_error("pg_row_source: no query for topic " + topic);
        }
        if (it->second.empty()) {
            return {}; // a poke kind: pokes carry no rows
        }
        std::lock_guard lock(mu);
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        for (;;) {
            try {
                if (!conn) {
                    conn.emplace(conninfo);
                }
                std::vector<nlohmann::json> out;
                for (const auto& row : conn->query(it->second, {topic.substr(colon + 1)})) {
                    out.push_back(nlohmann::json::parse(row.at(0).value_or("null")));
                }
                return out;
            } catch (const std::runtime_error&) {
                conn.reset();
                if (std::chrono::steady_clock::now() > deadline) {
                    throw;
                }
                std::this_thread::sleep_for(100ms);
            }
        }
    }
};

} // namespace

StreamOpener stream_opener(int port, const std::vector<std::string>& topics,
                           std::vector<std::pair<std::string, std::string>> headers) {
    return [port, topics = join(topics, ","),
            headers = std::move(headers)](const std::string& last_event_id) {
        SseRequest request;
        request.port = port;
        request.target = "/api/sse/stream?topics=" + topics;
        if (!last_event_id.empty()) {
            request.target += "&lastEventId=" + last_event_id;
        }
        request.headers = headers;
        return request;
    };
}

RowSource pg_row_source(std::map<std::string, std::string> sql_by_kind, std::string conninfo) {
    auto truth = std::make_shared<PgTruth>();
    truth->sql_by_kind = std::move(sql_by_kind);
    truth->conninfo = std::move(conninfo);
    return [truth](const std::string& topic) { return truth->rows(topic); };
}

CheckedClient::CheckedClient(std::string name, std::vector<std::string> topics, StreamOpener opener,
                             RowSource truth)
    : opener_(std::move(opener)), truth_(std::move(truth)),
      view_(std::move(name), std::move(topics)), stream_(std::make_unique<SseClient>()) {}

bool CheckedClient::open(std::chrono::milliseconds timeout) {
    if (!stream_->open(opener_(""), timeout) || stream_->status() != 200) {
        error_ = "open: status " + std::to_string(stream_->status()) + " " + stream_->error() +
                 stream_->body();
        return false;
    }
    const auto ready = stream_->next_event(timeout);
    if (!ready || ready->event != "ready") {
        error_ = "open: no `ready` event";
        return false;
    }
    // After `ready` every later commit reaches the stream, so this fetch leaves no gap.
    for (const auto& topic : view_.topics()) {
        view_.load(topic, truth_(topic));
    }
    return true;
}

void CheckedClient::disconnect() {
    pump();
    stream_->close();
    disconnected_ = true;
}

bool CheckedClient::resume() {
    disconnected_ = false;
    ++reopens_;
    next_reopen_ = std::chrono::steady_clock::now() + kReopenInterval;
    return stream_->open(opener_(last_event_id_), 2s) && stream_->status() == 200;
}

int CheckedClient::pump() {
    if (disconnected_) {
        return 0;
    }
    // Read before draining: once the stream has ended no further event can arrive after it.
    const bool ended = stream_->closed_by_server() || !stream_->error().empty() ||
                       (stream_->status() != 0 && stream_->status() != 200);
    int applied = 0;
    for (const auto& event : stream_->drain()) {
        if (observer_) {
            observer_(event);
        }
        if (!event.id.empty()) {
            last_event_id_ = event.id;
        }
        view_.apply(event, truth_);
        ++applied;
    }
    if (ended) {
        try_reopen();
    }
    return applied;
}

void CheckedClient::try_reopen() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_reopen_) {
        return;
    }
    next_reopen_ = now + kReopenInterval;
    ++reopens_;
    // Events are applied by later pumps, `ready` and any replay or resync included.
    stream_->open(opener_(last_event_id_), 2s);
}

CheckedClient& ConsistencyChecker::add(std::string name, std::vector<std::string> topics,
                                       StreamOpener opener) {
    clients_.push_back(std::make_unique<CheckedClient>(std::move(name), std::move(topics),
                                                       std::move(opener), truth_));
    auto& client = *clients_.back();
    EXPECT_TRUE(client.open()) << client.view().name() << ": " << client.error();
    return client;
}

int ConsistencyChecker::pump() {
    int applied = 0;
    for (auto& client : clients_) {
        applied += client->pump();
    }
    return applied;
}

std::vector<std::string> ConsistencyChecker::discrepancies() const {
    std::vector<std::string> out;
    for (const auto& client : clients_) {
        auto lines = client->view().compare(truth_);
        out.insert(out.end(), lines.begin(), lines.end());
    }
    return out;
}

::testing::AssertionResult ConsistencyChecker::check(std::chrono::milliseconds timeout,
                                                     std::chrono::milliseconds quiet) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto last_event = std::chrono::steady_clock::now();
    std::vector<std::string> lines;
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (pump() > 0) {
            last_event = now;
        } else if (now - last_event >= quiet) {
            lines = discrepancies();
            if (lines.empty()) {
                return ::testing::AssertionSuccess();
            }
        }
        if (now > deadline) {
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    lines = discrepancies();
    if (lines.empty()) {
        return ::testing::AssertionSuccess(); // consistent, though events kept coming
    }
    return ::testing::AssertionFailure() << report(lines, timeout);
}

std::string ConsistencyChecker::report(const std::vector<std::string>& lines,
                                       std::chrono::milliseconds timeout) const {
    std::ostringstream out;
    out << lines.size() << " discrepancies between clients and the database after "
        << timeout.count() << " ms (silent loss: SPEC §3):\n";
    for (std::size_t i = 0; i < lines.size() && i < kMaxReportLines; ++i) {
        out << "  " << lines[i] << "\n";
    }
    if (lines.size() > kMaxReportLines) {
        out << "  ... and " << lines.size() - kMaxReportLines << " more\n";
    }
    for (const auto& client : clients_) {
        const auto& stats = client->view().stats();
        out << "  [" << client->view().name() << ": " << stats.events << " events, "
            << stats.upsert_rows << " upserted rows, " << stats.deleted_ids << " deleted ids, "
            << client->reopens() << " reopens, resyncs:";
        for (const auto& [reason, count] : stats.resyncs) {
            out << " " << reason << "=" << count;
        }
        out << "]\n";
    }
    return out.str();
}

std::map<std::string, int> ConsistencyChecker::resyncs() const {
    std::map<std::string, int> out;
    for (const auto& client : clients_) {
        for (const auto& [reason, count] : client->view().stats().resyncs) {
            out[reason] += count;
        }
    }
    return out;
}

} // namespace deltacast::testing
