#include "sse/stream_registry.hpp"

#include "delta/frame.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"

#include <algorithm>

namespace deltacast::sse {
namespace {

constexpr std::chrono::milliseconds kTick{1000};  // re-check granularity

bool has_sql_rule(const OpenRequest& request) {
    return std::any_of(request.topics.begin(), request.topics.end(), [](const topics::Topic& t) {
        return t.kind->access.rfind("sql:", 0) == 0;
    });
}

}  // namespace

StreamRegistry::StreamRegistry(std::chrono::seconds recheck_interval,
                               topics::AccessChecker* access, topics::Scheduler& scheduler,
                               Metrics& metrics)
    : interval_(recheck_interval), access_(recheck_interval.count() > 0 ? access : nullptr),
      scheduler_(scheduler), metrics_(metrics) {}

StreamRegistry::~StreamRegistry() { scheduler_.cancel(tick_timer_); }

void StreamRegistry::add(std::shared_ptr<const OpenRequest> request,
                         std::shared_ptr<Subscriber> subscriber) {
    const bool recheck = access_ != nullptr && has_sql_rule(*request);
    streams_[subscriber.get()] = Stream{std::move(request), subscriber};
    if (draining_) {
        end_at_random(subscriber);
        return;
    }
    if (recheck) {
        due_.push_back({scheduler_.now() + interval_, subscriber});
        schedule_tick();
    }
}

void StreamRegistry::remove(const std::shared_ptr<Subscriber>& subscriber) {
    streams_.erase(subscriber.get());  // its entry in due_ expires with the weak_ptr
    if (draining_ && streams_.empty() && drained_) {
        auto done = std::move(drained_);
        drained_ = nullptr;
        done();
    }
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
        auto subscriber = due_.front().subscriber.lock();
        due_.pop_front();
        if (subscriber && streams_.count(subscriber.get()) != 0) {
            recheck(subscriber);
        }
    }
}

void StreamRegistry::recheck(const std::shared_ptr<Subscriber>& subscriber) {
    const auto request = streams_.at(subscriber.get()).request;
    metrics_.access_rechecks.fetch_add(1, std::memory_order_relaxed);
    std::weak_ptr<Subscriber> weak = subscriber;
    access_->check(request->topics, request->identity.subject, request->identity.claims,
                   [this, weak, request](topics::AccessResult result) {
                       auto sub = weak.lock();
                       if (!sub || streams_.count(sub.get()) == 0 || draining_) {
                           return;  // closed meanwhile, or being ended anyway
                       }
                       if (result.denied.empty()) {  // allowed, or unknown: try again later
                           due_.push_back({scheduler_.now() + interval_, weak});
                           schedule_tick();
                           return;
                       }
                       log::get("sse")->info("access revoked subject={} topics={}",
                                             request->identity.subject, result.denied.size());
                       metrics_.streams_revoked.fetch_add(1, std::memory_order_relaxed);
                       auto frame = std::make_shared<delta::Frame>();
                       delta::append_revoked(frame->bytes, result.denied, "access-revoked");
                       sub->end(std::move(frame));
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

void StreamRegistry::end_at_random(const std::shared_ptr<Subscriber>& subscriber) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drain_deadline_ -
                                                                            scheduler_.now());
    const auto span = std::max<std::int64_t>(left.count(), 0);
    const std::chrono::milliseconds delay{
        std::uniform_int_distribution<std::int64_t>(0, span)(random_)};
    scheduler_.schedule_after(delay, [this, weak = std::weak_ptr<Subscriber>(subscriber)] {
        if (auto sub = weak.lock(); sub && streams_.count(sub.get()) != 0) {
            metrics_.streams_drained.fetch_add(1, std::memory_order_relaxed);
            sub->end(nullptr);
        }
    });
}

}  // namespace deltacast::sse
