#include "topics/topic_manager.hpp"

#include "config/config.hpp"
#include "unit/fakes/test_config.hpp"
#include "unit/fakes/topic_fakes.hpp"
#include "util/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace deltacast::topics {
namespace {

using std::chrono::milliseconds;
using Statuses = std::vector<SubscribeStatus>;
using Ids = std::vector<std::string>;

class TopicManagerTest : public ::testing::Test {
protected:
    static std::vector<Topic> topics(const std::vector<std::string>& keys) {
        std::vector<Topic> out;
        for (const auto& key : keys) {
            out.push_back(unit_test::topic(key));
        }
        return out;
    }

    // Subscribes `keys`; the returned list collects every status `done` reported.
    std::shared_ptr<Statuses> subscribe(const std::vector<std::string>& keys) {
        auto statuses = std::make_shared<Statuses>();
        manager_.subscribe(topics(keys), [statuses](SubscribeStatus s) { statuses->push_back(s); });
        return statuses;
    }

    // Subscribes `keys`, confirms every LISTEN that caused, and expects Ok.
    void subscribe_ok(const std::vector<std::string>& keys) {
        const auto statuses = subscribe(keys);
        for (const auto& key : keys) {
            notifier_.confirm("signal:" + key);
        }
        ASSERT_EQ(*statuses, Statuses{SubscribeStatus::Ok});
    }

    void unsubscribe(const std::vector<std::string>& keys) { manager_.unsubscribe(topics(keys)); }

    void notify(const std::string& key, const std::string& payload) {
        manager_.on_notification("signal:" + key, payload);
    }

    static std::string content(const std::vector<int>& ids) {
        std::string out = "{\"contentIds\":[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            out += (i ? "," : "") + std::to_string(ids[i]);
        }
        return out + "]}";
    }

    unit_test::ManualScheduler scheduler_;
    unit_test::FakeNotifier notifier_;
    unit_test::RecordingSink sink_{scheduler_};
    Metrics metrics_;
    TopicManager manager_{unit_test::test_config(), notifier_, scheduler_, sink_, metrics_};
};

// The fake clock itself: timers fire in deadline order (ties in scheduling order) at their
// deadline, including ones scheduled by a callback within the advanced span; cancel works.
TEST(ManualScheduler, FiresInDeadlineOrderIncludingNested) {
    unit_test::ManualScheduler clock;
    std::vector<std::pair<std::string, milliseconds>> fired;
    auto record = [&](std::string name) {
        return [&fired, &clock, name] { fired.emplace_back(name, clock.elapsed()); };
    };
    clock.schedule_after(milliseconds(10), record("b"));
    clock.schedule_after(milliseconds(5), [&] {
        fired.emplace_back("a", clock.elapsed());
        clock.schedule_after(milliseconds(2), record("nested"));  // due at 7
        clock.schedule_after(milliseconds(30), record("late"));  // due at 35
    });
    clock.schedule_after(milliseconds(10), record("c"));
    const auto cancelled = clock.schedule_after(milliseconds(8), record("cancelled"));
    clock.cancel(cancelled);
    clock.advance(milliseconds(20));
    const std::vector<std::pair<std::string, milliseconds>> expected = {
        {"a", milliseconds(5)}, {"nested", milliseconds(7)}, {"b", milliseconds(10)},
        {"c", milliseconds(10)}};
    EXPECT_EQ(fired, expected);
    EXPECT_EQ(clock.elapsed(), milliseconds(20));
    EXPECT_EQ(clock.pending(), 1u);
}

// LISTEN goes out once, on the first subscriber; later subscribers reuse it.
TEST_F(TopicManagerTest, ListenOnceOnFirstSubscriber) {
    subscribe_ok({"chat:1"});
    EXPECT_EQ(notifier_.listens, Ids{"signal:chat:1"});
    const auto second = subscribe({"chat:1"});
    EXPECT_EQ(*second, Statuses{SubscribeStatus::Ok});
    EXPECT_EQ(notifier_.listens, Ids{"signal:chat:1"});
    EXPECT_EQ(manager_.refs("chat:1"), 2);
    EXPECT_EQ(manager_.topic_count(), 1u);
}

