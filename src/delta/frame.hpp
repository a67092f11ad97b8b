#pragma once
// Frames: the SSE bytes of one window of one topic, built once and shared, immutable, by every
// subscriber (each then runs them through its own compressor). The builders are pure: they
// take ids and row JSON and append SSE events (data is always one line of JSON).

#include "app/config.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltacast::delta {

struct Frame {
    std::string topic;  // topic key, for fan-out
    std::string bytes;  // one or more complete SSE events
    std::uint64_t first_seq = 0;  // seq of its first event id; 0 = no ids (resync, snapshot)
    std::uint64_t last_seq = 0;
};
using FramePtr = std::shared_ptr<const Frame>;

/// Event ids `<epoch>-<seq>`: the epoch changes on every process start, seq increases within
/// it. Core strand only.
class EventIds {
public:
    explicit EventIds(std::string epoch) : epoch_(std::move(epoch)) {}
    const std::string& epoch() const { return epoch_; }
    std::string next() { return epoch_ + "-" + std::to_string(++seq_); }
    /// The seq of the last id handed out (0 before the first).
    std::uint64_t last() const { return seq_; }
    /// The seq of `id` when it is `<this epoch>-<seq>`; nullopt for another epoch or garbage.
    std::optional<std::uint64_t> parse(std::string_view id) const;

private:
    std::string epoch_;
    std::uint64_t seq_ = 0;
};

/// A fresh random epoch: 8 lower-case hex digits.
std::string make_epoch();

/// JSON string literal for `s` (quoted, escaped).
std::string json_quote(std::string_view s);

/// `entity-upsert` with rows spliced in as Postgres rendered them (each a JSON object).
void append_upsert(std::string& out, std::string_view id, std::string_view topic,
                   std::string_view entity, const std::vector<std::string_view>& rows,
                   bool snapshot);
/// `entity-delete` for ids the window signalled but the query no longer finds; bigint ids are
/// JSON numbers, other id types strings.
void append_delete(std::string& out, std::string_view id, std::string_view topic,
                   std::string_view entity, const std::vector<std::string>& ids, IdType id_type);
void append_poke(std::string& out, std::string_view id, std::string_view topic);
void append_resync(std::string& out, const std::vector<std::string>& topics,
                   std::string_view reason);
/// `event: revoked`: the caller lost access to these topics; the stream ends after it.
void append_revoked(std::string& out, const std::vector<std::string>& topics,
                    std::string_view reason);
void append_ready(std::string& out, std::string_view epoch, const std::vector<std::string>& topics);

}  // namespace deltacast::delta
