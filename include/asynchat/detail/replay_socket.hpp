// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_REPLAY_SOCKET_HPP
#define ASYNCHAT_DETAIL_REPLAY_SOCKET_HPP

#include <asynchat/detail/asio.hpp>

#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asynchat::detail {

// A socket whose next reads first return bytes given to replay(): how bytes
// already read as plaintext reach a TLS engine layered on top (see
// early_input::feed_to_tls).
template <class Socket>
class replay_socket {
public:
    using executor_type = typename Socket::executor_type;
    using lowest_layer_type = typename Socket::lowest_layer_type;

    explicit replay_socket(Socket socket) : socket_(std::move(socket)) {}
    template <class Arg, class = std::enable_if_t<!std::is_same_v<std::decay_t<Arg>, Socket> &&
                                                  !std::is_same_v<std::decay_t<Arg>, replay_socket>>>
    explicit replay_socket(Arg&& arg) : socket_(std::forward<Arg>(arg)) {}

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return socket_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const noexcept { return socket_.lowest_layer(); }
    Socket& socket() noexcept { return socket_; }

    void replay(std::string bytes) {
        replay_ = std::move(bytes);
        offset_ = 0;
    }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        if (offset_ == replay_.size()) {
            socket_.async_read_some(buffers, std::forward<Handler>(handler));
            return;
        }
        const std::size_t n = asio::buffer_copy(buffers, asio::buffer(replay_) + offset_);
        offset_ += n;
        if (offset_ == replay_.size()) {
            replay_ = std::string();
            offset_ = 0;
        }
        // Completions never run inline: post to the handler's executor.
        auto ex = asio::get_associated_executor(handler, socket_.get_executor());
        asio::post(ex, [h = std::forward<Handler>(handler), n]() mutable { h(error_code(), n); });
    }

    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        socket_.async_write_some(buffers, std::forward<Handler>(handler));
    }

private:
    Socket socket_;
    std::string replay_;
    std::size_t offset_ = 0;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_REPLAY_SOCKET_HPP
