#include "topics/scheduler.hpp"

namespace deltacast::topics {

Scheduler::TimerId AsioScheduler::schedule_after(std::chrono::milliseconds delay,
                                                 std::function<void()> fn) {
    const TimerId id = next_id_++;
    auto timer = std::make_unique<boost::asio::steady_timer>(core_, delay);
    timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
        // An expired timer's handler may already be queued when cancel() runs: the map, not
        // the error code, says whether the timer is still wanted.
        const auto it = timers_.find(id);
        if (ec || it == timers_.end()) {
            return;
        }
        timers_.erase(it);
        fn();
    });
    timers_.emplace(id, std::move(timer));
    return id;
}

void AsioScheduler::cancel(TimerId id) {
    const auto it = timers_.find(id);
    if (it != timers_.end()) {
        it->second->cancel();
        timers_.erase(it);
    }
}

} // namespace deltacast::topics
