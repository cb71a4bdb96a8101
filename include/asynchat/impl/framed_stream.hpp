// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
//
// Definitions for <asynchat/framed_stream.hpp>; included at its end.
#ifndef ASYNCHAT_IMPL_FRAMED_STREAM_HPP
#define ASYNCHAT_IMPL_FRAMED_STREAM_HPP

#include <asynchat/detail/asio.hpp>

#include <cstring>
#include <stdexcept>
#include <utility>

namespace asynchat {

// The framer's sink: collects the record, and stops framing after a record
// ends or overflows, so that the next read starts with the terminator the
// caller sets in between.
template <class Stream>
struct framed_stream<Stream>::sink {
    framed_stream& s;
    void collect_incoming_data(std::string_view data) { s.partial_.append(data); }
    void found_terminator() { s.found_ = true; }
    bool framing_paused() const noexcept { return s.found_ || s.too_long_; }
    overflow record_too_long(std::size_t /*size*/) {
        s.too_long_ = true;
        return s.policy_;  // the framer falls back to close if it cannot skip
    }
};

template <class Stream>
framed_stream<Stream>::framed_stream(Stream stream, terminator t)
    : stream_(std::forward<Stream>(stream)), framer_(std::move(t)) {}

template <class Stream>
auto framed_stream<Stream>::get_executor() noexcept -> executor_type {
    return stream_.get_executor();
}

// Frames nothing: lets the framer finish skipping a rejected record through
// the buffered input, and stops as soon as the skip is over.
struct framed_stream_skip_only {
    const framer& f;
    void collect_incoming_data(std::string_view) noexcept {}
    void found_terminator() noexcept {}
    bool framing_paused() const noexcept { return !f.skipping(); }
};

template <class Stream>
std::string framed_stream<Stream>::release() {
    if (busy_)
        throw std::logic_error("asynchat::framed_stream::release: a read is pending");
    if (framer_.skipping()) {
        // The bytes of a record rejected by overflow::skip are not handed
        // over, as at end of stream: drop them through its terminator.
        framed_stream_skip_only k{framer_};
        framer_.process(k);
        if (framer_.skipping()) framer_.discard();  // its terminator has not come
    }
    std::string bytes(framer_.buffered());
    framer_.discard();
    return bytes;
}

template <class Stream>
auto framed_stream<Stream>::frame() -> outcome {
    found_ = too_long_ = false;
    sink k{*this};
    const std::size_t limit = framer_.record_limit();
    const std::size_t available = framer_.buffered().size();
    if (!framer_.get_terminator() && limit != no_limit && partial_.size() < limit &&
        available > limit - partial_.size()) {
        // A falsy terminator with a limit: a read returns at most `limit`
        // bytes and leaves the rest buffered, however the stream was cut. The
        // framer passes all it has in that mode, so frame this one record as
        // a count, then put the terminator back.
        terminator falsy = framer_.get_terminator();  // none, "" or 0: no allocation
        framer_.set_terminator(limit - partial_.size());
        framer_.process(k);  // ends the record, or overflows (a limit lowered mid-read)
        framer_.set_terminator(std::move(falsy));
    } else {
        framer_.process(k);
    }
    if (too_long_) {
        partial_.clear();
        if (!framer_.skipping()) dropped_ = true;  // overflow::close: the framer dropped the input
        return outcome::too_long;
    }
    if (found_) return outcome::record;
    if (!framer_.get_terminator() && !partial_.empty()) {
        // A falsy terminator: the framer passed on everything; what we have is
        // the record. Forget its size, so that the limit bounds each read.
        if (framer_.buffered().empty()) framer_.discard();
        return outcome::record;
    }
    return outcome::need_input;
}

template <class Stream>
void framed_stream<Stream>::start_read_bookkeeping() {
    const terminator& t = framer_.get_terminator();
    start_count_ = t.is_count() ? t.count() : 0;
}

// A read ends without a record (cancelled, failed): put the bytes it took
// back in front of the buffered input and restore the terminator, so that the
// next read frames them again from the start of the record. Framing does not
// depend on how the input was cut, so it finds the same record.
template <class Stream>
void framed_stream<Stream>::keep_unfinished_record() {
    if (partial_.empty()) return;  // nothing taken: the framer's state is intact
    // Bytes were taken, so the record began in this read, after any skip.
    if (framer_.get_terminator().is_count()) framer_.set_terminator(start_count_);
    partial_.append(framer_.buffered());
    framer_.discard();
    std::memcpy(framer_.prepare(partial_.size()), partial_.data(), partial_.size());
    framer_.commit(partial_.size());
    partial_.clear();
}

// End of stream: the unfinished record is everything after the last record,
// a partial terminator included; bytes of a record being skipped are not.
template <class Stream>
void framed_stream<Stream>::hand_over_unfinished_record() {
    if (!framer_.skipping()) partial_.append(framer_.buffered());
    framer_.discard();
}

namespace detail {

// The record as a string of its own: void(asynchat::error_code, std::string).
struct record_as_string {
    template <class Self, class Framed>
    void complete(Self& self, Framed& s, error_code ec) {
        std::string record = std::move(s.partial_);
        s.partial_.clear();  // a moved-from string is valid but unspecified
        self.complete(ec, std::move(record));
    }
    template <class Self>
    void reject(Self& self, error_code ec) {
        self.complete(ec, std::string());
    }
};

// The record appended to the caller's string: void(asynchat::error_code, std::size_t).
struct record_appended {
    std::string* out;
    template <class Self, class Framed>
    void complete(Self& self, Framed& s, error_code ec) {
        out->append(s.partial_);
        const std::size_t n = s.partial_.size();
        s.partial_.clear();  // keeps its capacity for the next record
        self.complete(ec, n);
    }
    template <class Self>
    void reject(Self& self, error_code ec) {
        self.complete(ec, std::size_t{0});
    }
};

// async_read_record: frame what is buffered; while that gives no record,
// read_some into the framer's buffer and frame again.
template <class Stream, class Output>
class read_record_op {
public:
    read_record_op(framed_stream<Stream>& s, Output out) noexcept : s_(&s), out_(out) {}

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
        switch (state_) {
        case state::starting: return start(self);
        case state::reading: return on_read(self, ec, n);
        case state::finishing: return finish(self);
        case state::rejected: return out_.reject(self, asio::error::already_started);
        }
    }

private:
    enum class state : unsigned char { starting, reading, finishing, rejected };

