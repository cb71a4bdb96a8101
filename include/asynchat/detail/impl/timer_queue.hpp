// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
//
// Definitions of detail::timer_queue (see ../timer_queue.hpp).
#ifndef ASYNCHAT_DETAIL_IMPL_TIMER_QUEUE_HPP
#define ASYNCHAT_DETAIL_IMPL_TIMER_QUEUE_HPP

#include <utility>

namespace asynchat::detail {

inline void timer_queue::schedule(timer_entry& e, clock::time_point due, std::shared_ptr<void> keep,
                                  timer_entry::fire_fn fire, unsigned generation) {
    std::shared_ptr<void> old;  // released outside the lock
    std::lock_guard<std::mutex> lock(mutex_);
    // After the context's shutdown nothing fires: queue nothing and hold
    // nothing (holding `keep` would keep its owner alive for good).
    if (shut_down_) return;
    if (e.heap_index == timer_entry::npos) {
        heap_.push_back(&e);  // may throw: nothing changed yet
        e.heap_index = heap_.size() - 1;
    }
    old = std::exchange(e.queued_keep, std::move(keep));
    e.queued_fire = fire;
    e.queued_due = due;
    e.queued_generation = generation;
    place_locked(e.heap_index);
    if (!armed_ || due < armed_at_) arm_locked(due);
}

inline void timer_queue::remove(timer_entry& e) noexcept {
    std::shared_ptr<void> keep;  // released outside the lock
    std::lock_guard<std::mutex> lock(mutex_);
    if (e.heap_index == timer_entry::npos) return;
    erase_locked(e.heap_index);
    keep = std::move(e.queued_keep);
    if (heap_.empty() && armed_) {  // nothing left to wait for: run() may return
        armed_ = false;
        ++wait_generation_;
        timer_->cancel();
    }
}

inline void timer_queue::shutdown() {
    std::vector<std::shared_ptr<void>> held;
    std::optional<timer_type> timer;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        held.reserve(heap_.size());
        for (timer_entry* e : heap_) {
            e->heap_index = timer_entry::npos;
            held.push_back(std::move(e->queued_keep));
        }
        heap_.clear();
        armed_ = false;
        shut_down_ = true;
        ++wait_generation_;
        timer.swap(timer_);
    }
    // Released here, outside the lock: an owner destroyed now finds itself
    // out of the queue. The timer goes now, while the timer service it
    // belongs to still exists: that service may have been made after this
    // one, and then it is destroyed first.
}

inline void timer_queue::arm_locked(clock::time_point at) {
    armed_ = false;
    if (!timer_) return;  // shut down  // if async_wait throws, the next schedule() arms again
    timer_->expires_at(at);  // ends the previous wait, if any, as stale
    timer_->async_wait([this, generation = ++wait_generation_](const error_code& ec) {
        if (!ec) expire(generation);
    });
    armed_ = true;
    armed_at_ = at;
}

inline void timer_queue::expire(unsigned wait_generation) {
    struct due_entry {
        timer_entry* entry;
        timer_entry::fire_fn fire;
        std::shared_ptr<void> keep;
        unsigned generation;
    };
    std::vector<due_entry> due;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (wait_generation != wait_generation_) return;  // a newer wait is pending
        armed_ = false;
        const clock::time_point now = clock::now();
        while (!heap_.empty() && heap_.front()->queued_due <= now) {
            timer_entry* e = heap_.front();
            due.push_back(due_entry{e, e->queued_fire, std::move(e->queued_keep), e->queued_generation});
            erase_locked(0);
        }
        if (!heap_.empty()) arm_locked(heap_.front()->queued_due);
    }
    for (due_entry& d : due) d.fire(*d.entry, std::move(d.keep), d.generation);
}

inline void timer_queue::erase_locked(std::size_t i) noexcept {
    heap_[i]->heap_index = timer_entry::npos;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
        heap_[i] = heap_[last];
        heap_[i]->heap_index = i;
    }
    heap_.pop_back();
    if (i < heap_.size()) place_locked(i);
}

inline void timer_queue::place_locked(std::size_t i) noexcept {
    while (i > 0) {  // up
        const std::size_t parent = (i - 1) / 2;
        if (!(heap_[i]->queued_due < heap_[parent]->queued_due)) break;
        swap_at(i, parent);
        i = parent;
    }
    for (;;) {  // down
        const std::size_t l = 2 * i + 1, r = l + 1;
        std::size_t least = i;
        if (l < heap_.size() && heap_[l]->queued_due < heap_[least]->queued_due) least = l;
        if (r < heap_.size() && heap_[r]->queued_due < heap_[least]->queued_due) least = r;
        if (least == i) return;
        swap_at(i, least);
        i = least;
    }
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_IMPL_TIMER_QUEUE_HPP
