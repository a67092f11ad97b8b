#pragma once
// Capped exponential backoff with jitter, for reconnect loops. Pure function of its inputs
// apart from the random draw, so callers need no shared state beyond the attempt count.

#include <algorithm>
#include <chrono>
#include <random>

namespace deltacast {

/// Delay before reconnect attempt `attempt` (0-based): min * 2^attempt capped at max, then a
/// uniform draw in [delay/2, delay] so that many processes do not reconnect in lockstep.
inline std::chrono::milliseconds backoff_delay(int attempt, int min_ms, int max_ms) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const int shift = std::clamp(attempt, 0, 20);
    const long long capped = std::min<long long>(static_cast<long long>(min_ms) << shift, max_ms);
    std::uniform_int_distribution<long long> draw(capped / 2, std::max(capped, 1LL));
    return std::chrono::milliseconds(draw(rng));
}

} // namespace deltacast