    template <class Self>
    void start(Self& self) {
        if (s_->busy_) {
            // Misuse: another read is pending. It owns the input; leave it be.
            state_ = state::rejected;
            asio::post(std::move(self));
            return;
        }
        s_->busy_ = true;
#if defined(ASYNCHAT_ASIO_HAS_CANCELLATION_SLOT)
        // Cancelling loses nothing (see keep_unfinished_record), so every
        // cancellation type is honoured.
        self.reset_cancellation_state(asio::enable_total_cancellation());
#endif
        s_->start_read_bookkeeping();
        if (s_->dropped_) return finish_later(self, make_error_code(error::record_too_long));
        switch (s_->frame()) {
        case framed_stream<Stream>::outcome::record: return finish_later(self, {});
        case framed_stream<Stream>::outcome::too_long:
            return finish_later(self, make_error_code(error::record_too_long));
        case framed_stream<Stream>::outcome::need_input: break;
        }
        // After end of stream or an error, never read again: nothing more can
        // come, and a socket read after EOF may wait for an event that never fires.
        if (s_->failed_) {
            s_->keep_unfinished_record();
            return finish_later(self, s_->failed_);
        }
        if (s_->deferred_) {
            settle(std::exchange(s_->deferred_, error_code()));
            return finish_later(self, result_);
        }
        read_some(self);
    }

    template <class Self>
    void on_read(Self& self, error_code ec, std::size_t n) {
        s_->framer_.commit(n);
        if (n != 0) {
            const auto o = s_->frame();
            if (o != framed_stream<Stream>::outcome::need_input) {
                // A final error (end of stream, a stream error) is for the
                // next read; a transient one (would_block) or a cancellation
                // is not: this read succeeded.
                if (is_final(ec)) s_->deferred_ = ec;
                result_ = o == framed_stream<Stream>::outcome::too_long
                              ? make_error_code(error::record_too_long)
                              : error_code();
                return finish(self);
            }
        }
        if (ec && !is_transient(ec)) {
            settle(ec);  // would_block: nothing to read yet, as async_chat ignores it
            return finish(self);
        }
#if defined(ASYNCHAT_ASIO_HAS_CANCELLATION_SLOT)
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
            settle(asio::error::operation_aborted);
            return finish(self);
        }
#endif
        read_some(self);
    }

    static bool is_transient(error_code ec) noexcept {
        return ec == asio::error::would_block || ec == asio::error::try_again;
    }
    // An error that settle() makes final: end of stream or a stream error.
    static bool is_final(error_code ec) noexcept {
        return ec && !is_transient(ec) && ec != asio::error::operation_aborted;
    }

    // The read ends with `ec` and no record. Only a cancellation leaves the
    // stream usable: any other error is final.
    void settle(error_code ec) {
        if (ec == asio::error::eof) s_->hand_over_unfinished_record();
        else s_->keep_unfinished_record();
        if (ec != asio::error::operation_aborted) s_->failed_ = ec;
        result_ = ec;
    }

    template <class Self>
    void read_some(Self& self) {
        state_ = state::reading;
        constexpr std::size_t size = framed_stream<Stream>::read_size;
        char* room = s_->framer_.prepare(size);
        s_->stream_.async_read_some(asio::buffer(room, size), std::move(self));
    }

    // Never complete inside the initiating function: post, then finish.
    template <class Self>
    void finish_later(Self& self, error_code ec) {
        result_ = ec;
        state_ = state::finishing;
        asio::post(std::move(self));
    }

    template <class Self>
    void finish(Self& self) {
        s_->busy_ = false;
        out_.complete(self, *s_, result_);
    }

    framed_stream<Stream>* s_;
    Output out_;
    error_code result_;
    state state_ = state::starting;
};

} // namespace detail

template <class Stream>
template <class Token>
auto framed_stream<Stream>::async_read_record(Token&& token) {
    return asio::async_compose<Token, void(error_code, std::string)>(
        detail::read_record_op<Stream, detail::record_as_string>(*this, {}), token,
        stream_.get_executor());
}

template <class Stream>
template <class Token>
auto framed_stream<Stream>::async_read_record(std::string& record, Token&& token) {
    return asio::async_compose<Token, void(error_code, std::size_t)>(
        detail::read_record_op<Stream, detail::record_appended>(*this, {&record}),
        token, stream_.get_executor());
}

} // namespace asynchat

#endif // ASYNCHAT_IMPL_FRAMED_STREAM_HPP
