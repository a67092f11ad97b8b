#include "pg/pg_connection.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>

namespace deltacast::pg {
namespace asio = boost::asio;

namespace {

std::string trim_error(const char* message) {
    std::string s = message ? message : "unknown libpq error";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

} // namespace

PgConnection::PgConnection(asio::any_io_executor executor, std::string conninfo,
                           std::string application_name, bool prepare_statements,
                           std::size_t pipeline_depth)
    : executor_(executor), conninfo_(std::move(conninfo)),
      application_name_(std::move(application_name)), prepare_statements_(prepare_statements),
      pipeline_depth_(std::max<std::size_t>(1, pipeline_depth)), socket_(executor),
      connect_timer_(executor) {}

PgConnection::~PgConnection() {
    if (socket_.is_open()) {
        socket_.release();
    }
    if (conn_ != nullptr) {
        PQfinish(conn_);
    }
}

void PgConnection::connect(std::chrono::milliseconds timeout, ConnectHandler done) {
    connect_done_ = std::move(done);
    // Keywords before "dbname" are defaults the conninfo may override; application_name after
    // it always wins, so operators can find our connections in pg_stat_activity.
    const std::array<const char*, 8> keys = {"keepalives",
                                             "keepalives_idle",
                                             "keepalives_interval",
                                             "keepalives_count",
                                             "dbname",
                                             "application_name",
                                             nullptr,
                                             nullptr};
    const std::array<const char*, 8> values = {
        "1", "10", "5", "3", conninfo_.c_str(), application_name_.c_str(), nullptr, nullptr};
    conn_ = PQconnectStartParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
        finish_connect(conn_ ? trim_error(PQerrorMessage(conn_)) : "out of memory");
        return;
    }
    connect_timer_.expires_after(timeout);
    connect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && self->conn_ != nullptr && !self->established_) {
            self->finish_connect("connection timed out");
        }
    });
    wait_connect(true); // libpq: start as if PQconnectPoll had returned PGRES_POLLING_WRITING
}

bool PgConnection::sync_descriptor() {
    // During connect libpq may close its socket and open another (SSL fallback, next host),
    // possibly under the same number: re-register on every step so epoll sees the live one.
    if (socket_.is_open()) {
        socket_.release();
    }
    const int fd = PQsocket(conn_);
    if (fd < 0) {
        return false;
    }
    boost::system::error_code ec;
    socket_.assign(fd, ec);
    return !ec;
}

void PgConnection::wait_connect(bool for_write) {
    if (!sync_descriptor()) {
        finish_connect("libpq has no socket");
        return;
    }
    const auto type = for_write ? asio::posix::descriptor_base::wait_write
                                : asio::posix::descriptor_base::wait_read;
    socket_.async_wait(type, [self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && self->conn_ != nullptr && !self->established_) {
            self->poll_connect();
        }
    });
}

void PgConnection::poll_connect() {
    switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(conn_, 1) != 0) {
            finish_connect(trim_error(PQerrorMessage(conn_)));
            return;
        }
        established_ = true;
        finish_connect("");
        return;
    case PGRES_POLLING_READING:
        wait_connect(false);
        return;
    case PGRES_POLLING_WRITING:
        wait_connect(true);
        return;
    default:
        finish_connect(trim_error(PQerrorMessage(conn_)));
        return;
    }
}

void PgConnection::finish_connect(const std::string& error) {
    connect_timer_.cancel();
    auto done = std::move(connect_done_);
    connect_done_ = nullptr;
    if (!error.empty()) {
        established_ = false;
        close();
    } else if (sync_descriptor()) {
        wait_readable();
        send_jobs();
    }
    if (done) {
        done(error);
    }
}

void PgConnection::query(std::string sql, Params params, QueryHandler done) {
    if (conn_ == nullptr) {
        asio::post(executor_, [done = std::move(done)] {
            done(QueryOutcome{{}, "not connected"});
        });
        return;
    }
    jobs_.push_back(Job{std::move(sql), std::move(params), std::move(done), false, {}});
    send_jobs();
}

