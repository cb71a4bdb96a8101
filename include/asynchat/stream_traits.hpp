// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_STREAM_TRAITS_HPP
#define ASYNCHAT_STREAM_TRAITS_HPP

#include <asynchat/detail/stream_policy.hpp>

#include <type_traits>

namespace asynchat {

/// Which side of a TLS handshake a channel plays.
enum class tls_role { client, server };

/// What `start_tls()` does with bytes the peer sent after the command that
/// asked for TLS but before the handshake (already read as plaintext).
enum class early_input {
    /// Drop them and call `handle_plaintext_after_starttls(bytes)`: plaintext
    /// must never pass for what came over TLS (command injection, as in
    /// CVE-2011-0411 and its kin).
    discard,
    /// Hand them to the TLS engine as the start of the handshake, for peers
    /// that send their ClientHello without waiting for the reply.
    feed_to_tls,
};

/// How `async_chat` drives a stream beyond reading and writing. This primary
/// template describes a plain stream (TCP, Unix domain socket): nothing to
/// negotiate. `<asynchat/tls.hpp>` specializes it for TLS streams, so that
/// the core never needs OpenSSL.
///
/// A user's own specialization for a plain stream of their own needs only
/// `tls = false` and `upgradable = false`; without a `policy` member the
/// channel drives the stream as a plain one (`detail::plain_stream_policy`).
/// Such a stream that can read and write without blocking (members
/// `read_some_at_once` and `write_some_at_once`, see
/// `detail::has_at_once_io`) is read and written at once inside the
/// channel's own completions, as Asio's TCP and Unix sockets are.
/// A TLS stream of one's own (`tls` or `upgradable` true) must name the
/// policy that drives its handshake and goodbye: derive the specialization
/// from `stream_traits<asio::ssl::stream<Next>>` (`<asynchat/tls.hpp>`).
/// `async_chat` refuses a TLS specialization without one at compile time.
template <class Stream>
struct stream_traits {
    /// True if the stream can speak TLS (handshake, close_notify).
    static constexpr bool tls = false;
    /// True if it starts in plaintext and can switch to TLS (`start_tls()`).
    static constexpr bool upgradable = false;
    /// What a channel asks of the stream beyond reading and writing: start,
    /// goodbye, EOF (see `detail::plain_stream_policy`).
    using policy = detail::plain_stream_policy<Stream>;
};

namespace detail {
/// `stream_traits<Stream>::policy` if the specialization names one, else the
/// plain stream policy: what `async_chat` uses.
template <class Stream, class = void>
struct stream_policy_of {
    static constexpr bool named = false;
    using type = plain_stream_policy<Stream>;
};
template <class Stream>
struct stream_policy_of<Stream, std::void_t<typename stream_traits<Stream>::policy>> {
    static constexpr bool named = true;
    using type = typename stream_traits<Stream>::policy;
};

/// True for a stream that speaks TLS and so needs the `stream_traits`
/// specialization of `<asynchat/tls.hpp>`: Asio's `ssl::stream` (it has a
/// `handshake_type`) and `starttls_stream` (which specializes this trait).
/// `async_chat` refuses such a stream with the primary `stream_traits`, so a
/// missing include is a compile error, not a run-time failure or an ODR
/// violation between translation units.
template <class Stream, class = void>
struct needs_tls_header : std::false_type {};
template <class Stream>
struct needs_tls_header<Stream, std::void_t<typename Stream::handshake_type>> : std::true_type {};
} // namespace detail

} // namespace asynchat

#endif // ASYNCHAT_STREAM_TRAITS_HPP
