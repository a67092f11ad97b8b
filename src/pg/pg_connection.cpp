#include "pg/pg_connection.hpp"

#include <boost/asio/post.hpp>

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
                           std::string application_name, bool prepare_statements)
    : executor_(executor), conninfo_(std::move(conninfo)),
      application_name_(std::move(application_name)), prepare_statements_(prepare_statements),
      socket_(executor), connect_timer_(executor) {}

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
        start_next_job();
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
    jobs_.push_back(Job{std::move(sql), std::move(params), std::move(done)});
    start_next_job();
}

std::string PgConnection::statement_name(std::size_t index) {
    return "deltacast_" + std::to_string(index + 1);
}

void PgConnection::start_next_job() {
    if (job_running_ || jobs_.empty() || !established_) {
        return;
    }
    Job& job = jobs_.front();
    const int n = static_cast<int>(job.params.size());
    // The parameter array, built only for the calls that send parameters.
    const auto values = [&job] {
        std::vector<const char*> v;
        v.reserve(job.params.size());
        for (const auto& p : job.params) {
            v.push_back(p ? p->c_str() : nullptr);
        }
        return v;
    };
    int sent = 0;
    if (job.params.empty()) {
        sent = PQsendQuery(conn_, job.sql.c_str());
    } else if (!prepare_statements_) {
        sent = PQsendQueryParams(conn_, job.sql.c_str(), n, nullptr, values().data(), nullptr,
                                 nullptr, 0);
    } else if (const auto it = statements_.find(job.sql); it == statements_.end()) {
        // First use on this connection: prepare it (one extra round trip, once); the job runs
        // when the prepare's result arrives (collect_results).
        job.preparing = true;
        sent = PQsendPrepare(conn_, statement_name(statements_.size()).c_str(), job.sql.c_str(), n,
                             nullptr);
    } else {
        sent =
            PQsendQueryPrepared(conn_, it->second.c_str(), n, values().data(), nullptr, nullptr, 0);
    }
    if (sent == 0) {
        fail(trim_error(PQerrorMessage(conn_)));
        return;
    }
    job_running_ = true;
    current_ = QueryOutcome{};
    flush_output();
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
    while (job_running_ && conn_ != nullptr && PQisBusy(conn_) == 0) {
        PGresult* r = PQgetResult(conn_);
        if (r == nullptr) {
            job_running_ = false;
            if (jobs_.front().preparing && current_.error.empty()) {
                Job& job = jobs_.front();
                job.preparing = false;
                statements_.emplace(job.sql, statement_name(statements_.size()));
                current_ = QueryOutcome{};
                start_next_job(); // now runs the prepared statement
                continue;
            }
            Job job = std::move(jobs_.front());
            jobs_.pop_front();
            QueryOutcome outcome = std::move(current_);
            current_ = QueryOutcome{};
            job.done(std::move(outcome)); // may queue the next query or close us
            if (conn_ != nullptr) {
                start_next_job();
            }
            return;
        }
        const auto status = PQresultStatus(r);
        if ((status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) &&
            current_.error.empty()) {
            current_.error = trim_error(PQresultErrorMessage(r));
        }
        current_.results.emplace_back(r);
    }
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
    job_running_ = false;
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
