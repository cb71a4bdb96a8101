// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_ASYNC_CHAT_HPP
#define ASYNCHAT_ASYNC_CHAT_HPP

#include <asynchat/detail/config.hpp>
#include <asynchat/detail/gathered_buffers.hpp>
#include <asynchat/detail/hooks.hpp>
#include <asynchat/detail/op_allocator.hpp>
#include <asynchat/detail/report.hpp>
#include <asynchat/detail/strand_relay.hpp>
#include <asynchat/detail/string_cache.hpp>
#include <asynchat/detail/timer.hpp>
#include <asynchat/error.hpp>
#include <asynchat/file_handle.hpp>
#include <asynchat/framer.hpp>
#include <asynchat/output_queue.hpp>
#include <asynchat/producer.hpp>
#include <asynchat/stream_traits.hpp>
#include <asynchat/terminator.hpp>

#include <asynchat/detail/asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asynchat {

namespace detail {
// The errors CPython's asyncore turns into handle_close() rather than
// handle_error(): the peer is gone (asyncore._DISCONNECTED). EOF has its own
// hook, handle_eof(), whose default is handle_close() too.
inline bool is_disconnect(const error_code& ec) noexcept {
    return ec == asio::error::connection_reset ||
           ec == asio::error::not_connected || ec == asio::error::shut_down ||
           ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
           ec == asio::error::bad_descriptor || ec == asio::error::operation_aborted;
}

// True if `inner` (not empty) lies within `outer`.
inline bool contains(std::string_view outer, std::string_view inner) noexcept {
    const auto o = reinterpret_cast<std::uintptr_t>(outer.data());
    const auto i = reinterpret_cast<std::uintptr_t>(inner.data());
    return !inner.empty() && i >= o && i - o + inner.size() <= outer.size();
}

template <class Char>
inline constexpr bool is_char_pointer_v =
    std::is_same_v<Char, const char*> || std::is_same_v<Char, char*>;
} // namespace detail

/// A channel for a chat-style (command/response) protocol: Python's
/// `asynchat.async_chat` on an Asio stream.
///
/// Derive from it with CRTP and supply the two required hooks; the others
/// have defaults in this base that your class hides by declaring its own.
/// Hooks must be public. A complete channel:
///
///     class session : public asynchat::async_chat<session> {
///     public:
///         explicit session(asio::ip::tcp::socket s) : async_chat(std::move(s)) {
///             set_terminator("\r\n");
///         }
///         // Required. `data` is valid only during the call.
///         void collect_incoming_data(std::string_view data) { line_ += data; }
///         // Required. Called when the terminator is seen (or the count reached).
///         void found_terminator() { push(line_ + "\r\n"); line_.clear(); }
///
///         // Optional, shown with what the defaults do:
///         // void handle_connect() {}                  // after connect() succeeds
///         // void handle_eof() { handle_close(); }     // the peer ended its side
///         // void handle_close() { close(); }          // peer reset, close_when_done
///         // void handle_error(const asynchat::error_code&) // other I/O errors:
///         //     { handle_close(); }
///         // void handle_error(std::exception_ptr)     // a hook threw: prints one
///         //     { ...; handle_close(); }              // line to stderr, then closes
///         // bool readable() { return true; }          // false pauses reading
///         // bool writable() { return true; }          // false pauses writing
///         // void handle_timeout()                     // idle timeout or deadline:
///         //     { handle_error(asynchat::error::timed_out); }
///         // asynchat::overflow handle_record_too_long(std::size_t size)
///         //     { return asynchat::overflow::close; } // see set_record_limit()
///         // static constexpr std::size_t ac_in_buffer_size = 4096;
///         // static constexpr std::size_t ac_out_buffer_size = 4096;
///         // static constexpr bool tcp_nodelay = true;
///     private:
///         std::string line_;
///     };
///
///     // One per accepted socket; it keeps itself alive while I/O is pending:
///     std::make_shared<session>(std::move(socket))->start();
///
/// Input follows CPython 3.11's `handle_read` exactly (see `framer`): each read
/// asks for up to `ac_in_buffer_size` bytes. Output drains a FIFO of pushed
/// bytes, producers and close markers (see `output_queue`): each write hands
/// the socket at most `ac_out_buffer_size` bytes, gathered from several queued
/// items, and everything pushed while one read is framed goes out in one write.
///
/// Threads: all hooks run on the channel's executor. If that executor is a
/// strand, `push`, `push_with_producer`, `close_when_done`, `discard_buffers`,
/// `initiate_send`, `resume_reading`, `close` and `start` may be called from any
/// thread: calls from outside the strand are posted to it, in order. Otherwise
/// the channel is not thread-safe, like any Asio object.
///
/// Errors never escape `io_context::run()`: an exception from a hook is caught
/// and passed to `handle_error(std::exception_ptr)`; EOF goes to
/// `handle_eof()`, a reset peer to `handle_close()`, other I/O errors to
/// `handle_error(asynchat::error_code)`; by default all of them end in `close()`.
/// A read or write that failed (other than EOF) always does, after its hook
/// runs once: a hook that pushes to a peer gone does not loop.
/// Writing to a closed peer never raises SIGPIPE (Asio sends with MSG_NOSIGNAL).
///
/// Lifetime: queued producers live in this base, which is destroyed after
/// `Derived`'s members. `close()` and `discard_buffers()` destroy them while
/// `Derived` is alive, the one whose piece is being written included: inside
/// the call, or, when called from outside the strand, when the posted call
/// runs. The channel closes itself on every error path; a producer whose destructor
/// touches the channel's state is therefore safe once the channel was closed.
/// A channel destroyed without `close()` (never started, or its io_context
/// destroyed with operations pending) destroys its producers last: such a
/// producer must not touch `Derived` in its destructor.
///
/// Layout: this header declares the class, its public API and the default
/// hooks; the read loop, the write loop, the lifecycle and the timeouts are
/// defined in `<asynchat/impl/async_chat.hpp>`. What depends on the stream
/// kind (a TLS handshake, close_notify, STARTTLS) is a stream policy chosen
/// by `stream_traits` (`detail/stream_policy.hpp`, `detail/tls_policy.hpp`);
/// the timeouts are `detail::channel_timer`; calls from other threads go
/// through `detail::strand_relay`.
///
/// @tparam Derived the user's channel class (CRTP).
/// @tparam Stream an Asio stream: `asio::ip::tcp::socket` (default),
///         `asio::local::stream_protocol::socket`, ...
template <class Derived, class Stream = asio::ip::tcp::socket>
class async_chat : public std::enable_shared_from_this<Derived> {
public:
    static_assert(stream_traits<Stream>::tls || !detail::needs_tls_header<Stream>::value,
                  "asynchat::async_chat: this Stream speaks TLS: include <asynchat/tls.hpp> "
                  "before declaring the channel (in every translation unit that uses it)");
    static_assert(!(stream_traits<Stream>::tls || stream_traits<Stream>::upgradable) ||
                      detail::stream_policy_of<Stream>::named,
                  "asynchat::async_chat: this stream_traits specialization says the Stream speaks TLS "
                  "but names no policy to drive it: derive it from "
                  "asynchat::stream_traits<asio::ssl::stream<...>> (include <asynchat/tls.hpp>)");

