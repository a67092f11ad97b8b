#include "app/app.hpp"

#include "util/log.hpp"

#include <boost/asio/post.hpp>

namespace deltacast {
namespace asio = boost::asio;

/// SQL access rules on the query pool: allowed when the rule's query returns a row.
class App::PgAccessQuery final : public topics::AccessQuery {
public:
    explicit PgAccessQuery(pg::QueryPool& pool) : pool_(pool) {}
    void allowed(const std::string& sql, const std::string& topic_id, const std::string& subject,
                 std::function<void(std::optional<bool>)> done) override {
        pool_.run(sql, {topic_id, subject}, [done = std::move(done)](pg::QueryOutcome outcome) {
            if (!outcome.ok() || outcome.results.empty()) {
                done(std::nullopt);
                return;
            }
            done(PQntuples(outcome.results.back().get()) > 0);
        });
    }

private:
    pg::QueryPool& pool_;
};

namespace {

std::unique_ptr<auth::JwtVerifier> make_verifier(const AuthConfig& auth) {
    if (auth.mode == AuthMode::None) {
        return nullptr;
    }
    return std::make_unique<auth::JwtVerifier>(
        auth::JwtKeys{auth.jwt_secret, auth.jwt_public_key_pem});
}

std::vector<std::string> keys_of(const std::vector<topics::Topic>& topics) {
    std::vector<std::string> keys;
    keys.reserve(topics.size());
    for (const auto& topic : topics) {
        keys.push_back(topic.key);
    }
    return keys;
}

asio::ip::tcp::endpoint listen_endpoint(const std::string& listen) {
    const auto address = parse_listen_address(listen);  // validated at config load
    if (!address) {
        throw std::runtime_error("server.listen: expected host:port");
    }
    const std::string host = address->host == "localhost" ? "127.0.0.1" : address->host;
    return {asio::ip::make_address(host), address->port};
}

}  // namespace

App::App(Config config)
    : config_(std::move(config)), core_(asio::make_strand(ioc_)),
      event_ids_(delta::make_epoch()), verifier_(make_verifier(config_.auth)), scheduler_(core_),
      listener_(core_, config_.postgres, metrics_), pool_(core_, config_.postgres, metrics_),
      access_query_(std::make_unique<PgAccessQuery>(pool_)),
      access_(config_, *access_query_, scheduler_, metrics_), fetcher_(config_, pool_),
      replay_(config_.replay, hub_, event_ids_), delta_(fetcher_, replay_, event_ids_, metrics_),
      topics_(config_, listener_, scheduler_, delta_, metrics_),
      streams_(std::chrono::seconds(config_.auth.recheck_interval_s),
               config_.auth.mode == AuthMode::None ? nullptr : &access_, scheduler_, metrics_),
      http_{config_, metrics_, *this, verifier_.get(),
            sse::ConnectionLimits(
                static_cast<std::size_t>(config_.server.max_connections),
                config_.auth.mode == AuthMode::None
                    ? 0
                    : static_cast<std::size_t>(config_.server.max_connections_per_subject))} {
    listener_.set_callbacks(listen::Listener::Callbacks{
        [this](std::string_view channel, std::string_view payload) {
            topics_.on_notification(channel, payload);
        },
        [this] { topics_.on_connection_lost(); },
        [this] { topics_.on_resubscribed(); },
    });
}

App::~App() {
    stop();
    hub_.clear();
}

void App::start() {
    if (config_.auth.mode == AuthMode::None) {
        log::get("app")->warn("auth.mode=none: NO AUTHENTICATION, every topic is open to anyone. "
                              "For local development only.");
    }
    const int threads = config_.server.threads > 0
                            ? config_.server.threads
                            : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    http_listener_ = std::make_shared<sse::HttpListener>(
        ioc_, listen_endpoint(config_.server.listen), http_, static_cast<std::size_t>(threads));
    http_listener_->run();
    asio::post(core_, [this] {
        listener_.start();
        pool_.start();
    });
    work_.emplace(ioc_.get_executor());
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { run_thread(); });
    }
    log::get("app")->info("listening addr={} port={} threads={} epoch={}", config_.server.listen,
                          port(), threads, event_ids_.epoch());
}

void App::run_thread() {
    // A handler that throws must not take the process down with every other stream: log it,
    // count it, and go on (the session it belonged to drops its state when its handlers end).
    for (;;) {
        try {
            ioc_.run();
            return;
        } catch (const std::exception& e) {
            metrics_.handler_exceptions.fetch_add(1, std::memory_order_relaxed);
            log::get("app")->error("handler threw error=\"{}\"", e.what());
        }
    }
}