// Subscribers arriving while the LISTEN is in flight share it and complete with it.
TEST_F(TopicManagerTest, ConcurrentSubscribersShareOneListen) {
    const auto first = subscribe({"chat:1"});
    const auto second = subscribe({"chat:1", "org:7"});
    EXPECT_EQ(notifier_.listens, (Ids{"signal:chat:1", "signal:org:7"}));
    EXPECT_TRUE(notifier_.confirm("signal:chat:1"));
    EXPECT_EQ(*first, Statuses{SubscribeStatus::Ok});
    EXPECT_TRUE(second->empty());
    EXPECT_TRUE(notifier_.confirm("signal:org:7"));
    EXPECT_EQ(*second, Statuses{SubscribeStatus::Ok});
    EXPECT_EQ(manager_.refs("chat:1"), 2);
}

// subscribe completes only once every one of its LISTENs is confirmed, however long it takes.
TEST_F(TopicManagerTest, CompletesOnlyAfterListenConfirmed) {
    const auto statuses = subscribe({"chat:1", "org:7"});
    scheduler_.advance(milliseconds(4000));
    EXPECT_TRUE(statuses->empty());
    EXPECT_FALSE(manager_.active("chat:1"));
    notifier_.confirm("signal:chat:1");
    EXPECT_TRUE(statuses->empty());
    EXPECT_TRUE(manager_.active("chat:1"));
    notifier_.confirm("signal:org:7");
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Ok});
    scheduler_.advance(milliseconds(10000));  // the deadline was cancelled: no late Timeout
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Ok});
    EXPECT_EQ(manager_.refs("chat:1"), 1);
    EXPECT_EQ(manager_.refs("org:7"), 1);
}

// With the listener down, subscribe fails at once and takes no reference, LISTEN or timer.
TEST_F(TopicManagerTest, NotConnectedIsUnavailableWithoutTouchingRefs) {
    subscribe_ok({"chat:1"});
    notifier_.is_connected = false;
    const auto statuses = subscribe({"chat:1", "chat:2"});
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Unavailable});
    EXPECT_EQ(manager_.refs("chat:1"), 1);
    EXPECT_EQ(manager_.refs("chat:2"), 0);
    EXPECT_EQ(manager_.topic_count(), 1u);
    EXPECT_EQ(notifier_.listens, Ids{"signal:chat:1"});
    EXPECT_EQ(scheduler_.pending(), 0u);
}

// A failed LISTEN fails the subscribe and releases every reference it took, on every topic.
TEST_F(TopicManagerTest, ListenFailureIsUnavailableAndRollsBack) {
    subscribe_ok({"chat:1"});
    const auto statuses = subscribe({"chat:1", "org:7"});
    EXPECT_EQ(manager_.refs("chat:1"), 2);
    notifier_.fail("signal:org:7");
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Unavailable});
    EXPECT_EQ(manager_.refs("chat:1"), 1);
    EXPECT_EQ(manager_.refs("org:7"), 0);
    EXPECT_FALSE(manager_.active("org:7"));
    scheduler_.advance(milliseconds(10000));
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Unavailable});  // reported once
    EXPECT_EQ(notifier_.unlistens, Ids{"signal:org:7"});
    EXPECT_EQ(manager_.topic_count(), 1u);
}

// A LISTEN unconfirmed after subscribe_timeout_ms fails the subscribe and rolls back its refs.
TEST_F(TopicManagerTest, TimeoutRollsBack) {
    const auto statuses = subscribe({"chat:1", "org:7"});
    notifier_.confirm("signal:chat:1");
    scheduler_.advance(milliseconds(4999));
    EXPECT_TRUE(statuses->empty());
    scheduler_.advance(milliseconds(1));
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Timeout});
    EXPECT_EQ(manager_.refs("chat:1"), 0);
    EXPECT_EQ(manager_.refs("org:7"), 0);
    scheduler_.advance(milliseconds(2000));
    std::vector<std::string> unlistens = notifier_.unlistens;
    std::sort(unlistens.begin(), unlistens.end());
    EXPECT_EQ(unlistens, (Ids{"signal:chat:1", "signal:org:7"}));
    EXPECT_EQ(manager_.topic_count(), 0u);
}

