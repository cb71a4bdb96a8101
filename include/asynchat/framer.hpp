// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_FRAMER_HPP
#define ASYNCHAT_FRAMER_HPP

#include <asynchat/detail/buffer_cache.hpp>
#include <asynchat/detail/search.hpp>
#include <asynchat/find_prefix_at_end.hpp>
#include <asynchat/terminator.hpp>

#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asynchat {

/// What to do with a record that grew past the framer's record limit.
enum class overflow {
    /// Stop: the input is dropped (`async_chat` then reports
    /// `error::record_too_long` and, by default, closes).
    close,
    /// Drop the rest of the record through the next terminator, without a
    /// `found_terminator()`, and go on with the next record. Only a string
    /// terminator can be skipped to; for a count or no terminator this is `close`.
    skip,
};

/// `set_record_limit()` value meaning "no limit" (the default, as in Python).
inline constexpr std::size_t no_limit = static_cast<std::size_t>(-1);

namespace detail {
template <class Sink, class = void>
struct has_framing_paused : std::false_type {};
template <class Sink>
struct has_framing_paused<Sink, std::void_t<decltype(bool(std::declval<Sink&>().framing_paused()))>>
    : std::true_type {};

template <class Sink, class = void>
struct has_record_too_long : std::false_type {};
template <class Sink>
struct has_record_too_long<
    Sink, std::void_t<decltype(overflow(std::declval<Sink&>().record_too_long(std::size_t{})))>>
    : std::true_type {};
} // namespace detail

/// Splits a byte stream into records: the socket-free core of `async_chat`.
///
/// A push parser that owns the terminator, the input buffer and the partial
/// match. It is fed bytes and calls a *sink* — any object with
///
///     void collect_incoming_data(std::string_view data);
///     void found_terminator();
///     bool framing_paused();                        // optional: true stops delivery for now
///     asynchat::overflow record_too_long(size_t n); // optional: see set_record_limit()
///
/// in stream order, following CPython 3.11's `async_chat.handle_read` step by
/// step. While input is buffered:
///
/// 1. terminator falsy (`none`, `""`, `0`): pass everything to the sink.
/// 2. count `n`: fewer than `n` bytes buffered → pass them all and lower the
///    count by that many; otherwise pass the first `n`, set the count to 0 and
///    call `found_terminator()`.
/// 3. string `t`: if `t` occurs, pass the bytes before it (if any), drop them
///    and `t`, call `found_terminator()`. Otherwise keep the longest proper
///    prefix of `t` the buffer ends with for the next read, passing what
///    precedes it.
///
/// The terminator is re-read before every step, so a sink that calls
/// `set_terminator()` from a callback changes how the bytes already buffered
/// are framed. The sequence of records (bytes passed between two
/// `found_terminator()` calls) does not depend on how the stream was cut.
///
/// State is committed before each callback: a callback that throws, calls
/// `discard()`, or changes the terminator leaves the framer consistent. (CPython
/// commits after `collect_incoming_data` returns; see README, "Differences".)
///
/// Record limit (beyond Python): with `set_record_limit(n)`, a record may hold
/// at most `n` bytes, terminator excluded. The limit counts bytes as they are
/// passed on, so a record of exactly `n` bytes is accepted however the stream
/// was cut; a byte count above the limit fails before any of its bytes is
/// passed on. On overflow the sink's `record_too_long(size)` is called once,
/// with the size seen so far (or the count declared), before the offending
/// bytes are passed on; its `overflow` result decides what happens. A sink
/// without that hook gets `std::length_error`.
///
/// Memory: besides the terminator, the framer holds one input buffer. After
/// `process()` it keeps at most `terminator.size() - 1` bytes, unless the sink
/// paused delivery. No allocation happens per record.
class framer {
public:
    framer() = default;
    /// A framer that starts with terminator `t`.
    explicit framer(terminator t) noexcept : terminator_(std::move(t)) { refresh(); }

