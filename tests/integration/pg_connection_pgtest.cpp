// PgConnection against a real Postgres: parameterised queries run as prepared statements,
// prepared once per connection and SQL text, or never when prepare_statements is off; a
// statement that fails to prepare fails only its own query.

#include "pg/pg_connection.hpp"
#include "support/pg_test.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

namespace deltacast::pg {
namespace {

namespace asio = boost::asio;

class PgConnectionTest : public ::testing::Test {
protected:
    void SetUp() override { open(true); }

    void open(bool prepare_statements) {
        if (conn_) {
            conn_->close();
        }
        conn_ = std::make_shared<PgConnection>(asio::make_strand(ioc_), testing::test_conninfo(),
                                               "deltacast/test", prepare_statements);
        std::optional<std::string> error;
        conn_->connect(std::chrono::seconds(5), [&](const std::string& e) { error = e; });
        run_until([&] { return error.has_value(); });
        ASSERT_EQ(*error, "");
    }

    void TearDown() override { conn_->close(); }

    template <typename Done>
    void run_until(Done done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no answer from Postgres";
            ioc_.run_one_for(std::chrono::milliseconds(100));
        }
    }

    QueryOutcome run(const std::string& sql, Params params) {
        std::optional<QueryOutcome> outcome;
        conn_->query(sql, std::move(params), [&](QueryOutcome o) { outcome = std::move(o); });
        run_until([&] { return outcome.has_value(); });
        return outcome ? std::move(*outcome) : QueryOutcome{{}, "timed out"};
    }

    static std::string value(const QueryOutcome& outcome) {
        if (!outcome.ok() || outcome.results.empty() || PQntuples(outcome.results.back().get()) < 1) {
            return "error: " + outcome.error;
        }
        return PQgetvalue(outcome.results.back().get(), 0, 0);
    }

    asio::io_context ioc_;
    std::shared_ptr<PgConnection> conn_;
};

TEST_F(PgConnectionTest, ParameterisedQueriesArePreparedOncePerSql) {
    const std::string add = "SELECT ($1::int + $2::int)::text";
    const std::string twice = "SELECT ($1::int * 2)::text";
    EXPECT_EQ(value(run(add, {"1", "2"})), "3");
    EXPECT_EQ(value(run(add, {"40", "2"})), "42");
    EXPECT_EQ(value(run(twice, {"21"})), "42");
    EXPECT_EQ(value(run(add, {"5", "5"})), "10");
    const auto prepared = run("SELECT count(*), string_agg(statement, ' | ' ORDER BY statement) "
                              "FROM pg_prepared_statements", {});
    ASSERT_TRUE(prepared.ok()) << prepared.error;
    EXPECT_EQ(value(prepared), "2");
    EXPECT_EQ(std::string(PQgetvalue(prepared.results.back().get(), 0, 1)), twice + " | " + add);
}

// Behind a transaction-mode pooler a named statement may be gone on the next server
// connection: with prepare_statements off, none is ever created, and queries still run.
TEST_F(PgConnectionTest, WithoutPreparedStatementsNoneIsCreated) {
    open(false);
    const std::string add = "SELECT ($1::int + $2::int)::text";
    EXPECT_EQ(value(run(add, {"1", "2"})), "3");
    EXPECT_EQ(value(run(add, {"40", "2"})), "42");
    EXPECT_EQ(value(run("SELECT count(*)::text FROM pg_prepared_statements", {})), "0");
    const auto bad = run("SELECT no_such_column FROM pg_class WHERE oid = $1", {"1"});
    EXPECT_NE(bad.error.find("no_such_column"), std::string::npos) << bad.error;
    EXPECT_EQ(value(run(add, {"5", "5"})), "10");
}

TEST_F(PgConnectionTest, StatementThatFailsToPrepareFailsOnlyItsQuery) {
    const auto bad = run("SELECT no_such_column FROM pg_class WHERE oid = $1", {"1"});
    EXPECT_FALSE(bad.ok());
    EXPECT_NE(bad.error.find("no_such_column"), std::string::npos) << bad.error;
    EXPECT_EQ(value(run("SELECT ($1::int + 1)::text", {"41"})), "42");
    const auto again = run("SELECT no_such_column FROM pg_class WHERE oid = $1", {"1"});
    EXPECT_FALSE(again.ok());  // not cached as prepared
}

// Invariant: close() during a connect drops the connect handler, so a handler that holds the
// connection (as QueryPool's does) cannot keep it alive: the server stopped right after start
// leaked the pool's connections (ASan) before.
TEST_F(PgConnectionTest, CloseDuringConnectFreesTheConnection) {
    auto conn = std::make_shared<PgConnection>(asio::make_strand(ioc_), testing::test_conninfo(),
                                               "deltacast/test", true);
    bool called = false;
    conn->connect(std::chrono::seconds(5), [conn, &called](const std::string&) { called = true; });
    const std::weak_ptr<PgConnection> weak = conn;
    conn->close();
    conn.reset();
    ioc_.run_for(std::chrono::milliseconds(200)); // the cancelled waits let go of it too
    EXPECT_TRUE(weak.expired());
    EXPECT_FALSE(called);
}

}  // namespace
}  // namespace deltacast::pg
