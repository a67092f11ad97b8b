#pragma once
// ListenConnection: the one Postgres connection (application_name `deltacast/listen`) that
// LISTENs to exactly the channels TopicManager wants, and hands it every notification.
// LISTEN/UNLISTEN requests are batched into one multi-statement round trip while the previous one
// is in flight; channel names are quoted with PQescapeIdentifier. On a lost connection it
// reconnects with capped, jittered backoff, re-LISTENs every wanted channel, and only then reports
// on_resubscribed() (so subscribers are told to resync once a refetch can no longer miss anything).
// Not to be confused with sse::HttpListener, the TCP acceptor.
//
// Threading: core strand only, like its handler (called from this object's own completion
// handlers, never from within listen() or unlisten()). `ready()` alone may be read from any thread
// (/readyz).

#include "pg/pg_connection.hpp"
#include "topics/notifier.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace deltacast {
struct Metrics;
struct PostgresConfig;
} // namespace deltacast

namespace deltacast::listen {

class ListenConnection final : public topics::Notifier {
public:
    ListenConnection(boost::asio::any_io_executor core, const PostgresConfig& config,
                     Metrics& metrics);
    ~ListenConnection() override;
    ListenConnection(const ListenConnection&) = delete;
    ListenConnection& operator=(const ListenConnection&) = delete;

    /// Where notifications and connection events go (TopicManager); set before start().
    void set_handler(topics::NotificationHandler& handler) { handler_ = &handler; }
    void start();
    void stop();

    void listen(const std::string& channel, std::function<void(bool ok)> done) override;
    void unlisten(const std::string& channel) override;
    bool connected() const override { return ready_; }

    /// Thread-safe view of connected(), for /readyz.
    bool ready() const { return ready_flag_.load(std::memory_order_acquire); }

    /// Runs `SELECT pg_listening_channels()` on the listener's own session (debug endpoint and
    /// tests): nullopt when not connected or on error.
    void listening_channels(std::function<void(std::optional<std::vector<std::string>>)> done);

private:
    struct Op {
        bool listen = true;
        std::string channel;
        std::function<void(bool)> done;
    };

    void connect();
    void on_connected();
    void on_lost(const std::string& error);
    void schedule_reconnect();
    void set_ready(bool ready);
    void pump();
    void finish_batch(const std::shared_ptr<pg::PgConnection>& conn, std::vector<Op> ops,
                      const pg::QueryOutcome& outcome);
    std::string statement(const Op& op) const;

    boost::asio::any_io_executor core_;
    const PostgresConfig& config_;
    Metrics& metrics_;
    topics::NotificationHandler* handler_ = nullptr;
    std::shared_ptr<pg::PgConnection> conn_;
    boost::asio::steady_timer retry_;
    std::set<std::string> wanted_;
    std::deque<Op> queued_;
    bool batch_in_flight_ = false;
    bool ready_ = false;
    std::atomic<bool> ready_flag_{false};
    bool connected_before_ = false;
    bool stopped_ = true;
    int attempt_ = 0;
};

} // namespace deltacast::listen
