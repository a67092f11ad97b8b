#pragma once
// DeltaEngine: turns a closed window into frames. Per entity of the topic it runs ONE query
// with the union of the window's ids, then builds one frame (an `entity-upsert` with the rows
// and an `entity-delete` with signalled ids the query no longer finds, each with its own event
// id) and publishes it once for every subscriber to share. Windows of one topic are processed
// in order: while a topic's query runs, later windows merge into one pending batch, so frames
// never overtake each other and a slow database sees fewer, larger queries.
// A failed query becomes a `resync` for the topic: nothing is silently lost.
//
// Threading: core strand only (WindowSink, RowFetcher and FramePublisher all live there).

#include "delta/frame_publisher.hpp"
#include "delta/row_fetcher.hpp"
#include "topics/window_sink.hpp"
#include "wire/event_ids.hpp"

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace deltacast {
struct Metrics;
}

namespace deltacast::delta {

class DeltaEngine final : public topics::WindowSink {
public:
    /// Frames go to `publisher`; LISTEN and UNLISTEN of each topic are passed to `coverage`.
    DeltaEngine(RowFetcher& fetcher, FramePublisher& publisher, TopicCoverage& coverage,
                wire::EventIds& ids, Metrics& metrics);

    void on_window(topics::WindowBatch batch) override;
    void on_resync(const topics::Topic& topic, const std::string& reason) override;
    void on_listening(const topics::Topic& topic) override { coverage_.topic_listening(topic.key); }
    void on_unlistened(const topics::Topic& topic) override { coverage_.topic_dropped(topic.key); }

    /// The current rows of `topic` for ONE new connection (entity-upsert with "snapshot":true,
    /// no event ids); `done(nullptr)` when the kind has no snapshot query or it failed.
    void snapshot(const topics::Topic& topic, std::function<void(wire::FramePtr)> done);

private:
    struct Flight;
    void run(topics::WindowBatch batch);
    void finish(const std::string& key);
    wire::FramePtr build(const topics::WindowBatch& batch,
                         const std::vector<std::optional<std::vector<Row>>>& results);

    RowFetcher& fetcher_;
    FramePublisher& publisher_;
    TopicCoverage& coverage_;
    wire::EventIds& ids_;
    Metrics& metrics_;
    std::unordered_map<std::string, std::optional<topics::WindowBatch>> in_flight_;
};

} // namespace deltacast::delta
