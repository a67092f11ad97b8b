#pragma once
// Event ids `<epoch>-<seq>` (SPEC §3): the epoch changes on every process start, seq increases
// within it, so a resuming client's Last-Event-ID says both whether this process issued it and
// which frames came after it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltacast::wire {

/// The id counter of one process. Core strand only.
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

} // namespace deltacast::wire
