// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_STREAM_POLICY_HPP
#define ASYNCHAT_DETAIL_STREAM_POLICY_HPP

#include <asynchat/detail/asio.hpp>
#include <asynchat/detail/sendfile.hpp>
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
