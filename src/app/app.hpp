#pragma once
// App: builds one deltacast process and owns its threads; nothing else. One io_context runs on
// server.threads threads (default: one per core). All core state - ListenConnection,
// QueryPool, TopicManager, AccessChecker, DeltaEngine, ReplayStore, Hub, StreamRegistry - lives
// on ONE strand (`core_`); every HTTP connection runs on a shard (sse/shard.hpp: one strand per
// I/O thread, shared by that shard's connections) and reaches the core only through
// streams::StreamOpener (which posts to it) and the ServerStatus methods below. Data flows
// listen -> topics -> delta -> sse; streams/ opens streams with their guarantees.
//
// Lifetime: start() binds and starts the threads; drain() (SIGTERM) refuses new streams and
// ends the open ones spread over server.shutdown_spread_ms; stop() stops accepting, stops the
// threads and joins them; the destructor then frees everything, the io_context last.

#include "auth/jwt.hpp"
#include "config/config.hpp"
#include "delta/delta_engine.hpp"
#include "delta/pg_row_fetcher.hpp"
#include "delta/replay_store.hpp"
#include "listen/listen_connection.hpp"
#include "pg/query_pool.hpp"
#include "rooms/pg_presence_store.hpp"
#include "rooms/room_api.hpp"
#include "rooms/room_hub.hpp"
#include "sse/http_listener.hpp"
#include "sse/hub.hpp"
#include "sse/stream_service.hpp"
#include "streams/stream_opener.hpp"
#include "streams/stream_registry.hpp"
#include "topics/access_checker.hpp"
#include "topics/pg_access_query.hpp"
#include "topics/scheduler.hpp"
#include "topics/topic_manager.hpp"
#include "util/metrics.hpp"
#include "wire/event_ids.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace deltacast {

class App final : public sse::ServerStatus {
public:
    explicit App(Config config);
    ~App() override;
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    /// Binds server.listen and starts everything; throws std::runtime_error on bind failure.
    void start();
    /// Idempotent; safe from any thread except the App's own.
    void stop();
    unsigned short port() const;
    /// Graceful shutdown, first half: /readyz and new streams answer 503, and every open
    /// stream is ended at a random moment within `spread` (clients reconnect spread out, and
    /// resume elsewhere with their last event id). `done` runs on an App thread once the last
    /// stream closed. Call stop() afterwards.
    void drain(std::chrono::milliseconds spread, std::function<void()> done);

    // ServerStatus
    bool ready() const override { return listener_.ready(); }
    std::string metrics_text() const override { return render_prometheus(metrics_); }
    void
    listening_channels(std::function<void(std::optional<std::vector<std::string>>)> done) override;

private:
    void run_thread();

    const Config config_;
    boost::asio::io_context ioc_; // declared first: destroyed last, after everything using it
    boost::asio::strand<boost::asio::io_context::executor_type> core_;
    Metrics metrics_;
    wire::EventIds event_ids_;
    std::unique_ptr<auth::JwtVerifier> verifier_;
    topics::AsioScheduler scheduler_;
    listen::ListenConnection listener_;
    pg::QueryPool pool_;
    topics::PgAccessQuery access_query_;
    topics::AccessChecker access_;
    delta::PgRowFetcher fetcher_;
    sse::Hub hub_;
    delta::ReplayStore replay_;
    delta::DeltaEngine delta_;
    topics::TopicManager topics_;
    rooms::PgPresenceStore presence_store_;
    rooms::RoomHub rooms_;
    rooms::RoomApi room_api_;
    streams::StreamRegistry streams_;
    streams::StreamOpener opener_;
    sse::HttpContext http_;
    std::shared_ptr<sse::HttpListener> http_listener_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    bool stopped_ = false;
};

} // namespace deltacast
