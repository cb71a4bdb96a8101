// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_BUFFER_CACHE_HPP
#define ASYNCHAT_DETAIL_BUFFER_CACHE_HPP

#include <asynchat/detail/thread_cache.hpp>

#include <cstddef>
#include <memory>

namespace asynchat::detail {

// A per-thread cache of freed byte buffers (input buffers given back by idle
// framers, copy buffers of drained output queues), so that a channel can give
// its buffers back when it goes idle and a busy channel still allocates
// nothing in the steady state: the buffer it gave back is the one it takes
// next. Bounded: at most `slots` buffers and `max_bytes` bytes per thread;
// anything beyond is freed at once. The cache is freed when the thread exits;
// buffers given back after that are freed at once.
//
// Buffers are plain `new char[]` arrays: one taken on a thread may be given
// back on another. The slots, their lifetime and the full-cache rule are
// `detail::thread_cache`'s (a full cache refuses).
class buffer_cache {
    struct traits {
        using block_type = char*;
        static constexpr std::size_t slots = 24;
        static constexpr std::size_t max_bytes = 256 * 1024;
        static constexpr when_full full = when_full::refuse;
        static void free(char* b, std::size_t /*size*/) noexcept { delete[] b; }
    };
    using cache = thread_cache<traits>;

public:
    static constexpr std::size_t slots = traits::slots;
    static constexpr std::size_t max_bytes = traits::max_bytes;

    // A buffer of at least `size` bytes (its capacity is stored in
    // `capacity`): the most recently given back one that fits (at most four
    // times `size` and 4 KiB more, so a small request does not pin a large
    // buffer), or a new one.
    // @throws std::bad_alloc
    static std::unique_ptr<char[]> take(std::size_t size, std::size_t& capacity) {
        char* b = nullptr;
        if (cache::take([size](std::size_t c) { return c >= size && c <= 4 * size + 4096; }, b, capacity))
            return std::unique_ptr<char[]>(b);
        capacity = size;
        return std::unique_ptr<char[]>(new char[size]);
    }

    // Gives `b` (of `capacity` bytes) back: kept for the next take() on this
    // thread if there is room, freed otherwise.
    static void give(std::unique_ptr<char[]> b, std::size_t capacity) noexcept {
        if (b != nullptr) cache::give(b.release(), capacity);
    }

    // Buffers held by this thread's cache, and their bytes (for tests).
    static std::size_t cached_buffers() noexcept { return cache::count(); }
    static std::size_t cached_bytes() noexcept { return cache::bytes(); }

    // Frees this thread's cached buffers now.
    static void release() noexcept { cache::release(); }
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_BUFFER_CACHE_HPP