// A LISTEN confirmed after its subscribe timed out revives neither the subscribe nor its refs;
// the topic is then LISTENed and lingering, so its signals go to windows (unwatched) until the
// linger ends.
TEST_F(TopicManagerTest, LateConfirmationAfterTimeoutResurrectsNothing) {
    const auto statuses = subscribe({"chat:1"});
    scheduler_.advance(milliseconds(5000));
    ASSERT_EQ(*statuses, Statuses{SubscribeStatus::Timeout});
    notifier_.confirm("signal:chat:1");
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Timeout});
    EXPECT_EQ(manager_.refs("chat:1"), 0);
    notify("chat:1", content({1}));  // nobody is subscribed: an unwatched window
    scheduler_.advance(milliseconds(2000));
    EXPECT_EQ(sink_.windows.size(), 1u);
    EXPECT_EQ(metrics_.windows_unwatched.load(), 1u);
    EXPECT_EQ(notifier_.unlistens, Ids{"signal:chat:1"});
    EXPECT_EQ(manager_.topic_count(), 0u);
}

// A confirmation arriving after the timed-out topic was dropped altogether is harmless.
TEST_F(TopicManagerTest, ConfirmationAfterTopicDroppedIsIgnored) {
    const auto statuses = subscribe({"chat:1"});
    scheduler_.advance(milliseconds(7000));  // timeout, then the linger
    ASSERT_EQ(manager_.topic_count(), 0u);
    notifier_.confirm("signal:chat:1");
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Timeout});
    EXPECT_EQ(manager_.topic_count(), 0u);
    EXPECT_FALSE(manager_.active("chat:1"));
}

// A stale LISTEN answer (for a topic state that was dropped and re-created meanwhile) must not
// complete the new subscriber: only the new state's own LISTEN confirmation may.
TEST_F(TopicManagerTest, StaleConfirmationDoesNotCompleteRecreatedTopic) {
    const auto first = subscribe({"chat:1"});
    scheduler_.advance(milliseconds(7000));  // timeout, then the linger drops the state
    ASSERT_EQ(manager_.topic_count(), 0u);
    const auto second = subscribe({"chat:1"});  // a new state, a second LISTEN
    ASSERT_EQ(notifier_.pending(), 2u);
    notifier_.confirm("signal:chat:1");  // the oldest: the first state's LISTEN
    EXPECT_TRUE(second->empty()) << "completed by a stale LISTEN answer";
    EXPECT_FALSE(manager_.active("chat:1"));
    notifier_.confirm("signal:chat:1");  // its own
    EXPECT_EQ(*second, Statuses{SubscribeStatus::Ok});
    EXPECT_EQ(*first, Statuses{SubscribeStatus::Timeout});
}

// UNLISTEN goes out only once the last subscriber has been gone for the whole linger.
TEST_F(TopicManagerTest, UnlistenOnlyAfterLinger) {
    subscribe_ok({"chat:1"});
    subscribe_ok({"chat:1"});
    unsubscribe({"chat:1"});
    scheduler_.advance(milliseconds(5000));
    EXPECT_TRUE(notifier_.unlistens.empty());  // one subscriber is left
    unsubscribe({"chat:1"});
    EXPECT_EQ(manager_.refs("chat:1"), 0);
    scheduler_.advance(milliseconds(1999));
    EXPECT_TRUE(notifier_.unlistens.empty());
    EXPECT_EQ(manager_.topic_count(), 1u);
    scheduler_.advance(milliseconds(1));
    EXPECT_EQ(notifier_.unlistens, Ids{"signal:chat:1"});
    EXPECT_EQ(manager_.topic_count(), 0u);
    EXPECT_EQ(metrics_.topics.load(), 0);
}

// A subscriber returning during the linger cancels it: no UNLISTEN and no second LISTEN.
TEST_F(TopicManagerTest, ResubscribeDuringLingerCancelsIt) {
    subscribe_ok({"chat:1"});
    unsubscribe({"chat:1"});
    scheduler_.advance(milliseconds(1500));
    const auto statuses = subscribe({"chat:1"});
    EXPECT_EQ(*statuses, Statuses{SubscribeStatus::Ok});
    scheduler_.advance(milliseconds(10000));
    EXPECT_TRUE(notifier_.unlistens.empty());
    EXPECT_EQ(notifier_.listens, Ids{"signal:chat:1"});
    EXPECT_EQ(manager_.refs("chat:1"), 1);
    EXPECT_TRUE(manager_.active("chat:1"));
}

