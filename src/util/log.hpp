#pragma once
// Logging: one spdlog logger per module ("listen", "topics", "delta", "sse", "pg", "app"),
// all sharing one stderr sink. Fields are written key=value (conn=, topic=). Payloads only at
// trace level; tokens never. Loggers are thread-safe (spdlog _mt sinks).

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace deltacast::log {

/// Sets up the shared sink and the level of every module logger. Call once at start-up.
void init(const std::string& level);

/// The logger of a module, created on first use with the shared sink.
std::shared_ptr<spdlog::logger> get(const std::string& module);

/// Lets at most `burst` messages through per `period`; counts the rest so the next message that
/// passes can say how many were suppressed. Thread-safe, lock-free.
class RateLimit {
public:
    RateLimit(int burst, std::chrono::seconds period) : burst_(burst), period_(period) {}

    /// True when this message may be logged; `suppressed` receives how many were dropped since
    /// the last one that passed.
    bool allow(std::uint64_t& suppressed);

private:
    const int burst_;
    const std::chrono::seconds period_;
    std::atomic<std::int64_t> window_start_{0};
    std::atomic<int> used_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

} // namespace deltacast::log
