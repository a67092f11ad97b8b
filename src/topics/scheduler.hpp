#pragma once
// Scheduler: the clock-and-timer seam of the topic layer (windows, linger, subscribe
// deadlines). AsioScheduler runs timers on the core strand; tests use a manual clock that
// fires timers when advanced, so window timing is tested without sleeping.
//
// Threading: core strand only. Timer callbacks run there and may schedule or cancel timers.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace deltacast::topics {

using Clock = std::chrono::steady_clock;

class Scheduler {
public:
    using TimerId = std::uint64_t; // 0 is never a valid id

    virtual ~Scheduler() = default;
    virtual Clock::time_point now() const = 0;
    virtual TimerId schedule_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
    /// Cancels a pending timer; a no-op for ids that fired or were cancelled already.
    virtual void cancel(TimerId id) = 0;
};

class AsioScheduler final : public Scheduler {
public:
    explicit AsioScheduler(boost::asio::any_io_executor core) : core_(std::move(core)) {}

    Clock::time_point now() const override { return Clock::now(); }
    TimerId schedule_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
    void cancel(TimerId id) override;

private:
    boost::asio::any_io_executor core_;
    TimerId next_id_ = 1;
    std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

} // namespace deltacast::topics
