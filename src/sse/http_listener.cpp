#include "sse/http_listener.hpp"

#include "sse/http_session.hpp"
#include "util/log.hpp"

#include <boost/asio/dispatch.hpp>

namespace deltacast::sse {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

HttpListener::HttpListener(asio::io_context& ioc, const tcp::endpoint& endpoint,
                           HttpContext& context, std::size_t shards)
    : ioc_(ioc), strand_(asio::make_strand(ioc)), acceptor_(strand_), backoff_(strand_),
      context_(context), shards_(ioc, shards) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
}

void HttpListener::run() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->do_accept(); });
}

void HttpListener::stop() {
    asio::dispatch(strand_, [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void HttpListener::do_accept() {
    // Each connection runs on a shard's strand: its handlers never run concurrently.
    Shard& shard = shards_.next();
    acceptor_.async_accept(shard.strand, [self = shared_from_this(), &shard](
                                             boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket), shard);
    });
}

void HttpListener::on_accept(boost::system::error_code ec, tcp::socket socket, Shard& shard) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        return;
    }
    if (ec) {
        log::get("sse")->warn("accept failed error=\"{}\"", ec.message());
        if (ec == asio::error::no_descriptors) {
            backoff_.expires_after(std::chrono::milliseconds(50));
            backoff_.async_wait(
                [self = shared_from_this()](boost::system::error_code) { self->do_accept(); });
            return;
        }
    } else {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpSession>(std::move(socket), context_, shard)->run();
    }
    do_accept();
}

} // namespace deltacast::sse
