#pragma once
// StreamRegistry: the open streams as the core sees them, for the two jobs that act on every
// stream rather than on a topic:
//  - re-checking access every auth.recheck_interval_s. Only streams with a `sql:` rule are
//    re-checked (claims cannot change during a token's life). The check goes through the
//    AccessChecker and its cache, so a revocation takes effect within the interval plus
//    auth.access_cache_ttl_s. A stream that lost a topic is ended with `event: revoked`
//    naming the lost topics. A check that fails (database trouble) keeps the stream and is
//    tried again next interval.
//  - draining on shutdown: every stream is ended at a uniformly random moment within the
//    spread, so that clients reconnect (to another replica, or to the restarted process)
//    spread out instead of all at once. Streams go on receiving frames until their moment.
//
// Threading: core strand only (the Scheduler's timers run there).

#include "sse/stream_service.hpp"
#include "topics/access_checker.hpp"
#include "topics/scheduler.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <unordered_map>

namespace deltacast {
struct Metrics;
}

namespace deltacast::streams {

class StreamRegistry {
public:
    /// `access` is nullptr when nothing is ever re-checked (auth.mode = "none").
    StreamRegistry(std::chrono::seconds recheck_interval, topics::AccessChecker* access,
                   topics::Scheduler& scheduler, Metrics& metrics);
    ~StreamRegistry();
    StreamRegistry(const StreamRegistry&) = delete;
    StreamRegistry& operator=(const StreamRegistry&) = delete;

    void add(std::shared_ptr<const sse::OpenRequest> request,
             std::shared_ptr<sse::Subscriber> subscriber);
    void remove(const std::shared_ptr<sse::Subscriber>& subscriber);

    /// Ends every stream, those added later included, at a random moment within `spread`;
    /// `done` runs once no stream is left (at once when there is none).
    void drain(std::chrono::milliseconds spread, std::function<void()> done);

    std::size_t size() const { return streams_.size(); }
    std::size_t queued_rechecks() const { return due_.size(); }

private:
    struct Due {
        topics::Clock::time_point at;
        const sse::Subscriber* key;
        std::uint64_t serial; // tells a re-used address from the stream it was queued for
    };
    struct Stream {
        std::shared_ptr<const sse::OpenRequest> request;
        std::shared_ptr<sse::Subscriber> subscriber;
        std::uint64_t serial;
        bool rechecked; // has (or will again have) an entry in due_
    };
    void enqueue_recheck(const Stream& stream);
    const Stream* find(const Due& due) const;
    void schedule_tick();
    void tick();
    void recheck(const Stream& stream);
    void end_at_random(const std::shared_ptr<sse::Subscriber>& subscriber);

    const std::chrono::seconds interval_;
    topics::AccessChecker* access_;
    topics::Scheduler& scheduler_;
    Metrics& metrics_;
    std::unordered_map<const sse::Subscriber*, Stream> streams_;
    // Re-checks in time order (every stream waits the same interval). Entries of closed streams
    // are skipped when due, and compacted away once they outnumber the live ones, so that
    // churn cannot grow the queue past twice the re-checked streams.
    std::deque<Due> due_;
    std::size_t rechecked_ = 0; // streams with rechecked = true
    std::uint64_t next_serial_ = 1;
    topics::Scheduler::TimerId tick_timer_ = 0;
    bool draining_ = false;
    topics::Clock::time_point drain_deadline_{};
    std::function<void()> drained_;
    std::mt19937_64 random_{std::random_device{}()};
};

} // namespace deltacast::streams
