#include "streams/stream_opener.hpp"

#include "delta/delta_engine.hpp"
#include "delta/replay_store.hpp"
#include "rooms/room_hub.hpp"
#include "streams/stream_registry.hpp"
#include "topics/access_checker.hpp"
#include "topics/topic_manager.hpp"
#include "util/metrics.hpp"
#include "wire/events.hpp"

#include <boost/asio/post.hpp>

namespace deltacast::streams {
namespace asio = boost::asio;

namespace {

std::vector<std::string> keys_of(const std::vector<topics::Topic>& topics) {
    std::vector<std::string> keys;
    keys.reserve(topics.size());
    for (const auto& topic : topics) {
        keys.push_back(topic.key);
    }
    return keys;
}

} // namespace

StreamOpener::StreamOpener(asio::any_io_executor core, Parts parts, Metrics& metrics)
    : core_(std::move(core)), parts_(parts), metrics_(metrics) {}

const std::string& StreamOpener::epoch() const {
    return parts_.ids.epoch();
}

void StreamOpener::open(std::shared_ptr<const sse::OpenRequest> request,
                        std::shared_ptr<sse::Subscriber> subscriber,
                        std::function<void(sse::OpenResult)> done) {
    asio::post(core_, [this, request = std::move(request), subscriber = std::move(subscriber),
                       done = std::move(done)]() mutable {
        if (parts_.access == nullptr) {
            subscribe(std::move(request), std::move(subscriber), std::move(done));
            return;
        }
        parts_.access->check(
            request->topics, request->identity.subject, request->identity.claims,
            [this, request, subscriber, done](topics::AccessResult result) mutable {
                if (result.failed) {
                    done({sse::OpenStatus::Unavailable, {}, "access check failed"});
                } else if (!result.denied.empty()) {
                    done({sse::OpenStatus::Forbidden, std::move(result.denied), {}});
                } else {
                    subscribe(std::move(request), std::move(subscriber), std::move(done));
                }
            });
    });
}

void StreamOpener::subscribe(std::shared_ptr<const sse::OpenRequest> request,
                             std::shared_ptr<sse::Subscriber> subscriber,
                             std::function<void(sse::OpenResult)> done) {
    parts_.topics.subscribe(
        request->topics, [this, request, subscriber, done](topics::SubscribeStatus status) {
            if (status != topics::SubscribeStatus::Ok) {
                done({sse::OpenStatus::Unavailable,
                      {},
                      status == topics::SubscribeStatus::Timeout ? "subscribe timed out"
                                                                 : "database unavailable"});
                return;
            }
            // Joined before `done` (guarantee 1), caught up in the same handler (guarantee 2).
            parts_.hub.join(keys_of(request->topics), subscriber);
            parts_.registry.add(request, subscriber);
            done({sse::OpenStatus::Ok, {}, {}});
            catch_up(*request, subscriber);
            parts_.rooms.stream_opened(*request, subscriber);
        });
}

void StreamOpener::catch_up(const sse::OpenRequest& request,
                            const std::shared_ptr<sse::Subscriber>& sub) {
    if (!request.resume()) {
        for (const auto& topic : request.topics) {
            parts_.delta.snapshot(topic, [sub](wire::FramePtr frame) {
                if (frame) {
                    sub->push(std::move(frame));
                }
            });
        }
        return;
    }
    const auto keys = keys_of(request.topics);
    const auto seq = parts_.ids.parse(request.last_event_id);
    auto replay =
        seq ? parts_.replay.replay_after(*seq, keys) : delta::ReplayStore::Replay{{}, keys};
    for (auto& frame : replay.frames) {
        sub->push(std::move(frame));
    }
    if (!replay.uncovered.empty()) {
        auto resync = std::make_shared<wire::Frame>();
        wire::append_resync(resync->bytes, replay.uncovered,
                            seq ? "replay-unavailable" : "unknown-epoch");
        metrics_.resyncs.fetch_add(1, std::memory_order_relaxed);
        sub->push(std::move(resync));
    }
    metrics_.replayed_frames.fetch_add(replay.frames.size(), std::memory_order_relaxed);
}

void StreamOpener::close(std::shared_ptr<const sse::OpenRequest> request,
                         std::shared_ptr<sse::Subscriber> subscriber) {
    asio::post(core_, [this, request = std::move(request), subscriber = std::move(subscriber)] {
        parts_.hub.leave(keys_of(request->topics), subscriber);
        parts_.registry.remove(subscriber);
        parts_.rooms.stream_closed(*request);
        parts_.topics.unsubscribe(request->topics);
    });
}

} // namespace deltacast::streams
