#pragma once
// QueryPool: a small pool of PgConnections (application_name `deltacast/query`) that runs
// parameterised queries without blocking the loop. Jobs wait in one FIFO queue and go to the
// connection with the fewest queries on the wire, each connection pipelining up to
// postgres.pipeline_depth of them (1 with prepared_statements off: behind a transaction-mode
// pooler); a lost connection fails its jobs and is reconnected with backoff. Each connection
// sets statement_timeout so a slow query cannot pin it forever.
//
// Threading: all methods must be called on the core strand given at construction; callbacks
// run there. Callbacks may enqueue more queries.

#include "pg/pg_connection.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace deltacast {
struct Metrics;
struct PostgresConfig;
} // namespace deltacast

namespace deltacast::pg {

class QueryPool {
public:
    using Handler = std::function<void(QueryOutcome)>;

    QueryPool(boost::asio::any_io_executor core, const PostgresConfig& config, Metrics& metrics);
    ~QueryPool();

    void start();
    void stop();

    /// Runs `sql` with text `params` on some connection; `done` runs exactly once. Query time
    /// and errors are counted in the metrics.
    void run(std::string sql, Params params, Handler done);

private:
    struct Slot {
        std::shared_ptr<PgConnection> conn;
        bool ready = false;
        int failures = 0;
        std::unique_ptr<boost::asio::steady_timer> retry;
    };
    struct Job {
        std::string sql;
        Params params;
        Handler done;
    };

    void connect(std::size_t index);
    void schedule_reconnect(std::size_t index);
    void dispatch();
    void run_on(std::size_t index, Job job);

    boost::asio::any_io_executor core_;
    const PostgresConfig& config_;
    Metrics& metrics_;
    std::size_t depth_; // jobs per connection at once (its pending())
    std::vector<Slot> slots_;
    std::deque<Job> queue_;
    bool stopped_ = false;
};

} // namespace deltacast::pg