    /// Moving takes the input buffer and framing state; the moved-from framer
    /// holds no input, no memory and no record in progress (set a terminator
    /// before using it again).
    framer(framer&& o) noexcept
        : terminator_(std::move(o.terminator_)), data_(std::move(o.data_)), capacity_(o.capacity_),
          begin_(o.begin_), end_(o.end_), limit_(o.limit_), record_bytes_(o.record_bytes_),
          skipping_(o.skipping_) {
        refresh();  // needle_ viewed the other framer's terminator
        o.reset_input();
    }
    framer& operator=(framer&& o) noexcept {
        terminator_ = std::move(o.terminator_);
        if (&o != this) detail::buffer_cache::give(std::move(data_), capacity_);
        data_ = std::move(o.data_);
        capacity_ = o.capacity_;
        begin_ = o.begin_;
        end_ = o.end_;
        limit_ = o.limit_;
        record_bytes_ = o.record_bytes_;
        skipping_ = o.skipping_;
        refresh();
        if (&o != this) o.reset_input();
        return *this;
    }
    framer(const framer&) = delete;
    framer& operator=(const framer&) = delete;

    /// Gives the input buffer back to this thread's buffer cache.
    ~framer() { detail::buffer_cache::give(std::move(data_), capacity_); }

    /// Sets the terminator; takes effect at the next framing step, including
    /// for bytes already buffered.
    void set_terminator(terminator t) noexcept {
        terminator_ = std::move(t);
        refresh();
    }

    /// The current terminator. A count is lowered as bytes are passed on.
    [[nodiscard]] const terminator& get_terminator() const noexcept { return terminator_; }

    /// Limits the size of a record (terminator excluded); `no_limit` (the
    /// default) removes the limit. Takes effect at the next framing step.
    void set_record_limit(std::size_t bytes) noexcept { limit_ = bytes; }
    [[nodiscard]] std::size_t record_limit() const noexcept { return limit_; }

    /// True if an overflowing record could be skipped: the terminator is a
    /// non-empty string.
    [[nodiscard]] bool can_skip() const noexcept {
        return terminator_.is_string() && !terminator_.string().empty();
    }

    /// Appends `bytes` and frames everything buffered (see `process`).
    /// @throws std::logic_error if called from inside a sink callback.
    template <class Sink>
    void feed(std::string_view bytes, Sink& sink) {
        if (!bytes.empty()) {
            std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
            commit(bytes.size());
        }
        process(sink);
    }

    /// Room for `n` more bytes at the end of the buffered input, for a read
    /// straight into the framer. Valid until the next `prepare`, `commit`,
    /// `feed` or `shrink_to_fit`; `discard()` does not invalidate it.
    /// @throws std::logic_error if called from inside a sink callback.
    [[nodiscard]] char* prepare(std::size_t n) {
        if (processing_)
            throw std::logic_error("asynchat::framer: input appended from inside a callback");
        if (begin_ == end_) begin_ = end_ = 0;
        const std::size_t held = end_ - begin_;
        if (capacity_ - end_ < n) {
            if (held + n <= capacity_) {
                std::memmove(data_.get(), data_.get() + begin_, held);
            } else {
                // Small slack so that a held partial terminator does not force
                // a reallocation on the next read of the same size.
                std::size_t cap = held + n + slack;
                if (cap < 2 * capacity_) cap = 2 * capacity_;
                std::unique_ptr<char[]> bigger = detail::buffer_cache::take(cap, cap);
                if (held != 0) std::memcpy(bigger.get(), data_.get() + begin_, held);
                detail::buffer_cache::give(std::exchange(data_, std::move(bigger)), capacity_);
                capacity_ = cap;
            }
            begin_ = 0;
            end_ = held;
        }
        return data_.get() + end_;
    }

