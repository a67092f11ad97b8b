#pragma once
// Shard: one of the few strands that connections run on. HttpListener gives each accepted
// connection a shard, round-robin, one shard per I/O thread: handlers of one connection never
// run concurrently (nor do those of its shard-mates), and shards run in parallel. Because many
// connections share a strand, the Hub hands a frame to all of a shard's subscribers of a topic
// in ONE posted handler instead of one post per connection (bench/RESULTS.md measures it).

#include "sse/shared_encoder.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <cstddef>
#include <deque>
#include <memory>

namespace deltacast::sse {

struct Shard {
    explicit Shard(boost::asio::io_context& ioc) : strand(boost::asio::make_strand(ioc)) {}

    /// The shard's shared encoders for `e` (zstd or gzip), made on first use with `settings`
    /// (every session of a server passes the same). Call on the strand only.
    SharedEncoders& shared_encoders(Encoding e, const CompressionSettings& settings) {
        auto& slot = e == Encoding::Zstd ? zstd : gzip;
        if (!slot) {
            slot = std::make_unique<SharedEncoders>(e, settings);
        }
        return *slot;
    }

    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    std::unique_ptr<SharedEncoders> zstd;
    std::unique_ptr<SharedEncoders> gzip;
};

/// A fixed set of shards, handed out round-robin. Not thread-safe: one owner (the listener's
/// strand) calls next(); the Shard objects never move, so pointers to them stay valid.
class Shards {
public:
    Shards(boost::asio::io_context& ioc, std::size_t count) {
        for (std::size_t i = 0; i < (count == 0 ? 1 : count); ++i) {
            shards_.emplace_back(ioc);
        }
    }
    Shard& next() {
        Shard& shard = shards_[next_];
        next_ = (next_ + 1) % shards_.size();
        return shard;
    }
    std::size_t size() const { return shards_.size(); }

private:
    std::deque<Shard> shards_; // deque: elements never move
    std::size_t next_ = 0;
};

} // namespace deltacast::sse
