// deltacast: Postgres signals -> one multiplexed, compressed SSE stream per browser tab.
// main() only loads the configuration, starts the App and waits for SIGINT/SIGTERM.

#include "app/app.hpp"
#include "app/config.hpp"
#include "util/log.hpp"

#include <csignal>
#include <iostream>
#include <map>

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
        deltacast::App app(std::move(loaded.config));
        app.start();
        int received = 0;
        sigwait(&stop_signals, &received);
        deltacast::log::get("app")->info("signal={} stopping", received);
        app.stop();
    } catch (const std::exception& e) {
        deltacast::log::get("app")->critical("fatal error=\"{}\"", e.what());
        return 1;
    }
    return 0;
}