    using stream_type = Stream;
    using executor_type = typename Stream::executor_type;
    using lowest_layer_type = typename Stream::lowest_layer_type;
    using protocol_type = typename lowest_layer_type::protocol_type;
    using endpoint_type = typename protocol_type::endpoint;

    /// Bytes asked for by each read (Python's documented default).
    static constexpr std::size_t ac_in_buffer_size = 4096;
    /// Most bytes handed to the socket by one write.
    static constexpr std::size_t ac_out_buffer_size = 4096;
    /// Set TCP_NODELAY on TCP connections: many small writes otherwise meet
    /// Nagle's algorithm and pipelined request/response traffic slows down
    /// several times. A Derived may declare `tcp_nodelay = false`.
    static constexpr bool tcp_nodelay = true;

    /// How long `close()` waits for the peer's close_notify after sending its
    /// own, on a TLS stream, before closing the socket anyway. A Derived may
    /// declare its own.
    static constexpr std::chrono::milliseconds tls_close_timeout{1000};

    async_chat(const async_chat&) = delete;
    async_chat& operator=(const async_chat&) = delete;

    // ---------------------------------------------------------------- input

    /// Sets what ends a record: a string, a byte count or `asynchat::none`
    /// (see `terminator`). Takes effect at once, also for bytes already read.
    /// Call it from a hook or before `start()`.
    void set_terminator(terminator t) { framer_.set_terminator(std::move(t)); }

    /// The current terminator; a count is lowered as bytes arrive.
    [[nodiscard]] const terminator& get_terminator() const noexcept {
        return framer_.get_terminator();
    }

    /// Limits the size of one record, terminator excluded (beyond Python; the
    /// default is `asynchat::no_limit`). A record that grows past it is never
    /// passed on in full: `handle_record_too_long(size)` is called once, before
    /// the offending bytes, and its result decides: `overflow::close` reports
    /// `error::record_too_long` to `handle_error` (by default closing the
    /// channel); `overflow::skip` drops the record through the next string
    /// terminator and goes on. A record of exactly `bytes` bytes is accepted
    /// however the stream was cut. Also bounds what `_collect_incoming_data`
    /// can gather.
    void set_record_limit(std::size_t bytes) noexcept { framer_.set_record_limit(bytes); }
    [[nodiscard]] std::size_t record_limit() const noexcept { return framer_.record_limit(); }

    /// Bytes received but not yet passed to the hooks: a partial terminator,
    /// records held back while `readable()` is false, or, inside
    /// `handle_record_too_long`, the record that did not fit. Valid until the
    /// next read completes.
    [[nodiscard]] std::string_view buffered_input() const noexcept { return framer_.buffered(); }

