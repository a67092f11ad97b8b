#include "support/pg_test.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <stdexcept>

namespace deltacast::testing {

namespace {

struct ClearResult {
    void operator()(PGresult *result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

void check(const ResultPtr &result, PGconn *conn, const std::string &sql) {
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
        return;
    }
    const char *message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn);
    throw std::runtime_error("PgConn: " + std::string(message) + " in: " + sql);
}

} // namespace

void PgConn::Finish::operator()(pg_conn *conn) const {
    PQfinish(conn);
}

PgConn::PgConn(const std::string &conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (!conn_) {
        throw std::runtime_error("PgConn: out of memory");
    }
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw std::runtime_error("PgConn: connect failed: " +
                                 std::string(PQerrorMessage(conn_.get())));
    }
}

void PgConn::exec(const std::string &sql) {
    const ResultPtr result(PQexec(conn_.get(), sql.c_str()));
    check(result, conn_.get(), sql);
}

std::vector<PgConn::Row> PgConn::query(const std::string &sql,
                                       const std::vector<std::string> &params) {
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &param : params) {
        values.push_back(param.c_str());
    }
    const ResultPtr result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                        nullptr, values.data(), nullptr, nullptr, 0));
    check(result, conn_.get(), sql);
    std::vector<Row> rows(static_cast<std::size_t>(PQntuples(result.get())));
    const int columns = PQnfields(result.get());
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const int row = static_cast<int>(r);
        for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(result.get(), row, c)) {
                rows[r].emplace_back(std::nullopt);
            } else {
                rows[r].emplace_back(
                    std::string(PQgetvalue(result.get(), row, c),
                                static_cast<std::size_t>(PQgetlength(result.get(), row, c))));
            }
        }
    }
    return rows;
}

std::string PgConn::scalar(const std::string &sql, const std::vector<std::string> &params) {
    const auto rows = query(sql, params);
    if (rows.empty() || rows.front().empty()) {
        throw std::runtime_error("PgConn: no value from: " + sql);
    }
    if (!rows.front().front()) {
        throw std::runtime_error("PgConn: NULL from: " + sql);
    }
    return *rows.front().front();
}

void PgConn::notify(const std::string &channel, const std::string &payload) {
    query("SELECT pg_notify($1, $2)", {channel, payload});
}

int PgConn::backend_pid() const {
    return PQbackendPID(conn_.get());
}

std::string test_conninfo() {
    const char *value = std::getenv("DELTACAST_TEST_CONNINFO");
    return value != nullptr ? value : "";
}

} // namespace deltacast::testing
