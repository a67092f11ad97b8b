#include "util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace deltacast::log {
namespace {

std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}

spdlog::sink_ptr& shared_sink() {
    static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    return sink;
}

spdlog::level::level_enum& current_level() {
    static spdlog::level::level_enum level = spdlog::level::info;
    return level;
}

} // namespace

void init(const std::string& level) {
    std::lock_guard lock(registry_mutex());
    current_level() = spdlog::level::from_str(level);
    shared_sink()->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
    spdlog::apply_all(
        [](const std::shared_ptr<spdlog::logger>& l) { l->set_level(current_level()); });
}

std::shared_ptr<spdlog::logger> get(const std::string& module) {
    std::lock_guard lock(registry_mutex());
    if (auto existing = spdlog::get(module)) {
        return existing;
    }
    auto logger = std::make_shared<spdlog::logger>(module, shared_sink());
    logger->set_level(current_level());
    spdlog::register_logger(logger);
    return logger;
}

bool RateLimit::allow(std::uint64_t& suppressed) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    auto start = window_start_.load(std::memory_order_relaxed);
    if (now - start >= period_.count() &&
        window_start_.compare_exchange_strong(start, now, std::memory_order_relaxed)) {
        used_.store(0, std::memory_order_relaxed);
    }
    if (used_.fetch_add(1, std::memory_order_relaxed) < burst_) {
        suppressed = dropped_.exchange(0, std::memory_order_relaxed);
        return true;
    }
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

} // namespace deltacast::log
