// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_SENDFILE_HPP
#define ASYNCHAT_DETAIL_SENDFILE_HPP

// The fast path of `async_chat::push_file`: the kernel copies a file range
// to the socket with sendfile(2), never through user space. Linux only, and
// only when ASYNCHAT_NO_SENDFILE is not defined (CMake option
// ASYNCHAT_SENDFILE=OFF defines it); elsewhere `sendfile_capable` is false
// and file ranges are read through the output queue in pieces.

#include <asynchat/error.hpp>
#include <asynchat/file_handle.hpp>

#include <asynchat/detail/asio.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <system_error>
#include <type_traits>
#include <utility>

#if defined(__linux__) && defined(ASYNCHAT_POSIX_FILES) && !defined(ASYNCHAT_NO_SENDFILE)
#define ASYNCHAT_HAS_SENDFILE 1
#include <csignal>
#include <ctime>
#include <pthread.h>
#include <sys/sendfile.h>
#endif

namespace asynchat::detail {

/// True if a file range can go to `Socket` with sendfile(2): the fast path is
/// built in and `Socket` is an Asio socket with a descriptor (TCP, Unix
/// domain) that can wait for writability.
template <class Socket, class = void>
struct sendfile_capable : std::false_type {};

#if defined(ASYNCHAT_HAS_SENDFILE)
template <class Socket>
struct sendfile_capable<Socket, std::void_t<decltype(std::declval<Socket&>().native_handle()),
                                            decltype(std::declval<Socket&>().native_non_blocking()),
                                            decltype(Socket::wait_write)>>
    : std::is_same<decltype(std::declval<Socket&>().native_handle()), int> {};

// While alive, a SIGPIPE raised by this thread is held and, if sendfile(2)
// raised it, discarded: sendfile has no MSG_NOSIGNAL, and a peer gone must
// be an EPIPE, never a signal that kills the process. Free when the process
// already ignores SIGPIPE.
class sigpipe_guard {
public:
    sigpipe_guard() noexcept {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) return;
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        if (::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
            return;  // one is pending already: ours would merge with it; leave both alone
        }
        active_ = ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
    }
    sigpipe_guard(const sigpipe_guard&) = delete;
    sigpipe_guard& operator=(const sigpipe_guard&) = delete;
    // After an EPIPE: take the SIGPIPE it raised.
    void broken_pipe() noexcept {
        if (!active_) return;
        const timespec zero{0, 0};
        while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    ~sigpipe_guard() {
        if (active_) ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool active_ = false;
};

// Sends from `part` to the non-blocking socket `sock` until the range is
// done, the socket is full (asio::error::would_block), `budget` bytes went,
// or an error. Returns the bytes sent; `part` advances by them.
inline std::size_t sendfile_some(int sock, file_part& part, std::size_t budget, error_code& ec) noexcept {
    sigpipe_guard guard;
    std::size_t sent = 0;
    ec = {};
    while (part.remaining != 0 && sent < budget) {
        std::uint64_t want = part.remaining < budget - sent ? part.remaining : budget - sent;
        if (want > 0x7ffff000) want = 0x7ffff000;  // Linux's limit per call
        if (part.offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) - want) {
            ec = make_error_code(error::file_truncated);  // past the end of any file off_t can address
            break;
        }
        off_t offset = static_cast<off_t>(part.offset);
        const ssize_t n = ::sendfile(sock, part.file.native_handle(), &offset, static_cast<std::size_t>(want));
        if (n > 0) {
            part.offset += static_cast<std::uint64_t>(n);
            part.remaining -= static_cast<std::uint64_t>(n);
            sent += static_cast<std::size_t>(n);
        } else if (n == 0) {
            ec = make_error_code(error::file_truncated);  // the file ends before the range
            break;
        } else if (errno == EINTR) {
            continue;
        } else {
            const int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                ec = asio::error::would_block;
            } else {
                if (e == EPIPE) guard.broken_pipe();
                ec = error_code(e, asio::error::get_system_category());
            }
            break;
        }
    }
    return sent;
}

// The asynchronous operation: sends what the socket takes now (at most
// `budget` bytes), waiting for writability first if it takes nothing, then
// calls `handler(ec, bytes)`, never from inside the initiating call.
template <class Socket, class Handler>
class sendfile_op {
public:
    sendfile_op(Socket& socket, file_part& part, std::size_t budget, Handler&& handler)
        : socket_(socket), part_(part), budget_(budget), handler_(std::move(handler)) {}

    void start() {
        error_code ec;
        if (!socket_.native_non_blocking()) socket_.native_non_blocking(true, ec);
        if (ec) return complete(ec, 0, true);
        step(true);
    }

    void operator()(const error_code& ec) {
        if (ec) return complete(ec, 0, false);
        step(false);
    }

private:
    void step(bool initiating) {
        error_code ec;
        const std::size_t sent = sendfile_some(socket_.native_handle(), part_, budget_, ec);
        if (ec == asio::error::would_block) {
            if (sent == 0) {
                Socket& s = socket_;
                s.async_wait(Socket::wait_write, std::move(*this));
                return;
            }
            ec = {};
        }
        complete(ec, sent, initiating);
    }

    void complete(const error_code& ec, std::size_t sent, bool initiating) {
        if (!initiating) return handler_(ec, sent);
        asio::post(socket_.get_executor(),
                   [h = std::move(handler_), ec, sent]() mutable { h(ec, sent); });
    }

    Socket& socket_;
    file_part& part_;  // lives in the output queue until the handler has run
    std::size_t budget_;
    Handler handler_;
};
#endif

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_SENDFILE_HPP
