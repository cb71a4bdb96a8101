// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_STARTTLS_STREAM_HPP
#define ASYNCHAT_STARTTLS_STREAM_HPP

#include <asynchat/detail/replay_socket.hpp>
#include <asynchat/stream_traits.hpp>

#include <asynchat/detail/asio_ssl.hpp>

#include <string>
#include <type_traits>
#include <utility>

namespace asynchat {

/// A stream that starts in plaintext and can switch to TLS in the middle of
/// the conversation (SMTP, IMAP, POP3, FTP, XMPP's STARTTLS). Use it as the
/// `Stream` of an `async_chat` and call `start_tls()` from a hook; see
/// `<asynchat/tls.hpp>`.
template <class Socket = asio::ip::tcp::socket>
class starttls_stream {
public:
    using next_layer_type = Socket;
    using tls_stream_type = asio::ssl::stream<detail::replay_socket<Socket>>;
    using executor_type = typename Socket::executor_type;
    using lowest_layer_type = typename Socket::lowest_layer_type;

    /// A connected socket (typically accepted) and the TLS settings to use
    /// once `start_tls()` is called.
    starttls_stream(Socket socket, asio::ssl::context& tls)
        : tls_(detail::replay_socket<Socket>(std::move(socket)), tls) {}

    /// A socket made from `arg` (an `io_context&` or executor), for a client.
    template <class Arg, class = std::enable_if_t<!std::is_same_v<std::decay_t<Arg>, Socket>>>
    starttls_stream(Arg&& arg, asio::ssl::context& tls) : tls_(Socket(std::forward<Arg>(arg)), tls) {}

    /// True once TLS was started: reads and writes go through TLS.
    [[nodiscard]] bool secure() const noexcept { return secure_; }

    /// From now on, speaks TLS; `early` are bytes already received that the
    /// TLS engine reads first.
    void begin_tls(std::string early = {}) {
        tls_.next_layer().replay(std::move(early));
        secure_ = true;
    }

    executor_type get_executor() noexcept { return tls_.get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return tls_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const noexcept { return tls_.lowest_layer(); }
    /// The plaintext socket.
    Socket& next_layer() noexcept { return tls_.next_layer().socket(); }
    /// The TLS stream (for `native_handle()`, peer certificates, ...).
    tls_stream_type& tls() noexcept { return tls_; }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        if (secure_) tls_.async_read_some(buffers, std::forward<Handler>(handler));
        else next_layer().async_read_some(buffers, std::forward<Handler>(handler));
    }

    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        if (secure_) tls_.async_write_some(buffers, std::forward<Handler>(handler));
        else next_layer().async_write_some(buffers, std::forward<Handler>(handler));
    }

private:
    tls_stream_type tls_;
    bool secure_ = false;
};

namespace detail {
template <class Socket>
struct needs_tls_header<starttls_stream<Socket>> : std::true_type {};
} // namespace detail

} // namespace asynchat

#endif // ASYNCHAT_STARTTLS_STREAM_HPP
