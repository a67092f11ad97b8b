#include "wire/event_ids.hpp"

#include <charconv>
#include <cstdio>
#include <random>

namespace deltacast::wire {

std::optional<std::uint64_t> EventIds::parse(std::string_view id) const {
    if (id.size() <= epoch_.size() + 1 || id.substr(0, epoch_.size()) != epoch_ ||
        id[epoch_.size()] != '-') {
        return std::nullopt;
    }
    const std::string_view digits = id.substr(epoch_.size() + 1);
    std::uint64_t seq = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || seq > seq_) {
        return std::nullopt; // not a number, or an id this process never issued
    }
    return seq;
}

std::string make_epoch() {
    std::random_device rd;
    std::uniform_int_distribution<std::uint32_t> draw;
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", draw(rd));
    return buf;
}

} // namespace deltacast::wire
