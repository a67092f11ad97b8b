#include "app/app.hpp"

#include "util/log.hpp"

#include <boost/asio/post.hpp>

namespace deltacast {
namespace asio = boost::asio;

namespace {

std::unique_ptr<auth::JwtVerifier> make_verifier(const AuthConfig& auth) {
    if (auth.mode == AuthMode::None) {
        return nullptr;
    }
    return std::make_unique<auth::JwtVerifier>(
        auth::JwtKeys{auth.jwt_secret, auth.jwt_public_key_pem});
}

asio::ip::tcp::endpoint listen_endpoint(const std::string& listen) {
    const auto address = parse_listen_address(listen); // validated at config load
    if (!address) {
        throw std::runtime_error("server.listen: expected host:port");
    }
    const std::string host = address->host == "localhost" ? "127.0.0.1" : address->host;
    return {asio::ip::make_address(host), address->port};
}

} // namespace

App::App(Config config)
    : config_(std::move(config)), core_(asio::make_strand(ioc_)), event_ids_(wire::make_epoch()),
      verifier_(make_verifier(config_.auth)), scheduler_(core_),
      listener_(core_, config_.postgres, metrics_), pool_(core_, config_.postgres, metrics_),
      access_query_(pool_), access_(config_, access_query_, scheduler_, metrics_),
      fetcher_(config_, pool_), replay_(config_.replay, hub_, event_ids_),
      delta_(fetcher_, replay_, replay_, event_ids_, metrics_),
      topics_(config_, listener_, scheduler_, delta_, metrics_),
      presence_store_(config_, pool_, event_ids_.epoch(), metrics_),
      rooms_(config_, presence_store_, hub_, scheduler_, metrics_, event_ids_.epoch()),
      room_api_(core_, config_, pool_, config_.auth.mode == AuthMode::None ? nullptr : &access_,
                metrics_),
      streams_(std::chrono::seconds(config_.auth.recheck_interval_s),
               config_.auth.mode == AuthMode::None ? nullptr : &access_, scheduler_, metrics_),
      opener_(core_,
              {config_.auth.mode == AuthMode::None ? nullptr : &access_, topics_, hub_, replay_,
               delta_, streams_, event_ids_, rooms_},
              metrics_),
      http_{config_,
            metrics_,
            opener_,
            *this,
            room_api_,
            verifier_.get(),
            sse::ConnectionLimits(
                static_cast<std::size_t>(config_.server.max_connections),
                config_.auth.mode == AuthMode::None
                    ? 0
                    : static_cast<std::size_t>(config_.server.max_connections_per_subject))} {
    listener_.set_handler(topics_);
    topics_.set_room_sink(rooms_);
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
        if (rooms::any_presence(config_)) {
            presence_store_.start();
        }
        rooms_.start();
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

unsigned short App::port() const {
    return http_listener_ ? http_listener_->port() : 0;
}

void App::listening_channels(std::function<void(std::optional<std::vector<std::string>>)> done) {
    asio::post(core_, [this, done = std::move(done)]() mutable {
        listener_.listening_channels(std::move(done));
    });
}

} // namespace deltacast
