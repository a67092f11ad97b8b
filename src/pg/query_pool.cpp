#include "pg/query_pool.hpp"

#include "config/config.hpp"
#include "util/backoff.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"

#include <boost/asio/post.hpp>

namespace deltacast::pg {
namespace asio = boost::asio;

namespace {
constexpr auto kConnectTimeout = std::chrono::seconds(10);
}

QueryPool::QueryPool(asio::any_io_executor core, const PostgresConfig& config, Metrics& metrics)
    : core_(core), config_(config), metrics_(metrics),
      depth_(config.prepared_statements ? static_cast<std::size_t>(config.pipeline_depth) : 1) {
    slots_.resize(static_cast<std::size_t>(config_.query_connections));
}

QueryPool::~QueryPool() {
    stop();
}

void QueryPool::start() {
    stopped_ = false;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        connect(i);
    }
}

void QueryPool::stop() {
    stopped_ = true;
    for (auto& slot : slots_) {
        if (slot.retry) {
            slot.retry->cancel();
        }
        if (slot.conn) {
            slot.conn->close();
        }
        slot.ready = false;
    }
    while (!queue_.empty()) {
        asio::post(core_, [done = std::move(queue_.front().done)] {
            done(QueryOutcome{{}, "query pool stopped"});
        });
        queue_.pop_front();
    }
}

void QueryPool::connect(std::size_t index) {
    auto conn = std::make_shared<PgConnection>(core_, config_.conninfo, "deltacast/query",
                                               config_.prepared_statements, depth_);
    slots_[index].conn = conn;
    slots_[index].ready = false;
    conn->on_lost([this, index](const std::string& error) {
        log::get("pg")->warn("query connection lost slot={} error=\"{}\"", index, error);
        slots_[index].ready = false;
        schedule_reconnect(index);
    });
    conn->connect(kConnectTimeout, [this, index, conn](const std::string& error) {
        if (stopped_ || slots_[index].conn != conn) {
            return;
        }
        if (!error.empty()) {
            log::get("pg")->warn("query connection failed slot={} error=\"{}\"", index, error);
            schedule_reconnect(index);
            dispatch(); // fails queued jobs fast if every slot is down
            return;
        }
        // statement_timeout: a slow query fails (and its topic gets a resync) instead of
        // holding a pool connection indefinitely.
        conn->query("SET statement_timeout = " + std::to_string(config_.query_timeout_ms), {},
                    [this, index, conn](QueryOutcome outcome) {
                        if (stopped_ || slots_[index].conn != conn) {
                            return;
                        }
                        if (!outcome.ok()) {
                            conn->close();
                            schedule_reconnect(index);
                            return;
                        }
                        slots_[index].ready = true;
                        slots_[index].failures = 0;
                        dispatch();
                    });
    });
}

void QueryPool::schedule_reconnect(std::size_t index) {
    if (stopped_) {
        return;
    }
    Slot& slot = slots_[index];
    if (!slot.retry) {
        slot.retry = std::make_unique<asio::steady_timer>(core_);
    }
    slot.retry->expires_after(
        backoff_delay(slot.failures++, config_.reconnect_min_ms, config_.reconnect_max_ms));
    slot.retry->async_wait([this, index](boost::system::error_code ec) {
        if (!ec && !stopped_) {
            connect(index);
        }
    });
}

void QueryPool::run(std::string sql, Params params, Handler done) {
    queue_.push_back(Job{std::move(sql), std::move(params), std::move(done)});
    dispatch();
}

void QueryPool::dispatch() {
    while (!queue_.empty()) {
        std::size_t best = slots_.size();
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            const Slot& slot = slots_[i];
            if (slot.ready && slot.conn->pending() < depth_ &&
                (best == slots_.size() || slot.conn->pending() < slots_[best].conn->pending())) {
                best = i;
            }
        }
        if (best == slots_.size()) {
            break;
        }
        Job job = std::move(queue_.front());
        queue_.pop_front();
        run_on(best, std::move(job));
    }
    bool any_up = false;
    for (const auto& slot : slots_) {
        any_up = any_up || slot.ready || slot.failures == 0;
    }
    // Every connection is failing: fail fast rather than queue without bound; callers answer
    // with 503 or resync, which is the honest thing while the database is away.
    while (!any_up && !queue_.empty()) {
        asio::post(core_, [done = std::move(queue_.front().done)] {
            done(QueryOutcome{{}, "database unavailable"});
        });
        queue_.pop_front();
    }
}

void QueryPool::run_on(std::size_t index, Job job) {
    const auto started = std::chrono::steady_clock::now();
    slots_[index].conn->query(
        std::move(job.sql), std::move(job.params),
        [this, started, done = std::move(job.done)](QueryOutcome outcome) {
            const auto elapsed = std::chrono::steady_clock::now() - started;
            metrics_.queries.fetch_add(1, std::memory_order_relaxed);
            metrics_.query_micros.fetch_add(
                static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()),
                std::memory_order_relaxed);
            if (!outcome.ok()) {
                metrics_.query_errors.fetch_add(1, std::memory_order_relaxed);
            }
            done(std::move(outcome));
            dispatch();
        });
}

} // namespace deltacast::pg
