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
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <unordered_map>

namespace deltacast {
struct Metrics;
}

namespace deltacast::sse {

class StreamRegistry {
public:
    /// `access` is nullptr when nothing is ever re-checked (auth.mode = "none").
    StreamRegistry(std::chrono::seconds recheck_interval, topics::AccessChecker* access,
                   topics::Scheduler& scheduler, Metrics& metrics);
    ~StreamRegistry();
    StreamRegistry(const StreamRegistry&) = delete;
    StreamRegistry& operator=(const StreamRegistry&) = delete;

    void add(std::shared_ptr<const OpenRequest> request, std::shared_ptr<Subscriber> subscriber);
    void remove(const std::shared_ptr<Subscriber>& subscriber);

    /// Ends every stream, those added later included, at a random moment within `spread`;
    /// `done` runs once no stream is left (at once when there is none).
    void drain(std::chrono::milliseconds spread, std::function<void()> done);

    std::size_t size() const { return streams_.size(); }

private:
    struct Due {
        topics::Clock::time_point at;
        std::weak_ptr<Subscriber> subscriber;
    };
    void schedule_tick();
    void tick();
    void recheck(const std::shared_ptr<Subscriber>& subscriber);
    void end_at_random(const std::shared_ptr<Subscriber>& subscriber);

    const std::chrono::seconds interval_;
    topics::AccessChecker* access_;
    topics::Scheduler& scheduler_;
    Metrics& metrics_;
    struct Stream {
        std::shared_ptr<const OpenRequest> request;
        std::shared_ptr<Subscriber> subscriber;
    };
    std::unordered_map<const Subscriber*, Stream> streams_;
    std::deque<Due> due_;  // re-checks, in time order (every stream waits the same interval)
    topics::Scheduler::TimerId tick_timer_ = 0;
    bool draining_ = false;
    topics::Clock::time_point drain_deadline_{};
    std::function<void()> drained_;
    std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace deltacast::sse
