// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_OUTPUT_QUEUE_HPP
#define ASYNCHAT_OUTPUT_QUEUE_HPP

#include <asynchat/detail/any_producer.hpp>
#include <asynchat/detail/buffer_cache.hpp>
#include <asynchat/detail/config.hpp>
#include <asynchat/detail/ring.hpp>
#include <asynchat/error.hpp>
#include <asynchat/file_handle.hpp>
#include <asynchat/producer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace asynchat {

/// The producer FIFO of `async_chat`, without the socket: what to send next.
///
/// Holds pushed bytes, producers and close markers in order. A writer asks
/// `gather()` for the next bytes (as pointer/length pieces ready for one
/// gathered write), writes them, then reports how many went out with
/// `consume()`. Between the two the write is *in flight*: those pieces stay
/// valid whatever is pushed or cleared meanwhile.
///
/// - Pushed views are copied; small copies are appended to one buffer, so
///   many small pushes share it. Sent buffers go back to a per-thread cache
///   (`detail::buffer_cache`) for the next push: a steady stream of small
///   pushes allocates nothing, and a drained queue holds no copy buffer.
/// - Pushed `std::string` rvalues are moved in and sent from where they are.
/// - A producer is asked for a piece only when everything before it has been
///   gathered, and for its next piece only after the previous one was fully
///   sent (Python asks at the head of the queue; the bytes are the same).
/// - Gathering stops at a close marker or a barrier ("stop here until
///   told"); `close_marker_first()` / `barrier_first()` then say everything
///   before it has been sent, and `pop_*` lets what follows go.
/// - Counters change only once a push has succeeded: a push that throws
///   (`std::bad_alloc`) leaves the queue as it was (strong guarantee).
/// - A file range (`push_file`) is either read into the queue a piece at a
///   time when `gather()` reaches it, like a producer, or, if pushed
///   `direct`, left to the writer: gathering stops before it, and once
///   everything before it is sent `file_first()` hands it over
///   (`begin_file()`) for the writer to send itself (sendfile(2)). Its bytes
///   count in `queued_bytes()` only as pieces read into the queue.
/// - `clear()` destroys every producer at once, those whose piece is in
///   flight included: their owner may destroy state they refer to next.
class output_queue {
public:
    /// Queues a copy of `bytes`. Copies smaller than `coalesce_limit` share one
    /// buffer of that size.
    ASYNCHAT_ALWAYS_INLINE void push(std::string_view bytes, std::size_t coalesce_limit = 4096) {
        const std::size_t n = bytes.size();
        // The hot path: append to the open copy buffer, no allocation.
        if (open_copy_ != nullptr && open_copy_->capacity - open_copy_->end >= n) {
            copy_bytes(open_copy_->copy.get() + open_copy_->end, bytes.data(), n);
            open_copy_->end += n;
            queued_bytes_ += n;  // nothing can throw here
            return;
        }
        if (n != 0) push_new_copy(bytes, coalesce_limit);
    }

private:
    void push_new_copy(std::string_view bytes, std::size_t coalesce_limit) {
        const std::size_t n = bytes.size();
        entry e;
        e.copy = detail::buffer_cache::take(n < coalesce_limit ? coalesce_limit : n, e.capacity);
        copy_bytes(e.copy.get(), bytes.data(), n);
        e.end = n;
        entries_.push(std::move(e));  // may throw: nothing counted yet
        queued_bytes_ += n;
        open_copy_ = n < coalesce_limit ? &entries_.last() : nullptr;
        open_borrow_ = nullptr;
    }

public:
    /// Queues bytes without copying them or owning them: the caller keeps them
    /// valid and unchanged until `borrowing()` turns false. A view that
    /// continues the previous borrowed one merges with it into one piece.
    ASYNCHAT_ALWAYS_INLINE void push_borrowed(std::string_view bytes) {
        const std::size_t n = bytes.size();
        if (n == 0) return;
        if (open_borrow_ != nullptr && open_borrow_->borrowed + open_borrow_->end == bytes.data()) {
            open_borrow_->end += n;
            queued_bytes_ += n;
            return;
        }
        entry e;
        e.borrowed = bytes.data();
        e.end = n;
        push_entry(std::move(e));
        queued_bytes_ += n;
        ++borrowed_entries_;
        open_borrow_ = &entries_.last();
    }

