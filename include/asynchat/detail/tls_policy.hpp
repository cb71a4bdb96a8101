// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_TLS_POLICY_HPP
#define ASYNCHAT_DETAIL_TLS_POLICY_HPP

#include <asynchat/file_handle.hpp>
#include <asynchat/stream_traits.hpp>

#include <asynchat/detail/asio_ssl.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace asynchat::detail {

/// The stream policy of a TLS stream (see `plain_stream_policy` for the
/// interface), for TLS from the first byte (`asio::ssl::stream`) and for
/// STARTTLS (`starttls_stream`, `Traits::upgradable`). All of a channel's
/// TLS state lives here: whether a handshake succeeded, and a requested
/// STARTTLS switch waiting for its barrier in the output queue.
/// `Traits` is the stream's `stream_traits` (handshake, shutdown, truncation).
template <class Traits>
class tls_stream_policy {
    using stream = typename Traits::stream;

public:
    // start: the TLS handshake.
    bool start_needed(const stream& s) const noexcept { return Traits::secure(s); }
    template <class Handler>
    void async_start(stream& s, tls_role role, Handler&& h) {
        Traits::async_handshake(s, role, std::forward<Handler>(h));
    }
    void started() noexcept {
        up_ = true;
        upgrading_ = false;
    }

    // goodbye: close_notify, once the handshake succeeded.
    bool goodbye_needed(const stream& s) const noexcept { return secure(s); }
    void cancel_io(stream& s) noexcept {
        error_code ignored;
        s.lowest_layer().cancel(ignored);
    }
    template <class Handler>
    void async_goodbye(stream& s, Handler&& h) {
        Traits::async_shutdown(s, std::forward<Handler>(h));
    }

    // A peer that closed the connection without close_notify: an EOF (most
    // peers do it; what was received was authenticated).
    // readability: decrypted bytes may wait in the TLS engine's buffer, where
    // the socket cannot see them: always read (the input buffer stays).
    static constexpr bool waits_for_readability(const stream&) noexcept { return false; }
    template <class Handler>
    void async_wait_readable(stream& s, Handler&& h) {  // not called
        asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code()); });
    }

    // At once: never (the engine reads and writes the socket itself).
    static constexpr bool transfers_at_once = false;
    std::size_t read_at_once(stream&, const asio::mutable_buffer&, error_code& ec) {  // not called
        ec = asio::error::would_block;
        return 0;
    }
    template <class ConstBufferSequence>
    std::size_t write_at_once(stream&, const ConstBufferSequence&, error_code& ec) {  // not called
        ec = asio::error::would_block;
        return 0;
    }

    static bool is_eof(const error_code& ec) noexcept {
        return ec == asio::error::eof || Traits::truncated(ec);
    }

    bool secure(const stream& s) const noexcept { return up_ && Traits::secure(s); }

    // Files: never zero-copy (the bytes must be encrypted): file ranges are
    // read into the output queue in pieces, so async_send_file never runs.
    static constexpr bool sends_files = false;
    template <class Handler>
    void async_send_file(stream& s, file_part&, std::size_t, Handler&& h) {
        asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable {
            h(error_code(asio::error::operation_not_supported), std::size_t(0));
        });
    }

    // STARTTLS: start_tls() requests the switch and queues a barrier; reading
    // waits; once what was pushed before is sent, at_barrier() switches.
    bool can_upgrade(const stream& s) const noexcept { return !upgrade_ && !Traits::secure(s); }
    void request_upgrade(tls_role role, early_input early) { upgrade_ = upgrade{role, early}; }
    bool input_paused() const noexcept { return upgrade_.has_value(); }
    bool restarting() const noexcept { return upgrading_; }

    // The plaintext before the barrier is sent: hand over to TLS. `Channel`
    // (a friend) gives the input buffer, the hook and the handshake.
    template <class Channel>
    void at_barrier(Channel& channel) {
        if constexpr (Traits::upgradable) {
            if (!upgrade_) return;
            const upgrade u = *upgrade_;
            upgrade_.reset();
            std::string early = channel.take_buffered_input();
            if (!early.empty() && u.early == early_input::discard) {
                channel.derived().handle_plaintext_after_starttls(early);
                if (!channel.connected()) return;
                early.clear();
            }
            Traits::begin_tls(channel.socket(), std::move(early));
            upgrading_ = true;
            channel.start_stream(u.role);
        }
    }

private:
    struct upgrade {
        tls_role role;
        early_input early;
    };
    std::optional<upgrade> upgrade_;  // start_tls() called, handshake not begun
    bool up_ = false;                 // a TLS handshake succeeded
    bool upgrading_ = false;          // a STARTTLS handshake is running
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_TLS_POLICY_HPP
