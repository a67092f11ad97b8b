#include "listen/listen_connection.hpp"

#include "config/config.hpp"
#include "util/backoff.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"

#include <boost/asio/post.hpp>

namespace deltacast::listen {
namespace asio = boost::asio;

namespace {
constexpr auto kConnectTimeout = std::chrono::seconds(10);
}

ListenConnection::ListenConnection(asio::any_io_executor core, const PostgresConfig& config,
                                   Metrics& metrics)
    : core_(core), config_(config), metrics_(metrics), retry_(core) {}

ListenConnection::~ListenConnection() {
    stop();
}

void ListenConnection::start() {
    stopped_ = false;
    connect();
}

void ListenConnection::stop() {
    stopped_ = true;
    retry_.cancel();
    if (conn_) {
        conn_->close();
    }
    set_ready(false);
}

void ListenConnection::connect() {
    auto conn = std::make_shared<pg::PgConnection>(core_, config_.conninfo, "deltacast/listen");
    conn_ = conn;
    conn->on_notify([this](std::string_view channel, std::string_view payload) {
        if (handler_ != nullptr) {
            handler_->on_notification(channel, payload);
        }
    });
    conn->on_lost([this](const std::string& error) { on_lost(error); });
    conn->connect(kConnectTimeout, [this, conn](const std::string& error) {
        if (stopped_ || conn != conn_) {
            return;
        }
        if (!error.empty()) {
            log::get("listen")->warn("connect failed attempt={} error=\"{}\"", attempt_, error);
            schedule_reconnect();
            return;
        }
        on_connected();
    });
}

void ListenConnection::on_connected() {
    std::string sql;
    for (const auto& channel : wanted_) {
        sql += statement(Op{true, channel, nullptr});
    }
    auto resubscribed = [this, conn = conn_](pg::QueryOutcome outcome) {
        if (stopped_ || conn != conn_) {
            return;
        }
        if (!outcome.ok()) {
            log::get("listen")->error("re-LISTEN failed error=\"{}\"", outcome.error);
            conn->close();
            schedule_reconnect();
            return;
        }
        const bool reconnected = connected_before_;
        connected_before_ = true;
        attempt_ = 0;
        set_ready(true);
        log::get("listen")->info("connected backend_pid={} channels={}", conn->backend_pid(),
                                 wanted_.size());
        if (reconnected) {
            metrics_.listener_reconnects.fetch_add(1, std::memory_order_relaxed);
            if (handler_ != nullptr) {
                handler_->on_resubscribed();
            }
        }
        pump();
    };
    if (sql.empty()) {
        resubscribed(pg::QueryOutcome{});
        return;
    }
    metrics_.listen_commands.fetch_add(wanted_.size(), std::memory_order_relaxed);
    conn_->query(std::move(sql), {}, std::move(resubscribed));
}

void ListenConnection::on_lost(const std::string& error) {
    if (stopped_) {
        return;
    }
    log::get("listen")->error("connection lost error=\"{}\"", error);
    set_ready(false);
    auto queued = std::move(queued_);
    queued_.clear();
    for (auto& op : queued) {
        if (op.done) {
            op.done(false);
        }
    }
    if (handler_ != nullptr) {
        handler_->on_connection_lost();
    }
    schedule_reconnect();
}

void ListenConnection::schedule_reconnect() {
    if (stopped_) {
        return;
    }
    set_ready(false);
    retry_.expires_after(
        backoff_delay(attempt_++, config_.reconnect_min_ms, config_.reconnect_max_ms));
    retry_.async_wait([this](boost::system::error_code ec) {
        if (!ec && !stopped_) {
            connect();
        }
    });
}

void ListenConnection::set_ready(bool ready) {
    ready_ = ready;
    ready_flag_.store(ready, std::memory_order_release);
    metrics_.listener_connected.store(ready ? 1 : 0, std::memory_order_relaxed);
    metrics_.listen_channels.store(ready ? static_cast<std::int64_t>(wanted_.size()) : 0,
                                   std::memory_order_relaxed);
}

void ListenConnection::listen(const std::string& channel, std::function<void(bool ok)> done) {
    if (!ready_) {
        asio::post(core_, [done = std::move(done)] { done(false); });
        return;
    }
    wanted_.insert(channel);
    queued_.push_back(Op{true, channel, std::move(done)});
    pump();
}

void ListenConnection::unlisten(const std::string& channel) {
    wanted_.erase(channel);
    if (ready_) {
        queued_.push_back(Op{false, channel, nullptr});
        pump();
    }
}

std::string ListenConnection::statement(const Op& op) const {
    return (op.listen ? "LISTEN " : "UNLISTEN ") + conn_->escape_identifier(op.channel) + ";";
}

void ListenConnection::pump() {
    if (batch_in_flight_ || queued_.empty() || !ready_) {
        return;
    }
    std::vector<Op> ops(std::make_move_iterator(queued_.begin()),
                        std::make_move_iterator(queued_.end()));
    queued_.clear();
    std::string sql;
    for (const auto& op : ops) {
        sql += statement(op);
    }
    batch_in_flight_ = true;
    metrics_.listen_commands.fetch_add(ops.size(), std::memory_order_relaxed);
    conn_->query(std::move(sql), {},
                 [this, conn = conn_, ops = std::move(ops)](pg::QueryOutcome outcome) mutable {
                     finish_batch(conn, std::move(ops), outcome);
                 });
}

void ListenConnection::finish_batch(const std::shared_ptr<pg::PgConnection>& conn,
                                    std::vector<Op> ops, const pg::QueryOutcome& outcome) {
    batch_in_flight_ = false;
    const bool ok = outcome.ok() && conn == conn_ && ready_;
    for (auto& op : ops) {
        if (op.done) {
            op.done(ok);
        }
    }
    if (!outcome.ok() && conn == conn_ && conn->is_open()) {
        // LISTEN only fails with a broken session: start over so the wanted set is re-applied.
        log::get("listen")->error("LISTEN batch failed error=\"{}\"", outcome.error);
        conn->close();
        on_lost(outcome.error);
        return;
    }
    metrics_.listen_channels.store(ready_ ? static_cast<std::int64_t>(wanted_.size()) : 0,
                                   std::memory_order_relaxed);
    pump();
}

void ListenConnection::listening_channels(
    std::function<void(std::optional<std::vector<std::string>>)> done) {
    if (!ready_) {
        asio::post(core_, [done = std::move(done)] { done(std::nullopt); });
        return;
    }
    conn_->query("SELECT pg_listening_channels()", {},
                 [done = std::move(done)](pg::QueryOutcome outcome) {
                     if (!outcome.ok() || outcome.results.empty()) {
                         done(std::nullopt);
                         return;
                     }
                     PGresult* r = outcome.results.front().get();
                     std::vector<std::string> channels;
                     for (int i = 0; i < PQntuples(r); ++i) {
                         channels.emplace_back(PQgetvalue(r, i, 0));
                     }
                     done(std::move(channels));
                 });
}

} // namespace deltacast::listen