// Leading edge: a signal on an idle topic is handed over at once, with no window wait.
TEST_F(TopicManagerTest, LoneSignalGoesOutAtOnce) {
    subscribe_ok({"chat:1"});
    scheduler_.advance(milliseconds(1000));
    const milliseconds t0 = scheduler_.elapsed();
    notify("chat:1", content({3, 1}));
    scheduler_.advance(milliseconds(0));
    ASSERT_EQ(sink_.windows.size(), 1u);
    EXPECT_EQ(sink_.windows[0].at, t0);
    EXPECT_EQ(sink_.windows[0].batch.topic.key, "chat:1");
    ASSERT_EQ(sink_.windows[0].batch.ids.size(), 2u);
    EXPECT_EQ(sink_.windows[0].batch.ids[0], (Ids{"1", "3"}));
    EXPECT_TRUE(sink_.windows[0].batch.ids[1].empty());
    EXPECT_EQ(metrics_.windows.load(), 1u);
}

// Signals that arrive together (one read from the listener) are one batch, not one each.
TEST_F(TopicManagerTest, SignalsReadTogetherAreOneBatch) {
    subscribe_ok({"chat:1"});
    notify("chat:1", content({3}));
    notify("chat:1", content({1, 3}));
    notify("chat:1", content({2}));
    scheduler_.advance(milliseconds(0));
    ASSERT_EQ(sink_.windows.size(), 1u);
    EXPECT_EQ(sink_.windows[0].batch.ids[0], (Ids{"1", "2", "3"}));
}

// After a flush the window runs window_ms: signals within it wait for its end and go out as ONE
// batch, the union of their ids, deduplicated and sorted.
TEST_F(TopicManagerTest, WindowAfterFlushCoalescesIntoOneBatch) {
    subscribe_ok({"chat:1"});
    const milliseconds t0 = scheduler_.elapsed();
    notify("chat:1", content({9}));
    scheduler_.advance(milliseconds(0));
    ASSERT_EQ(sink_.windows.size(), 1u);
    scheduler_.advance(milliseconds(5));
    notify("chat:1", content({3, 1}));
    scheduler_.advance(milliseconds(5));
    notify("chat:1", content({2, 3}));
    scheduler_.advance_to(t0 + milliseconds(15));
    notify("chat:1", content({1, 4}));
    scheduler_.advance(milliseconds(0));
    EXPECT_EQ(sink_.windows.size(), 1u);
    scheduler_.advance_to(t0 + milliseconds(16));
    ASSERT_EQ(sink_.windows.size(), 2u);
    EXPECT_EQ(sink_.windows[1].at, t0 + milliseconds(16));
    EXPECT_EQ(sink_.windows[1].batch.ids[0], (Ids{"1", "2", "3", "4"}));
    EXPECT_EQ(metrics_.windows.load(), 2u);
}

// A window that gathered nothing returns the topic to idle: the next signal goes out at once,
// and the old window's ids are not sent again.
TEST_F(TopicManagerTest, QuietWindowReturnsToIdle) {
    subscribe_ok({"chat:1"});
    const milliseconds t0 = scheduler_.elapsed();
    notify("chat:1", content({1}));
    scheduler_.advance_to(t0 + milliseconds(40));
    ASSERT_EQ(sink_.windows.size(), 1u);
    EXPECT_EQ(scheduler_.pending(), 0u);  // no timer left behind
    notify("chat:1", content({5}));
    scheduler_.advance(milliseconds(0));
    ASSERT_EQ(sink_.windows.size(), 2u);
    EXPECT_EQ(sink_.windows[1].at, t0 + milliseconds(40));
    EXPECT_EQ(sink_.windows[1].batch.ids[0], Ids{"5"});
}

