#include "sse/shared_encoder.hpp"

#include <algorithm>
#include <utility>

namespace deltacast::sse {

struct EncoderLink {
    /// Held while this link is the chain's tip; moves to the next link when it is advanced.
    /// A tip without one (its encoder failed) can only be left.
    std::unique_ptr<Compressor> encoder;
    /// Connections at this link. Atomic: a session may be destroyed off its strand.
    std::atomic<std::size_t> members{0};
    /// Once advanced: the frame it was advanced with, the bytes that made, the state after.
    std::uint64_t next_serial = 0;
    std::string next_bytes;
    std::shared_ptr<EncoderLink> next;
};

namespace {

constexpr std::size_t kMinSweep = 64; // starts remembered before the first sweep

// One frame in this many (by serial, so every recipient agrees) is a merge point: a chain
// holding less than half of the frame's audience restarts with it, so chains split by when
// their connections joined come together again. A restart costs a connection one frame
// compressed without history (bench/RESULTS.md: ~230 B instead of ~50), at most once per
// merge interval.
constexpr std::uint64_t kMergeEvery = 64;

// Whether a stream at `tip` advances it with `frame` (else it leaves for a fresh start).
bool keeps_tip(const EncoderLink& tip, const wire::Frame& frame, std::size_t audience) {
    const std::size_t members = tip.members.load(std::memory_order_relaxed);
    if (audience > 1 && frame.serial.value() % kMergeEvery == 0 && 2 * members < audience) {
        return false; // merge point
    }
    return members == 1 || audience >= members;
}

} // namespace

SharedEncoders::SharedEncoders(Encoding encoding, const CompressionSettings& settings)
    : encoding_(encoding), settings_(settings), sweep_at_(kMinSweep) {}

SharedEncoders::~SharedEncoders() = default;

std::shared_ptr<EncoderLink> SharedEncoders::start(const wire::FramePtr& frame,
                                                   std::size_t audience, std::string& out) {
    const std::uint64_t serial = frame->serial.value();
    if (audience > 1) {
        if (const auto it = starts_.find(serial); it != starts_.end()) {
            if (auto after = it->second.after.lock()) {
                out += it->second.bytes;
                return after;
            }
        }
    }
    auto first = std::make_shared<EncoderLink>();
    first->encoder = make_compressor(encoding_, settings_, /*continuation=*/true);
    if (!first->encoder) {
        return nullptr;
    }
    auto after = advance(*first, *frame);
    if (!after) {
        return nullptr;
    }
    out += first->next_bytes;
    if (audience > 1) { // a frame for one connection is never started with again
        if (starts_.size() >= sweep_at_) {
            sweep();
        }
        starts_[serial] = Start{frame, std::move(first->next_bytes), after};
    }
    return after;
}

std::shared_ptr<EncoderLink> SharedEncoders::advance(EncoderLink& tip, const wire::Frame& frame) {
    ++compressions_;
    if (!tip.encoder->write_flush(frame.bytes, tip.next_bytes)) {
        tip.encoder.reset(); // its members leave at their next frame
        return nullptr;
    }
    auto next = std::make_shared<EncoderLink>();
    next->encoder = std::move(tip.encoder);
    tip.next_serial = frame.serial.value();
    tip.next = next;
    return next;
}

void SharedEncoders::sweep() {
    std::erase_if(starts_, [](const auto& entry) {
        return entry.second.frame.expired() || entry.second.after.expired();
    });
    sweep_at_ = std::max(kMinSweep, 2 * starts_.size());
}

bool SharedStream::write(const wire::FramePtr& frame, std::size_t audience, std::string& out) {
    if (link_) {
        EncoderLink& link = *link_;
        if (link.next_serial == frame->serial.value()) { // follow: compressed once, by another
            append_output(link.next_bytes, out);
            join(link.next);
            return true;
        }
        if (link.next_serial == 0 && link.encoder && keeps_tip(link, *frame, audience)) {
            auto next = encoders_.advance(link, *frame);
            if (!next) {
                return false;
            }
            append_output(link.next_bytes, out); // kept: a member behind may still follow
            join(std::move(next));
            return true;
        }
        leave(); // diverged, or the tip is kept for the others
    }
    if (open_) {
        out += encoder_handover(encoders_.encoding());
        open_ = false;
    }
    if (!started_) {
        out += stream_header(encoders_.encoding());
        started_ = true;
    }
    std::string bytes;
    auto link = encoders_.start(frame, audience, bytes);
    if (!link) {
        return false;
    }
    append_output(bytes, out);
    join(std::move(link));
    return true;
}

void SharedStream::append_output(std::string_view bytes, std::string& out) {
    // An encoder writes nothing for an empty frame (zstd not even its frame header): the
    // stream holds output of its current encoder only once bytes came.
    out += bytes;
    open_ = open_ || !bytes.empty();
}

void SharedStream::join(std::shared_ptr<EncoderLink> link) {
    link->members.fetch_add(1, std::memory_order_relaxed);
    leave();
    link_ = std::move(link);
}

void SharedStream::leave() {
    if (link_) {
        link_->members.fetch_sub(1, std::memory_order_relaxed);
        link_.reset();
    }
}

} // namespace deltacast::sse
