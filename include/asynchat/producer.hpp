// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_PRODUCER_HPP
#define ASYNCHAT_PRODUCER_HPP

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asynchat {

/// Hands out a string in pieces of at most `buffer_size` bytes: Python's
/// `asynchat.simple_producer`.
///
/// A *producer* is any object with a `more()` member returning bytes
/// (`std::string`, or anything convertible to `std::string_view`); an empty
/// result means it is exhausted. `async_chat::push_with_producer()` asks it for
/// more only when everything queued before it has been handed to the socket.
class simple_producer {
public:
    /// Pieces of 512 bytes, Python's default.
    explicit simple_producer(std::string data) : simple_producer(std::move(data), 512) {}

    /// @throws std::invalid_argument if `buffer_size` is 0 (CPython would
    ///         then report exhaustion at once and lose the data).
    simple_producer(std::string data, std::size_t buffer_size)
        : data_(std::move(data)), buffer_size_(buffer_size) {
        if (buffer_size_ == 0)
            throw std::invalid_argument("asynchat::simple_producer: buffer_size must be positive");
    }

    /// The next piece, or an empty string once everything was returned.
    std::string more() {
        const std::size_t n = std::min(buffer_size_, data_.size() - offset_);
        if (offset_ == 0 && n == data_.size()) {
            std::string all = std::move(data_);  // the only piece: no copy
            data_.clear();
            return all;
        }
        std::string piece = data_.substr(offset_, n);
        offset_ += n;
        return piece;
    }

private:
    std::string data_;
    std::size_t buffer_size_;
    std::size_t offset_ = 0;
};

namespace detail {
template <class P, class = void>
struct has_more : std::false_type {};
template <class P>
struct has_more<P, std::void_t<decltype(std::declval<P&>().more())>> : std::true_type {};

template <class P, class = void>
struct has_pointee_more : std::false_type {};
template <class P>
struct has_pointee_more<P, std::void_t<decltype((*std::declval<P&>()).more())>>
    : std::true_type {};

template <class R>
inline constexpr bool is_bytes_result_v =
    std::is_convertible_v<R, std::string> || std::is_convertible_v<R, std::string_view>;

// Calls p.more(), or (*p).more() for pointers, shared_ptr, unique_ptr and the like.
template <class P>
decltype(auto) call_more(P& p) {
    if constexpr (has_more<P>::value) return p.more();
    else return (*p).more();
}
} // namespace detail

/// True if `push_with_producer(P)` accepts a `P`: `p.more()` (or, for a
/// pointer-like `P`, `p->more()`) returns something convertible to
/// `std::string` or `std::string_view`.
template <class P>
inline constexpr bool is_producer_v = [] {
    using T = std::remove_cv_t<std::remove_reference_t<P>>;
    if constexpr (detail::has_more<T>::value)
        return detail::is_bytes_result_v<decltype(std::declval<T&>().more())>;
    else if constexpr (detail::has_pointee_more<T>::value)
        return detail::is_bytes_result_v<decltype((*std::declval<T&>()).more())>;
    else
        return false;
}();

} // namespace asynchat

#endif // ASYNCHAT_PRODUCER_HPP
