// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_SOCKET_IO_HPP
#define ASYNCHAT_DETAIL_SOCKET_IO_HPP

// Reads and writes at once on a socket's descriptor without changing the
// socket's mode: recv(2) and sendmsg(2) with MSG_DONTWAIT, so the call never
// waits whatever the descriptor's O_NONBLOCK, and MSG_NOSIGNAL, so a peer
// gone is EPIPE, never SIGPIPE. The socket's `non_blocking()` stays what
// the user set: a synchronous `read_some`/`write_some` of theirs still
// waits, as Asio documents. Linux only (both flags, per call); elsewhere
// ASYNCHAT_HAS_DONTWAIT_IO is not defined, `has_dontwait_io` is false and
// a channel's reads and writes stay asynchronous.

#include <asynchat/detail/asio.hpp>

#include <cstddef>

#if defined(__linux__)
#define ASYNCHAT_HAS_DONTWAIT_IO 1
#include <cerrno>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#endif

namespace asynchat::detail {

#if defined(ASYNCHAT_HAS_DONTWAIT_IO)
inline constexpr bool has_dontwait_io = true;

// The errno of a failed recv/sendmsg as the error Asio's own read_some or
// write_some would give: would_block for EAGAIN, EWOULDBLOCK and EINTR (the
// channel then waits, and the next attempt goes through the reactor).
inline error_code dontwait_error(int e) noexcept {
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) return asio::error::would_block;
    return error_code(e, asio::error::get_system_category());
}

/// Reads what `fd` holds now, at most `size` bytes (> 0) into `data`.
/// Returns the bytes read; 0 with `ec`: asio::error::eof when the peer has
/// shut down its sending side, would_block when nothing is there, or the
/// system's error.
inline std::size_t recv_dontwait(int fd, void* data, std::size_t size, error_code& ec) noexcept {
    const ssize_t n = ::recv(fd, data, size, MSG_DONTWAIT);
    if (n > 0) {
        ec = error_code();
        return static_cast<std::size_t>(n);
    }
    ec = n == 0 ? error_code(asio::error::eof) : dontwait_error(errno);
    return 0;
}

/// Writes what `fd` takes now from `buffers` (at most their first 64
/// pieces: a partial write, as write_some may do). Returns the bytes
/// written; 0 with `ec` (would_block when the socket is full, EPIPE or
/// ECONNRESET when the peer is gone).
template <class ConstBufferSequence>
std::size_t send_dontwait(int fd, const ConstBufferSequence& buffers, error_code& ec) noexcept {
    constexpr int max_pieces = 64;
    iovec pieces[max_pieces];
    int count = 0;
    for (auto it = asio::buffer_sequence_begin(buffers), end = asio::buffer_sequence_end(buffers);
         it != end && count < max_pieces; ++it) {
        const asio::const_buffer b(*it);
        if (b.size() == 0) continue;
        pieces[count].iov_base = const_cast<void*>(b.data());
        pieces[count].iov_len = b.size();
        ++count;
    }
    if (count == 0) {
        ec = error_code();
        return 0;
    }
    msghdr message{};
    message.msg_iov = pieces;
    message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(count);
    const ssize_t n = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
        ec = error_code();
        return static_cast<std::size_t>(n);
    }
    ec = dontwait_error(errno);
    return 0;
}
#else
inline constexpr bool has_dontwait_io = false;
#endif

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_SOCKET_IO_HPP