void App::stop() {
    if (stopped_ || threads_.empty()) {
        stopped_ = true;
        return;
    }
    stopped_ = true;
    http_listener_->stop();
    asio::post(core_, [this] {
        listener_.stop();
        pool_.stop();
    });
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
}

void App::drain(std::chrono::milliseconds spread, std::function<void()> done) {
    http_.draining.store(true);
    log::get("app")->info("draining spread_ms={}", spread.count());
    asio::post(core_, [this, spread, done = std::move(done)]() mutable {
        streams_.drain(spread, std::move(done));
    });
}

unsigned short App::port() const { return http_listener_ ? http_listener_->port() : 0; }

void App::open(std::shared_ptr<const sse::OpenRequest> request,
               std::shared_ptr<sse::Subscriber> subscriber,
               std::function<void(sse::OpenResult)> done) {
    asio::post(core_, [this, request = std::move(request), subscriber = std::move(subscriber),
                       done = std::move(done)]() mutable {
        if (config_.auth.mode == AuthMode::None) {
            subscribe(std::move(request), std::move(subscriber), std::move(done));
            return;
        }
        access_.check(request->topics, request->identity.subject, request->identity.claims,
                      [this, request, subscriber, done](topics::AccessResult result) mutable {
                          if (result.failed) {
                              done({sse::OpenStatus::Unavailable, {}, "access check failed"});
                          } else if (!result.denied.empty()) {
                              done({sse::OpenStatus::Forbidden, std::move(result.denied), {}});
                          } else {
                              subscribe(std::move(request), std::move(subscriber),
                                        std::move(done));
                          }
                      });
    });
}

void App::subscribe(std::shared_ptr<const sse::OpenRequest> request,
                    std::shared_ptr<sse::Subscriber> subscriber,
                    std::function<void(sse::OpenResult)> done) {
    topics_.subscribe(request->topics, [this, request, subscriber,
                                        done](topics::SubscribeStatus status) {
        if (status != topics::SubscribeStatus::Ok) {
            done({sse::OpenStatus::Unavailable,
                  {},
                  status == topics::SubscribeStatus::Timeout ? "subscribe timed out"
                                                             : "database unavailable"});
            return;
        }
        // Joined before `done`: any frame built from now on reaches this subscriber, and it is
        // posted to the session after `ready` (a strand runs posts in order).
        hub_.join(keys_of(request->topics), subscriber);
        streams_.add(request, subscriber);
        done({sse::OpenStatus::Ok, {}, {}});
        catch_up(*request, subscriber);
    });
}

void App::catch_up(const sse::OpenRequest& request, const std::shared_ptr<sse::Subscriber>& sub) {
    if (!request.resume()) {
        for (const auto& topic : request.topics) {
            delta_.snapshot(topic, [sub](delta::FramePtr frame) {
                if (frame) {
                    sub->push(std::move(frame));
                }
            });
        }
        return;
    }
    // Same handler as the join: replayed frames precede every live one, and none is missed.
    const auto keys = keys_of(request.topics);
    const auto seq = event_ids_.parse(request.last_event_id);
    auto replay = seq ? replay_.replay_after(*seq, keys) : delta::ReplayStore::Replay{{}, keys};
    for (auto& frame : replay.frames) {
        sub->push(std::move(frame));
    }
    if (!replay.uncovered.empty()) {
        auto resync = std::make_shared<delta::Frame>();
        delta::append_resync(resync->bytes, replay.uncovered,
                             seq ? "replay-unavailable" : "unknown-epoch");
        metrics_.resyncs.fetch_add(1, std::memory_order_relaxed);
        sub->push(std::move(resync));
    }
    metrics_.replayed_frames.fetch_add(replay.frames.size(), std::memory_order_relaxed);
}

void App::close(std::shared_ptr<const sse::OpenRequest> request,
                std::shared_ptr<sse::Subscriber> subscriber) {
    asio::post(core_, [this, request = std::move(request), subscriber = std::move(subscriber)] {
        hub_.leave(keys_of(request->topics), subscriber);
        streams_.remove(subscriber);
        topics_.unsubscribe(request->topics);
    });
}

void App::listening_channels(std::function<void(std::optional<std::vector<std::string>>)> done) {
    asio::post(core_, [this, done = std::move(done)]() mutable {
        listener_.listening_channels(std::move(done));
    });
}

}  // namespace deltacast
