#pragma once
// The end-to-end consistency checker (SPEC §3: every update is delivered or covered by a
// `resync`; nothing is silently lost). A CheckedClient is one real SSE client whose events
// feed a ClientView; it loads its topics from the truth after `ready` (a client's initial
// fetch) and, when the server ends its stream, reopens it with its last event id as
// EventSource does. A ConsistencyChecker owns the clients of one test: pump() applies what
// arrived, and check(), called once writes have stopped, waits for quiescence and then reports
// every client whose rows differ from the truth (Postgres, via pg_row_source()).
//
// Threading: the test thread only. Events queue inside each SseClient (its reader thread),
// so pumping late loses nothing and SseEvent::received still says when each event arrived.

#include "support/client_view.hpp"
#include "support/sse_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace deltacast::testing {

/// The request that (re)opens a stream; `last_event_id` is empty for the first open.
using StreamOpener = std::function<SseRequest(const std::string& last_event_id)>;

/// GET /api/sse/stream?topics=<topics joined by ','> on 127.0.0.1:`port` with `headers`,
/// adding `lastEventId` when resuming (a query parameter, as the web client reopens).
StreamOpener stream_opener(int port, const std::vector<std::string>& topics,
                           std::vector<std::pair<std::string, std::string>> headers);

/// A RowSource reading Postgres: `sql_by_kind` maps a topic kind ("chat") to a query of the
/// topic's rows as single to_jsonb columns, `$1` being the topic id ("" for a poke kind,
/// which has no rows). It reconnects (and retries for up to 15 s) when the database went
/// away, so it works across a Postgres restart.
/// Throws std::runtime_error for an unknown kind or when Postgres stays unreachable.
RowSource pg_row_source(std::map<std::string, std::string> sql_by_kind, std::string conninfo = "");

class CheckedClient {
public:
    using Observer = std::function<void(const SseEvent&)>;

    CheckedClient(std::string name, std::vector<std::string> topics, StreamOpener opener,
                  RowSource truth);

    /// Opens the stream, waits for `ready`, then loads every topic from the truth. False (and
    /// error()) when the server did not answer 200 + `ready` within `timeout`.
    bool open(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Applies every event received so far, calling the observer for each. When the server
    /// ended the stream, reopens it resuming after the last event id (retried on later pumps,
    /// at most every 200 ms, while the server refuses). Returns the number of events applied.
    int pump();
    /// Cuts the stream from the client's side, as a network blip or a tab reopening its stream
    /// would, after applying every event received so far (anything still on the wire is lost to
    /// this client, as it would be). The client stays closed until resume().
    void disconnect();
    /// Reopens a disconnect()ed stream at once, resuming after the last event id applied; the
    /// `ready` and any replay or resync are applied by later pumps. False when the server did
    /// not answer (the next pump() then retries as for a server-ended stream).
    bool resume();
    bool disconnected() const { return disconnected_; }
    /// Called for every event pump() applies, before it is applied.
    void observe(Observer observer) { observer_ = std::move(observer); }

    const ClientView& view() const { return view_; }
    SseClient& stream() { return *stream_; }
    int reopens() const { return reopens_; }
    const std::string& error() const { return error_; }

private:
    void try_reopen();

    StreamOpener opener_;
    RowSource truth_;
    ClientView view_;
    std::unique_ptr<SseClient> stream_;
    Observer observer_;
    std::string last_event_id_;
    std::chrono::steady_clock::time_point next_reopen_{};
    int reopens_ = 0;
    bool disconnected_ = false;
    std::string error_;
};

class ConsistencyChecker {
public:
    explicit ConsistencyChecker(RowSource truth) : truth_(std::move(truth)) {}

    /// Adds a client and opens it (see CheckedClient::open); the test fails if it cannot.
    CheckedClient& add(std::string name, std::vector<std::string> topics, StreamOpener opener);
    /// Pumps every client; returns the number of events applied.
    int pump();
    /// Call once writes have stopped. Pumps until no event arrived for `quiet` and every view
    /// then equals the truth, or until `timeout`; fails listing every discrepancy of every
    /// client (missing rows, stale rows, rows deleted in the database) and protocol errors.
    ::testing::AssertionResult
    check(std::chrono::milliseconds timeout = std::chrono::seconds(20),
          std::chrono::milliseconds quiet = std::chrono::milliseconds(300));

    std::vector<std::unique_ptr<CheckedClient>>& clients() { return clients_; }
    /// Resyncs seen by all clients, by reason.
    std::map<std::string, int> resyncs() const;

private:
    std::vector<std::string> discrepancies() const;
    std::string report(const std::vector<std::string>& lines,
                       std::chrono::milliseconds timeout) const;

    RowSource truth_;
    std::vector<std::unique_ptr<CheckedClient>> clients_;
};

} // namespace deltacast::testing
