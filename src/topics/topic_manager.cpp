#include "topics/topic_manager.hpp"

#include "config/config.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"
#include "wire/room_message.hpp"

#include <algorithm>

namespace deltacast::topics {

struct TopicManager::Op {
    std::vector<Topic> topics;
    SubscribeDone done;
    std::size_t remaining = 0;
    bool finished = false;
    Scheduler::TimerId deadline = 0;
};

struct TopicManager::State {
    Topic topic;
    int refs = 0;
    bool active = false;           // LISTEN confirmed on the current connection
    bool listen_requested = false; // a LISTEN is on its way
    std::uint64_t generation = 0;  // tells this state's LISTEN answers from a dropped one's
    std::vector<std::shared_ptr<Op>> waiters;
    Scheduler::TimerId linger = 0;
    Scheduler::TimerId window = 0; // 0 = idle; else the pending flush or the window's end
    bool gathered = false;         // a signal arrived since the last flush
    EntityIds ids;                 // gathered since the last flush
};

namespace {
log::RateLimit malformed_log_limit(10, std::chrono::seconds(10));
}

TopicManager::TopicManager(const Config& config, Notifier& notifier, Scheduler& scheduler,
                           WindowSink& sink, Metrics& metrics)
    : config_(config), notifier_(notifier), scheduler_(scheduler), sink_(sink), metrics_(metrics) {}

TopicManager::~TopicManager() = default;

int TopicManager::refs(const std::string& key) const {
    const auto it = topics_.find(key);
    return it == topics_.end() ? 0 : it->second.refs;
}

bool TopicManager::active(const std::string& key) const {
    const auto it = topics_.find(key);
    return it != topics_.end() && it->second.active;
}

void TopicManager::subscribe(const std::vector<Topic>& topics, SubscribeDone done) {
    if (!notifier_.connected()) {
        done(SubscribeStatus::Unavailable);
        return;
    }
    auto op = std::make_shared<Op>();
    op->topics = topics;
    op->done = std::move(done);
    for (const Topic& topic : topics) {
        State& state = acquire(topic);
        if (state.active) {
            continue;
        }
        ++op->remaining;
        state.waiters.push_back(op);
        if (!state.listen_requested) {
            state.listen_requested = true;
            notifier_.listen(topic.channel,
                             [this, key = topic.key, generation = state.generation](bool ok) {
                                 on_listen_result(key, generation, ok);
                             });
        }
    }
    if (op->remaining == 0) {
        finish(op, SubscribeStatus::Ok);
        return;
    }
    op->deadline =
        scheduler_.schedule_after(std::chrono::milliseconds(config_.server.subscribe_timeout_ms),
                                  [this, op] { finish(op, SubscribeStatus::Timeout); });
}

TopicManager::State& TopicManager::acquire(const Topic& topic) {
    auto [it, inserted] = topics_.try_emplace(topic.key);
    State& state = it->second;
    if (inserted) {
        state.topic = topic;
        state.generation = ++generations_;
        state.ids.resize(topic.kind->entities.size());
        metrics_.topics.store(static_cast<std::int64_t>(topics_.size()));
    }
    ++state.refs;
    if (state.linger != 0) {
        scheduler_.cancel(state.linger);
        state.linger = 0;
    }
    return state;
}

void TopicManager::on_listen_result(const std::string& key, std::uint64_t generation, bool ok) {
    const auto it = topics_.find(key);
    if (it == topics_.end() || it->second.generation != generation) {
        return; // every subscriber left and the topic was dropped (maybe re-created) meanwhile
    }
    State& state = it->second;
    state.listen_requested = false;
    state.active = ok;
    if (ok) {
        sink_.on_listening(state.topic);
        if (rooms_ != nullptr) {
            rooms_->on_listening(state.topic);
        }
    }
    auto waiters = std::move(state.waiters);
    state.waiters.clear();
    for (const auto& op : waiters) {
        if (!ok) {
            finish(op, SubscribeStatus::Unavailable);
        } else if (--op->remaining == 0) {
            finish(op, SubscribeStatus::Ok);
        }
    }
}

void TopicManager::finish(const std::shared_ptr<Op>& op, SubscribeStatus status) {
    if (op->finished) {
        return;
    }
    op->finished = true;
    if (op->deadline != 0) {
        scheduler_.cancel(op->deadline);
    }
    if (status != SubscribeStatus::Ok) {
        for (const Topic& topic : op->topics) {
            release(topic.key); // roll back: no partial subscription survives a failure
        }
    }
    op->done(status);
}

void TopicManager::unsubscribe(const std::vector<Topic>& topics) {
    for (const Topic& topic : topics) {
        release(topic.key);
    }
}

void TopicManager::release(const std::string& key) {
    const auto it = topics_.find(key);
    if (it == topics_.end() || it->second.refs == 0) {
        return;
    }
    State& state = it->second;
    if (--state.refs == 0) {
        state.linger = scheduler_.schedule_after(
            std::chrono::milliseconds(config_.postgres.unlisten_linger_ms),
            [this, key] { expire_linger(key); });
    }
}

void TopicManager::expire_linger(const std::string& key) {
    const auto it = topics_.find(key);
    if (it == topics_.end()) {
        return;
    }
    State& state = it->second;
    state.linger = 0;
    if (state.refs > 0) {
        return; // someone came back during the linger
    }
    notifier_.unlisten(state.topic.channel);
    sink_.on_unlistened(state.topic);
    if (rooms_ != nullptr) {
        rooms_->on_unlistened(state.topic);
    }
    if (state.window != 0) {
        scheduler_.cancel(state.window);
    }
    topics_.erase(it);
    metrics_.topics.store(static_cast<std::int64_t>(topics_.size()));
}

void TopicManager::on_notification(std::string_view channel, std::string_view payload) {
    metrics_.signals.fetch_add(1, std::memory_order_relaxed);
    const std::string& prefix = config_.postgres.channel_prefix;
    if (channel.substr(0, prefix.size()) == prefix) {
        // Subscribed or lingering alike (see the invariant in the header): a lingering topic's
        // windows keep its replay ring complete for the client that comes back.
        const auto it = topics_.find(std::string(channel.substr(prefix.size())));
        if (it != topics_.end() && wire::is_room_message(payload)) {
            metrics_.room_messages.fetch_add(1, std::memory_order_relaxed);
            if (rooms_ != nullptr) {
                rooms_->on_room_message(it->second.topic, payload);
            }
            return;
        }
        if (it != topics_.end()) {
            add_signal(it->second, payload);
            return;
        }
    }
    if (topic_from_channel(config_, channel)) {
        // A late notification for a topic already UNLISTENed (UNLISTEN races NOTIFY).
        metrics_.signals_ignored.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    metrics_.signals_malformed.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t suppressed = 0;
    if (malformed_log_limit.allow(suppressed)) {
        log::get("topics")->warn("signal on unknown channel channel=\"{}\" suppressed={}", channel,
                                 suppressed);
    }
}

void TopicManager::add_signal(State& state, std::string_view payload) {
    if (!state.topic.is_poke()) {
        std::string error;
        auto ids = parse_signal_payload(*state.topic.kind, payload, &error);
        if (!ids) {
            metrics_.signals_malformed.fetch_add(1, std::memory_order_relaxed);
            std::uint64_t suppressed = 0;
            if (malformed_log_limit.allow(suppressed)) {
                log::get("topics")->warn("malformed signal topic={} error=\"{}\" suppressed={}",
                                         state.topic.key, error, suppressed);
            }
            log::get("topics")->trace("malformed payload topic={} payload={}", state.topic.key,
                                      payload);
            sink_.on_resync(state.topic, "malformed-signal");
            return;
        }
        for (std::size_t e = 0; e < ids->size(); ++e) {
            auto& into = state.ids[e];
            into.insert(into.end(), std::make_move_iterator((*ids)[e].begin()),
                        std::make_move_iterator((*ids)[e].end()));
        }
    }
    state.gathered = true;
    if (state.window == 0) {
        // Idle topic: leading edge. A zero-delay timer runs after the notifications already
        // read in this turn of the core strand, so a burst that arrived together is one batch.
        state.window = scheduler_.schedule_after(std::chrono::milliseconds(0),
                                                 [this, key = state.topic.key] { flush(key); });
    }
}

void TopicManager::flush(const std::string& key) {
    const auto it = topics_.find(key);
    if (it == topics_.end()) {
        return;
    }
    State& state = it->second;
    if (!state.gathered) {
        state.window = 0; // a quiet window: back to idle, the next signal goes out at once
        return;
    }
    // The window starts at this flush and is never extended: what arrives within it waits for
    // its end, so a busy topic gets at most one batch per window_ms.
    state.window = scheduler_.schedule_after(std::chrono::milliseconds(config_.fanout.window_ms),
                                             [this, key] { flush(key); });
    state.gathered = false;
    WindowBatch batch{state.topic, EntityIds(state.ids.size())};
    for (std::size_t e = 0; e < state.ids.size(); ++e) {
        auto& ids = state.ids[e];
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        batch.ids[e] = std::move(ids);
        ids.clear();
    }
    metrics_.windows.fetch_add(1, std::memory_order_relaxed);
    if (state.refs == 0) {
        metrics_.windows_unwatched.fetch_add(1, std::memory_order_relaxed);
    }
    sink_.on_window(std::move(batch));
}

void TopicManager::on_connection_lost() {
    for (auto& [key, state] : topics_) {
        state.active = false;
    }
}

void TopicManager::on_resubscribed() {
    for (auto& [key, state] : topics_) {
        state.active = true;
        sink_.on_listening(state.topic);
        // Lingering topics too: their rings must not claim the outage (a resync restarts them).
        sink_.on_resync(state.topic, "listener-reconnected");
    }
    if (rooms_ != nullptr) {
        rooms_->on_resubscribed();
    }
}

} // namespace deltacast::topics
