// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
//
// Definitions of async_chat's longer members; included at the end of
// <asynchat/async_chat.hpp>. Sections: lifecycle, read loop, write loop,
// timeouts, errors. Nothing here depends on the stream kind: what varies
// (start, goodbye, EOF, STARTTLS) is asked of `policy_`.
#ifndef ASYNCHAT_IMPL_ASYNC_CHAT_HPP
#define ASYNCHAT_IMPL_ASYNC_CHAT_HPP

namespace asynchat {

#define ASYNCHAT_CHANNEL template <class Derived, class Stream>
#define ASYNCHAT_CHANNEL_T async_chat<Derived, Stream>

// ------------------------------------------------------------------ lifecycle

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::start() {
    shared_or_throw("start");
    if (closed_unstarted_) return;
    if (state_ != state::idle)
        throw std::logic_error("asynchat::async_chat::start: the channel was already started");
    if (relay([](async_chat& c) { c.open(); })) return;
    open();
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::connect(const endpoint_type& peer) {
    auto self = shared_or_throw("connect");
    if (closed_unstarted_) return;
    if (state_ != state::idle)
        throw std::logic_error("asynchat::async_chat::connect: the channel was already started");
    state_ = state::connecting;
    client_ = true;
    arm_timer();  // a deadline set before connect() bounds the connection attempt
    stream_.lowest_layer().async_connect(peer, [self = std::move(self)](const error_code& ec) {
        static_cast<async_chat&>(*self).on_connect(ec);
    });
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::close() {
    if (relay([](async_chat& c) { c.close(); })) return;
    if (state_ == state::closed) return;
    const bool goodbye = policy_.goodbye_needed(stream_);
    closed_unstarted_ = state_ == state::idle;
    state_ = state::closed;
    if (timer_) timer_->cancel();
    out_.clear();
    framer_.discard();
    if (goodbye && !this->weak_from_this().expired()) {
        // The goodbye (TLS close_notify) waits for the read or write in flight.
        goodbye_pending_ = true;
        policy_.cancel_io(stream_);
        goodbye_if_idle();
        return;
    }
    close_socket();
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::start_tls(tls_role role, early_input early) {
    static_assert(stream_traits<Stream>::upgradable,
                  "asynchat::async_chat::start_tls needs a Stream that can switch to TLS: "
                  "asynchat::starttls_stream (include <asynchat/tls.hpp>)");
    if constexpr (stream_traits<Stream>::upgradable) {
        if (state_ != state::open || !policy_.can_upgrade(stream_))
            throw std::logic_error("asynchat::async_chat::start_tls: the channel is not open in plaintext");
        if (reading_)
            throw std::logic_error("asynchat::async_chat::start_tls: call it from a hook, "
                                   "not while a read is in flight");
        policy_.request_upgrade(role, early);
        out_.push_barrier();  // the switch waits for what was pushed before
        send_next();
    }
}

ASYNCHAT_CHANNEL
std::shared_ptr<Derived> ASYNCHAT_CHANNEL_T::shared_or_throw(const char* what) {
    auto self = this->weak_from_this().lock();
    if (!self)
        throw std::logic_error(std::string("asynchat::async_chat::") + what +
                               ": the channel must be owned by a std::shared_ptr "
                               "(create it with std::make_shared)");
    return self;
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::open() {
    if (state_ != state::idle) return;
    begin(start_role_);
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::on_connect(const error_code& ec) {
    if (state_ != state::connecting) return;  // closed meanwhile
    if (ec) {
        report_error(ec);
        return;
    }
    begin(tls_role::client);
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::begin(tls_role role) {
    tune_socket();
    if (policy_.start_needed(stream_)) start_stream(role);
    else opened(false);
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::start_stream(tls_role role) {
    state_ = state::handshaking;
    if (timer_) timer_->note_activity(clock::now());
    arm_timer();  // the idle timeout and the deadline bound the handshake too
    policy_.async_start(stream_, role, [self = this->shared_from_this()](const error_code& ec) {
        static_cast<async_chat&>(*self).on_stream_started(ec);
    });
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::on_stream_started(const error_code& ec) {
    if (state_ != state::handshaking) return;  // closed meanwhile
    if (ec) {
        guarded([&] { derived().handle_handshake_error(ec); });
        close();
        return;
    }
    policy_.started();
    opened(true);
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::opened(bool handshake_done) {
    state_ = state::open;
    if (timer_) timer_->note_activity(clock::now());
    arm_timer();
    const bool client = client_;
    client_ = false;
    if (client) guarded([this] { derived().handle_connect(); });
    if (handshake_done && state_ == state::open) guarded([this] { derived().handle_handshake(); });
    read_next();
    send_next();
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::tune_socket() {
    if constexpr (std::is_same_v<protocol_type, asio::ip::tcp>) {
        if (Derived::tcp_nodelay) {
            error_code ignored;  // not every socket supports it; not fatal
            stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
        }
    }
}

ASYNCHAT_CHANNEL
std::string ASYNCHAT_CHANNEL_T::take_buffered_input() {
    std::string bytes(framer_.buffered());
    framer_.discard();
    return bytes;
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::goodbye_if_idle() {
    if (!goodbye_pending_ || reading_ || writing_) return;
    goodbye_pending_ = false;
    auto self = this->shared_from_this();
    // The socket closes when the goodbye completes or the wait ends first.
    timer().wait_once(detail::saturating_duration(Derived::tls_close_timeout), self, [this] { close_socket(); });
    policy_.async_goodbye(stream_, [self = std::move(self), this](const error_code&) {
        timer_->cancel();
        close_socket();
    });
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::close_socket() noexcept {
    error_code ignored;
    stream_.lowest_layer().close(ignored);
}

// ------------------------------------------------------------------ read loop

// One read (or wait) in flight at most. On a stream whose policy transfers
// at once (TCP, Unix domain sockets), a read is first tried synchronously:
// its bytes are delivered, their responses written at once too, and the
// loop goes on, up to detail::at_once_rounds reads, before it goes
// asynchronous (other channels on the thread get their turn).
ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::read_next() {
    for (unsigned round = 0;; ++round) {
        if (state_ != state::open || reading_ || delivering_ || delivering_read_) return;
        if (held_) {
            // Deliver what was held back while readable() was false.
            held_ = false;
            {
                detail::flag_scope delivering(delivering_read_);
                deliver();
            }
            if (state_ != state::open || held_) return;
        }
        // Received bytes still queued for sending live in the input buffer; a
        // barrier (STARTTLS) holds reading until it is passed.
        if (out_.borrowing() || policy_.input_paused()) return;
        bool again = false;
        guarded([&] {
            if (!may_read() || state_ != state::open) return;
            const auto wait_readable = [&] {
                // Idle until the peer sends: no input buffer meanwhile (unless a
                // record in progress holds bytes), and the wait in a block of
                // its own size (see detail/op_allocator.hpp).
                if (framer_.buffered().empty()) framer_.shrink_to_fit();
                policy_.async_wait_readable(stream_, detail::own_op_memory([self = this->shared_from_this()](
                                                                              const error_code& ec) {
                                                static_cast<async_chat&>(*self).on_readable(ec);
                                            }));
                reading_ = true;
            };
            if (!readable_ && framer_.buffered().empty() && policy_.waits_for_readability(stream_))
                return wait_readable();
            // Readable now: the wait completed, or the last read filled the
            // buffer. After a short read (a partial record buffered) the
            // socket is most likely empty: wait rather than try a recv.
            const bool likely_readable = readable_;
            readable_ = false;
            char* room = framer_.prepare(Derived::ac_in_buffer_size);
            if (policy_type::transfers_at_once && in_completion_) {
                if (likely_readable && round < detail::at_once_rounds) {
                    error_code ec;
                    const std::size_t n =
                        policy_.read_at_once(stream_, asio::buffer(room, Derived::ac_in_buffer_size), ec);
                    if (!detail::would_block(ec) || n != 0) {
                        delivering_read_ = true;
                        again = read_done(ec, n);
                        return;
                    }
                }
                // Nothing there after all, or the bound reached: wait for
                // readability (the same operation as every idle wait, so no
                // operation of another size is first allocated mid-stream;
                // a socket still readable completes it at the next poll,
                // after the other channels' turn).
                if (policy_.waits_for_readability(stream_)) {
                    readable_ = false;
                    return wait_readable();
                }
            }
            // Reads and writes also take their operations from op_memory: a
            // write carries its pieces (about 400 bytes), and Asio's two-slot
            // cache, shared with the wait above, would otherwise trade a read's
            // block for a write's and allocate on every round trip.
            stream_.async_read_some(asio::buffer(room, Derived::ac_in_buffer_size),
                                    detail::own_op_memory([self = this->shared_from_this()](const error_code& ec,
                                                                                            std::size_t n) {
                                        static_cast<async_chat&>(*self).on_read(ec, n);
                                    }));
            reading_ = true;
        });
        delivering_read_ = false;
        if (!again) return;
    }
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::on_readable(const error_code& ec) {
    detail::flag_scope inside(in_completion_);
    reading_ = false;
    if (state_ != state::open) {  // closed meanwhile: no hook runs
        goodbye_if_idle();
        return;
    }
    if (ec) {
        io_failed(ec);
        return;
    }
    // The read that follows finds the bytes, the EOF or the error (at once
    // where the policy allows, else Asio tries it before waiting).
    readable_ = true;
    read_next();
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::on_read(const error_code& ec, std::size_t n) {
    reading_ = false;
    detail::flag_scope inside(in_completion_);
    bool again = false;
    {
        detail::flag_scope delivering(delivering_read_);  // also cleared if a hook throws
        again = read_done(ec, n);
    }
    if (again) read_next();
}

ASYNCHAT_CHANNEL
bool ASYNCHAT_CHANNEL_T::read_done(const error_code& ec, std::size_t n) {
    if (state_ != state::open) {  // closed meanwhile: no hook runs
        goodbye_if_idle();
        return false;
    }
    note_activity();
    framer_.commit(n);
    // A read that filled the room asked for leaves more waiting, most
    // likely: the next read goes without the wait for readability.
    if (n == Derived::ac_in_buffer_size) readable_ = true;
    if (n != 0) deliver();
    if (state_ != state::open) return false;
    if (ec && !detail::would_block(ec)) {
        io_failed(ec);  // would_block: nothing to read yet, as CPython ignores (bpo-16133)
        return false;
    }
    return true;
}

// Frames the buffered input. Writes wait until the whole read is framed, so
// its responses leave in one gathered write.
ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::deliver() {
    delivering_ = true;
    try {
        sink s{*this};
        framer_.process(s);
    } catch (...) {
        delivering_ = false;
        report_exception();
    }
    delivering_ = false;
    send_next();
}

// ----------------------------------------------------------------- write loop

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::push_file(file_handle file, std::uint64_t offset, std::uint64_t length) {
    if (!file.is_open()) throw std::invalid_argument("asynchat::async_chat::push_file: no open file");
    if (relay([](async_chat& c, file_handle f, std::uint64_t o, std::uint64_t n) { c.push_file(std::move(f), o, n); },
              std::move(file), offset, length))
        return;
    if (state_ == state::closed) return;
    const bool direct = policy_type::sends_files && length >= Derived::zero_copy_threshold;
    out_.push_file(std::move(file), offset, length, direct, Derived::ac_out_buffer_size);
    send_next();
}

// The write in flight is a file range sent by the stream itself (sendfile).
ASYNCHAT_CHANNEL
bool ASYNCHAT_CHANNEL_T::send_file() {
    detail::file_part* part = out_.file_first();
    if (part == nullptr) return false;
    out_.begin_file();
    // At most this much per write: other channels on the thread get a turn.
    constexpr std::size_t budget = 16 * 1024 * 1024;
    policy_.async_send_file(stream_, *part, budget,
                            [self = this->shared_from_this()](const error_code& ec, std::size_t n) {
                                static_cast<async_chat&>(*self).on_write(ec, n);
                            });
    return true;
}

// One write in flight at most. On a stream whose policy transfers at once
// (TCP, Unix domain sockets), a write is first tried synchronously; what it
// leaves goes on in the loop, up to detail::at_once_rounds writes, then
// asynchronously (a full socket: Asio waits for writability).
ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::send_next() {
    bool wrote = false;  // a write completed at once: reading may resume
    for (unsigned round = 0;; ++round) {
        if (state_ != state::open || writing_ || delivering_ || out_.empty()) break;
        writing_ = true;  // also keeps producers from re-entering through push()
        bool allowed = false;
        bool started = false;
        bool done = false;  // completed at once: ec, n
        error_code ec;
        std::size_t n = 0;
        guarded([&] {
            if (!derived().writable()) return;
            allowed = true;
            // A file range that ended early is reported before anything queued
            // after it goes, once the bytes gathered before it are written.
            if (out_.file_error_pending()) return;
            // The pieces travel with the write (Asio keeps its copy of the
            // sequence in the operation): an idle channel holds no array.
            detail::gathered_buffers pieces;
            const std::size_t bytes = out_.gather(Derived::ac_out_buffer_size, detail::gathered_buffers::capacity,
                                                  [&](const char* p, std::size_t k) { pieces.add(p, k); });
            if (state_ != state::open) return;
            if (bytes == 0) {
                started = send_file();
                return;
            }
            if (policy_type::transfers_at_once && in_completion_ && round < detail::at_once_rounds) {
                n = policy_.write_at_once(stream_, pieces, ec);
                if (!detail::would_block(ec) || n != 0) {
                    done = true;
                    return;
                }
                ec = error_code();  // the socket is full: Asio waits for room
            }
            stream_.async_write_some(pieces, detail::own_op_memory([self = this->shared_from_this()](
                                                 const error_code& e, std::size_t k) {
                                         static_cast<async_chat&>(*self).on_write(e, k);
                                     }));
            started = true;
        });
        // A producer's piece over the output limit: after the write began (the
        // hook may close).
        const bool overflowed = out_.take_overflow();
        if (overflowed) output_overflow();
        // A file range read into the queue ended early: reported once no write
        // is in flight, so the bytes gathered before it were written.
        const error_code file_error = started || done ? error_code() : out_.take_file_error();
        if (file_error) report_error(file_error);
        if (done) {
            if (!write_done(ec, n)) break;
            wrote = true;
            continue;
        }
        if (started) break;
        // Not started (or failed to start): consume(0) ends a gathered flight.
        if (out_.in_flight()) out_.consume(0);
        writing_ = false;
        goodbye_if_idle();
        if (!allowed || state_ != state::open) break;
        if (overflowed || file_error) continue;  // what follows the dropped producer or range
        if (out_.close_marker_first()) {
            out_.pop_close_marker();
            {
                // Its push() goes asynchronously: a handle_close() that
                // pushes and closes when done again does not recurse.
                detail::flag_scope outside(in_completion_, false);
                guarded([this] { derived().handle_close(); });
            }
            continue;  // handle_close() left the channel open: what follows the marker goes
        }
        if (out_.barrier_first()) {
            out_.pop_barrier();
            detail::flag_scope outside(in_completion_, false);
            guarded([this] { policy_.at_barrier(*this); });
        }
        break;
    }
    if (wrote) read_next();  // flow control: readable() may have turned true
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::on_write(const error_code& ec, std::size_t n) {
    detail::flag_scope inside(in_completion_);
    if (!write_done(ec, n)) return;
    send_next();
    read_next();  // flow control: readable() may have turned true
}

ASYNCHAT_CHANNEL
bool ASYNCHAT_CHANNEL_T::write_done(const error_code& ec, std::size_t n) {
    writing_ = false;
    out_.consume(n);
    if (ec) out_.drop_file();  // a file range that failed is not tried again
    if (state_ != state::open) {
        goodbye_if_idle();
        return false;
    }
    note_activity();
    if (ec && ec.category() == error_category()) {
        // A zero-copy file range that ended early (error::file_truncated):
        // the stream is fine. Reported as a range read into the queue is
        // (send_next), and what follows the range goes, unless the hook
        // closes. No transfer starts inside the hook: the caller goes on.
        detail::flag_scope outside(in_completion_, false);
        const bool delivering = delivering_;
        delivering_ = true;
        report_error(ec);
        delivering_ = delivering;
        return state_ == state::open;
    }
    if (ec) {
        io_failed(ec);
        return false;
    }
    return true;
}

// ------------------------------------------------------------------- timeouts

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::arm_timer() {
    // Only once started or connecting: the wait must hold the channel alive,
    // and before start() it may not be owned by a shared_ptr yet.
    if (state_ != state::open && state_ != state::connecting && state_ != state::handshaking) return;
    if (!timer_ || timer_->next_due() == clock::time_point::max()) return;  // nothing due: no wait
    timer_->arm(this->shared_from_this(), [this] { on_timer(); });
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::on_timer() {
    if (state_ == state::closed) return;
    if (timer_->take_due(clock::now())) guarded([this] { derived().handle_timeout(); });
    arm_timer();
}

// --------------------------------------------------------------------- errors

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::io_failed(const error_code& ec) {
    // The hooks' own push() and the like go asynchronously (no nesting).
    detail::flag_scope outside(in_completion_, false);
    if (policy_.is_eof(ec)) {
        // The peer may still read: handle_eof() may go on writing.
        guarded([this] { derived().handle_eof(); });
        return;
    }
    // A read or write that failed ends the channel: its hook runs once, no
    // transfer starts inside it (what it pushes is queued, then dropped),
    // and the channel is closed after it if it left the channel open.
    // Otherwise a hook that pushes (a goodbye, close_when_done()) would start
    // a write that fails again and calls it again, without end; on a socket
    // the loop stalled instead, its last write waiting forever for an
    // edge-triggered event already consumed, the channel and its descriptor
    // never freed.
    const bool delivering = delivering_;
    delivering_ = true;  // send_next() and read_next() start nothing
    if (detail::is_disconnect(ec))
        guarded([this] { derived().handle_close(); });
    else
        report_error(ec);
    delivering_ = delivering;
    close();
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::report_exception() noexcept {
    detail::flag_scope outside(in_completion_, false);
    try {
        if constexpr (detail::has_handle_error_exception<Derived>::value)
            derived().handle_error(std::current_exception());
        else if constexpr (detail::has_handle_error_noargs<Derived>::value)
            derived().handle_error();
        else
            async_chat::handle_error(std::current_exception());  // hidden by Derived
    } catch (...) {
        close();  // the error handler failed too: close without another dispatch
    }
}

ASYNCHAT_CHANNEL
void ASYNCHAT_CHANNEL_T::report_error(const error_code& ec) noexcept {
    detail::flag_scope outside(in_completion_, false);
    try {
        if constexpr (detail::has_handle_error_code<Derived>::value)
            derived().handle_error(ec);
        else if constexpr (detail::has_handle_error_noargs<Derived>::value)
            derived().handle_error();
        else
            async_chat::handle_error(ec);  // hidden by Derived
    } catch (...) {
        close();
    }
}

#undef ASYNCHAT_CHANNEL_T
#undef ASYNCHAT_CHANNEL

} // namespace asynchat

#endif // ASYNCHAT_IMPL_ASYNC_CHAT_HPP