std::string PgConnection::statement_name() {
    return "deltacast_" + std::to_string(++statements_named_);
}

void PgConnection::send_jobs() {
    if (!established_) {
        return;
    }
    const std::size_t before = sent_;
    while (sent_ < jobs_.size() && conn_ != nullptr) {
        // Joins the pipeline only behind pipelined queries (a query with parameters when the
        // depth allows); a simple query, or any query on a connection without pipelining,
        // waits until nothing is on the wire.
        if (sent_ > 0 && (!pipelines(jobs_[sent_]) || !pipelined_ || sent_ >= pipeline_depth_)) {
            break;
        }
        if (!send(jobs_[sent_])) {
            return; // failed: every job is answered with the error
        }
        ++sent_;
    }
    if (sent_ != before) {
        flush_output();
    }
}

bool PgConnection::send(Job& job) {
    const bool pipeline = pipelines(job);
    // Switching modes happens with nothing on the wire (send_jobs), when libpq allows it.
    if (pipeline != pipelined_) {
        if ((pipeline ? PQenterPipelineMode(conn_) : PQexitPipelineMode(conn_)) == 0) {
            fail(trim_error(PQerrorMessage(conn_)));
            return false;
        }
        pipelined_ = pipeline;
    }
    const int n = static_cast<int>(job.params.size());
    std::vector<const char*> values;
    values.reserve(job.params.size());
    for (const auto& p : job.params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    int sent = 0;
    if (job.params.empty()) {
        sent = PQsendQuery(conn_, job.sql.c_str());
    } else if (!prepare_statements_) {
        sent = PQsendQueryParams(conn_, job.sql.c_str(), n, nullptr, values.data(), nullptr,
                                 nullptr, 0);
    } else if (const auto it = statements_.find(job.sql); it != statements_.end()) {
        sent =
            PQsendQueryPrepared(conn_, it->second.c_str(), n, values.data(), nullptr, nullptr, 0);
    } else if (!pipeline) {
        // First use on this connection: prepare it (one extra round trip, once); the job runs
        // when the prepare's result arrives (collect_results).
        job.preparing = true;
        job.statement = statement_name();
        sent = PQsendPrepare(conn_, job.statement.c_str(), job.sql.c_str(), n, nullptr);
    } else {
        // Pipelined: the prepare and the first execution go together, and the queries behind
        // use the name at once. If the prepare fails, so do they (the statement does not
        // exist), and the next query prepares it again.
        job.preparing = true;
        job.statement = statement_name();
        statements_.emplace(job.sql, job.statement);
        sent = PQsendPrepare(conn_, job.statement.c_str(), job.sql.c_str(), n, nullptr) != 0 &&
               PQsendQueryPrepared(conn_, job.statement.c_str(), n, values.data(), nullptr, nullptr,
                                   0) != 0;
    }
    if (sent != 0 && pipeline) {
        sent = PQpipelineSync(conn_); // its own Sync: an error ends with this query
    }
    if (sent == 0) {
        fail(trim_error(PQerrorMessage(conn_)));
        return false;
    }
    return true;
}

void PgConnection::flush_output() {
    const int rc = PQflush(conn_);
    if (rc < 0) {
        fail(trim_error(PQerrorMessage(conn_)));
    } else if (rc == 1 && !writing_) {
        writing_ = true;
        socket_.async_wait(asio::posix::descriptor_base::wait_write,
                           [self = shared_from_this()](boost::system::error_code ec) {
                               self->writing_ = false;
                               if (!ec && self->conn_ != nullptr) {
                                   self->flush_output();
                               }
                           });
    }
}

void PgConnection::wait_readable() {
    if (reading_ || conn_ == nullptr) {
        return;
    }
    reading_ = true;
    socket_.async_wait(asio::posix::descriptor_base::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                           self->reading_ = false;
                           if (!ec && self->conn_ != nullptr) {
                               self->on_readable();
                           }
                       });
}

