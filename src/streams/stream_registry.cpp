#include "streams/stream_registry.hpp"

#include "util/log.hpp"
#include "util/metrics.hpp"
#include "wire/events.hpp"

#include <algorithm>

namespace deltacast::streams {
namespace {

constexpr std::chrono::milliseconds kTick{1000}; // re-check granularity

bool has_sql_rule(const sse::OpenRequest& request) {
    return std::any_of(request.topics.begin(), request.topics.end(),
                       [](const topics::Topic& t) { return t.kind->access.rfind("sql:", 0) == 0; });
}

} // namespace

StreamRegistry::StreamRegistry(std::chrono::seconds recheck_interval, topics::AccessChecker* access,
                               topics::Scheduler& scheduler, Metrics& metrics)
    : interval_(recheck_interval), access_(recheck_interval.count() > 0 ? access : nullptr),
      scheduler_(scheduler), metrics_(metrics) {}

StreamRegistry::~StreamRegistry() {
    scheduler_.cancel(tick_timer_);
}

void StreamRegistry::add(std::shared_ptr<const sse::OpenRequest> request,
                         std::shared_ptr<sse::Subscriber> subscriber) {
    const bool recheck = !draining_ && access_ != nullptr && has_sql_rule(*request);
    const auto& stream = streams_[subscriber.get()] =
        Stream{std::move(request), subscriber, next_serial_++, recheck};
    if (draining_) {
        end_at_random(subscriber);
        return;
    }
    if (recheck) {
        ++rechecked_;
        enqueue_recheck(stream);
    }
}

void StreamRegistry::remove(const std::shared_ptr<sse::Subscriber>& subscriber) {
    const auto it = streams_.find(subscriber.get());
    if (it == streams_.end()) {
        return;
    }
    if (it->second.rechecked) {
        --rechecked_;
    }
    streams_.erase(it);
    if (due_.size() > 2 * rechecked_ + 64) {
        std::erase_if(due_, [this](const Due& due) { return find(due) == nullptr; });
    }
    if (draining_ && streams_.empty() && drained_) {
        auto done = std::move(drained_);
        drained_ = nullptr;
        done();
    }
}

void StreamRegistry::enqueue_recheck(const Stream& stream) {
    due_.push_back({scheduler_.now() + interval_, stream.subscriber.get(), stream.serial});
    schedule_tick();
}

const StreamRegistry::Stream* StreamRegistry::find(const Due& due) const {
    const auto it = streams_.find(due.key);
    return it != streams_.end() && it->second.serial == due.serial ? &it->second : nullptr;
}

void StreamRegistry::schedule_tick() {
    if (tick_timer_ != 0 || due_.empty()) {
        return;
    }
    tick_timer_ = scheduler_.schedule_after(kTick, [this] {
        tick_timer_ = 0;
        tick();
        schedule_tick();
    });
}

void StreamRegistry::tick() {
    const auto now = scheduler_.now();
    while (!due_.empty() && due_.front().at <= now && !draining_) {
        const Due due = due_.front();
        due_.pop_front();
        if (const Stream* stream = find(due)) {
            recheck(*stream);
        }
    }
}

void StreamRegistry::recheck(const Stream& stream) {
    metrics_.access_rechecks.fetch_add(1, std::memory_order_relaxed);
    const Due due{{}, stream.subscriber.get(), stream.serial};
    const auto& request = stream.request;
    access_->check(request->topics, request->identity.subject, request->identity.claims,
                   [this, due](topics::AccessResult result) {
                       const Stream* open = find(due);
                       if (open == nullptr || draining_) {
                           return; // closed meanwhile, or being ended anyway
                       }
                       if (result.denied.empty()) { // allowed, or unknown: try again later
                           enqueue_recheck(*open);
                           return;
                       }
                       log::get("sse")->info("access revoked subject={} topics={}",
                                             open->request->identity.subject, result.denied.size());
                       metrics_.streams_revoked.fetch_add(1, std::memory_order_relaxed);
                       auto frame = std::make_shared<wire::Frame>();
                       wire::append_revoked(frame->bytes, result.denied, "access-revoked");
                       open->subscriber->end(std::move(frame));
                   });
}

void StreamRegistry::drain(std::chrono::milliseconds spread, std::function<void()> done) {
    draining_ = true;
    drain_deadline_ = scheduler_.now() + spread;
    due_.clear();
    if (streams_.empty()) {
        done();
        return;
    }
    drained_ = std::move(done);
    for (const auto& [key, stream] : streams_) {
        end_at_random(stream.subscriber);
    }
}

void StreamRegistry::end_at_random(const std::shared_ptr<sse::Subscriber>& subscriber) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(drain_deadline_ - scheduler_.now());
    const auto span = std::max<std::int64_t>(left.count(), 0);
    const std::chrono::milliseconds delay{
        std::uniform_int_distribution<std::int64_t>(0, span)(random_)};
    scheduler_.schedule_after(delay, [this, weak = std::weak_ptr<sse::Subscriber>(subscriber)] {
        if (auto sub = weak.lock(); sub && streams_.count(sub.get()) != 0) {
            metrics_.streams_drained.fetch_add(1, std::memory_order_relaxed);
            sub->end(nullptr);
        }
    });
}

} // namespace deltacast::streams
