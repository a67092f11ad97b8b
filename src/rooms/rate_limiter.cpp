#include "rooms/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace deltacast::rooms {
namespace {

double refilled(double tokens, int rate, RateLimiter::Clock::duration elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    return std::min<double>(rate, tokens + seconds * rate);
}

} // namespace

int RateLimiter::take(const std::string& subject, const std::string& topic, int rate,
                      Clock::time_point now) {
    rate = std::max(rate, 1);
    auto key = std::make_pair(subject, topic);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_buckets_) {
            make_room(now); // before the insert: the new bucket is never swept
        }
        it = buckets_.emplace(std::move(key), Bucket{static_cast<double>(rate), now, rate}).first;
    } else {
        Bucket& bucket = it->second;
        bucket.tokens = refilled(bucket.tokens, rate, now - bucket.at);
        bucket.at = now;
        bucket.rate = rate;
    }
    Bucket& bucket = it->second;
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - bucket.tokens) / rate)));
}

void RateLimiter::make_room(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        const Bucket& b = it->second;
        it = refilled(b.tokens, b.rate, now - b.at) >= b.rate ? buckets_.erase(it) : std::next(it);
    }
    // Still full: every bucket is in use; drop the ones touched longest ago (they have refilled
    // the most), which at worst grants those subjects a fresh burst.
    while (!buckets_.empty() && buckets_.size() >= max_buckets_) {
        auto oldest =
            std::min_element(buckets_.begin(), buckets_.end(), [](const auto& a, const auto& b) {
                return a.second.at < b.second.at;
            });
        buckets_.erase(oldest);
    }
}

} // namespace deltacast::rooms
