// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_FRAMED_STREAM_HPP
#define ASYNCHAT_FRAMED_STREAM_HPP

#include <asynchat/error.hpp>
#include <asynchat/framer.hpp>
#include <asynchat/terminator.hpp>

#include <asynchat/detail/asio.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asynchat {

namespace detail {
template <class Stream, class Output>
class read_record_op;
struct record_as_string;
struct record_appended;
} // namespace detail

/// Pull-style framing: the records `async_chat` would deliver, one per
/// `async_read_record`, with any Asio completion token (a callback,
/// `use_future`, `use_awaitable`, `experimental::deferred`,
/// `experimental::as_tuple`, `detached`...).
///
///     asynchat::framed_stream<asio::ip::tcp::socket> s(std::move(socket), "\r\n");
///     std::string cmd = co_await s.async_read_record(asio::use_awaitable);   // "\r\n" stripped
///     s.set_terminator(n + 2);            // applies at once to the bytes already read
///     std::string data = co_await s.async_read_record(asio::use_awaitable);
///     co_await asio::async_write(s.next_layer(), asio::buffer(reply), asio::use_awaitable);
///
/// `Stream` is any Asio `AsyncReadStream`: `asio::ip::tcp::socket`,
/// `asio::local::stream_protocol::socket`, `asio::ssl::stream<...>`, or a
/// reference to one (`framed_stream<tcp::socket&>` reads from a socket it does
/// not own). Writes go straight to `next_layer()`.
///
/// Framing is the `framer`'s, so CPython 3.11's `handle_read` rules (see
/// `framer` and the README, "How input is framed"): a record is the bytes
/// `async_chat` would pass to `collect_incoming_data` between two
/// `found_terminator()` calls for the same stream and terminator schedule,
/// with the terminator stripped. After each record the framer stops, so a
/// terminator set between two reads frames the bytes already buffered, exactly
/// as a terminator set inside `found_terminator()` does. As there, a count
/// terminator is 0 after its record: the next read returns whatever bytes are
/// available unless a new terminator is set.
///
/// Threading: like an Asio socket, one `framed_stream` is not thread-safe;
/// use it from one strand. At most one `async_read_record` may be pending:
/// a second one started meanwhile completes with `asio::error::already_started`
/// and leaves the first (and the buffered input) alone. Unlike a socket, which
/// may be destroyed with reads pending, a pending read refers to the
/// `framed_stream` itself: before destroying or moving one with a read
/// pending, cancel the read or close the stream and wait for its handler.
///
/// Memory: one input buffer (`read_size` bytes plus a held partial terminator,
/// or more: a cancelled or failed read puts the unfinished record back in
/// front of the buffered input, which grows to hold it), reused; and a string
/// for the record being built, which keeps the capacity of the largest record
/// read so far. In the steady state a read allocates only the returned
/// string (none with the appending overload when the caller's string has
/// room; that overload copies each record twice: into the internal string,
/// then onto the caller's).
template <class Stream>
class framed_stream {
public:
    /// The stream read from (`Stream` without a reference).
    using next_layer_type = std::remove_reference_t<Stream>;
    /// The stream's executor: the default for the completion handlers.
    using executor_type = decltype(std::declval<next_layer_type&>().get_executor());

    /// Bytes asked of the stream per `async_read_some` (Python's
    /// `ac_in_buffer_size`).
    static constexpr std::size_t read_size = 4096;

    /// Frames `stream` with the terminator `t` (default: none — each read
    /// returns the bytes available).
    explicit framed_stream(Stream stream, terminator t = none);

    framed_stream(framed_stream&&) = default;
    framed_stream& operator=(framed_stream&&) = default;

    /// The stream's executor.
    [[nodiscard]] executor_type get_executor() noexcept;

    /// The stream: write to it directly; read from it only after `release()`.
    [[nodiscard]] next_layer_type& next_layer() noexcept { return stream_; }
    [[nodiscard]] const next_layer_type& next_layer() const noexcept { return stream_; }

    /// Sets what ends the next record: a string, a byte count or
    /// `asynchat::none` (see `terminator`). Takes effect for the bytes already
    /// buffered. Call it between reads: a terminator changed while a read is
    /// pending applies from the next framing step of that read, and is the
    /// one a cancellation of that read leaves (the bytes the read took are
    /// then framed again under it).
    void set_terminator(terminator t) {
        if (busy_) start_count_ = t.is_count() ? t.count() : 0;  // what a cancel restores
        framer_.set_terminator(std::move(t));
    }

    /// The current terminator. A count is lowered while a record is read, and
    /// is 0 after its record (as in CPython); a cancelled read restores it to
    /// the value last set.
    [[nodiscard]] const terminator& get_terminator() const noexcept {
        return framer_.get_terminator();
    }

