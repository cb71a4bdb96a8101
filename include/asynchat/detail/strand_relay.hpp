// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_STRAND_RELAY_HPP
#define ASYNCHAT_DETAIL_STRAND_RELAY_HPP

#include <asynchat/detail/strand_check.hpp>

#include <asynchat/detail/asio.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asynchat::detail {

// How an argument travels in a posted call: by value; a string_view as the
// string it views (the caller's bytes may be gone when the call runs).
template <class T>
using relayed_t = std::conditional_t<std::is_same_v<std::decay_t<T>, std::string_view>, std::string,
                                     std::decay_t<T>>;

/// Runs a member of an object on the object's strand when it is called from
/// outside it: the one place where a channel's thread-safe members
/// (`push`, `close`, ...) post themselves.
///
///     if (relay_.relay(ex, weak_from_this(), [](channel& c, std::string s) { c.push(std::move(s)); },
///                      std::move(bytes)))
///         return;  // posted: runs later, on the strand, in call order
///
/// An object on a plain executor is single-threaded (Asio's rule for shared
/// objects): nothing is ever posted. Nor is anything posted for an object not
/// owned by a `std::shared_ptr` yet (its constructor, say): the call runs at
/// once, as nobody else can reach it.
template <class Executor>
class strand_relay {
public:
    explicit strand_relay(const Executor& ex) : check_(ex) {}

    /// True if the object runs on a strand (cheap: no thread check).
    [[nodiscard]] bool on_strand() const noexcept { return check_.on_strand(); }

    /// True if a call made on this thread must be posted to the strand.
    [[nodiscard]] bool must_post() const noexcept { return check_.must_post(); }

    /// If this call must be posted and `owner` is alive, posts
    /// `f(*owner, args...)` to `ex` (keeping the owner alive until it ran)
    /// and returns true. Otherwise returns false, and `args` are untouched:
    /// the caller goes on with them. Arguments are stored as `relayed_t`.
    template <class Owner, class F, class... Args>
    bool relay(const Executor& ex, const std::weak_ptr<Owner>& owner, F f, Args&&... args) const {
        if (!must_post()) return false;
        auto self = owner.lock();
        if (!self) return false;
        asio::post(ex, [self = std::move(self), f = std::move(f),
                        stored = std::tuple<relayed_t<Args>...>(std::forward<Args>(args)...)]() mutable {
            std::apply([&](auto&... a) { f(*self, std::move(a)...); }, stored);
        });
        return true;
    }

private:
    strand_check<Executor> check_;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_STRAND_RELAY_HPP
