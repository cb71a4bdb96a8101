// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_FIFO_HPP
#define ASYNCHAT_FIFO_HPP

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asynchat {

/// What `fifo::pop()` returns: the item if there was one, as a
/// `std::optional<T>`, which also unpacks like Python's `(flag, item)` pair:
///
///     if (auto item = f.pop()) use(*item);
///     auto [ok, item] = f.pop();   // ok == false and item == T{} when empty
template <class T>
class popped : public std::optional<T> {
public:
    using std::optional<T>::optional;

    template <std::size_t I>
    decltype(auto) get() const& {
        static_assert(I < 2, "asynchat::popped unpacks into (flag, item)");
        if constexpr (I == 0) return this->has_value();
        else return this->value_or(T{});
    }
    template <std::size_t I>
    decltype(auto) get() && {
        static_assert(I < 2, "asynchat::popped unpacks into (flag, item)");
        if constexpr (I == 0) return this->has_value();
        else return this->has_value() ? T(std::move(**this)) : T{};
    }
};

/// A first-in, first-out queue: Python 2's `asynchat.fifo`.
///
///     asynchat::fifo<> f;              // of std::string by default
///     f.push("a"); f.push("b");
///     f.first();                       // "a"
///     auto x = f.pop();                // std::optional: Python's (1, "a")
///     f.pop(); f.pop();                // std::nullopt: Python's (0, None)
///
/// Python's `pop()` returns a `(flag, item)` pair; here it returns a
/// `popped<T>`: a `std::optional<T>` that also unpacks into `[flag, item]`. Elements never move while queued: references to them stay valid
/// across `push`, `push_front` and `pop` of *other* elements (the channel's
/// output queue relies on this while a write is in flight).
template <class T = std::string>
class fifo {
public:
    using value_type = T;
    using size_type = std::size_t;
    using iterator = typename std::deque<T>::iterator;
    using const_iterator = typename std::deque<T>::const_iterator;

    fifo() = default;
    /// Python's `fifo(list)`.
    fifo(std::initializer_list<T> items) : items_(items) {}

    /// True if nothing is queued.
    [[nodiscard]] bool is_empty() const noexcept { return items_.empty(); }
    /// The number of queued items (Python's `len(fifo)`).
    [[nodiscard]] size_type size() const noexcept { return items_.size(); }

    /// The oldest item.
    /// @throws std::out_of_range if the fifo is empty (Python: `IndexError`).
    [[nodiscard]] T& first() {
        if (items_.empty()) throw std::out_of_range("asynchat::fifo::first: the fifo is empty");
        return items_.front();
    }
    [[nodiscard]] const T& first() const {
        if (items_.empty()) throw std::out_of_range("asynchat::fifo::first: the fifo is empty");
        return items_.front();
    }
    /// The newest item.
    /// @throws std::out_of_range if the fifo is empty.
    [[nodiscard]] T& last() {
        if (items_.empty()) throw std::out_of_range("asynchat::fifo::last: the fifo is empty");
        return items_.back();
    }

    /// Queues `item` last.
    void push(T item) { items_.push_back(std::move(item)); }
    /// Queues `item` first (Python 3's `producer_fifo.appendleft`).
    void push_front(T item) { items_.push_front(std::move(item)); }

    /// Removes and returns the oldest item; empty (`std::nullopt`) if the fifo is.
    popped<T> pop() {
        if (items_.empty()) return std::nullopt;
        popped<T> item(std::move(items_.front()));
        items_.pop_front();
        return item;
    }

    /// Removes the oldest item, if any, without returning it.
    void drop_first() noexcept {
        if (!items_.empty()) items_.pop_front();
    }

    /// Keeps the `n` oldest items and drops the rest.
    void truncate(size_type n) noexcept {
        if (n < items_.size()) items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(n), items_.end());
    }

    /// Removes everything.
    void clear() noexcept { items_.clear(); }

    /// The item `i` places from the front (0 is `first()`); unchecked.
    T& operator[](size_type i) noexcept { return items_[i]; }
    const T& operator[](size_type i) const noexcept { return items_[i]; }

    iterator begin() noexcept { return items_.begin(); }
    iterator end() noexcept { return items_.end(); }
    const_iterator begin() const noexcept { return items_.begin(); }
    const_iterator end() const noexcept { return items_.end(); }

private:
    std::deque<T> items_;
};

} // namespace asynchat

// Tuple protocol of popped<T>, for structured bindings.
namespace std {
template <class T>
struct tuple_size<asynchat::popped<T>> : integral_constant<size_t, 2> {};
template <size_t I, class T>
struct tuple_element<I, asynchat::popped<T>> {
    using type = conditional_t<I == 0, bool, T>;
};
} // namespace std

#endif // ASYNCHAT_FIFO_HPP
