// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_STREAM_POLICY_HPP
#define ASYNCHAT_DETAIL_STREAM_POLICY_HPP

#include <asynchat/detail/asio.hpp>
#include <asynchat/detail/gathered_buffers.hpp>
#include <asynchat/detail/sendfile.hpp>
#include <asynchat/detail/socket_io.hpp>
#include <asynchat/file_handle.hpp>

#include <cstddef>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asynchat {
enum class tls_role;
}

namespace asynchat::detail {

/// True if `Stream` can report readability without reading:
/// `s.async_wait(asio::socket_base::wait_read, handler)` (Asio's sockets).
template <class Stream, class = void>
struct has_async_wait : std::false_type {};
template <class Stream>
struct has_async_wait<Stream, std::void_t<decltype(std::declval<Stream&>().async_wait(
                                  asio::socket_base::wait_read, std::declval<void (*)(error_code)>()))>>
    : std::true_type {};

/// True for Asio's own stream sockets (`basic_stream_socket<Protocol,
/// Executor>`: TCP, Unix domain sockets), whose synchronous `read_some` and
/// `write_some` never block once `non_blocking(true)` is set. A class derived
/// from one (a user's stream) is not matched: its reads and writes may do
/// more than the socket's, so they stay asynchronous.
template <class Stream>
struct is_asio_stream_socket : std::false_type {};
template <class Protocol, class Executor>
struct is_asio_stream_socket<asio::basic_stream_socket<Protocol, Executor>> : std::true_type {};

/// True if `Stream` itself reads and writes without blocking (a stream of
/// one's own, an in-memory test stream):
///
///     std::size_t read_some_at_once(const asio::mutable_buffer& b, error_code& ec);
///     template <class ConstBufferSequence>
///     std::size_t write_some_at_once(const ConstBufferSequence& b, error_code& ec);
///
/// each returning the bytes moved, with `ec` set as `plain_stream_policy`'s
/// `read_at_once`/`write_at_once` say (`asio::error::would_block` when
/// nothing can move now). Such a stream transfers at once as Asio's own
/// sockets do (see `transfers_at_once`), through the same loops.
template <class Stream, class = void>
struct has_at_once_io : std::false_type {};
template <class Stream>
struct has_at_once_io<
    Stream, std::void_t<decltype(std::declval<Stream&>().read_some_at_once(std::declval<const asio::mutable_buffer&>(),
                                                                          std::declval<error_code&>())),
                        decltype(std::declval<Stream&>().write_some_at_once(
                            std::declval<const gathered_buffers&>(), std::declval<error_code&>()))>>
    : std::true_type {};

/// How many reads, and how many writes, in a row a channel completes at
/// once (without a trip through the reactor) before it goes asynchronous:
/// a peer that keeps the socket readable or writable then still lets the
/// other channels on the thread take their turn.
inline constexpr unsigned at_once_rounds = 8;

/// True if `ec` says a non-blocking transfer found nothing to do now
/// (EAGAIN/EWOULDBLOCK, or EINTR: interrupted before anything moved).
inline bool would_block(const error_code& ec) noexcept {
    return ec == asio::error::would_block || ec == asio::error::try_again || ec == asio::error::interrupted;
}

/// Sets a flag for a scope and restores its previous value on exit, also
/// when an exception leaves the scope.
class flag_scope {
public:
    explicit flag_scope(bool& flag, bool value = true) noexcept : flag_(flag), old_(flag) { flag_ = value; }
    ~flag_scope() { flag_ = old_; }
    flag_scope(const flag_scope&) = delete;
    flag_scope& operator=(const flag_scope&) = delete;

private:
    bool& flag_;
    bool old_;
};

/// What `async_chat` asks of a stream beyond reading and writing, for a plain
/// stream (TCP, Unix domain socket): nothing to negotiate. Every stream
/// policy has this interface (see `tls_stream_policy` in
/// `<asynchat/detail/tls_policy.hpp>`); `stream_traits<Stream>::policy` names
/// the one a channel uses, and the read and write loops call it whatever the
/// stream.
///
/// - start: `start_needed(s)` says whether a handshake must run before the
///   channel opens; `async_start(s, role, h)` runs it, `started()` records
///   success. A plain stream's start completes at once.
/// - goodbye: `goodbye_needed(s)` says whether `close()` must say goodbye
///   before closing the socket; `cancel_io(s)` ends the I/O in flight first;
///   `async_goodbye(s, h)` says it. A plain stream's goodbye is the close.
/// - EOF: `is_eof(ec)` classifies a read error as the peer's end.
/// - barrier: `at_barrier(channel)` runs when the output queue's barrier is
///   reached; `input_paused()` holds reading until then; `restarting()` is
///   true during a handshake in the middle of a conversation.
/// - readability: `waits_for_readability(s)` says whether an idle channel
///   may give its input buffer back and wait for the stream to turn readable
///   (`async_wait_readable(s, h)`, `h(error_code)`) before it takes a buffer
///   and reads. True for a plain stream with `async_wait` (TCP, Unix domain
///   sockets): an idle connection then holds no input buffer. A stream whose
///   bytes may wait in a buffer of its own (TLS) must say false: the socket
///   would never turn readable for them.
/// - files: `sends_files` says whether the stream sends a pushed file range
///   itself, zero-copy (sendfile(2) on a TCP or Unix domain socket, see
///   `detail/sendfile.hpp`); `async_send_file(s, part, budget, h)` sends
///   some of it (`part` advances) and calls `h(ec, bytes)`. Where it is
///   false, file ranges are read into the output queue in pieces.
/// - at once: `transfers_at_once` says whether the read and write loops try
///   a transfer synchronously, without blocking, before they go through the
///   reactor: `read_at_once(s, buffer, ec)` and `write_at_once(s, buffers,
///   ec)` return the bytes moved, and set `ec` to `asio::error::would_block`
///   when nothing could move now (then the loop waits asynchronously), or to
///   the error or EOF the read or write would have completed with. Asio
///   posts the completion of an asynchronous read or write that succeeds at
///   once, and runs the reactor (an `epoll_wait`) before it: for a request
///   and its response that is two reactor trips saved. True for Asio's own
///   stream sockets (`is_asio_stream_socket`) on Linux, read and written
///   with MSG_DONTWAIT (`detail/socket_io.hpp`), so the socket's own mode
///   is left as the user set it, and for a stream that reads and writes
///   without blocking itself (`has_at_once_io`: the in-memory test stream
///   of tests/support/at_once_stream.hpp, so the at-once path is tested
///   without sockets); false for TLS (the engine's buffers), for other
///   user streams, and where MSG_DONTWAIT and MSG_NOSIGNAL are not both
///   per-call flags.
template <class Stream>
class plain_stream_policy {
public:
    bool start_needed(const Stream&) const noexcept { return false; }
    template <class Handler>
    void async_start(Stream& s, tls_role, Handler&& h) {
        asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code()); });
    }
    void started() noexcept {}

    bool goodbye_needed(const Stream&) const noexcept { return false; }
    void cancel_io(Stream&) noexcept {}
    template <class Handler>
    void async_goodbye(Stream& s, Handler&& h) {
        asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code()); });
    }

    static bool is_eof(const error_code& ec) noexcept { return ec == asio::error::eof; }

    template <class Channel>
    void at_barrier(Channel&) noexcept {}
    bool input_paused() const noexcept { return false; }
    bool restarting() const noexcept { return false; }
    bool secure(const Stream&) const noexcept { return false; }

    static constexpr bool waits_for_readability(const Stream&) noexcept { return has_async_wait<Stream>::value; }
    template <class Handler>
    void async_wait_readable(Stream& s, Handler&& h) {
        if constexpr (has_async_wait<Stream>::value) {
            s.async_wait(asio::socket_base::wait_read, std::forward<Handler>(h));
        } else {  // not called: waits_for_readability() is false
            asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code()); });
        }
    }

    static constexpr bool transfers_at_once =
        has_at_once_io<Stream>::value || (is_asio_stream_socket<Stream>::value && has_dontwait_io);
    std::size_t read_at_once(Stream& s, const asio::mutable_buffer& b, error_code& ec) {
        if constexpr (has_at_once_io<Stream>::value) {
            return s.read_some_at_once(b, ec);
        } else {
#if defined(ASYNCHAT_HAS_DONTWAIT_IO)
            if constexpr (transfers_at_once) return recv_dontwait(s.native_handle(), b.data(), b.size(), ec);
#endif
            (void)s;  // not called: transfers_at_once is false
            (void)b;
            ec = asio::error::would_block;
            return 0;
        }
    }
    template <class ConstBufferSequence>
    std::size_t write_at_once(Stream& s, const ConstBufferSequence& b, error_code& ec) {
        if constexpr (has_at_once_io<Stream>::value) {
            return s.write_some_at_once(b, ec);
        } else {
#if defined(ASYNCHAT_HAS_DONTWAIT_IO)
            if constexpr (transfers_at_once) return send_dontwait(s.native_handle(), b, ec);
#endif
            (void)s;  // not called: transfers_at_once is false
            (void)b;
            ec = asio::error::would_block;
            return 0;
        }
    }

    static constexpr bool sends_files = sendfile_capable<Stream>::value;
    template <class Handler>
    void async_send_file(Stream& s, file_part& part, std::size_t budget, Handler&& h) {
#if defined(ASYNCHAT_HAS_SENDFILE)
        if constexpr (sends_files) {
            sendfile_op<Stream, std::decay_t<Handler>>(s, part, budget, std::forward<Handler>(h)).start();
            return;
        }
#endif
        (void)part;
        (void)budget;
        asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable {
            h(error_code(asio::error::operation_not_supported), std::size_t(0));
        });
    }
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_STREAM_POLICY_HPP
