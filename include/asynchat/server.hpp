// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_SERVER_HPP
#define ASYNCHAT_SERVER_HPP

#include <asynchat/dispatcher.hpp>

#include <asynchat/detail/asio.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace asynchat {

/// Whether `server` puts each connection on its own strand.
enum class threading {
    /// All connections share the server's executor: run the `io_context` on
    /// one thread (or use one `io_context` per thread).
    single,
    /// Each connection gets a strand: run the `io_context` on several threads;
    /// `push()` and friends may then be called from any thread.
    strand_per_connection,
};

/// How a `server` listens and spreads its connections.
struct server_options : listen_options {
    threading connections = threading::single;
};

/// A ready-made listener: one `Channel` per accepted connection.
///
///     asio::io_context ctx;
///     asynchat::server<echo_session> srv(ctx, {asio::ip::make_address("127.0.0.1"), 0});
///     std::cout << srv.local_endpoint() << '\n';
///     ctx.run();
///
/// For each connection it calls `std::make_shared<Channel>(std::move(socket),
/// args...)` with copies of the extra constructor arguments given to the server,
/// then `start()`. `Channel` is an `async_chat` subclass.
template <class Channel>
class server : public dispatcher<server<Channel>, typename Channel::protocol_type> {
    using base = dispatcher<server<Channel>, typename Channel::protocol_type>;

public:
    using typename base::endpoint_type;
    using typename base::executor_type;
    using typename base::socket_type;

    /// Listens on `local` at once; `channel_args` are copied into every channel.
    /// @throws `std::system_error` (`boost::system::system_error` on
    ///         Boost.Asio) if listening fails.
    template <class... Args>
    server(asio::io_context& ctx, const endpoint_type& local, Args... channel_args)
        : server(server_options{}, ctx, local, std::move(channel_args)...) {}

    /// As above, with options: strands per connection, SO_REUSEPORT, backlog.
    template <class... Args>
    server(const server_options& options, asio::io_context& ctx, const endpoint_type& local,
           Args... channel_args)
        : base(ctx), mode_(options.connections), make_([channel_args...](socket_type&& socket) {
              return std::make_shared<Channel>(std::move(socket), channel_args...);
          }) {
        this->listen(local, options);
    }

    /// Makes and starts the channel for an accepted connection.
    void handle_accepted(socket_type socket, const endpoint_type& /*peer*/) {
        make_(std::move(socket))->start();
    }

    /// A new strand per connection in `threading::strand_per_connection` mode.
    [[nodiscard]] executor_type executor_for_connection() {
        if (mode_ == threading::strand_per_connection) return asio::make_strand(this->get_executor());
        return this->get_executor();
    }

private:
    threading mode_;
    std::function<std::shared_ptr<Channel>(socket_type&&)> make_;
};

} // namespace asynchat

#endif // ASYNCHAT_SERVER_HPP