    /// If `bytes` equal the bytes of `source` that follow the last borrowed
    /// view, extends that view over them and returns true (an echo that
    /// re-adds the terminator it was not given then costs no copy).
    ASYNCHAT_ALWAYS_INLINE bool extend_borrowed(std::string_view bytes, std::string_view source) {
        if (open_borrow_ == nullptr || bytes.empty()) return false;
        const char* next = open_borrow_->borrowed + open_borrow_->end;
        const auto at = reinterpret_cast<std::uintptr_t>(next);
        const auto first = reinterpret_cast<std::uintptr_t>(source.data());
        if (at < first || at - first + bytes.size() > source.size()) return false;
        for (std::size_t i = 0; i < bytes.size(); ++i)
            if (next[i] != bytes[i]) return false;
        open_borrow_->end += bytes.size();
        queued_bytes_ += bytes.size();
        return true;
    }

    /// True while some queued bytes are borrowed (see `push_borrowed`).
    [[nodiscard]] bool borrowing() const noexcept { return borrowed_entries_ != 0; }

    /// Queues `bytes` without copying them, and returns true: the queue took
    /// the storage. A short string (at most 64 bytes: cheaper to copy than to
    /// send as a piece of its own) is copied instead, and false returned:
    /// `bytes` is left unchanged, its storage still the caller's to reuse
    /// (`async_chat::push` lends it to the next `_collect_incoming_data`).
    /// @throws std::bad_alloc (nothing queued)
    ASYNCHAT_ALWAYS_INLINE bool push(std::string&& bytes, std::size_t coalesce_limit = 4096) {
        if (bytes.size() <= short_string) {
            push(std::string_view(bytes), coalesce_limit);
            return false;
        }
        push_moved(std::move(bytes));
        return true;
    }

private:
    void push_moved(std::string&& bytes) {
        const std::size_t n = bytes.size();
        entry e;
        e.data = std::move(bytes);
        e.end = n;
        push_entry(std::move(e));
        queued_bytes_ += n;
    }

public:

    /// Queues a producer (see `is_producer_v`).
    template <class P>
    void push_producer(P&& producer) {
        entry e;
        e.producer = detail::make_any_producer(std::forward<P>(producer));
        push_entry(std::move(e));
    }

    /// Queues `length` bytes of `file` from byte `offset`. A `direct` range
    /// is sent by the writer (see `file_first()`); any other is read in
    /// pieces of at most `piece` bytes, each counted against the limit as a
    /// producer's piece is. A file that ends before the range is reported by
    /// `take_file_error()` (`error::file_truncated`). An empty range queues
    /// nothing and closes the file.
    void push_file(file_handle file, std::uint64_t offset, std::uint64_t length, bool direct,
                   std::size_t piece = 64 * 1024) {
        if (length == 0) return;
        entry e;
        e.file.reset(new detail::file_part{std::move(file), offset, length, direct});
        e.capacity = piece == 0 ? 1 : piece;
        push_entry(std::move(e));  // may throw: nothing counted yet
        ++files_;
    }

    /// File ranges queued and not yet sent whole (each holds its file open).
    [[nodiscard]] std::size_t queued_files() const noexcept { return files_; }

    /// The oldest entry, if it is a `direct` file range and no write is in
    /// flight (everything before it has been sent); else null.
    [[nodiscard]] detail::file_part* file_first() noexcept {
        if (in_flight() || entries_.is_empty()) return nullptr;
        entry& e = entries_[0];
        return e.file && e.file->direct ? e.file.get() : nullptr;
    }

    /// Starts sending the range `file_first()` returned: it is in flight
    /// until `consume(n)`, n being the bytes the writer sent of it (the
    /// writer advances the range itself); it stays alive until then, even
    /// across `clear()`.
    void begin_file() noexcept {
        in_flight_entries_ = 1;
        file_flight_ = true;
        open_copy_ = open_borrow_ = nullptr;
    }

    /// Drops the oldest entry if it is a file range and no write is in
    /// flight: after the writer failed to send it (its error is reported
    /// elsewhere), the rest of the range is not tried again.
    void drop_file() noexcept {
        if (!in_flight() && !entries_.is_empty() && entries_[0].file) {
            queued_bytes_ -= std::min(entries_[0].end - entries_[0].offset, queued_bytes_);
            drop_first();
        }
    }

