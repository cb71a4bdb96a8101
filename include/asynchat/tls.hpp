// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_TLS_HPP
#define ASYNCHAT_TLS_HPP

// TLS for async_chat (needs OpenSSL: link asynchat::tls, or OpenSSL::SSL).
//
// - `async_chat<Derived, asio::ssl::stream<asio::ip::tcp::socket>>`: TLS from
//   the first byte. `start()` runs the server handshake, `connect()` the
//   client one, before any reading; `handle_handshake()` follows success,
//   `handle_handshake_error(ec)` failure. `close()` sends close_notify.
// - `async_chat<Derived, asynchat::starttls_stream<>>`: plaintext until the
//   channel calls `start_tls(role)`, then TLS (STARTTLS).

#include <asynchat/detail/tls_policy.hpp>
#include <asynchat/starttls_stream.hpp>
#include <asynchat/stream_traits.hpp>

#include <asynchat/detail/asio_ssl.hpp>

#include <string>
#include <system_error>
#include <utility>

namespace asynchat {

namespace detail {
inline asio::ssl::stream_base::handshake_type to_asio(tls_role role) noexcept {
    return role == tls_role::client ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
}
} // namespace detail

/// TLS from the first byte.
template <class Next>
struct stream_traits<asio::ssl::stream<Next>> {
    static constexpr bool tls = true;
    static constexpr bool upgradable = false;
    using stream = asio::ssl::stream<Next>;
    using policy = detail::tls_stream_policy<stream_traits>;

    static bool secure(const stream&) noexcept { return true; }
    template <class Handler>
    static void async_handshake(stream& s, tls_role role, Handler&& h) {
        s.async_handshake(detail::to_asio(role), std::forward<Handler>(h));
    }
    template <class Handler>
    static void async_shutdown(stream& s, Handler&& h) {
        s.async_shutdown(std::forward<Handler>(h));
    }
    static bool truncated(const error_code& ec) noexcept { return ec == asio::ssl::error::stream_truncated; }
};

/// Plaintext, then TLS from `start_tls()` on.
template <class Socket>
struct stream_traits<starttls_stream<Socket>> {
    static constexpr bool tls = true;
    static constexpr bool upgradable = true;
    using stream = starttls_stream<Socket>;
    using policy = detail::tls_stream_policy<stream_traits>;

    static bool secure(const stream& s) noexcept { return s.secure(); }
    static void begin_tls(stream& s, std::string early) { s.begin_tls(std::move(early)); }
    template <class Handler>
    static void async_handshake(stream& s, tls_role role, Handler&& h) {
        s.tls().async_handshake(detail::to_asio(role), std::forward<Handler>(h));
    }
    template <class Handler>
    static void async_shutdown(stream& s, Handler&& h) {
        s.tls().async_shutdown(std::forward<Handler>(h));
    }
    static bool truncated(const error_code& ec) noexcept { return ec == asio::ssl::error::stream_truncated; }
};

} // namespace asynchat

#endif // ASYNCHAT_TLS_HPP
