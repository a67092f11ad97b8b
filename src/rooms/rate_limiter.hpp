#pragma once
// RateLimiter: token buckets per (subject, topic) for POST /api/sse/broadcast. A bucket holds
// up to `rate` tokens and refills at `rate` per second, so a client may burst `rate` events,
// then send `rate` per second. Per replica: behind a load balancer a subject's budget is per
// replica it reaches. Memory is bounded: a bucket that has refilled completely is the same as
// no bucket and is forgotten (swept as the map grows), and at most `max_buckets` are kept
// (past it, the fullest-by-age are dropped first, which can only favour the client).
//
// Threading: one owner (the core strand). Pure: time is passed in.

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>

namespace deltacast::rooms {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateLimiter(std::size_t max_buckets = 100000) : max_buckets_(max_buckets) {}

    /// Takes one token for (`subject`, `topic`) at `rate` per second. Returns 0 when allowed,
    /// else the whole seconds until a token is available (for Retry-After; at least 1).
    int take(const std::string& subject, const std::string& topic, int rate, Clock::time_point now);

    std::size_t buckets() const { return buckets_.size(); }

private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point at;
        int rate = 1;
    };
    // Called when full, before a new bucket is inserted: drops the buckets that have refilled
    // completely (forgetting them changes nothing), then the least recently used ones until
    // one slot is free.
    void make_room(Clock::time_point now);

    std::size_t max_buckets_;
    std::map<std::pair<std::string, std::string>, Bucket> buckets_;
};

} // namespace deltacast::rooms
