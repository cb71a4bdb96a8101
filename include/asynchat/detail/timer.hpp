// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_TIMER_HPP
#define ASYNCHAT_DETAIL_TIMER_HPP

#include <asynchat/detail/asio.hpp>
#include <asynchat/detail/op_allocator.hpp>

#include <chrono>
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
/// deadline (a point in time), served by one `asio::steady_timer`. I/O only
/// records the time (`note_activity`); the pending wait re-checks when it
/// fires, so the I/O path never touches the timer queue. The same timer
/// serves one-off waits (`wait_once`, the TLS close wait), which supersede
/// the timeouts. All times are `steady_clock`; every sum saturates, so
/// `duration::max()` means "never".
///
/// A channel makes one only when a timeout, a deadline or a one-off wait is
/// first asked for, and holds it behind a pointer: a channel that never sets
/// one (an idle chat connection) pays a pointer, not the timer. Hence the
/// timer is built with the object, holding the executor once.
template <class Executor>
class channel_timer {
public:
    using clock = steady_clock;

    explicit channel_timer(Executor ex) : timer_(std::move(ex)) {}

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

    /// Makes sure a wait is pending that ends no later than `next_due()`;
    /// when it ends, calls `on_due()` (which typically calls `take_due` and
    /// `arm` again). `keep` (a shared_ptr to the owner) is held by the wait.
    /// Nothing is armed when nothing is due.
    template <class Keep, class OnDue>
    void arm(Keep keep, OnDue on_due) {
        const clock::time_point due = next_due();
        if (due == clock::time_point::max()) return;  // a pending wait re-checks and stops
        if (waiting_ && timer_.expiry() <= due) return;  // wakes early enough
        timer_.expires_at(due);  // cancels a later wait, if any
        waiting_ = true;
        // The wait may be pending as long as the channel idles: in a block
        // of its own size (see detail/op_allocator.hpp).
        timer_.async_wait(own_op_memory([this, keep = std::move(keep), on_due = std::move(on_due),
                                         generation = ++generation_](const error_code&) mutable {
            if (generation != generation_) return;  // superseded by a newer wait
            waiting_ = false;
            on_due();
        }));
    }

    /// Supersedes any pending wait: after `d`, calls `f()` unless `cancel()`
    /// (or another wait) came first.
    template <class Keep, class F>
    void wait_once(clock::duration d, Keep keep, F f) {
        waiting_ = false;
        timer_.expires_at(saturating_add(clock::now(), d));
        timer_.async_wait(own_op_memory([this, keep = std::move(keep), f = std::move(f),
                                         generation = ++generation_](const error_code& ec) mutable {
            if (ec || generation != generation_) return;
            f();
        }));
    }

    /// Ends any pending wait without effect.
    void cancel() noexcept {
        ++generation_;
        waiting_ = false;
        timer_.cancel();
    }

private:
    asio::basic_waitable_timer<clock, asio::wait_traits<clock>, Executor> timer_;
    clock::duration idle_timeout_{};
    clock::time_point last_activity_{};
    clock::time_point deadline_ = clock::time_point::max();
    unsigned generation_ = 0;
    bool waiting_ = false;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_TIMER_HPP