    /// True if part of a record has been received: bytes passed to
    /// `collect_incoming_data` since the last `found_terminator()`, or bytes
    /// held back in `buffered_input()`. Inside `handle_eof()` it says whether
    /// the peer stopped in the middle of a record.
    [[nodiscard]] bool record_in_progress() const noexcept { return framer_.record_in_progress(); }

    /// Bytes of memory the channel holds for input (beyond Python). 0 while a
    /// channel on a socket that can wait for readability (TCP, Unix domain:
    /// `stream_traits<Stream>::policy`) waits for its peer with no partial
    /// terminator or held-back record buffered: an idle connection holds no
    /// input buffer. Otherwise the capacity of the buffer reads go into
    /// (`ac_in_buffer_size` and a little more), taken from and given back to
    /// a per-thread cache. A TLS channel keeps its buffer (decrypted bytes may
    /// wait in the TLS engine, where the socket cannot see them).
    [[nodiscard]] std::size_t input_buffer_capacity() const noexcept { return framer_.capacity(); }

    /// A ready-made `collect_incoming_data`: appends `data` to a buffer of the
    /// channel (Python's `_collect_incoming_data`). The buffer grows with room
    /// for a terminator to spare, and an empty one first takes the storage of
    /// a short string pushed by rvalue on this thread: `push(_get_data() +
    /// "\r\n")` then allocates nothing per record once warm.
    void _collect_incoming_data(std::string_view data) { detail::string_cache::append(incoming(), data); }

    /// Returns and clears what `_collect_incoming_data` gathered (Python's
    /// `_get_data`).
    std::string _get_data() { return incoming_ ? std::exchange(*incoming_, std::string()) : std::string(); }

    // --------------------------------------------------------------- output

    /// Queues `data` for sending and starts sending. The bytes are copied,
    /// except bytes the channel received (a view given to
    /// `collect_incoming_data`, for an echo): those are sent from the input
    /// buffer, which is not read into again until they are. Pushing after
    /// `close()` is harmless: the bytes are never sent. Bytes pushed after a
    /// queued `close_when_done()` marker are never sent if `handle_close()`
    /// closes the channel (the default); see `close_when_done()`.
    ///
    /// When hooks run: `push()` (and `push_with_producer`, `push_file`,
    /// `close_when_done`, `initiate_send`) never reads (no
    /// `collect_incoming_data`/`found_terminator` inside it) and reports no
    /// write error inside it. Called from `collect_incoming_data` or
    /// `found_terminator`, the write waits for the end of the read being
    /// framed; called from anywhere else (a broadcast loop, a timer, another
    /// channel's hook), it starts an asynchronous write, whose error
    /// (`handle_close`, `handle_error`) and the read that follows come later
    /// through its completion, as CPython's `push` -> `initiate_send`. What
    /// may run inside it: `writable()`, a producer's `more()`,
    /// `handle_output_overflow` (the output limit), `handle_error` for an
    /// exception thrown by those or for a file range read into the queue
    /// that came up short (`error::file_truncated`), and `handle_close()`
    /// for a `close_when_done` marker already at the head of an idle queue
    /// (CPython's `initiate_send` does the same).
    ASYNCHAT_ALWAYS_INLINE void push(std::string_view data) {
        // Kept small enough to inline into hooks: the rare paths are calls.
        if (strand_.on_strand() && relay([](async_chat& c, std::string s) { c.push(std::move(s)); }, data))
            return;
        if (state_ == state::closed) return;
        if (!out_.fits(data.size())) return output_overflow();
        // Received bytes (the `data` of collect_incoming_data, say) are sent
        // from the input buffer, not copied; the next read waits for them.
        const std::string_view input = framer_.received();
        if (detail::contains(input, data)) out_.push_borrowed(data);
        else if (!out_.extend_borrowed(data, input)) out_.push(data, coalesce_limit());
        // Inside a hook the write waits for the end of the read: it is cheaper
        // to know that here than to ask send_next().
        if (!delivering_) send_next();
    }

    /// Queues `data` without copying it and starts sending. A short string
    /// (at most 64 bytes) is copied, cheaper than a piece of its own, and its
    /// storage kept for `_collect_incoming_data` (see there).
    ASYNCHAT_ALWAYS_INLINE void push(std::string&& data) {
        if (data.empty()) return;
        if (strand_.on_strand() && relay([](async_chat& c, std::string s) { c.push(std::move(s)); }, std::move(data)))
            return;
        if (state_ == state::closed) return;
        if (!out_.fits(data.size())) return output_overflow();
        // A short string is copied and its storage stays in `data`: it is
        // lent to this thread's next _collect_incoming_data (so that
        // `push(_get_data() + "\r\n")` allocates nothing once warm).
        if (!out_.push(std::move(data), coalesce_limit())) detail::string_cache::give(data);  // NOLINT(bugprone-use-after-move): not taken
        if (!delivering_) send_next();  // inside a hook the write waits for the end of the read
    }

    /// Queues a NUL-terminated string (a literal, say).
    /// @throws std::invalid_argument if `s` is null.
    template <class CharPtr, std::enable_if_t<detail::is_char_pointer_v<CharPtr>, int> = 0>
    void push(CharPtr s) {
        if (s == nullptr) throw std::invalid_argument("asynchat::async_chat::push: null pointer");
        push(std::string_view(s));
    }

