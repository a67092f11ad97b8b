#pragma once
// HttpListener: accepts TCP connections and starts one HttpSession per socket, each on a shard
// (sse/shard.hpp: a strand shared by the connections of one I/O thread; no thread per
// connection). Accept errors are logged and accepting goes on; running
// out of file descriptors backs off briefly instead of spinning.
//
// Threading: its own strand; stop() may be called from any thread.

#include "sse/http_util.hpp"
#include "sse/shard.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>

namespace deltacast::sse {

class HttpListener : public std::enable_shared_from_this<HttpListener> {
public:
    /// Binds and listens; throws boost::system::system_error when the address is taken.
    /// `shards`: how many strands the connections are spread over (one per I/O thread).
    HttpListener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
                 HttpContext& context, std::size_t shards = 1);

    void run();
    void stop();
    unsigned short port() const { return port_; }

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket, Shard& shard);

    boost::asio::io_context& ioc_;
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    HttpContext& context_;
    Shards shards_;
    unsigned short port_ = 0;
};

} // namespace deltacast::sse
