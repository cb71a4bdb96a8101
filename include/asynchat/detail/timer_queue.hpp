// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_TIMER_QUEUE_HPP
#define ASYNCHAT_DETAIL_TIMER_QUEUE_HPP

#include <asynchat/detail/asio.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace asynchat::detail {

/// What the deadline queue holds of a channel's timer: its due time, its
/// place in the heap, what keeps its owner alive while queued, and how to
/// deliver the expiry (`fire`, called outside the queue's lock with the
/// entry's generation at expiry). The queue reads and writes these under
/// its mutex only.
struct timer_entry {
    using clock = std::chrono::steady_clock;
    using fire_fn = void (*)(timer_entry&, std::shared_ptr<void>&& keep, unsigned generation);
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

    std::shared_ptr<void> queued_keep;  // held while queued (may be empty)
    fire_fn queued_fire = nullptr;
    clock::time_point queued_due{};
    std::size_t heap_index = npos;  // place in the heap; npos: not queued
    unsigned queued_generation = 0;  // the owner's count of waits, copied at scheduling
};

/// The deadline queue of one execution context: a binary min-heap of the
/// queued `timer_entry`s by due time (each knows its place, so changing or
/// leaving is O(log n)), served by one `steady_timer` set to the earliest
/// (nginx's event timer, Netty's HashedWheelTimer: one kernel-facing timer
/// per loop, not one per connection). An `asio::execution_context::service`:
/// one per context, made on first use (`of`); at the context's shutdown it
/// lets go of what the queued entries hold.
///
/// Expiry: the queue's timer ends no earlier than the earliest due time;
/// every entry due by then leaves the heap and its `fire` runs (outside the
/// lock, in due order) from the queue's completion handler. All members are
/// safe to call from any thread (one mutex).
class timer_queue : public asio::execution_context::service {
public:
    using clock = std::chrono::steady_clock;
    using key_type = timer_queue;
    inline static asio::execution_context::id id;

    explicit timer_queue(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

    /// The queue of `ex`'s execution context. Its timer runs on the first
    /// executor asked with, out of its strand if it is one (the callbacks
    /// are handed on to each owner's own executor).
    template <class Executor>
    static timer_queue& of(const Executor& ex) {
        auto& q = asio::use_service<timer_queue>(asio::query(ex, asio::execution::context));
        std::lock_guard<std::mutex> lock(q.mutex_);
        // Untracked: the queue's timer never keeps run() from returning, even
        // when the first executor asked with tracks outstanding work.
        if (!q.timer_ && !q.shut_down_)
            q.timer_.emplace(asio::prefer(unstranded(ex), asio::execution::outstanding_work.untracked));
        return q;
    }

    /// Queues `e` (or moves it) to expire at `due`, holding `keep` until it
    /// expires or leaves; `fire` and `generation` as in `timer_entry`.
    void schedule(timer_entry& e, clock::time_point due, std::shared_ptr<void> keep, timer_entry::fire_fn fire,
                  unsigned generation);

    /// Takes `e` out of the queue if it is in; what it held is released.
    void remove(timer_entry& e) noexcept;

    /// The number of entries queued (tests, diagnostics).
    [[nodiscard]] std::size_t size() {
        std::lock_guard<std::mutex> lock(mutex_);
        return heap_.size();
    }

private:
    template <class Executor>
    static asio::any_io_executor unstranded(const Executor& ex) {
        return asio::any_io_executor(ex);
    }
    template <class Inner>
    static asio::any_io_executor unstranded(const asio::strand<Inner>& ex) {
        return unstranded(ex.get_inner_executor());
    }
    static asio::any_io_executor unstranded(const asio::any_io_executor& ex) {
        if (auto* s = ex.target<asio::strand<asio::io_context::executor_type>>()) return s->get_inner_executor();
        if (auto* s = ex.target<asio::strand<asio::any_io_executor>>()) return unstranded(s->get_inner_executor());
        return ex;
    }

    void shutdown() override;
    void arm_locked(clock::time_point at);
    void expire(unsigned wait_generation);
    void erase_locked(std::size_t i) noexcept;
    void place_locked(std::size_t i) noexcept;  // restores the heap around i
    void swap_at(std::size_t a, std::size_t b) noexcept {
        std::swap(heap_[a], heap_[b]);
        heap_[a]->heap_index = a;
        heap_[b]->heap_index = b;
    }

    std::mutex mutex_;
    std::vector<timer_entry*> heap_;
    using timer_type = asio::basic_waitable_timer<clock, asio::wait_traits<clock>, asio::any_io_executor>;
    std::optional<timer_type> timer_;  // made by the first of(); gone at shutdown
    clock::time_point armed_at_{};  // the timer's expiry while armed_
    unsigned wait_generation_ = 0;  // a completion of an older wait is stale
    bool armed_ = false;
    bool shut_down_ = false;
};

} // namespace asynchat::detail

#include <asynchat/detail/impl/timer_queue.hpp>

#endif // ASYNCHAT_DETAIL_TIMER_QUEUE_HPP
