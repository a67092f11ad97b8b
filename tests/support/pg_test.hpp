#pragma once
// PgConn: a tiny blocking libpq connection for integration tests (set up schemas, write rows,
// send signals, inspect pg_stat_activity). Every failure throws std::runtime_error with libpq's
// message, which gtest reports as the test's failure. One thread at a time; movable.

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct pg_conn;

namespace deltacast::testing {

class PgConn {
public:
    using Row = std::vector<std::optional<std::string>>; // nullopt = SQL NULL

    /// Connects with `conninfo`; empty means libpq's PG* environment variables.
    explicit PgConn(const std::string &conninfo = "");

    /// Runs one or more statements without parameters; throws on error.
    void exec(const std::string &sql);
    /// Runs one statement with text parameters $1..$n; returns its rows as text.
    std::vector<Row> query(const std::string &sql, const std::vector<std::string> &params = {});
    /// The first column of the first row; throws if there is no row or the value is NULL.
    std::string scalar(const std::string &sql, const std::vector<std::string> &params = {});
    /// pg_notify(channel, payload), committed at once (autocommit).
    void notify(const std::string &channel, const std::string &payload);
    int backend_pid() const;

private:
    struct Finish {
        void operator()(pg_conn *conn) const;
    };
    std::unique_ptr<pg_conn, Finish> conn_;
};

/// The conninfo integration tests should use: DELTACAST_TEST_CONNINFO if set, else "" (PG*).
std::string test_conninfo();

} // namespace deltacast::testing
