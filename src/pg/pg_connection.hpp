#pragma once
// PgConnection: one non-blocking libpq connection driven by an Asio executor. PQsocket is
// wrapped in a stream_descriptor (which never closes it: libpq owns the fd); readiness drives
// PQconnectPoll, PQflush, PQconsumeInput and PQgetResult, so no call ever blocks the loop.
//
// Threading: every method must be called on `executor` (a strand), and every callback runs
// there. Callbacks may call back into the connection (e.g. send the next query). Queries are
// queued and answered in order. A query with parameters runs as a prepared statement:
// prepared on its first use on this connection, then only executed (Postgres parses and plans
// it once, not per window). With `prepare_statements` off it is sent as an unnamed statement
// every time, which a transaction-mode pooler (PgBouncer before 1.21) can carry: a named
// statement lives on one server connection, and such a pooler may run the next query on
// another. Not copyable; always held by shared_ptr.
//
// Pipelining (`pipeline_depth` > 1): up to that many queries with parameters are on the wire at
// once, in libpq's pipeline mode, each followed by its own Sync, so one query's error fails only
// that query and the next still runs. The backend runs them back to back: a connection is no
// longer limited to one query per round trip. A query without parameters (a multi-statement
// string) still runs alone, on the simple protocol, once the pipeline has drained.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace deltacast::pg {

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

/// The outcome of one query: every result libpq returned (several for a multi-statement
/// string), or the error text of the first failing one.
struct QueryOutcome {
    std::vector<ResultPtr> results;
    std::string error; // empty on success
    bool ok() const { return error.empty(); }
};

using Params = std::vector<std::optional<std::string>>;

class PgConnection : public std::enable_shared_from_this<PgConnection> {
public:
    using ConnectHandler = std::function<void(const std::string& error)>;
    using QueryHandler = std::function<void(QueryOutcome)>;
    using NotifyHandler = std::function<void(std::string_view channel, std::string_view payload)>;
    using LostHandler = std::function<void(const std::string& error)>;

    PgConnection(boost::asio::any_io_executor executor, std::string conninfo,
                 std::string application_name, bool prepare_statements = true,
                 std::size_t pipeline_depth = 1);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    /// Starts connecting; `done("")` once usable, `done(error)` on failure or timeout.
    void connect(std::chrono::milliseconds timeout, ConnectHandler done);

    /// Queues `sql` (text parameters, text results). Without params a multi-statement string is
    /// allowed. `done` always runs exactly once, with an error if the connection is lost.
    void query(std::string sql, Params params, QueryHandler done);

    void on_notify(NotifyHandler h) { notify_handler_ = std::move(h); }
    /// Runs once when an established connection breaks (not for a failed connect).
    void on_lost(LostHandler h) { lost_handler_ = std::move(h); }

    /// Closes now; pending queries fail with "connection closed". No lost handler is called, and
    /// a connect still in progress never calls its handler (dropped here, so a handler that holds
    /// this connection does not keep it alive).
    void close();

    bool is_open() const { return conn_ != nullptr && established_; }
    /// Queries queued and not yet answered (sent or waiting to be).
    std::size_t pending() const { return jobs_.size(); }
    /// Of those, the ones on the wire (at most pipeline_depth).
    std::size_t on_wire() const { return sent_; }
    int backend_pid() const { return conn_ ? PQbackendPID(conn_) : 0; }
    /// Escapes an identifier (a channel name) with PQescapeIdentifier; "" on failure.
    std::string escape_identifier(std::string_view name) const;

private:
    struct Job {
        std::string sql;
        Params params;
        QueryHandler done;
        bool preparing = false; // its PQsendPrepare is in flight; the first result is the prepare's
        std::string statement;  // the name it is being prepared under
    };
    std::string statement_name();
    /// A query with parameters goes on the pipeline when the depth allows more than one.
    bool pipelines(const Job& job) const { return pipeline_depth_ > 1 && !job.params.empty(); }

    void poll_connect();
    void wait_connect(bool for_write);
    void finish_connect(const std::string& error);
    bool sync_descriptor();
    void send_jobs();
    bool send(Job& job);
    void finish_job();
    void flush_output();
    void wait_readable();
    void on_readable();
    void drain_notifications();
    void collect_results();
    void collect_pipelined(PGresult* r);
    void fail(const std::string& error);
    void fail_jobs(const std::string& error);

    boost::asio::any_io_executor executor_;
    std::string conninfo_;
    std::string application_name_;
    bool prepare_statements_;
    std::size_t pipeline_depth_;
    PGconn* conn_ = nullptr;
    bool established_ = false;
    bool reading_ = false;
    bool writing_ = false;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer connect_timer_;
    ConnectHandler connect_done_;
    std::deque<Job> jobs_; // in order; the first `sent_` are on the wire
    std::size_t sent_ = 0;
    bool pipelined_ = false; // libpq is in pipeline mode
    // sql -> its prepared statement on this connection. Parameterised SQL comes only from the
    // configuration (entity, snapshot and access queries), so this stays small.
    std::unordered_map<std::string, std::string> statements_;
    std::size_t statements_named_ = 0;
    QueryOutcome current_; // the answer of jobs_.front() so far
    NotifyHandler notify_handler_;
    LostHandler lost_handler_;
};

} // namespace deltacast::pg