    /// Queues a producer: an object whose `more()` returns the next bytes to
    /// send, and an empty result once exhausted (see `is_producer_v`). It is
    /// moved into the channel; pass a `std::shared_ptr` to keep a handle on
    /// it. A plain string is pushed as is.
    template <class P>
    void push_with_producer(P&& producer) {
        using T = std::remove_cv_t<std::remove_reference_t<P>>;
        if constexpr (std::is_same_v<T, std::string> && std::is_rvalue_reference_v<P&&>) {
            push(std::move(producer));
        } else if constexpr (std::is_convertible_v<P&&, std::string_view>) {
            push(std::string_view(producer));
        } else {
            static_assert(is_producer_v<T>,
                          "asynchat::async_chat::push_with_producer: the argument must be bytes "
                          "or have a 'more()' member returning std::string or std::string_view");
            if (relay([](async_chat& c, T p) { c.push_with_producer(std::move(p)); }, std::forward<P>(producer)))
                return;
            if (state_ == state::closed) return;
            out_.push_producer(std::forward<P>(producer));
            send_next();
        }
    }

    /// Queues `length` bytes of `file`, from byte `offset` (both in bytes),
    /// in FIFO order with everything else pushed, and starts sending. The
    /// channel owns the file from now on and closes it once the range is
    /// sent, or dropped by `close()` or `discard_buffers()`.
    ///
    /// - On a TCP or Unix domain socket on Linux, ranges of
    ///   `zero_copy_threshold` bytes or more go with sendfile(2): the kernel
    ///   copies them from the page cache, never through this process
    ///   (`zero_copy_bytes()` counts them); the socket is then left in
    ///   non-blocking mode (`native_non_blocking()`). Shorter ranges, TLS and any other
    ///   stream, or a build with `ASYNCHAT_NO_SENDFILE` defined, read the
    ///   range into the output queue in pieces of at most
    ///   `ac_out_buffer_size` bytes, one piece at a time (bounded memory).
    /// - A range counts in `queued_bytes()` only as pieces read into the
    ///   queue, as a producer's output does; `set_output_limit()` refuses a
    ///   piece over it (the rest of the range is dropped and
    ///   `handle_output_overflow()` called).
    /// - A file that ends before `offset + length` (it shrank, or the range
    ///   was past its end) sends what it has, then reports
    ///   `error::file_truncated` to `handle_error`, which by default closes:
    ///   the peer sees a short message, never a hang. The rest of the range
    ///   is dropped.
    /// - A peer gone mid-file is a disconnect (`handle_close()`), never a
    ///   SIGPIPE. An empty range queues nothing (the file is closed).
    /// @throws std::invalid_argument if `file` is not open.
    void push_file(file_handle file, std::uint64_t offset, std::uint64_t length);

    /// Queues the whole of `file`, as it is now (`file.size()` bytes).
    /// @throws std::invalid_argument if `file` is not open; std::system_error
    /// if its size cannot be read.
    void push_file(file_handle file) {
        if (!file.is_open()) throw std::invalid_argument("asynchat::async_chat::push_file: no open file");
        const std::uint64_t size = file.size();
        push_file(std::move(file), 0, size);
    }

    /// The shortest range `push_file` sends zero-copy; shorter ones are read
    /// and leave with the bytes around them in one write, cheaper than a
    /// system call of their own. Hide it in Derived to change it.
    static constexpr std::uint64_t zero_copy_threshold = 16 * 1024;

    /// True if this channel's stream sends `push_file` ranges with
    /// sendfile(2) (plain TCP or Unix domain socket, Linux, fast path built).
    static constexpr bool sends_files_zero_copy = detail::stream_policy_of<Stream>::type::sends_files;

    /// Bytes of pushed file ranges the kernel sent straight from the file
    /// (sendfile(2)), in all; 0 where `sends_files_zero_copy` is false.
    [[nodiscard]] std::uint64_t zero_copy_bytes() const noexcept { return out_.direct_file_bytes(); }

    /// File ranges pushed and not yet sent whole: each holds its file open.
    [[nodiscard]] std::size_t queued_files() const noexcept { return out_.queued_files(); }

    /// Queues a close marker: once everything queued before it is sent, the
    /// channel calls `handle_close()`, which by default closes it, so that
    /// anything pushed after the marker is never sent. A `handle_close()` that
    /// leaves the channel open lets what follows the marker go out (as in
    /// CPython).
    void close_when_done() {
        if (relay([](async_chat& c) { c.close_when_done(); })) return;
        if (state_ == state::closed) return;
        out_.push_close_marker();
        send_next();
    }

    /// Drops unread input, collected data (`_get_data`) and the whole output
    /// FIFO, close markers included; queued producers are destroyed here (or,
    /// when called from outside the strand, when the posted call runs).
    /// Bytes already handed to the socket by a write in flight may still go
    /// out.
    void discard_buffers() {
        if (relay([](async_chat& c) { c.discard_buffers(); })) return;
        framer_.discard();
        if (incoming_) incoming_->clear();
        out_.clear();
    }

