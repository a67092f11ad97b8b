// PgConnection against a real Postgres: parameterised queries run as prepared statements,
// prepared once per connection and SQL text, or never when prepare_statements is off; a
// statement that fails to prepare fails only its own query. Pipelined, queries go out together
// and each is still answered alone, in order, its error its own.

#include "pg/pg_connection.hpp"
#include "support/pg_test.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace deltacast::pg {
namespace {

namespace asio = boost::asio;

class PgConnectionTest : public ::testing::Test {
protected:
    void SetUp() override { open(true); }

    void open(bool prepare_statements, std::size_t pipeline_depth = 1) {
        if (conn_) {
            conn_->close();
        }
        conn_ = std::make_shared<PgConnection>(asio::make_strand(ioc_), testing::test_conninfo(),
                                               "deltacast/test", prepare_statements,
                                               pipeline_depth);
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

// Queued at once: every query gets its own answer, in order. Pipelined, the parameterised ones
// are on the wire together; a failing one (at execution or at prepare) fails alone and the
// next runs; a multi-statement string waits for the pipeline to drain and runs on the simple
// protocol; the statements are still prepared once.
class PipelineTest : public PgConnectionTest, public ::testing::WithParamInterface<bool> {};

TEST_P(PipelineTest, EveryQueryGetsItsOwnAnswerInOrder) {
    const bool prepare = GetParam();
    open(prepare, 8);
    const std::string add = "SELECT ($1::int + $2::int)::text";
    const std::string bad = "SELECT no_such_column FROM pg_class WHERE oid = $1";
    struct Case {
        std::string sql;
        Params params;
        std::string expect; // a value, or "error: <part of the message>"
    };
    const std::vector<Case> cases = {
        {add, {"1", "2"}, "3"},
        {"SELECT (10 / $1::int)::text", {"0"}, "error: division by zero"},
        {add, {"40", "2"}, "42"},
        {bad, {"1"}, "error: no_such_column"},
        {add, {"5", "5"}, "10"},
        {"SELECT 1; SELECT 'simple'", {}, "simple"},
        {add, {"7", "0"}, "7"},
        {bad, {"1"}, "error: no_such_column"},
        {"SELECT $1::text || '!'", {"done"}, "done!"},
    };
    std::vector<std::optional<QueryOutcome>> outcomes(cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        conn_->query(cases[i].sql, cases[i].params,
                     [&outcomes, i](QueryOutcome o) { outcomes[i] = std::move(o); });
    }
    EXPECT_EQ(conn_->on_wire(), 5U); // the five before the simple query
    std::vector<std::size_t> order;
    run_until([&] {
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            if (outcomes[i] && std::find(order.begin(), order.end(), i) == order.end()) {
                order.push_back(i);
            }
        }
        return order.size() == cases.size();
    });
    for (std::size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(order[i], i);
        const auto& want = cases[i].expect;
        if (want.rfind("error: ", 0) == 0) {
            EXPECT_NE(outcomes[i]->error.find(want.substr(7)), std::string::npos)
                << i << ": " << outcomes[i]->error;
        } else {
            EXPECT_EQ(value(*outcomes[i]), want) << i;
        }
    }
    const auto prepared = run("SELECT count(*)::text FROM pg_prepared_statements", {});
    EXPECT_EQ(value(prepared), prepare ? "3" : "0"); // add, the division, the last one
    EXPECT_EQ(value(run(add, {"20", "22"})), "42");  // the connection goes on
}

INSTANTIATE_TEST_SUITE_P(PreparedOrNot, PipelineTest, ::testing::Bool());

TEST_F(PgConnectionTest, WithoutPipeliningOneQueryIsOnTheWire) {
    for (int i = 0; i < 3; ++i) {
        conn_->query("SELECT $1::text", {std::to_string(i)}, [](QueryOutcome) {});
    }
    EXPECT_EQ(conn_->on_wire(), 1U);
    run_until([&] { return conn_->pending() == 0; });
}

TEST_F(PgConnectionTest, ThePipelineHoldsAtMostItsDepth) {
    open(true, 4);
    int answered = 0;
    for (int i = 0; i < 10; ++i) {
        conn_->query("SELECT $1::text", {std::to_string(i)}, [&](QueryOutcome o) {
            EXPECT_EQ(value(o), std::to_string(answered));
            ++answered;
        });
    }
    // The first query prepares the statement: the pipeline fills as soon as it is sent.
    EXPECT_EQ(conn_->on_wire(), 4U);
    run_until([&] { return answered == 10; });
    EXPECT_EQ(conn_->on_wire(), 0U);
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
