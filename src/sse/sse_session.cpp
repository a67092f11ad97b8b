#include "sse/sse_session.hpp"

#include "sse/stream_admission.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"
#include "wire/events.hpp"
#include "wire/sse_format.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <chrono>

namespace deltacast::sse {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

wire::FramePtr heartbeat_frame() {
    static const wire::FramePtr frame = [] {
        auto f = std::make_shared<wire::Frame>();
        wire::append_comment(f->bytes, "hb");
        return f;
    }();
    return frame;
}

CompressionSettings compression_settings(const FanoutConfig& fanout) {
    return CompressionSettings{
        fanout.brotli_quality,   fanout.brotli_lgwin,   fanout.gzip_level,
        fanout.gzip_window_bits, fanout.gzip_mem_level, fanout.zstd_level,
        fanout.zstd_window_log,  fanout.zstd_hash_log,  fanout.zstd_chain_log};
}

// Drops the first `n` bytes of a buffer sequence.
void consume(std::vector<asio::const_buffer>& buffers, std::size_t n) {
    auto it = buffers.begin();
    while (it != buffers.end() && n >= it->size()) {
        n -= it->size();
        ++it;
    }
    buffers.erase(buffers.begin(), it);
    if (!buffers.empty()) {
        buffers.front() += n;
    }
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

SseSession::SseSession(asio::ip::tcp::socket socket, HttpContext& context, Shard& shard)
    : socket_(std::move(socket)), context_(context), shard_(shard),
      heartbeat_timer_(socket_.get_executor()) {}

SseSession::~SseSession() = default;

void SseSession::start(Request request) {
    origin_ = std::string(request[http::field::origin]);
    accept_encoding_ = std::string(request[http::field::accept_encoding]);
    auto admission = admit_stream(context_, request, unix_now());
    if (auto* refused = std::get_if<Refused>(&admission)) {
        reject(*refused);
        return;
    }
    auto& admitted = std::get<Admitted>(admission);
    counted_ = true;
    subject_ = std::move(admitted.subject);
    token_expires_at_ = admitted.token_expires_at;
    topic_keys_ = std::move(admitted.topic_keys);
    open_request_ = std::move(admitted.request);
    do_read();
    context_.streams.open(
        open_request_, shared_from_this(), [self = shared_from_this()](OpenResult result) {
            asio::post(self->socket_.get_executor(),
                       [self, result = std::move(result)] { self->on_open(result); });
        });
}

void SseSession::reject(const Refused& refused) {
    context_.metrics.requests_rejected.fetch_add(1, std::memory_order_relaxed);
    auto response =
        std::make_shared<Response>(json_response(refused.status, refused.body, 11, false));
    // The JSON reason only: the request target and headers may carry a token.
    log::get("sse")->debug("stream rejected status={} body={}", static_cast<int>(refused.status),
                           response->body());
    apply_cors(*response, context_.config, origin_);
    if (refused.retry_after_s > 0) {
        response->set(http::field::retry_after, std::to_string(refused.retry_after_s));
    }
    http::async_write(socket_, *response,
                      [self = shared_from_this(), response](boost::system::error_code,
                                                            std::size_t) { self->close(); });
}

void SseSession::on_open(const OpenResult& result) {
    if (closed_) {
        if (result.status == OpenStatus::Ok) {
            context_.streams.close(open_request_, shared_from_this()); // client left meanwhile
        }
        return;
    }
    if (result.status != OpenStatus::Ok) {
        reject(refusal_for(result));
        return;
    }
    opened_ = true;
    context_.metrics.connections.fetch_add(1, std::memory_order_relaxed);
    context_.metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ec;
    socket_.non_blocking(true, ec); // do_write writes at once, without blocking
    if (ec) {
        close();
        return;
    }
    const auto& fanout = context_.config.fanout;
    const Encoding encoding = negotiate_encoding(accept_encoding_, fanout.compression);
    if (fanout.share_encoders && can_share_encoders(encoding)) {
        shared_ = std::make_unique<SharedStream>(
            shard_.shared_encoders(encoding, compression_settings(fanout)));
    } else {
        compressor_ = make_compressor(encoding, compression_settings(fanout));
    }
    head_ = stream_response_head(context_.config, encoding, origin_);
    auto first = std::make_shared<wire::Frame>();
    wire::append_retry(first->bytes, context_.config.server.retry_ms);
    wire::append_ready(first->bytes, context_.streams.epoch(), topic_keys_);
    queue_.push_front(Queued{std::move(first), 1});
    arm_heartbeat();
    do_write();
    // A tab that never gets an event holds no encoder: zstd and gzip free theirs right after
    // `ready` (shared, the next frame starts the stream on the encoder its shard-mates that got
    // the same frame share). brotli keeps it until a heartbeat interval passes without writes:
    // measured in bench (b) (10,000 viewers whose first event comes at once), freeing it here
    // made the br run 1.4-1.6x the CPU per event and its p99 ~10x (bench/RESULTS.md, issue
    // 15), while gzip gained 5%.
    if (shared_) {
        shared_->release_idle();
    } else if (compressor_ && compressor_->encoding() != Encoding::Brotli) {
        compressor_->release_idle();
    }
}

void SseSession::push(wire::FramePtr frame) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), frame = std::move(frame)]() mutable {
                   self->enqueue(std::move(frame));
               });
}

