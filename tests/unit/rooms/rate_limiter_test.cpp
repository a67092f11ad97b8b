// RateLimiter: a burst of `rate`, then `rate` per second, per (subject, topic), with a
// Retry-After that says when the next token comes; bounded memory.

#include "rooms/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace deltacast::rooms {
namespace {

using namespace std::chrono_literals;

// Invariant: burst up to the rate, then refused with a wait, refilled at the rate.
TEST(RateLimiter, BurstThenRefill) {
    RateLimiter limiter;
    const auto t0 = RateLimiter::Clock::time_point{} + 1h;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(limiter.take("u1", "lobby:1", 3, t0), 0) << i;
    }
    EXPECT_EQ(limiter.take("u1", "lobby:1", 3, t0), 1);
    EXPECT_EQ(limiter.take("u1", "lobby:1", 3, t0 + 200ms), 1);  // 0.6 token
    EXPECT_EQ(limiter.take("u1", "lobby:1", 3, t0 + 400ms), 0);  // 1.2 tokens
    EXPECT_EQ(limiter.take("u2", "lobby:1", 3, t0), 0) << "budgets are per subject";
    EXPECT_EQ(limiter.take("u1", "lobby:2", 3, t0), 0) << "and per topic";
}

// Invariant: a slow rate's Retry-After covers the whole wait (whole seconds, at least 1).
TEST(RateLimiter, RetryAfterInWholeSeconds) {
    RateLimiter limiter;
    const auto t0 = RateLimiter::Clock::time_point{} + 1h;
    EXPECT_EQ(limiter.take("u1", "t", 1, t0), 0);
    EXPECT_EQ(limiter.take("u1", "t", 1, t0), 1);
    EXPECT_EQ(limiter.take("u1", "t", 1, t0 + 100ms), 1);
}

// Invariant: memory stays bounded: refilled buckets are forgotten, and never more than the cap.
TEST(RateLimiter, BoundedBuckets) {
    RateLimiter limiter(100);
    const auto t0 = RateLimiter::Clock::time_point{} + 1h;
    for (int i = 0; i < 1000; ++i) {
        limiter.take("u" + std::to_string(i), "t", 10, t0 + std::chrono::milliseconds(i * 10));
    }
    EXPECT_LE(limiter.buckets(), 100U);
}

// Invariant: the bucket a take() creates while the table is full is the one it charges (the
// room is made before the insert), so a new subject's burst is still limited.
TEST(RateLimiter, FullTableStillLimitsTheNewSubject) {
    RateLimiter limiter(2);
    const auto t0 = RateLimiter::Clock::time_point{} + 1h;
    EXPECT_EQ(limiter.take("a", "t", 2, t0), 0);
    EXPECT_EQ(limiter.take("b", "t", 2, t0), 0);
    EXPECT_EQ(limiter.take("c", "t", 2, t0), 0); // full: the least recently used goes
    EXPECT_EQ(limiter.take("c", "t", 2, t0), 0);
    EXPECT_GE(limiter.take("c", "t", 2, t0), 1); // c's burst of 2 is spent
    EXPECT_EQ(limiter.buckets(), 2U);
}

}  // namespace
}  // namespace deltacast::rooms
