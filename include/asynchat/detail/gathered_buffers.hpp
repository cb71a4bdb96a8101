// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_GATHERED_BUFFERS_HPP
#define ASYNCHAT_DETAIL_GATHERED_BUFFERS_HPP

#include <asynchat/detail/asio.hpp>

#include <cstddef>

namespace asynchat::detail {

// The pieces of one gathered write (writev): a ConstBufferSequence of at most
// `capacity` buffers, held by value. The channel fills one on the stack and
// hands it to `async_write_some`, which keeps its copy in the write
// operation: the array exists only while a write is in flight, not in every
// idle channel. Trivially copyable; `add` past `capacity` is a caller error.
struct gathered_buffers {
    static constexpr std::size_t capacity = 16;

    using value_type = asio::const_buffer;
    using const_iterator = const asio::const_buffer*;

    void add(const char* data, std::size_t size) noexcept { items_[count_++] = asio::const_buffer(data, size); }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] const_iterator begin() const noexcept { return items_; }
    [[nodiscard]] const_iterator end() const noexcept { return items_ + count_; }

private:
    asio::const_buffer items_[capacity];
    std::size_t count_ = 0;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_GATHERED_BUFFERS_HPP