void SseSession::end(wire::FramePtr last) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), last = std::move(last)] {
        if (self->closed_ || self->ending_) {
            return;
        }
        if (last) {
            // Past max_queued_bytes or not, it is the last frame this stream gets.
            self->set_queued(self->queued_bytes_ + last->bytes.size());
            self->queue_.push_back(Queued{last, 1});
        }
        self->ending_ = true;
        self->do_write();
        if (!self->writing_) {
            self->close(); // nothing left to write
        }
    });
}

void SseSession::enqueue(wire::FramePtr frame, std::size_t audience) {
    if (closed_ || ending_) {
        return;
    }
    const std::size_t size = frame->bytes.size();
    if (opened_ && !queue_.empty() &&
        queued_bytes_ + size > context_.config.server.max_queued_bytes) {
        // Slow consumer: drop what it has not received and tell it to refetch instead.
        queue_.clear();
        auto resync = std::make_shared<wire::Frame>();
        wire::append_resync(resync->bytes, topic_keys_, "slow-consumer");
        set_queued(resync->bytes.size());
        queue_.push_back(Queued{std::move(resync), 1});
        context_.metrics.slow_consumer_resyncs.fetch_add(1, std::memory_order_relaxed);
        context_.metrics.resyncs.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    set_queued(queued_bytes_ + size);
    queue_.push_back(Queued{std::move(frame), audience});
    do_write();
}

void SseSession::set_queued(std::size_t bytes) {
    // The gauge sums every connection's queue, the memory server.max_queued_bytes bounds.
    context_.metrics.queued_bytes.fetch_add(static_cast<std::int64_t>(bytes) -
                                                static_cast<std::int64_t>(queued_bytes_),
                                            std::memory_order_relaxed);
    queued_bytes_ = bytes;
}

void SseSession::do_write() {
    if (writing_ || closed_ || !opened_ || queue_.empty()) {
        return;
    }
    buffers_.clear();
    compressed_.clear();
    in_flight_.assign(std::make_move_iterator(queue_.begin()),
                      std::make_move_iterator(queue_.end()));
    queue_.clear();
    set_queued(0);
    if (!head_.empty()) {
        buffers_.push_back(asio::buffer(head_));
    }
    std::size_t raw = 0;
    for (const auto& queued : in_flight_) {
        raw += queued.frame->bytes.size();
        if (!compressor_ && !shared_) {
            buffers_.push_back(asio::buffer(queued.frame->bytes));
        }
    }
    if (compressor_ || shared_) {
        if (!encode_in_flight(raw)) {
            log::get("sse")->error("compressor failed; closing stream");
            close();
            return;
        }
        buffers_.push_back(asio::buffer(compressed_));
    }
    context_.metrics.bytes_uncompressed.fetch_add(raw, std::memory_order_relaxed);
    context_.metrics.frames_delivered.fetch_add(in_flight_.size(), std::memory_order_relaxed);
    writing_ = true;
    wrote_since_heartbeat_ = true;
    write_started_ = std::chrono::steady_clock::now();
    // Try the write at once (the socket is non-blocking): usually the kernel takes it all and
    // the write costs one sendmsg, with no completion handler to schedule. Only what it did not
    // take goes through async_write.
    boost::system::error_code ec;
    const std::size_t written = socket_.write_some(buffers_, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
    }
    std::size_t total = 0;
    for (const auto& b : buffers_) {
        total += b.size();
    }
    if (ec || written == total) {
        on_write(ec, written);
        return;
    }
    consume(buffers_, written);
    asio::async_write(
        socket_, buffers_,
        [self = shared_from_this(), written](boost::system::error_code e, std::size_t n) {
            self->on_write(e, written + n);
        });
}

bool SseSession::encode_in_flight(std::size_t raw) {
    if (shared_) {
        // Frame by frame: each step is shared with the shard-mates that got the same frames.
        const std::uint64_t before = shared_->compressions();
        bool ok = true;
        for (const auto& queued : in_flight_) {
            ok = ok && shared_->write(queued.frame, queued.audience, compressed_);
        }
        context_.metrics.compressions.fetch_add(shared_->compressions() - before,
                                                std::memory_order_relaxed);
        return ok;
    }
    // Frames queued behind a slow socket go out in one write: one compression call and one
    // flush for all of them.
    context_.metrics.compressions.fetch_add(1, std::memory_order_relaxed);
    if (in_flight_.size() == 1) {
        return compressor_->write_flush(in_flight_.front().frame->bytes, compressed_);
    }
    std::string joined;
    joined.reserve(raw);
    for (const auto& queued : in_flight_) {
        joined += queued.frame->bytes;
    }
    return compressor_->write_flush(joined, compressed_);
}

void SseSession::on_write(boost::system::error_code ec, std::size_t bytes) {
    writing_ = false;
    if (ec) {
        close();
        return;
    }
    context_.metrics.bytes_wire.fetch_add(bytes, std::memory_order_relaxed);
    head_.clear();
    in_flight_.clear();
    do_write();
    if (ending_ && !writing_) {
        close();
    }
}

void SseSession::do_read() {
    // Clients send nothing after the request; a read completes only when they go away.
    socket_.async_read_some(asio::buffer(read_buffer_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                                if (ec) {
                                    self->close();
                                    return;
                                }
                                self->do_read();
                            });
}

void SseSession::arm_heartbeat() {
    heartbeat_timer_.expires_after(std::chrono::seconds(context_.config.server.heartbeat_s));
    heartbeat_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->closed_) {
            return;
        }
        // A write stuck past write_timeout_s: the client stopped reading; free its memory.
        // Checked here rather than with a timer per write, which would cost a timer-queue
        // insert and a cancelled completion on every frame of the hot path.
        if (self->writing_ &&
            std::chrono::steady_clock::now() - self->write_started_ >=
                std::chrono::seconds(self->context_.config.server.write_timeout_s)) {
            self->context_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
            self->close();
            return;
        }
        if (self->token_expires_at_ && *self->token_expires_at_ <= unix_now()) {
            self->context_.metrics.token_expiry_closes.fetch_add(1, std::memory_order_relaxed);
            self->close();
            return;
        }
        if (!self->wrote_since_heartbeat_) {
            self->context_.metrics.heartbeats.fetch_add(1, std::memory_order_relaxed);
            self->enqueue(heartbeat_frame());
            // Idle for a whole interval: free the encoder (or this stream's share of one); the
            // next frame continues the stream with a fresh one (Compressor::release_idle).
            if (self->shared_ && self->shared_->holds_encoder()) {
                self->shared_->release_idle();
                self->context_.metrics.encoders_released.fetch_add(1, std::memory_order_relaxed);
            } else if (self->compressor_ && self->compressor_->memory_bytes() > 0) {
                self->compressor_->release_idle();
                self->context_.metrics.encoders_released.fetch_add(1, std::memory_order_relaxed);
            }
        }
        self->wrote_since_heartbeat_ = false;
        self->arm_heartbeat();
    });
}

void SseSession::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    heartbeat_timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    queue_.clear();
    set_queued(0);
    if (shared_) {
        shared_->release_idle(); // on the strand: the encoder's other members go on without it
    }
    if (counted_) {
        context_.limits.release(subject_);
    }
    if (opened_) {
        context_.metrics.connections.fetch_sub(1, std::memory_order_relaxed);
        context_.streams.close(open_request_, shared_from_this());
    }
}

} // namespace deltacast::sse