    /// The error that ended a file range read into the queue since the last
    /// call (`error::file_truncated`, or the system's read error), once.
    error_code take_file_error() noexcept { return std::exchange(file_error_, error_code()); }
    /// True if a file range read into the queue ended early and its error was
    /// not yet taken: nothing queued after that range may be sent before the
    /// error is reported.
    bool file_error_pending() const noexcept { return bool(file_error_); }

    /// Bytes of file ranges sent by the writer itself (`direct`), in all.
    [[nodiscard]] std::uint64_t direct_file_bytes() const noexcept { return direct_file_bytes_; }

    /// Queues a close marker: nothing after it is gathered.
    void push_close_marker() { push_marker(marker::close); }

    /// Queues a barrier: gathering stops there, as at a close marker, until
    /// `pop_barrier()` (the channel switches its stream to TLS there, once
    /// what was queued before has been sent).
    void push_barrier() { push_marker(marker::barrier); }

    /// Bounds `queued_bytes()`: a producer's piece that would take it past
    /// `bytes` is dropped with its producer, and `take_overflow()` reports it;
    /// pushers ask `fits()` first. `no_limit` (the default) turns it off.
    void set_limit(std::size_t bytes) noexcept { limit_ = bytes; }
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }

    /// True if `n` more bytes keep `queued_bytes()` within the limit.
    [[nodiscard]] bool fits(std::size_t n) const noexcept { return queued_bytes_ + n <= limit_; }

    /// True (once) if a producer's piece was dropped by the limit since the
    /// last call.
    bool take_overflow() noexcept { return std::exchange(overflowed_, false); }

    /// True if nothing at all is queued: no bytes, producer or marker.
    [[nodiscard]] bool empty() const noexcept { return entries_.is_empty(); }

    /// Bytes queued and not yet reported sent, counting producers' pieces once
    /// fetched (a producer's future output is unknown).
    [[nodiscard]] std::size_t queued_bytes() const noexcept { return queued_bytes_; }

    /// True between a `gather()` that returned bytes and its `consume()`.
    [[nodiscard]] bool in_flight() const noexcept { return in_flight_entries_ != 0; }

    /// True if the oldest entry is a close marker and no write is in flight:
    /// everything queued before it has been sent.
    [[nodiscard]] bool close_marker_first() const noexcept { return marker_first(marker::close); }

    /// Removes the close marker reported by `close_marker_first()`.
    void pop_close_marker() noexcept {
        if (close_marker_first()) drop_first();
    }

    /// As `close_marker_first()`, for a barrier.
    [[nodiscard]] bool barrier_first() const noexcept { return marker_first(marker::barrier); }

    /// Removes the barrier reported by `barrier_first()`: what follows it
    /// may be gathered.
    void pop_barrier() noexcept {
        if (barrier_first()) drop_first();
    }

    /// Collects the next bytes to send, oldest first, by calling
    /// `emit(const char* data, std::size_t size)` at most `max_pieces` times
    /// for at most `max_bytes` bytes in all; returns the number of bytes.
    /// Asks producers for pieces as it reaches them, so it may run user code:
    /// a producer that throws leaves the queue as it was before that call,
    /// and one that pushes or clears the queue is handled.
    /// Precondition: no write in flight.
    template <class Emit>
    std::size_t gather(std::size_t max_bytes, std::size_t max_pieces, Emit&& emit) {
        gathering_ = true;
        struct finish {
            output_queue& q;
            ~finish() {
                q.gathering_ = false;
                if (q.clear_requested_) {  // a producer cleared the queue
                    q.clear_requested_ = false;
                    q.open_copy_ = q.open_borrow_ = nullptr;
                    q.borrowed_entries_ = 0;
                    q.files_ = 0;
                    q.entries_.clear();
                    q.queued_bytes_ = 0;
                    q.in_flight_entries_ = 0;
                }
            }
        } guard{*this};

        std::size_t total = 0;
        std::size_t pieces = 0;
        std::size_t i = 0;
        while (i < entries_.size() && pieces < max_pieces && total < max_bytes) {
            entry* e = &entries_[i];
            if (e->kind != marker::bytes) break;
            if (e->file && e->offset == e->end) {
                if (e->file->direct) break;  // the writer sends it, once it is first
                if (!read_file_piece(*e)) break;
            } else if (e->producer && e->offset == e->end) {
                std::string piece = e->producer->more();
                if (clear_requested_) return 0;  // `guard` clears; nothing is sent
                e = &entries_[i];  // more() may have pushed; the entry did not move
                if (!piece.empty() && !fits(piece.size())) {
                    // Over the limit: the piece and its producer go (the
                    // rest of its output would be cut short anyway).
                    overflowed_ = true;
                    e->producer.reset();
                    e->data.clear();
                    e->offset = e->end = 0;
                    break;
                }
                if (piece.empty()) {
                    e->producer.reset();  // exhausted: now an empty entry
                    e->data.clear();
                } else {
                    // Sent from the heap, never from inside the entry: the
                    // entry may move while the piece is in flight.
                    if (piece.size() <= short_string) piece.reserve(short_string + 1);
                    queued_bytes_ += piece.size();  // once nothing can throw
                    e->data = std::move(piece);
                }
                e->offset = 0;
                e->end = e->data.size();
            }
            const std::size_t avail = e->end - e->offset;
            if (avail == 0) {
                if (i == 0) drop_first();
                else ++i;
                continue;
            }
            const std::size_t take = std::min(avail, max_bytes - total);
            emit(e->bytes() + e->offset, take);
            total += take;
            ++pieces;
            ++i;
            // A producer's (or file's) next piece must wait until this one is sent.
            if (e->producer || e->file || take < avail) break;
        }
        in_flight_entries_ = total != 0 ? i : 0;
        if (total != 0) open_copy_ = open_borrow_ = nullptr;  // never append to bytes in flight
        return total;
    }

    /// Ends the write in flight: `n` bytes of what `gather()` returned were
    /// sent (fewer on a partial write; 0 on failure). Unsent bytes are
    /// gathered again next time, unless `clear()` was called meanwhile.
    void consume(std::size_t n) noexcept {
        std::size_t spanned = in_flight_entries_;
        in_flight_entries_ = 0;
        if (std::exchange(file_flight_, false)) {
            // A direct file range, alone in flight; the writer advanced it.
            direct_file_bytes_ += n;
            if (std::exchange(drop_in_flight_, false) || entries_[0].file->remaining == 0) drop_first();
            return;
        }
        if (drop_in_flight_) {
            drop_in_flight_ = false;
            for (; spanned != 0 && !entries_.is_empty(); --spanned) {
                queued_bytes_ -= entries_[0].end - entries_[0].offset;
                drop_first();
            }
            return;
        }
        queued_bytes_ -= std::min(n, queued_bytes_);
        while (!entries_.is_empty()) {
            entry& e = entries_[0];
            if (e.kind != marker::bytes) break;
            const std::size_t avail = e.end - e.offset;
            if (n < avail) {
                e.offset += n;
                break;
            }
            n -= avail;
            if (e.file && e.file->remaining != 0) {
                e.offset = e.end = 0;  // the buffer stays for its next piece
                break;
            }
            if (e.producer) {
                e.data = std::string();  // sent: free it; more() refills it
                e.offset = e.end = 0;
                break;
            }
            drop_first();
        }
    }

    /// Drops everything queued: bytes, producers, markers. Entries of a write
    /// in flight stay alive until its `consume()`, then go too.
    void clear() noexcept {
        if (gathering_) {
            clear_requested_ = true;
            return;
        }
        open_copy_ = open_borrow_ = nullptr;
        if (in_flight()) {
            entries_.truncate(in_flight_entries_);
            // The pieces in flight stay; their producers go now, and a range
            // the writer is sending itself sends nothing more.
            for (std::size_t i = 0; i < entries_.size(); ++i) {
                entries_[i].producer.reset();
                if (entries_[i].file && entries_[i].file->direct) entries_[i].file->remaining = 0;
            }
            borrowed_entries_ = 0;
            queued_bytes_ = 0;
            files_ = 0;
            for (std::size_t i = 0; i < entries_.size(); ++i) {
                borrowed_entries_ += entries_[i].borrowed != nullptr;
                files_ += entries_[i].file != nullptr;  // a range in flight stays open until consume()
                queued_bytes_ += entries_[i].end - entries_[i].offset;
            }
            drop_in_flight_ = true;
        } else {
            entries_.clear();
            queued_bytes_ = 0;
            borrowed_entries_ = 0;
            files_ = 0;
        }
    }

