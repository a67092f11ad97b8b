#pragma once
// Fakes at the seams of topics::TopicManager and AccessChecker: a manual clock that fires
// timers when advanced, a Notifier whose LISTENs the test confirms or fails by hand, a
// WindowSink that records what arrived and when, and an AccessQuery answered from a table.
// Single-threaded, like the core strand they stand in for.

#include "topics/access_checker.hpp"
#include "topics/notifier.hpp"
#include "topics/scheduler.hpp"
#include "topics/window_sink.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deltacast::unit_test {

using std::chrono::milliseconds;

/// topics::Scheduler on a manual clock: advance() fires due timers in deadline order (ties in
/// scheduling order), including timers that callbacks schedule while it advances.
class ManualScheduler final : public topics::Scheduler {
public:
    topics::Clock::time_point now() const override { return now_; }

    TimerId schedule_after(milliseconds delay, std::function<void()> fn) override {
        const TimerId id = next_id_++;
        timers_.emplace(id, Timer{now_ + delay, std::move(fn)});
        return id;
    }

    void cancel(TimerId id) override { timers_.erase(id); }

    void advance(milliseconds by) {
        const auto target = now_ + by;
        for (auto due = next_due(target); due != timers_.end(); due = next_due(target)) {
            now_ = due->second.deadline;
            auto fn = std::move(due->second.fn);
            timers_.erase(due);
            fn();
        }
        now_ = target;
    }

    /// Advances to `ms` after the start of the test.
    void advance_to(milliseconds ms) { advance(ms - elapsed()); }

    /// Manual time since construction.
    milliseconds elapsed() const {
        return std::chrono::duration_cast<milliseconds>(now_ - start_);
    }

    std::size_t pending() const { return timers_.size(); }

private:
    struct Timer {
        topics::Clock::time_point deadline;
        std::function<void()> fn;
    };

    std::map<TimerId, Timer>::iterator next_due(topics::Clock::time_point limit) {
        auto best = timers_.end();
        for (auto it = timers_.begin(); it != timers_.end(); ++it) {
            if (it->second.deadline <= limit &&
                (best == timers_.end() || it->second.deadline < best->second.deadline)) {
                best = it;
            }
        }
        return best;
    }

    const topics::Clock::time_point start_{std::chrono::hours(1)};
    topics::Clock::time_point now_ = start_;
    TimerId next_id_ = 1;
    std::map<TimerId, Timer> timers_;
};

/// topics::Notifier that records LISTEN/UNLISTEN and holds each LISTEN's `done` until the test
/// calls confirm() or fail(). `is_connected` is what connected() reports.
class FakeNotifier final : public topics::Notifier {
public:
    void listen(const std::string& channel, std::function<void(bool ok)> done) override {
        listens.push_back(channel);
        pending_.push_back(Pending{channel, std::move(done)});
    }

    void unlisten(const std::string& channel) override { unlistens.push_back(channel); }

    bool connected() const override { return is_connected; }

    /// Completes the oldest pending LISTEN of `channel`; false when there is none.
    bool complete(const std::string& channel, bool ok) {
        const auto it = std::find_if(pending_.begin(), pending_.end(),
                                     [&](const Pending& p) { return p.channel == channel; });
        if (it == pending_.end()) {
            return false;
        }
        auto done = std::move(it->done);
        pending_.erase(it);
        done(ok);
        return true;
    }
    bool confirm(const std::string& channel) { return complete(channel, true); }
    bool fail(const std::string& channel) { return complete(channel, false); }

    std::size_t pending() const { return pending_.size(); }

    std::vector<std::string> listens;
    std::vector<std::string> unlistens;
    bool is_connected = true;

private:
    struct Pending {
        std::string channel;
        std::function<void(bool)> done;
    };
    std::vector<Pending> pending_;
};

/// topics::WindowSink that records every batch and resync with the manual time it arrived, and
/// every UNLISTEN.
class RecordingSink final : public topics::WindowSink {
public:
    struct Window {
        topics::WindowBatch batch;
        milliseconds at;
    };
    struct Resync {
        std::string topic;
        std::string reason;
        milliseconds at;
    };

    explicit RecordingSink(const ManualScheduler& clock) : clock_(clock) {}

    void on_window(topics::WindowBatch batch) override {
        windows.push_back(Window{std::move(batch), clock_.elapsed()});
    }

    void on_resync(const topics::Topic& topic, const std::string& reason) override {
        resyncs.push_back(Resync{topic.key, reason, clock_.elapsed()});
    }

    void on_unlistened(const topics::Topic& topic) override { unlistened.push_back(topic.key); }

    std::vector<Window> windows;
    std::vector<Resync> resyncs;
    std::vector<std::string> unlistened;  // topic keys, in order

private:
    const ManualScheduler& clock_;
};

/// Answers SQL rules from a table of (topic id, subject) -> allowed; counts calls. Answers are
/// held until release() so tests can check that `done` waits for them.
class FakeAccessQuery final : public topics::AccessQuery {
public:
    void allowed(const std::string& sql, const std::string& topic_id, const std::string& subject,
                 std::function<void(std::optional<bool>)> done) override {
        ++calls;
        last_sql = sql;
        const auto it = table.find({topic_id, subject});
        std::optional<bool> answer;
        if (!failing) {
            answer = it != table.end() && it->second;
        }
        held.emplace_back([done = std::move(done), answer] { done(answer); });
    }
    void release() {
        auto pending = std::move(held);
        held.clear();
        for (auto& fn : pending) {
            fn();
        }
    }
    std::map<std::pair<std::string, std::string>, bool> table;
    std::vector<std::function<void()>> held;
    bool failing = false;
    int calls = 0;
    std::string last_sql;
};

}  // namespace deltacast::unit_test
