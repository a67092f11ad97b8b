// deltacast: Postgres signals -> one multiplexed, compressed SSE stream per browser tab.
// main() only loads the configuration, starts the App and waits for a signal: SIGTERM drains
// (streams end spread over server.shutdown_spread_ms, see App::drain) and then stops; SIGINT,
// or a second signal while draining, stops at once.

#include "app/app.hpp"
#include "config/config.hpp"
#include "util/log.hpp"

#include <csignal>
#include <ctime>
#include <future>
#include <iostream>
#include <map>

namespace {

/// Drains the app, waiting at most `spread` plus a grace period for the last stream to close;
/// another stop signal cuts the wait short.
void drain(deltacast::App& app, const sigset_t& stop_signals, std::chrono::milliseconds spread) {
    auto drained = std::make_shared<std::promise<void>>();
    auto finished = drained->get_future();
    app.drain(spread, [drained] { drained->set_value(); });
    const auto deadline = std::chrono::steady_clock::now() + spread + std::chrono::seconds(5);
    const timespec poll{0, 100'000'000};
    while (finished.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() >= deadline) {
            deltacast::log::get("app")->warn("drain timed out; stopping with streams open");
            return;
        }
        if (sigtimedwait(&stop_signals, nullptr, &poll) > 0) {
            deltacast::log::get("app")->info("second signal; stopping now");
            return;
        }
    }
    deltacast::log::get("app")->info("drained");
}

} // namespace

int main(int argc, char** argv) {
    deltacast::LoadResult loaded;
    try {
        loaded = deltacast::load_config(std::vector<std::string>(argv + 1, argv + argc),
                                        deltacast::process_environment());
    } catch (const deltacast::ConfigError& e) {
        std::cerr << "deltacast: invalid configuration: " << e.what() << "\n";
        return 2;
    }
    if (loaded.show_help) {
        std::cout << loaded.help_text;
        return 0;
    }
    deltacast::log::init(loaded.config.log.level);

    // Block the stop signals in every thread; main waits for them with sigwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        const std::chrono::milliseconds spread(loaded.config.server.shutdown_spread_ms);
        deltacast::App app(std::move(loaded.config));
        app.start();
        int received = 0;
        sigwait(&stop_signals, &received);
        deltacast::log::get("app")->info("signal={} stopping", received);
        if (received == SIGTERM) {
            drain(app, stop_signals, spread);
        }
        app.stop();
    } catch (const std::exception& e) {
        deltacast::log::get("app")->critical("fatal error=\"{}\"", e.what());
        return 1;
    }
    return 0;
}