    /// Starts a write if something is queued, none is in flight and
    /// `writable()` allows it. `push` calls it; call it yourself after
    /// `writable()` turns true again.
    void initiate_send() {
        if (relay([](async_chat& c) { c.initiate_send(); })) return;
        send_next();
    }

    /// Frames input held back while `readable()` was false and reads again.
    /// Reading is re-checked by the channel after every completed write; call
    /// this after `readable()` turns true for another reason.
    void resume_reading() {
        if (relay([](async_chat& c) { c.resume_reading(); })) return;
        read_next();
    }

    // ------------------------------------------------------------- timeouts

    using clock = std::chrono::steady_clock;

    /// Calls `handle_timeout()` when no read or write has completed for `d`
    /// (so a peer that neither sends nor reads what it is sent times out, and
    /// one that keeps either going does not). A zero (or negative) duration
    /// turns it off. Any `std::chrono` duration is valid: one beyond the
    /// clock's range (`duration::max()`, `hours::max()`) never fires.
    /// Counted from the call (or from `start()`), then from the last I/O.
    /// May be called before `start()`, in the constructor.
    void set_idle_timeout(clock::duration d) {
        if (!timer_ && d <= clock::duration::zero()) return;  // off, and nothing to turn off
        timer().set_idle_timeout(d, clock::now());
        arm_timer();
    }
    template <class Rep, class Period>
    void set_idle_timeout(std::chrono::duration<Rep, Period> d) {
        set_idle_timeout(detail::saturating_duration(d));
    }

    /// Calls `handle_timeout()` once, `d` from now, whatever the traffic (a
    /// deadline for a request, as slowloris defences need). A new call
    /// replaces the deadline; `expires_never()` removes it. Set before
    /// `connect()`, it also bounds the connection attempt. Any `std::chrono`
    /// duration is valid; the sum saturates, so `duration::max()` is never.
    void expires_after(clock::duration d) {
        timer().expires_after(d, clock::now());
        arm_timer();
    }
    template <class Rep, class Period>
    void expires_after(std::chrono::duration<Rep, Period> d) {
        expires_after(detail::saturating_duration(d));
    }

    /// Removes the deadline set by `expires_after()`.
    void expires_never() {
        if (timer_) timer_->expires_never();
    }

    // ------------------------------------------------------------ lifecycle

    /// Begins reading (and sending what was pushed) on a connected stream,
    /// typically one just accepted. A channel closed before it was started
    /// (by `close()`, or by a hook: say a greeting pushed in the constructor
    /// crossed the output limit) stays closed, and `start()` does nothing:
    /// the reason was already reported, and an accept loop need not check.
    /// @throws std::logic_error if the channel is not owned by a
    ///         `std::shared_ptr`, or was already started or connected.
    void start();

    /// As `start()`; on a TLS stream, plays `role` in the handshake (`start()`
    /// plays the server, `connect()` the client).
    void start(tls_role role) {
        start_role_ = role;
        start();
    }

    /// Connects to `peer`, then calls `handle_connect()`, starts reading and
    /// sends what was pushed meanwhile. A failure goes to `handle_error`.
    /// Does nothing on a channel closed before it was started, as `start()`.
    /// @throws std::logic_error as `start()` does.
    void connect(const endpoint_type& peer);

    /// Closes the channel: from this call on no hook is called, `connected()`
    /// is false, queued output is dropped (queued producers are destroyed
    /// here, or, when called from outside the strand, when the posted call
    /// runs; either way while `Derived` is alive) and pending operations end. A plain
    /// stream is closed at once; on a TLS stream whose handshake succeeded,
    /// close_notify is sent once the read or write in flight has ended, and
    /// the socket is closed when the peer's close_notify arrives or after
    /// `Derived::tls_close_timeout`, whichever comes first. Idempotent. Does
    /// not call `handle_close()` (that hook *reacts* to a close; this *is* one).
    void close();

    /// Switches the connection to TLS (STARTTLS), for a channel whose `Stream`
    /// is an `asynchat::starttls_stream` (see `<asynchat/tls.hpp>`). Call it
    /// from `found_terminator()` once the command is answered (the server
    /// pushes its "220 ready" first; the client calls it on that reply).
    /// What was pushed before is sent in plaintext, then the handshake runs
    /// as `role`, then `handle_handshake()` is called and reading resumes,
    /// over TLS; what is pushed after this call is sent over TLS. Bytes the
    /// peer sent after the command, already received, go by `early`.
    /// @throws std::logic_error if the channel is not open, already speaks
    ///         TLS, or a read is in flight (not called from a hook).
    void start_tls(tls_role role, early_input early = early_input::discard);

    /// True once TLS is up: the handshake succeeded and close() has not been
    /// called.
    [[nodiscard]] bool secure() const noexcept { return state_ != state::closed && policy_.secure(stream_); }