private:
    enum class marker : unsigned char { bytes, close, barrier };

    bool marker_first(marker m) const noexcept {
        return !in_flight() && !entries_.is_empty() && entries_[0].kind == m;
    }

    void push_marker(marker m) {
        entry e;
        e.kind = m;
        push_entry(std::move(e));
    }

    struct entry {
        std::string data;               // moved-in bytes; for a producer, its piece
        std::unique_ptr<char[]> copy;   // or: our copy buffer (uninitialised past `end`)
        const char* borrowed = nullptr; // or: bytes we do not own (push_borrowed)
        std::size_t capacity = 0;       // of `copy`
        std::size_t end = 0;            // bytes in use
        std::size_t offset = 0;         // bytes already sent
        std::unique_ptr<detail::any_producer> producer;  // set for a producer
        std::unique_ptr<detail::file_part> file;  // set for a file range (its piece in `data`,
                                                  // at most `capacity` bytes)
        marker kind = marker::bytes;

        const char* bytes() const noexcept {
            return copy ? copy.get() : borrowed != nullptr ? borrowed : data.data();
        }
    };

    // Small copies (a CRLF) are cheaper inline than through a memcpy call.
    static void copy_bytes(char* to, const char* from, std::size_t n) noexcept {
        if (n <= 16) {
            for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
        } else {
            std::memcpy(to, from, n);
        }
    }

    void push_entry(entry&& e) {
        entries_.push(std::move(e));
        open_copy_ = open_borrow_ = nullptr;  // later bytes must not jump ahead of this entry
    }

    // Reads the next piece of the file range `e` into its buffer; false if
    // none comes (the range is then dropped, or the piece is over the limit).
    bool read_file_piece(entry& e) {
        detail::file_part& f = *e.file;
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(f.remaining, e.capacity));
        if (!fits(want)) {
            // Over the limit: the range goes, as a producer's piece does.
            overflowed_ = true;
            end_file(e);
            return false;
        }
        // Sent from the heap, never from inside the entry (see short_string).
        if (e.data.size() < want) e.data.resize(std::max(want, short_string + 1));  // may throw: nothing changed
        error_code ec;
        std::size_t n = f.file.read_some_at(f.offset, e.data.data(), want, ec);
        if (n == 0) {
            file_error_ = !ec || ec == asio::error::eof ? make_error_code(error::file_truncated) : ec;
            end_file(e);
            return false;
        }
        f.offset += n;
        f.remaining -= n;
        queued_bytes_ += n;
        e.offset = 0;
        e.end = n;
        return true;
    }

    // A file range that will send nothing more: now an empty entry, dropped
    // when reached.
    void end_file(entry& e) noexcept {
        e.file.reset();
        --files_;
        e.data = std::string();
        e.offset = e.end = 0;
    }

    void drop_first() noexcept {
        entry& e = entries_[0];
        if (e.file) --files_;
        if (open_copy_ == &e) open_copy_ = nullptr;
        if (open_borrow_ == &e) open_borrow_ = nullptr;
        if (e.borrowed != nullptr) --borrowed_entries_;
        // Sent copy buffers go to this thread's cache, where the next push
        // finds them: a steady stream of small pushes allocates nothing, and
        // a drained queue holds no copy buffer.
        if (e.copy != nullptr && e.capacity <= max_spare_capacity)
            detail::buffer_cache::give(std::move(e.copy), e.capacity);
        entries_.drop_first();
        entries_.release_if_empty();  // a drained queue holds no entry array
    }

    static constexpr std::size_t max_spare_capacity = 64 * 1024;
    // Longer than any small-string buffer: a std::string of more bytes keeps
    // them on the heap, where they stay put when the entry moves.
    static constexpr std::size_t short_string = 64;

    // Entries move when the ring grows: pieces handed to a writer must not
    // point into an entry (see `short_string`).
    detail::ring<entry> entries_;
    entry* open_copy_ = nullptr;    // the last entry, a copy buffer with room, not in flight
    entry* open_borrow_ = nullptr;  // the last entry, borrowed, not in flight
    std::size_t borrowed_entries_ = 0;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_entries_ = 0;  // entries spanned by the write in flight
    bool drop_in_flight_ = false;        // clear() during the flight
    bool gathering_ = false;
    bool clear_requested_ = false;       // clear() from a producer during gather()
    bool overflowed_ = false;            // a producer's piece was over the limit
    bool file_flight_ = false;           // the write in flight is a direct file range
    std::size_t files_ = 0;              // file ranges queued
    std::uint64_t direct_file_bytes_ = 0;
    error_code file_error_;         // a file range read into the queue ended early
    std::size_t limit_ = static_cast<std::size_t>(-1);
};

} // namespace asynchat

#endif // ASYNCHAT_OUTPUT_QUEUE_HPP