    /// Limits a record to `bytes` bytes, terminator excluded (`no_limit`, the
    /// default, removes the limit). A read whose record would grow past it
    /// completes with `asynchat::error::record_too_long` and an empty record,
    /// before the offending bytes are taken. Then `policy` decides, as
    /// `async_chat`'s `handle_record_too_long()` result does:
    /// - `overflow::close` (default): the input is dropped and every later read
    ///   fails the same way: framing is lost; close the stream.
    /// - `overflow::skip`: the next read skips the rest of the record through
    ///   the next terminator and returns the record after it. Only a non-empty
    ///   string terminator can be skipped to; otherwise this is `close`.
    /// With a falsy terminator (`none`, `""`, `0`) the limit bounds the bytes
    /// one read returns: at most `bytes` (never an error when `bytes` > 0),
    /// the rest stays buffered for the next read, so the outcome does not
    /// depend on how the stream was cut.
    void set_record_limit(std::size_t bytes, overflow policy = overflow::close) noexcept {
        framer_.set_record_limit(bytes);
        policy_ = policy;
    }
    [[nodiscard]] std::size_t record_limit() const noexcept { return framer_.record_limit(); }

    /// The bytes read from the stream past the last record returned, not yet
    /// part of one: what the next read will frame. Valid until the next read
    /// starts or `release()`. Empty after a read failed on end of stream (its
    /// record took them) or after `overflow::close` dropped the input.
    [[nodiscard]] std::string_view buffered_input() const noexcept { return framer_.buffered(); }

    /// Returns and removes `buffered_input()`: for a protocol switch (STARTTLS,
    /// an upgrade to another parser), where the bytes the peer sent after the
    /// switching record belong to the next reader. The terminator and limit
    /// are kept. After an `overflow::skip` overflow, the bytes of the rejected
    /// record are not handed over (as at end of stream): those buffered
    /// through its terminator are dropped, and all buffered ones if its
    /// terminator has not arrived (the skip then ends here: the rest of that
    /// record reaches whoever reads the stream next).
    /// @throws std::logic_error while a read is pending.
    [[nodiscard]] std::string release();

    /// Reads the next record. Completion signature
    /// `void(asynchat::error_code ec, std::string record)`; the handler runs on its
    /// associated executor (default: `get_executor()`), never inside this call.
    ///
    /// - Success: `record` holds the record without its terminator. With a
    ///   falsy terminator (`none`, `""`, `0`) it is the bytes available: those
    ///   buffered, else those of the next read, at least one.
    /// - `asio::error::eof`: the stream ended; `record` holds the unfinished
    ///   record (bytes after the last record, a partial terminator included),
    ///   empty if there was none. End of stream is final: later reads fail
    ///   with `eof` and an empty record at once, without reading again.
    ///   When bytes and an error come in one `async_read_some` completion,
    ///   the records those bytes complete are returned first; the error is
    ///   kept for the read that needs more input if it is final (end of
    ///   stream, a stream error) and dropped if it is not (`would_block`,
    ///   `try_again`, `operation_aborted`).
    /// - `asynchat::error::record_too_long`: see `set_record_limit()`.
    /// - `asio::error::operation_aborted`: the read was cancelled, through
    ///   the token's cancellation slot (`asio::bind_cancellation_slot`, Asio
    ///   1.19 / Boost 1.77 and later; any cancellation type: nothing is
    ///   lost) or by cancelling or closing the stream.
    ///   `record` is empty; the bytes of the unfinished record stay buffered
    ///   and the terminator is as before the read: the next read returns the
    ///   whole record.
    /// - Any other error of the stream: `record` is empty and the unfinished
    ///   record stays buffered, as for a cancelled read (`release()` hands it
    ///   over); but the error is final: later reads return what the buffered
    ///   bytes still frame (after a terminator change, say), then fail with
    ///   the same error without reading again.
    /// - `asio::error::already_started`: another read is pending (misuse);
    ///   nothing else changes.
    template <class Token = asio::default_completion_token_t<executor_type>>
    auto async_read_record(Token&& token = asio::default_completion_token_t<executor_type>());

    /// As above, but appends the record to `record` instead of returning a
    /// new string (no allocation once `record` has the capacity). Completion
    /// signature `void(asynchat::error_code ec, std::size_t n)`: `n` bytes were
    /// appended (on `eof`, the unfinished record's). `record` must stay valid
    /// until the handler runs and must not be touched meanwhile.
    template <class Token = asio::default_completion_token_t<executor_type>>
    auto async_read_record(std::string& record,
                           Token&& token = asio::default_completion_token_t<executor_type>());

private:
    template <class, class>
    friend class detail::read_record_op;
    friend struct detail::record_as_string;
    friend struct detail::record_appended;

    // What framing the buffered input gave.
    enum class outcome { record, too_long, need_input };

    struct sink;
    outcome frame();
    void start_read_bookkeeping();
    void keep_unfinished_record();
    void hand_over_unfinished_record();

    Stream stream_;
    framer framer_;
    std::string partial_;       // the record being read: bytes the framer passed on
    error_code deferred_;  // an error that came with the bytes of a record
    error_code failed_;    // end of stream or a stream error: final
    std::size_t start_count_ = 0;  // a count terminator as the read found it
    overflow policy_ = overflow::close;
    bool busy_ = false;       // a read is pending
    bool found_ = false;      // framing: a record ended
    bool too_long_ = false;   // framing: the record overflowed the limit
    bool dropped_ = false;    // overflow::close happened: the input is gone
};

} // namespace asynchat

#include <asynchat/impl/framed_stream.hpp>

#endif // ASYNCHAT_FRAMED_STREAM_HPP