    /// True from the moment the channel is open until `close()`: after
    /// `start()` or `connect()`'s connection, and on a TLS stream its first
    /// handshake; a STARTTLS handshake (`start_tls()`) does not interrupt it.
    [[nodiscard]] bool connected() const noexcept {
        return state_ == state::open || (state_ == state::handshaking && policy_.restarting());
    }

    /// Bytes pushed and not yet written, counting a producer's output once it
    /// has been asked for it.
    [[nodiscard]] std::size_t queued_bytes() const noexcept { return out_.queued_bytes(); }

    /// Pauses reading (and the delivery of records already read) while more
    /// than `bytes` are queued for sending, as if `readable()` were false;
    /// reading resumes once a write brings the queue down to `bytes`. A peer
    /// that keeps sending requests but never reads the answers then stalls on
    /// TCP flow control instead of growing the queue. `asynchat::no_limit`
    /// (the default) turns it off. Producers need no bound: each holds at most
    /// one piece, asked for only when the previous one was sent.
    void set_output_high_water(std::size_t bytes) noexcept { high_water_ = bytes; }
    [[nodiscard]] std::size_t output_high_water() const noexcept { return high_water_; }

    /// A hard bound on `queued_bytes()` (beyond Python; the default is
    /// `asynchat::no_limit`). A push, or a producer's piece, that would take
    /// `queued_bytes()` over `bytes` is not queued, and
    /// `handle_output_overflow()` is called, once for each. Pushes from other
    /// threads count when they reach the channel's strand; pushes from other
    /// channels (a broadcast) count like any other: this bounds what the high
    /// water cannot, output this channel's own input did not cause, such as
    /// what a peer that stopped reading is sent by the rest of a chat room. A
    /// producer that overflows is dropped with its piece.
    void set_output_limit(std::size_t bytes) noexcept { out_.set_limit(bytes); }
    [[nodiscard]] std::size_t output_limit() const noexcept { return out_.limit(); }

    /// The executor every hook runs on.
    [[nodiscard]] executor_type get_executor() noexcept { return stream_.get_executor(); }

    /// The underlying stream (for options, endpoints, shutdown, ...). Its
    /// mode is yours: the channel's transfers at once use MSG_DONTWAIT (see
    /// "How output is sent" in the README) and leave `non_blocking()` as it
    /// was, so a synchronous read or write of yours on it waits as Asio's do.
    [[nodiscard]] Stream& socket() noexcept { return stream_; }
    [[nodiscard]] const Stream& socket() const noexcept { return stream_; }

    // --------------------------------------------- default (optional) hooks

    /// Called once `connect()` has succeeded, before reading starts (on a TLS
    /// stream, once the handshake has too).
    void handle_connect() {}

    /// Called when a TLS handshake has succeeded (at the start of a TLS
    /// stream, or after `start_tls()`), before reading resumes.
    void handle_handshake() {}

    /// Called when a TLS handshake fails. Reports `ec` to `handle_error`
    /// (which by default closes); the channel is closed afterwards anyway.
    void handle_handshake_error(const error_code& ec) { report_error(ec); }

    /// Called by `start_tls()` with the bytes the peer sent after its STARTTLS
    /// command and before the handshake, when told to discard them. They are
    /// dropped whatever this does; the default reports
    /// `error::plaintext_after_starttls` to `handle_error` (which by default
    /// closes: such a peer is broken or hostile).
    void handle_plaintext_after_starttls(std::string_view /*discarded*/) {
        report_error(make_error_code(error::plaintext_after_starttls));
    }

    /// Called when the peer has ended its side of the connection (EOF). No
    /// more input will come; `buffered_input()` holds bytes never passed on
    /// (a partial terminator) and `record_in_progress()` says whether a
    /// record was cut off. Calls `handle_close()`, as Python does: queued
    /// output is dropped. To finish sending first, declare
    /// `void handle_eof() { close_when_done(); }`.
    void handle_eof() { derived().handle_close(); }

    /// Called when the peer resets the connection (or an error says it is
    /// gone), after the default `handle_eof()`, and when a
    /// `close_when_done()` marker is reached. Closes the channel.
    ///
    /// For a reset peer (a read or write failed: ECONNRESET, EPIPE...) it is
    /// called once, and the channel is closed after it even if it left the
    /// channel open: nothing pushed can reach the peer, so what it pushes
    /// (a goodbye, `close_when_done()`) starts no write and is dropped.
    /// (CPython's `push` inside it would send, fail and call it again, until
    /// a RecursionError.) Called for anything else (a close marker, EOF, a
    /// timeout, an output overflow, an exception), it may keep the channel
    /// open: for a marker, what follows it then goes out, as in CPython.
    /// A cancelled transfer (`operation_aborted`: the user cancelled or
    /// closed the stream under the channel) counts as a reset.
    void handle_close() { derived().close(); }

    /// Called for an I/O error other than a disconnect. Calls `handle_close()`.
    /// A read or write that failed this way ends the channel as a reset does:
    /// called once, no write starts inside it, and the channel is closed after
    /// it. Errors the library reports itself (`error::timed_out`,
    /// `error::output_limit_exceeded`, `error::file_truncated`, ...) leave the
    /// channel to this hook.
    void handle_error(const error_code& /*ec*/) { derived().handle_close(); }

