// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_GATHERED_BUFFERS_HPP
#define ASYNCHAT_DETAIL_GATHERED_BUFFERS_HPP

#include <asynchat/detail/asio.hpp>

#include <array>
#include <cstddef>

namespace asynchat::detail {

// The pieces of one gathered write (writev). The channel keeps one array and
// hands Asio a two-pointer view of the filled part, so nothing is cleared or
// copied per write but the pieces themselves.
struct gathered_buffers {
    static constexpr std::size_t capacity = 16;

    // A ConstBufferSequence over [first, last).
    struct view {
        using value_type = asio::const_buffer;
        using const_iterator = const asio::const_buffer*;
        const asio::const_buffer* first;
        const asio::const_buffer* last;
        [[nodiscard]] const_iterator begin() const noexcept { return first; }
        [[nodiscard]] const_iterator end() const noexcept { return last; }
    };

    void clear() noexcept { count_ = 0; }
    void add(const char* data, std::size_t size) noexcept { items_[count_++] = asio::const_buffer(data, size); }
    [[nodiscard]] view filled() const noexcept { return {items_.data(), items_.data() + count_}; }

private:
    std::array<asio::const_buffer, capacity> items_{};
    std::size_t count_ = 0;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_GATHERED_BUFFERS_HPP