void PgConnection::on_readable() {
    if (PQconsumeInput(conn_) == 0) {
        fail(trim_error(PQerrorMessage(conn_)));
        return;
    }
    collect_results();
    if (conn_ != nullptr) {
        drain_notifications();
    }
    if (conn_ != nullptr) {
        wait_readable();
    }
}

void PgConnection::drain_notifications() {
    while (conn_ != nullptr) {
        PGnotify* n = PQnotifies(conn_);
        if (n == nullptr) {
            return;
        }
        std::string channel = n->relname;
        std::string payload = n->extra ? n->extra : "";
        PQfreemem(n);
        if (notify_handler_) {
            notify_handler_(channel, payload);
        }
    }
}

void PgConnection::collect_results() {
    while (sent_ > 0 && conn_ != nullptr && PQisBusy(conn_) == 0) {
        PGresult* r = PQgetResult(conn_);
        if (pipelined_) {
            if (r == nullptr) {
                // The end of one statement's results; the Sync's result ends the job. Twice in a
                // row means libpq has nothing more yet.
                if (PQisBusy(conn_) != 0) {
                    break;
                }
                r = PQgetResult(conn_);
                if (r == nullptr) {
                    break;
                }
            }
            collect_pipelined(r);
            continue;
        }
        if (r == nullptr) {
            if (jobs_.front().preparing && current_.error.empty()) {
                Job& job = jobs_.front();
                job.preparing = false;
                statements_.emplace(job.sql, job.statement);
                current_ = QueryOutcome{};
                sent_ = 0;
                send_jobs(); // now runs the prepared statement
                continue;
            }
            finish_job();
            continue;
        }
        const auto status = PQresultStatus(r);
        if ((status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) &&
            current_.error.empty()) {
            current_.error = trim_error(PQresultErrorMessage(r));
        }
        current_.results.emplace_back(r);
    }
    if (conn_ != nullptr) {
        send_jobs();
    }
}

void PgConnection::collect_pipelined(PGresult* r) {
    ResultPtr result(r);
    Job& job = jobs_.front();
    const auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
        finish_job();
        return;
    }
    const bool failed = status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE;
    if (failed && current_.error.empty()) {
        current_.error = trim_error(PQresultErrorMessage(r));
    }
    if (job.preparing) { // the prepare's result: not the caller's
        job.preparing = false;
        if (failed) {
            statements_.erase(job.sql);
        }
        return;
    }
    if (status == PGRES_PIPELINE_ABORTED) { // an earlier statement of this job failed
        return;
    }
    current_.results.push_back(std::move(result));
}

void PgConnection::finish_job() {
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    --sent_;
    QueryOutcome outcome = std::move(current_);
    current_ = QueryOutcome{};
    job.done(std::move(outcome)); // may queue the next query or close us
}

void PgConnection::fail(const std::string& error) {
    if (conn_ == nullptr) {
        return;
    }
    const bool was_established = established_;
    fail_jobs(error);
    close();
    if (was_established && lost_handler_) {
        lost_handler_(error);
    }
}

void PgConnection::fail_jobs(const std::string& error) {
    // Posted, not called: a failing job's handler must not re-enter us mid-teardown.
    while (!jobs_.empty()) {
        asio::post(executor_, [done = std::move(jobs_.front().done), error] {
            done(QueryOutcome{{}, error});
        });
        jobs_.pop_front();
    }
    sent_ = 0;
    current_ = QueryOutcome{};
}

void PgConnection::close() {
    connect_timer_.cancel();
    connect_done_ = nullptr; // finish_connect() took it already when a connect ends here
    if (socket_.is_open()) {
        socket_.release();
    }
    if (conn_ != nullptr) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
    established_ = false;
    pipelined_ = false;
    fail_jobs("connection closed");
}

std::string PgConnection::escape_identifier(std::string_view name) const {
    if (conn_ == nullptr) {
        return {};
    }
    char* escaped = PQescapeIdentifier(conn_, name.data(), name.size());
    if (escaped == nullptr) {
        return {};
    }
    std::string out = escaped;
    PQfreemem(escaped);
    return out;
}

} // namespace deltacast::pg