    /// Called, inside the `catch` block, when a hook or producer throws.
    /// Prints one line to stderr (as Python's asyncore does) and calls
    /// `handle_close()`.
    void handle_error(std::exception_ptr error) {
        detail::print_uncaptured(error, ", closing channel");
        derived().handle_close();
    }

    /// While false, the channel does not read and does not deliver records
    /// already read. See `resume_reading()`.
    bool readable() { return true; }

    /// While false, the channel does not start writes. See `initiate_send()`.
    bool writable() { return true; }

    /// Called when the idle timeout or the deadline passes. Reports
    /// `error::timed_out` to `handle_error` (which by default closes).
    void handle_timeout() { report_error(make_error_code(error::timed_out)); }

    /// Called for each push (or producer piece) refused by
    /// `set_output_limit()`, which was not queued. Reports
    /// `error::output_limit_exceeded` to `handle_error` (which by default
    /// closes). An override may drop the output and keep the channel, or say
    /// goodbye; it can call this default as
    /// `async_chat<Derived, Stream>::handle_output_overflow()`.
    void handle_output_overflow() { report_error(make_error_code(error::output_limit_exceeded)); }

    /// Called once when a record grows past `set_record_limit()`, with the
    /// size it would reach (or the byte count declared). Returns what to do.
    overflow handle_record_too_long(std::size_t /*size*/) { return overflow::close; }

protected:
    /// Takes a connected stream, typically an accepted socket; then `start()`.
    explicit async_chat(Stream stream) : async_chat(std::in_place, std::move(stream)) {}

    /// Builds the stream from `args` (an `asio::io_context&`, an executor,
    /// ...) for a client channel; then `connect()`.
    template <class Arg, class... Args,
              std::enable_if_t<std::is_constructible_v<Stream, Arg&&, Args&&...> &&
                                   !std::is_same_v<std::decay_t<Arg>, Stream>,
                               int> = 0>
    explicit async_chat(Arg&& arg, Args&&... args)
        : async_chat(std::in_place, std::forward<Arg>(arg), std::forward<Args>(args)...) {}

    // Protected and non-virtual: the channel is owned and destroyed as Derived.
    ~async_chat() {
        // Checked here, where Derived is complete.
        static_assert(detail::has_collect_incoming_data<Derived>::value,
                      "asynchat::async_chat: Derived must define a public "
                      "'void collect_incoming_data(std::string_view data)'");
        static_assert(detail::has_found_terminator<Derived>::value,
                      "asynchat::async_chat: Derived must define a public 'void found_terminator()'");
        static_assert(Derived::ac_in_buffer_size > 0,
                      "asynchat::async_chat: ac_in_buffer_size must be positive");
        static_assert(Derived::ac_out_buffer_size > 0,
                      "asynchat::async_chat: ac_out_buffer_size must be positive");
    }

private:
    // The one constructor both public ones delegate to: builds the stream
    // from `args` and clears every flag (the bit-fields below have no
    // default member initializers in C++17).
    template <class... Args>
    explicit async_chat(std::in_place_t, Args&&... args)
        : stream_(std::forward<Args>(args)...),
          strand_(stream_.get_executor()),
          reading_(false),
          readable_(false),
          writing_(false),
          delivering_(false),
          held_(false),
          client_(false),
          goodbye_pending_(false),
          closed_unstarted_(false) {}

    enum class state : unsigned char { idle, connecting, handshaking, open, closed };
    // What the stream needs beyond reading and writing: plain, TLS or
    // STARTTLS (see detail/stream_policy.hpp). It reaches in for STARTTLS.
    using policy_type = typename detail::stream_policy_of<Stream>::type;
    friend policy_type;

    // Feeds the framer's callbacks to Derived, and pauses it while reading is.
    struct sink {
        async_chat& channel;
        void collect_incoming_data(std::string_view data) {
            if constexpr (detail::has_collect_incoming_data<Derived>::value)
                channel.derived().collect_incoming_data(data);
        }
        void found_terminator() {
            if constexpr (detail::has_found_terminator<Derived>::value)
                channel.derived().found_terminator();
        }
        overflow record_too_long(std::size_t size) {
            const overflow policy = channel.derived().handle_record_too_long(size);
            if (policy == overflow::skip && channel.framer_.can_skip()) return overflow::skip;
            channel.report_error(make_error_code(error::record_too_long));
            return overflow::close;
        }
        bool framing_paused() {
            // (After close() nothing is left to frame: close() discards the input.)
            if (channel.policy_.input_paused()) return true;  // held until the barrier is passed
            if (channel.may_read()) return false;
            channel.held_ = true;
            return true;
        }
    };

    Derived& derived() noexcept { return static_cast<Derived&>(*this); }

    static constexpr std::size_t coalesce_limit() noexcept {
        return Derived::ac_out_buffer_size < 4096 ? Derived::ac_out_buffer_size : 4096;
    }