// A steady stream of signals never starves the flush: the first goes out at once, then exactly
// one batch per window_ms, and every signalled id comes out exactly once.
TEST_F(TopicManagerTest, SteadyStreamFlushesOncePerWindow) {
    subscribe_ok({"chat:1"});
    const milliseconds t0 = scheduler_.elapsed();
    for (int i = 0; i < 40; ++i) {
        notify("chat:1", content({i}));
        scheduler_.advance(milliseconds(5));
    }
    scheduler_.advance(milliseconds(100));
    // Signals at 0, 5, ..., 195: flushes at 0, 16, 32, ..., 192, then 208 for the one at 195.
    ASSERT_EQ(sink_.windows.size(), 14u);
    Ids all;
    for (std::size_t w = 0; w < sink_.windows.size(); ++w) {
        EXPECT_EQ(sink_.windows[w].at, t0 + milliseconds(16 * static_cast<int>(w))) << w;
        const auto& ids = sink_.windows[w].batch.ids[0];
        EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
        EXPECT_FALSE(ids.empty()) << "window " << w;
        all.insert(all.end(), ids.begin(), ids.end());
    }
    Ids expected;
    for (int i = 0; i < 40; ++i) {
        expected.push_back(std::to_string(i));
    }
    std::sort(all.begin(), all.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(all, expected);
}

// Poke topics: a burst of signals makes one poke at once and one at the window's end.
TEST_F(TopicManagerTest, PokeBurstMakesOneBatchPerWindow) {
    subscribe_ok({"org:7"});
    const milliseconds t0 = scheduler_.elapsed();
    for (int i = 0; i < 10; ++i) {
        notify("org:7", i % 2 ? "" : "{\"anything\":1}");
        scheduler_.advance(milliseconds(1));
    }
    scheduler_.advance(milliseconds(100));
    ASSERT_EQ(sink_.windows.size(), 2u);
    EXPECT_EQ(sink_.windows[0].at, t0);
    EXPECT_EQ(sink_.windows[1].at, t0 + milliseconds(16));
    for (const auto& window : sink_.windows) {
        EXPECT_EQ(window.batch.topic.key, "org:7");
        EXPECT_TRUE(window.batch.topic.is_poke());
        EXPECT_TRUE(window.batch.ids.empty());
    }
    EXPECT_TRUE(sink_.resyncs.empty());
    EXPECT_EQ(metrics_.signals_malformed.load(), 0u);
}

// A malformed payload is counted and answered with one resync for that topic, never a batch.
TEST_F(TopicManagerTest, MalformedPayloadResyncsTopic) {
    subscribe_ok({"chat:1"});
    subscribe_ok({"chat:2"});
    notify("chat:1", "{\"contentIds\":[\"x\"]}");
    scheduler_.advance(milliseconds(100));
    EXPECT_EQ(metrics_.signals_malformed.load(), 1u);
    ASSERT_EQ(sink_.resyncs.size(), 1u);
    EXPECT_EQ(sink_.resyncs[0].topic, "chat:1");
    EXPECT_EQ(sink_.resyncs[0].reason, "malformed-signal");
    EXPECT_TRUE(sink_.windows.empty());
}

// A malformed signal does not lose the valid ids its window already gathered.
TEST_F(TopicManagerTest, MalformedPayloadKeepsOpenWindow) {
    subscribe_ok({"chat:1"});
    notify("chat:1", content({1}));
    notify("chat:1", "not json");
    scheduler_.advance(milliseconds(100));
    ASSERT_EQ(sink_.windows.size(), 1u);
    EXPECT_EQ(sink_.windows[0].batch.ids[0], Ids{"1"});
    EXPECT_EQ(sink_.resyncs.size(), 1u);
}

// Signals for topics never subscribed, or already UNLISTENed, are counted and dropped.
TEST_F(TopicManagerTest, SignalForUnlistenedTopicIgnored) {
    notify("chat:99", content({1}));
    subscribe_ok({"chat:1"});
    unsubscribe({"chat:1"});
    scheduler_.advance(milliseconds(2000));  // the linger ends: UNLISTEN, state dropped
    notify("chat:1", content({1}));
    scheduler_.advance(milliseconds(100));
    EXPECT_EQ(metrics_.signals_ignored.load(), 2u);
    EXPECT_EQ(metrics_.signals_malformed.load(), 0u);
    EXPECT_EQ(metrics_.signals.load(), 2u);
    EXPECT_TRUE(sink_.windows.empty());
    EXPECT_TRUE(sink_.resyncs.empty());
}

// A lingering topic (no subscriber, LISTEN still held) keeps its windows, so the replay ring
// behind the sink stays complete for the sole viewer that comes back: a signal in the gap is
// not consumed silently (issue: sole viewer reconnects and gets nothing).
TEST_F(TopicManagerTest, LingeringTopicKeepsItsWindows) {
    subscribe_ok({"chat:1"});
    subscribe_ok({"org:1"});
    unsubscribe({"chat:1", "org:1"});  // both lingering
    notify("chat:1", content({4, 2}));
    notify("org:1", "");
    notify("chat:1", "not json");
    scheduler_.advance(milliseconds(100));
    ASSERT_EQ(sink_.windows.size(), 2u);
    EXPECT_EQ(sink_.windows[0].batch.topic.key, "chat:1");
    EXPECT_EQ(sink_.windows[0].batch.ids[0], (Ids{"2", "4"}));
    EXPECT_EQ(sink_.windows[1].batch.topic.key, "org:1");
    ASSERT_EQ(sink_.resyncs.size(), 1u);  // the malformed one is covered, not dropped
    EXPECT_EQ(sink_.resyncs[0].reason, "malformed-signal");
    EXPECT_EQ(metrics_.windows_unwatched.load(), 2u);
    EXPECT_EQ(metrics_.signals_ignored.load(), 0u);
    EXPECT_EQ(*subscribe({"chat:1"}), Statuses{SubscribeStatus::Ok});  // back within the linger
    notify("chat:1", content({5}));
    scheduler_.advance(milliseconds(100));
    EXPECT_EQ(sink_.windows.size(), 3u);
    EXPECT_EQ(metrics_.windows_unwatched.load(), 2u);  // watched again
}

// The linger ending with a window pending: the sink hears on_unlistened (which ends the ring's
// coverage) before the pending ids are discarded, and no window follows.
TEST_F(TopicManagerTest, LingerEndWithPendingWindowEndsCoverageFirst) {
    subscribe_ok({"chat:1"});
    unsubscribe({"chat:1"});
    scheduler_.advance(milliseconds(1990));
    notify("chat:1", content({1}));
    scheduler_.advance(milliseconds(1));  // leading edge: out at once, window open
    notify("chat:1", content({2}));       // pending when the linger ends
    scheduler_.advance(milliseconds(20));
    EXPECT_EQ(sink_.unlistened, Ids{"chat:1"});
    ASSERT_EQ(sink_.windows.size(), 1u);
    EXPECT_EQ(sink_.windows[0].batch.ids[0], Ids{"1"});
    EXPECT_EQ(manager_.topic_count(), 0u);
}

// A channel naming an unknown kind (or lacking the prefix) is malformed, not ignored.
TEST_F(TopicManagerTest, UnknownChannelIsMalformed) {
    subscribe_ok({"chat:1"});
    manager_.on_notification("signal:room:1", content({1}));
    manager_.on_notification("chat:1", content({1}));
    manager_.on_notification("signal:chat:01", content({1}));
    scheduler_.advance(milliseconds(100));
    EXPECT_EQ(metrics_.signals_malformed.load(), 3u);
    EXPECT_EQ(metrics_.signals_ignored.load(), 0u);
    EXPECT_TRUE(sink_.windows.empty());
    EXPECT_TRUE(sink_.resyncs.empty());
}

// After a listener reconnect every LISTENed topic, lingering ones too (their replay rings must
// not claim the outage), gets one resync, and subscribing works again (existing topics at once, new ones after their LISTEN).
TEST_F(TopicManagerTest, ReconnectResyncsEveryListenedTopic) {
    subscribe_ok({"chat:1"});
    subscribe_ok({"org:7"});
    subscribe_ok({"chat:2"});
    unsubscribe({"chat:2"});  // lingering: its ring must restart too
    manager_.on_connection_lost();
    notifier_.is_connected = false;
    EXPECT_FALSE(manager_.active("chat:1"));
    EXPECT_EQ(*subscribe({"chat:1"}), Statuses{SubscribeStatus::Unavailable});
    EXPECT_TRUE(sink_.resyncs.empty());

    notifier_.is_connected = true;
    manager_.on_resubscribed();
    ASSERT_EQ(sink_.resyncs.size(), 3u);
    std::vector<std::string> resynced;
    for (const auto& r : sink_.resyncs) {
        EXPECT_EQ(r.reason, "listener-reconnected");
        resynced.push_back(r.topic);
    }
    std::sort(resynced.begin(), resynced.end());
    EXPECT_EQ(resynced, (Ids{"chat:1", "chat:2", "org:7"}));
    EXPECT_EQ(manager_.refs("chat:1"), 1);

    EXPECT_EQ(*subscribe({"chat:1"}), Statuses{SubscribeStatus::Ok});
    const auto fresh = subscribe({"chat:3"});
    EXPECT_TRUE(fresh->empty());
    EXPECT_TRUE(notifier_.confirm("signal:chat:3"));
    EXPECT_EQ(*fresh, Statuses{SubscribeStatus::Ok});
    notify("chat:1", content({8}));
    scheduler_.advance(milliseconds(16));
    EXPECT_EQ(sink_.windows.size(), 1u);
}

}  // namespace
}  // namespace deltacast::topics