    /// Marks `n` bytes written at `prepare()`'s pointer as received.
    /// @throws std::logic_error if `n` exceeds the room prepared.
    void commit(std::size_t n) {
        if (n > capacity_ - end_)
            throw std::logic_error("asynchat::framer::commit: more bytes than prepared");
        end_ += n;
    }

    /// Frames the buffered input, calling the sink, until the input is used up,
    /// only a partial terminator is left, or `sink.framing_paused()` is true.
    /// A callback may throw: the exception propagates and the framer stays
    /// consistent. Must not be called from inside a callback.
    template <class Sink>
    void process(Sink& sink) {
        if (processing_)
            throw std::logic_error("asynchat::framer::process: called from inside a callback");
        processing_ = true;
        struct reset {
            bool& flag;
            ~reset() { flag = false; }
        } guard{processing_};

        while (begin_ != end_) {
            if constexpr (detail::has_framing_paused<Sink>::value) {
                if (sink.framing_paused()) return;
            }
            const char* const p = data_.get() + begin_;
            const std::size_t lb = end_ - begin_;
            if (skipping_) {
                if (!skip_step(std::string_view(p, lb))) break;
            } else if (mode_ == mode::collect) {
                if (exceeds(lb) && !overflowed(sink, lb)) return;
                if (skipping_) continue;
                begin_ = end_;
                record_bytes_ += lb;
                sink.collect_incoming_data(std::string_view(p, lb));
            } else if (mode_ == mode::count) {
                const std::size_t n = terminator_.count();
                // A declared size over the limit fails before any byte of it.
                if (exceeds(n) && !overflowed(sink, n)) return;
                if (skipping_) continue;
                if (lb < n) {
                    begin_ = end_;
                    record_bytes_ += lb;
                    terminator_ = terminator(n - lb);  // still a count: mode_ holds
                    sink.collect_incoming_data(std::string_view(p, lb));
                } else {
                    begin_ += n;
                    record_bytes_ = 0;
                    set_terminator(std::size_t{0});
                    sink.collect_incoming_data(std::string_view(p, n));
                    sink.found_terminator();
                }
            } else {
                const std::string_view needle = needle_;
                const std::string_view input(p, lb);
                const std::size_t at = detail::find(input, needle);
                if (at != std::string_view::npos) {
                    if (exceeds(at) && !overflowed(sink, at)) return;
                    if (skipping_) continue;
                    begin_ += at + needle.size();
                    record_bytes_ = 0;
                    // No empty collect: CPython calls it "a source of subtle bugs".
                    if (at > 0) sink.collect_incoming_data(std::string_view(p, at));
                    sink.found_terminator();
                    continue;
                }
                const std::size_t kept = find_prefix_at_end(input, needle);
                const std::size_t passed = lb - kept;
                if (passed != 0) {
                    if (exceeds(passed) && !overflowed(sink, passed)) return;
                    if (skipping_) continue;
                    begin_ += passed;
                    record_bytes_ += passed;
                    sink.collect_incoming_data(std::string_view(p, passed));
                }
                // Keep the partial terminator (if any): the next read may complete it.
                if (kept != 0) break;
            }
        }
        // Offsets are reset by prepare(), never here: a read may be pending
        // into the room past end_.
    }

    /// Every byte received into the buffer since it was last compacted, passed
    /// on or not. These bytes stay where they are, unchanged, until the next
    /// `prepare()` (or `feed()`, `shrink_to_fit()`): a view into them may
    /// outlive the callback it was given to, as long as no input is appended.
    [[nodiscard]] std::string_view received() const noexcept {
        return std::string_view(data_.get(), end_);
    }

    /// The input received but not yet passed on: a partial terminator, or
    /// whole records held back while the sink paused delivery.
    [[nodiscard]] std::string_view buffered() const noexcept {
        return std::string_view(data_.get() + begin_, end_ - begin_);
    }

    /// True if part of a record has been received: bytes passed on since the
    /// last `found_terminator()`, or bytes held back as a possible terminator.
    [[nodiscard]] bool record_in_progress() const noexcept {
        return record_bytes_ != 0 || begin_ != end_ || skipping_;
    }