    // Called from outside the channel's strand: posts f(*this, args...) to
    // it and returns true (see detail/strand_relay.hpp).
    template <class F, class... Args>
    bool relay(F f, Args&&... args) {
        return strand_.relay(stream_.get_executor(), this->weak_from_this(), std::move(f),
                             std::forward<Args>(args)...);
    }

    std::shared_ptr<Derived> shared_or_throw(const char* what);

    // ---- lifecycle (impl/async_chat.hpp)
    void open();
    void on_connect(const error_code& ec);
    void begin(tls_role role);                // start the stream, or open at once
    void start_stream(tls_role role);         // the stream's start (a handshake)
    void on_stream_started(const error_code& ec);
    void opened(bool handshake_done);         // open: hooks, then both loops
    void tune_socket();
    std::string take_buffered_input();        // for STARTTLS: the plaintext read ahead
    void goodbye_if_idle();                   // after close(): once no I/O is in flight
    void close_socket() noexcept;

    // ---- read loop (impl): one read (or wait for readability) in flight at
    // most; records framed in place. An idle channel on a stream that can
    // wait for readability holds no input buffer: it gives it back (to the
    // thread's buffer cache) and waits, then takes one for the read.
    void read_next();
    void on_readable(const error_code& ec);
    void on_read(const error_code& ec, std::size_t n);
    // A read's result, completed at once (policy_.read_at_once) or
    // asynchronously: true if the loop may read again.
    bool read_done(const error_code& ec, std::size_t n);
    void deliver();
    bool may_read() { return queued_bytes() <= high_water_ && derived().readable(); }

    // ---- write loop (impl): one write in flight at most.
    void send_next();
    bool send_file();  // a zero-copy file range first in the queue: sends some of it
    void on_write(const error_code& ec, std::size_t n);
    // A write's result, completed at once (policy_.write_at_once) or
    // asynchronously: true if the loop may write again.
    bool write_done(const error_code& ec, std::size_t n);
    void output_overflow() noexcept {
        detail::flag_scope outside(in_completion_, false);
        guarded([this] { derived().handle_output_overflow(); });
    }

    // ---- timeouts (impl): I/O only records the time; the timer re-checks.
    void note_activity() noexcept {
        if (timer_) timer_->note_activity();
    }
    using timer_type = detail::channel_timer<executor_type>;
    timer_type& timer() {  // made on first use
        if (!timer_) timer_ = std::make_unique<timer_type>(stream_.get_executor());
        return *timer_;
    }
    std::string& incoming() {  // made on first use
        if (!incoming_) incoming_ = std::make_unique<std::string>();
        return *incoming_;
    }
    void arm_timer();
    void on_timer();

    // ---- errors (impl)
    void io_failed(const error_code& ec);
    template <class F>
    void guarded(F&& f) noexcept {
        try {
            f();
        } catch (...) {
            report_exception();
        }
    }
    void report_exception() noexcept;  // inside a catch block
    void report_error(const error_code& ec) noexcept;

    // Ordered so that the small members share the last word. Every idle
    // connection pays for each member: what only some channels use (the
    // timeouts, _collect_incoming_data's buffer) is behind a pointer, made
    // when first used; what only a write in flight uses travels with it.
    Stream stream_;
    detail::strand_relay<executor_type> strand_;
    framer framer_;
    output_queue out_;
    std::unique_ptr<timer_type> timer_;       // idle timeout, deadline, goodbye wait
    std::unique_ptr<std::string> incoming_;   // for _collect_incoming_data / _get_data
    std::size_t high_water_ = no_limit;
    policy_type policy_;
    state state_ = state::idle;
    // One byte of flags (bit-fields: C++17 gives them no default member
    // initializer; the in_place constructor clears them).
    bool reading_ : 1;     // a read, or a wait for readability, is in flight
    bool readable_ : 1;    // the wait for readability completed: read now
    bool writing_ : 1;     // a write is in flight (or being gathered)
    bool delivering_ : 1;  // framing a read, or a failed transfer's hook runs: no transfer starts
    bool held_ : 1;        // delivery stopped because readable() was false
    bool client_ : 1;      // connect()ed: handle_connect() waits for the stream's start
    bool goodbye_pending_ : 1;  // close() waits for I/O in flight before the goodbye
    bool closed_unstarted_ : 1; // closed before start()/connect(): they do nothing
    // A read's bytes are being delivered (read loop, on_read): a write that
    // completes at once meanwhile leaves the next read to them (no nested
    // read). Not a bit-field, so no constructor names it; it fits in the
    // padding before start_role_.
    bool delivering_read_ = false;
    // Inside one of the channel's own completions (on_readable, on_read,
    // on_write), whose handler holds a reference to the channel: only there
    // do the loops transfer at once. push() and the like called from outside
    // (a broadcast loop, a timer, another channel's hook) start an
    // asynchronous write, so its error, and the read that follows it, arrive
    // later through on_write, as in CPython (push never reads, never closes).
    bool in_completion_ = false;
    tls_role start_role_ = tls_role::server;
};

} // namespace asynchat

#include <asynchat/impl/async_chat.hpp>

#endif // ASYNCHAT_ASYNC_CHAT_HPP
