// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
//
// Definitions of detail::channel_timer (see ../timer.hpp).
#ifndef ASYNCHAT_DETAIL_IMPL_TIMER_HPP
#define ASYNCHAT_DETAIL_IMPL_TIMER_HPP

#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/asio/dispatch.hpp>
#else
#include <asio/dispatch.hpp>
#endif

#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

namespace asynchat::detail {

namespace timer_keep {
// A `keep` the queue holds: a shared_ptr. The owner's executor is used when
// the owner has one.
template <class T>
struct is_shared_ptr : std::false_type {};
template <class T>
struct is_shared_ptr<std::shared_ptr<T>> : std::true_type {};

template <class T, class = void>
struct has_executor : std::false_type {};
template <class T>
struct has_executor<T, std::void_t<decltype(std::declval<T&>().get_executor())>> : std::true_type {};
} // namespace timer_keep

template <class Executor>
template <class Keep, class F>
void channel_timer<Executor>::enqueue(clock::time_point due, Keep&& keep, const F& f) {
    static_assert(std::is_trivially_copyable_v<F> && sizeof(F) <= sizeof(fn_) && alignof(F) <= alignof(void*),
                  "channel_timer stores its callback in place: a lambda capturing `this` or up to two references");
    using keep_type = std::decay_t<Keep>;
    std::shared_ptr<void> held;
    if constexpr (timer_keep::is_shared_ptr<keep_type>::value) held = std::move(keep);
    const unsigned generation = generation_ + 1;
    try {
        queue_->schedule(*this, due, std::move(held), &channel_timer::fire<keep_type>, generation);
    } catch (...) {
        // Out of memory arming the queue's timer: the entry may be queued with
        // a generation this timer never took. Leave the queue and forget any
        // earlier wait, so the next arm() queues afresh instead of trusting a
        // wait that will be dropped.
        queue_->remove(*this);
        waiting_ = false;
        throw;
    }
    generation_ = generation;
    std::memcpy(fn_, &f, sizeof(F));
    call_ = [](const void* storage) { (*static_cast<const F*>(storage))(); };
}

// From the queue's completion handler, outside its lock: hands the expiry on
// to the owner's executor, holding the owner.
template <class Executor>
template <class Keep>
void channel_timer<Executor>::fire(timer_entry& e, std::shared_ptr<void>&& keep, unsigned generation) {
    auto& t = static_cast<channel_timer&>(e);
    if constexpr (timer_keep::is_shared_ptr<Keep>::value) {
        using owner_type = typename Keep::element_type;
        if constexpr (timer_keep::has_executor<owner_type>::value) {
            auto owner = std::static_pointer_cast<owner_type>(std::move(keep));
            auto ex = owner->get_executor();
            asio::dispatch(ex, [&t, owner = std::move(owner), generation] { t.run(generation); });
            return;
        }
    }
    t.run(generation);  // `keep` (if any) is released after the callback
}

template <class Executor>
void channel_timer<Executor>::run(unsigned generation) {
    if (generation != generation_) return;  // cancelled or superseded
    waiting_ = false;
    // A copy: the callback may queue a new wait, which rewrites fn_.
    alignas(void*) unsigned char f[sizeof(fn_)];
    std::memcpy(f, fn_, sizeof(fn_));
    call_(f);
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_IMPL_TIMER_HPP
