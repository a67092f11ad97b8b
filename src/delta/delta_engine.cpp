#include "delta/delta_engine.hpp"

#include "wire/events.hpp"

#include "util/log.hpp"
#include "util/metrics.hpp"

#include <algorithm>
#include <memory>
#include <unordered_set>

namespace deltacast::delta {
namespace {

using Results = std::vector<std::optional<std::vector<Row>>>;

void merge_into(topics::EntityIds& into, topics::EntityIds&& from) {
    for (std::size_t e = 0; e < into.size() && e < from.size(); ++e) {
        auto& ids = into[e];
        ids.insert(ids.end(), std::make_move_iterator(from[e].begin()),
                   std::make_move_iterator(from[e].end()));
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
}

/// Starts `launch(e, callback)` for every entity e with wanted[e], then calls `done` once, when
/// all of them answered (`failed` if any did not get rows). Requires at least one wanted entity.
void gather(const std::vector<bool>& wanted,
            const std::function<void(std::size_t, RowsDone)>& launch,
            std::function<void(const Results&, bool failed)> done) {
    struct State {
        Results results;
        std::size_t remaining = 0;
        bool failed = false;
        std::function<void(const Results&, bool)> done;
    };
    auto state = std::make_shared<State>();
    state->results.resize(wanted.size());
    state->remaining = static_cast<std::size_t>(std::count(wanted.begin(), wanted.end(), true));
    state->done = std::move(done);
    for (std::size_t e = 0; e < wanted.size(); ++e) {
        if (!wanted[e]) {
            continue;
        }
        launch(e, [state, e](std::optional<std::vector<Row>> rows) {
            state->failed = state->failed || !rows;
            state->results[e] = std::move(rows);
            if (--state->remaining == 0) {
                state->done(state->results, state->failed);
            }
        });
    }
}

wire::FramePtr resync_frame(const std::string& topic, const std::string& reason) {
    auto frame = std::make_shared<wire::Frame>();
    frame->topic = topic;
    wire::append_resync(frame->bytes, {topic}, reason);
    return frame;
}

} // namespace

DeltaEngine::DeltaEngine(RowFetcher& fetcher, FramePublisher& publisher, TopicCoverage& coverage,
                         wire::EventIds& ids, Metrics& metrics)
    : fetcher_(fetcher), publisher_(publisher), coverage_(coverage), ids_(ids), metrics_(metrics) {}

void DeltaEngine::on_window(topics::WindowBatch batch) {
    if (batch.topic.is_poke()) {
        auto frame = std::make_shared<wire::Frame>();
        frame->topic = batch.topic.key;
        wire::append_poke(frame->bytes, ids_.next(), batch.topic.key);
        frame->first_seq = frame->last_seq = ids_.last();
        metrics_.frames.fetch_add(1, std::memory_order_relaxed);
        publisher_.publish(std::move(frame));
        return;
    }
    const auto it = in_flight_.find(batch.topic.key);
    if (it == in_flight_.end()) {
        run(std::move(batch));
    } else if (it->second) {
        merge_into(it->second->ids, std::move(batch.ids));
    } else {
        it->second = std::move(batch);
    }
}

void DeltaEngine::on_resync(const topics::Topic& topic, const std::string& reason) {
    metrics_.resyncs.fetch_add(1, std::memory_order_relaxed);
    publisher_.publish(resync_frame(topic.key, reason));
}

void DeltaEngine::run(topics::WindowBatch batch) {
    const std::string key = batch.topic.key;
    in_flight_[key] = std::nullopt;
    std::vector<bool> wanted;
    for (const auto& ids : batch.ids) {
        wanted.push_back(!ids.empty());
    }
    if (std::find(wanted.begin(), wanted.end(), true) == wanted.end()) {
        finish(key);
        return;
    }
    auto shared = std::make_shared<topics::WindowBatch>(std::move(batch));
    gather(
        wanted,
        [this, shared](std::size_t e, RowsDone done) {
            fetcher_.fetch(shared->topic.kind->entities[e], shared->topic.id, shared->ids[e],
                           std::move(done));
        },
        [this, shared](const Results& results, bool failed) {
            if (failed) {
                on_resync(shared->topic, "query-failed");
            } else {
                metrics_.frames.fetch_add(1, std::memory_order_relaxed);
                publisher_.publish(build(*shared, results));
            }
            finish(shared->topic.key);
        });
}

void DeltaEngine::finish(const std::string& key) {
    const auto it = in_flight_.find(key);
    if (it == in_flight_.end()) {
        return;
    }
    if (!it->second) {
        in_flight_.erase(it);
        return;
    }
    topics::WindowBatch next = std::move(*it->second);
    it->second.reset();
    run(std::move(next));
}

wire::FramePtr DeltaEngine::build(const topics::WindowBatch& batch, const Results& results) {
    auto frame = std::make_shared<wire::Frame>();
    frame->topic = batch.topic.key;
    const std::uint64_t before = ids_.last();
    const auto& entities = batch.topic.kind->entities;
    for (std::size_t e = 0; e < entities.size(); ++e) {
        if (batch.ids[e].empty() || !results[e]) {
            continue;
        }
        std::vector<std::string_view> rows; // views: the row JSON is copied once, into the frame
        std::unordered_set<std::string_view> found;
        for (const Row& row : *results[e]) {
            rows.push_back(row.json);
            found.insert(row.id);
        }
        std::vector<std::string> missing;
        for (const auto& id : batch.ids[e]) {
            if (!found.count(id)) {
                missing.push_back(id);
            }
        }
        if (!rows.empty()) {
            wire::append_upsert(frame->bytes, ids_.next(), batch.topic.key, entities[e].name, rows,
                                false);
        }
        if (!missing.empty()) {
            wire::append_delete(frame->bytes, ids_.next(), batch.topic.key, entities[e].name,
                                missing, entities[e].id_type);
        }
    }
    if (ids_.last() > before) {
        frame->first_seq = before + 1;
        frame->last_seq = ids_.last();
    }
    return frame;
}

void DeltaEngine::snapshot(const topics::Topic& topic, std::function<void(wire::FramePtr)> done) {
    const auto& entities = topic.kind->entities;
    std::vector<bool> wanted;
    for (const auto& entity : entities) {
        wanted.push_back(!entity.snapshot.empty());
    }
    if (std::find(wanted.begin(), wanted.end(), true) == wanted.end()) {
        done(nullptr);
        return;
    }
    gather(
        wanted,
        [this, topic](std::size_t e, RowsDone rows_done) {
            fetcher_.snapshot(topic.kind->entities[e], topic.id, std::move(rows_done));
        },
        [this, topic, done = std::move(done)](const Results& results, bool failed) {
            if (failed) {
                metrics_.resyncs.fetch_add(1, std::memory_order_relaxed);
                done(resync_frame(topic.key, "snapshot-failed"));
                return;
            }
            auto frame = std::make_shared<wire::Frame>();
            frame->topic = topic.key;
            for (std::size_t e = 0; e < results.size(); ++e) {
                if (!results[e]) {
                    continue;
                }
                std::vector<std::string_view> rows;
                for (const Row& row : *results[e]) {
                    rows.push_back(row.json);
                }
                wire::append_upsert(frame->bytes, "", topic.key, topic.kind->entities[e].name, rows,
                                    true);
            }
            metrics_.snapshots.fetch_add(1, std::memory_order_relaxed);
            done(std::move(frame));
        });
}

} // namespace deltacast::delta
