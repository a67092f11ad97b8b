#pragma once
// Fakes at the seams of delta::DeltaEngine: a RowFetcher that holds every query's callback
// until the test completes it, a FramePublisher that records the frames and a TopicCoverage that
// records LISTEN / UNLISTEN. Single-threaded.

#include "delta/delta_engine.hpp"
#include "delta/row_fetcher.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace deltacast::unit_test {

/// delta::RowFetcher whose queries stay pending until complete() or fail() answers them.
class FakeRowFetcher final : public delta::RowFetcher {
public:
    struct Call {
        const EntityConfig* entity = nullptr;
        std::string topic_id;
        std::vector<std::string> ids;  // empty for snapshots
        bool snapshot = false;
        delta::RowsDone done;  // empty once answered
    };

    void fetch(const EntityConfig& entity, const std::string& topic_id,
               const std::vector<std::string>& ids, delta::RowsDone done) override {
        calls.push_back(Call{&entity, topic_id, ids, false, std::move(done)});
    }

    void snapshot(const EntityConfig& entity, const std::string& topic_id,
                  delta::RowsDone done) override {
        calls.push_back(Call{&entity, topic_id, {}, true, std::move(done)});
    }

    /// Answers call `index` with `rows` (nullopt = the query failed).
    void answer(std::size_t index, std::optional<std::vector<delta::Row>> rows) {
        if (index >= calls.size() || !calls[index].done) {
            throw std::logic_error("no pending fetch #" + std::to_string(index));
        }
        auto done = std::move(calls[index].done);
        calls[index].done = nullptr;
        done(std::move(rows));
    }
    void complete(std::size_t index, std::vector<delta::Row> rows) {
        answer(index, std::move(rows));
    }
    void fail(std::size_t index) { answer(index, std::nullopt); }

    std::size_t pending() const {
        std::size_t n = 0;
        for (const auto& call : calls) {
            n += call.done ? 1 : 0;
        }
        return n;
    }

    std::vector<Call> calls;
};

/// delta::FramePublisher that keeps every published frame.
class RecordingPublisher final : public delta::FramePublisher {
public:
    void publish(wire::FramePtr frame) override { frames.push_back(std::move(frame)); }
    std::vector<wire::FramePtr> frames;
};

/// delta::TopicCoverage that records the topics it hears about, in order.
class RecordingCoverage final : public delta::TopicCoverage {
public:
    void topic_listening(const std::string& topic) override { listening.push_back(topic); }
    void topic_dropped(const std::string& topic) override { dropped.push_back(topic); }
    std::vector<std::string> listening;
    std::vector<std::string> dropped;
};

}  // namespace deltacast::unit_test