    /// True while an overflowing record is being dropped (`overflow::skip`):
    /// the bytes buffered then belong to it, not to the next record.
    [[nodiscard]] bool skipping() const noexcept { return skipping_; }

    /// Drops the buffered input (Python's `discard_buffers()` for input) and
    /// forgets the record in progress. Safe inside a callback: framing stops
    /// after it returns. Keeps the memory.
    void discard() noexcept {
        begin_ = end_;
        record_bytes_ = 0;
        skipping_ = false;
    }

    /// Gives the input buffer back if nothing is buffered (an idle connection
    /// then holds no input memory): to this thread's buffer cache, where the
    /// next `prepare()` on this thread finds it (see `detail::buffer_cache`).
    /// Invalidates `prepare()`'s pointer and `received()`.
    void shrink_to_fit() noexcept {
        if (begin_ == end_ && !processing_) {
            detail::buffer_cache::give(std::move(data_), capacity_);
            capacity_ = begin_ = end_ = 0;
        }
    }

    /// Bytes of memory held for input.
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    static constexpr std::size_t slack = 64;

    // What the terminator asks for, cached for the framing loop: kept in step
    // with terminator_ by refresh() after every change.
    enum class mode : unsigned char { collect, count, string };

    void refresh() noexcept {
        if (!terminator_) {
            mode_ = mode::collect;
        } else if (terminator_.is_count()) {
            mode_ = mode::count;
        } else {
            mode_ = mode::string;
            needle_ = terminator_.string();
        }
    }

    // A moved-from framer: no input, no memory, no record in progress.
    void reset_input() noexcept {
        detail::buffer_cache::give(std::move(data_), capacity_);
        capacity_ = begin_ = end_ = record_bytes_ = 0;
        skipping_ = false;
        refresh();  // the terminator was moved from
    }

    // True if passing `more` bytes would take the record past the limit.
    bool exceeds(std::size_t more) const noexcept {
        return limit_ != no_limit && more > limit_ - record_bytes_;
    }

    // The record would reach record_bytes_ + more bytes. Returns false to stop
    // framing (the input is dropped), true to go on skipping.
    template <class Sink>
    bool overflowed(Sink& sink, std::size_t more) {
        const std::size_t size =
            more > no_limit - record_bytes_ ? no_limit : record_bytes_ + more;
        overflow policy = overflow::close;
        if constexpr (detail::has_record_too_long<Sink>::value) {
            policy = sink.record_too_long(size);
        } else {
            throw std::length_error("asynchat::framer: a record of " + std::to_string(size) +
                                    " bytes exceeds the limit of " + std::to_string(limit_));
        }
        if (policy == overflow::skip && can_skip()) {
            skipping_ = true;
            record_bytes_ = 0;
            return true;
        }
        discard();
        return false;
    }

    // Drops input through the next terminator. False: wait for more input.
    bool skip_step(std::string_view input) noexcept {
        if (!can_skip()) {  // the terminator changed meanwhile: frame normally
            skipping_ = false;
            return true;
        }
        const std::string_view needle = terminator_.string();
        const std::size_t at = detail::find(input, needle);
        if (at != std::string_view::npos) {
            begin_ += at + needle.size();
            skipping_ = false;
            return true;
        }
        begin_ = end_ - find_prefix_at_end(input, needle);
        return false;
    }

    terminator terminator_;
    mode mode_ = mode::collect;
    std::string_view needle_;  // terminator_'s string when mode_ is string
    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;  // first byte not yet passed on
    std::size_t end_ = 0;    // one past the last byte received
    std::size_t limit_ = no_limit;
    std::size_t record_bytes_ = 0;  // bytes passed on since the last found_terminator()
    bool skipping_ = false;         // dropping an overflowing record
    bool processing_ = false;
};

} // namespace asynchat

#endif // ASYNCHAT_FRAMER_HPP
