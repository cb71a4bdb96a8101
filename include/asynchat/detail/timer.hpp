// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_TIMER_HPP
#define ASYNCHAT_DETAIL_TIMER_HPP

#include <asynchat/detail/asio.hpp>
#include <asynchat/detail/timer_queue.hpp>

#include <chrono>
#include <memory>
#include <limits>
#include <ratio>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asynchat::detail {

using steady_clock = std::chrono::steady_clock;

/// `t + d`, clamped to the clock's range instead of overflowing: a deadline
/// `duration::max()` away is `time_point::max()`, which never comes.
inline steady_clock::time_point saturating_add(steady_clock::time_point t, steady_clock::duration d) noexcept {
    using duration = steady_clock::duration;
    const duration since = t.time_since_epoch();
    if (d > duration::zero() && since > duration::max() - d) return steady_clock::time_point::max();
    if (d < duration::zero() && since < duration::min() - d) return steady_clock::time_point::min();
    return t + d;
}

/// Any `std::chrono::duration` as a `steady_clock::duration`, clamped to its
/// range (`hours::max()` becomes `steady_clock::duration::max()`, where an
/// implicit conversion would overflow); finer units round toward zero, NaN is
/// zero. The range check is done in `long double` ticks of the clock, never in
/// `Rep`, so narrow, unsigned and floating representations all convert right
/// (`duration<unsigned, std::ratio<3600>>(5)` is five hours, not `min()`).
template <class Rep, class Period>
constexpr steady_clock::duration saturating_duration(std::chrono::duration<Rep, Period> d) noexcept {
    using target = steady_clock::duration;
    // Exact for every integer Rep on x86-64 (64-bit mantissa), and wide enough
    // that no std::ratio can overflow it.
    const long double ticks = std::chrono::duration<long double, typename target::period>(d).count();
    if (!(ticks == ticks)) return target::zero();  // NaN
    if (ticks >= static_cast<long double>(target::max().count())) return target::max();
    if (ticks <= static_cast<long double>(target::min().count())) return target::min();
    if constexpr (std::is_floating_point_v<Rep>) {
        return target(static_cast<typename target::rep>(ticks));  // truncates toward zero
    } else {
        // In range: the exact integer conversion (computed in at least
        // intmax_t, and the result fits) truncates toward zero.
        return std::chrono::duration_cast<target>(d);
    }
}

/// The timeouts of a channel: an idle limit (no I/O for a while) and a
/// deadline (a point in time). I/O only records the time (`note_activity`);
/// a wait re-checks when it ends, so the I/O path never touches a queue. The
/// same object serves one-off waits (`wait_once`, the TLS close wait), which
/// supersede the timeouts. All times are `steady_clock`; every sum saturates,
/// so `duration::max()` means "never".
///
/// It owns no Asio timer and keeps no Asio operation pending: a wait is an
/// entry in the `timer_queue` of the executor's context (one `steady_timer`
/// for all channels, as nginx's event timer). An idle channel with its
/// timeouts armed costs this object (112 bytes on x86-64) and a pointer in
/// the queue's heap, instead of an Asio timer, its pending wait and its
/// place in Asio's heap (about 330 bytes).
///
/// Resolution: a callback never runs before its due time; it runs once the
/// queue's `steady_timer` completes and the callbacks due before it have
/// been handed on. Threads: one object is used from one strand at a time
/// (as an Asio timer); the queue is shared and locked.
template <class Executor>
class channel_timer : private timer_entry {
public:
    using clock = steady_clock;

    /// Joins the queue of `ex`'s execution context (made on first use).
    explicit channel_timer(const Executor& ex) : queue_(&timer_queue::of(ex)) {}
    /// Leaves the queue: a destroyed timer is never called back.
    ~channel_timer() { queue_->remove(*this); }
    channel_timer(const channel_timer&) = delete;
    channel_timer& operator=(const channel_timer&) = delete;

    /// A duration <= 0 turns the idle limit off; it counts from `now`.
    void set_idle_timeout(clock::duration d, clock::time_point now) noexcept {
        idle_timeout_ = d > clock::duration::zero() ? d : clock::duration::zero();
        last_activity_ = now;
    }
    [[nodiscard]] clock::duration idle_timeout() const noexcept { return idle_timeout_; }

    /// The deadline `d` after `now` (saturating); replaces any earlier one.
    void expires_after(clock::duration d, clock::time_point now) noexcept { deadline_ = saturating_add(now, d); }
    void expires_never() noexcept { deadline_ = clock::time_point::max(); }
    [[nodiscard]] clock::time_point deadline() const noexcept { return deadline_; }

    /// I/O happened: the idle period starts again. One comparison when the
    /// idle limit is off.
    void note_activity() noexcept {
        if (idle_timeout_ != clock::duration::zero()) last_activity_ = clock::now();
    }
    void note_activity(clock::time_point now) noexcept { last_activity_ = now; }

    /// When the earlier of the deadline and the end of the idle period comes
    /// (`time_point::max()`: never).
    [[nodiscard]] clock::time_point next_due() const noexcept {
        if (idle_timeout_ == clock::duration::zero()) return deadline_;
        const clock::time_point idle_end = saturating_add(last_activity_, idle_timeout_);
        return idle_end < deadline_ ? idle_end : deadline_;
    }

    /// Called when a wait ends: true if the deadline passed (then removed) or
    /// the idle period ended (then restarted at `now`, so one call per
    /// idle period).
    bool take_due(clock::time_point now) noexcept {
        const bool deadline_passed = deadline_ <= now;
        const bool idle = idle_timeout_ != clock::duration::zero() &&
                          saturating_add(last_activity_, idle_timeout_) <= now;
        if (deadline_passed) deadline_ = clock::time_point::max();
        if (idle) last_activity_ = now;
        return deadline_passed || idle;
    }

    /// Makes sure a wait is queued that ends no later than `next_due()`;
    /// when it ends, calls `on_due()` (which typically calls `take_due` and
    /// `arm` again). Nothing is queued when nothing is due.
    ///
    /// `keep` is held while the wait is queued or its callback on its way:
    /// a `std::shared_ptr<T>` keeps the owner alive, and if `T` has
    /// `get_executor()`, `on_due` runs through `asio::dispatch` on that
    /// executor (a channel's strand); any other `keep` is not held, and
    /// `on_due` runs on the queue's executor. `on_due` is stored in place:
    /// trivially copyable, at most two pointers (a lambda capturing `this`,
    /// or two references).
    template <class Keep, class OnDue>
    void arm(Keep keep, OnDue on_due) {
        const clock::time_point due = next_due();
        if (due == clock::time_point::max()) return;  // a queued wait re-checks and stops
        if (waiting_ && timer_entry::queued_due <= due) return;  // wakes early enough (only this strand writes it)
        enqueue(due, std::move(keep), on_due);
        waiting_ = true;
    }

    /// Supersedes any pending wait: after `d`, calls `f()` unless `cancel()`
    /// (or another wait) came first. `keep` and `f` as for `arm`.
    template <class Keep, class F>
    void wait_once(clock::duration d, Keep keep, F f) {
        enqueue(saturating_add(clock::now(), d), std::move(keep), f);
        waiting_ = false;
    }

    /// Ends any pending wait without effect; a callback already handed on
    /// to the owner's executor is dropped there.
    void cancel() noexcept {
        ++generation_;
        waiting_ = false;
        queue_->remove(*this);
    }

private:
    using call_fn = void (*)(const void* storage);

    template <class Keep, class F>
    void enqueue(clock::time_point due, Keep&& keep, const F& f);
    template <class Keep>
    static void fire(timer_entry& e, std::shared_ptr<void>&& keep, unsigned generation);
    void run(unsigned generation);

    timer_queue* queue_;
    call_fn call_ = nullptr;
    alignas(void*) unsigned char fn_[2 * sizeof(void*)]{};
    clock::duration idle_timeout_{};
    clock::time_point last_activity_{};
    clock::time_point deadline_ = clock::time_point::max();
    unsigned generation_ = 0;         // counts waits: a stale callback is dropped
    bool waiting_ = false;            // an `arm` wait (not a wait_once) is queued
};

} // namespace asynchat::detail

#include <asynchat/detail/impl/timer.hpp>

#endif // ASYNCHAT_DETAIL_TIMER_HPP
