// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_BUFFER_CACHE_HPP
#define ASYNCHAT_DETAIL_BUFFER_CACHE_HPP

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
// back on another.
class buffer_cache {
public:
    static constexpr std::size_t slots = 24;
    static constexpr std::size_t max_bytes = 256 * 1024;

    // A buffer of at least `size` bytes (its capacity is stored in
    // `capacity`): the most recently given back one that fits, or a new one.
    // @throws std::bad_alloc
    static std::unique_ptr<char[]> take(std::size_t size, std::size_t& capacity) {
        state& s = local();
        for (std::size_t i = s.count; i-- != 0;) {
            if (s.capacity[i] >= size && s.capacity[i] <= 4 * size + 4096) {
                std::unique_ptr<char[]> b(s.buffer[i]);
                capacity = s.capacity[i];
                s.bytes -= capacity;
                --s.count;
                s.buffer[i] = s.buffer[s.count];
                s.capacity[i] = s.capacity[s.count];
                return b;
            }
        }
        capacity = size;
        return std::unique_ptr<char[]>(new char[size]);
    }

    // Gives `b` (of `capacity` bytes) back: kept for the next take() on this
    // thread if there is room, freed otherwise.
    static void give(std::unique_ptr<char[]> b, std::size_t capacity) noexcept {
        if (b == nullptr) return;
        state& s = local();
        if (s.closed || s.count == slots || capacity > max_bytes - s.bytes) return;  // `b` frees it
        if (!s.registered) {
            s.registered = true;
            try {
                cleanup_at_exit();
            } catch (...) {
                s.registered = false;
                return;
            }
        }
        s.buffer[s.count] = b.release();
        s.capacity[s.count] = capacity;
        s.bytes += capacity;
        ++s.count;
    }

    // Buffers held by this thread's cache, and their bytes (for tests).
    static std::size_t cached_buffers() noexcept { return local().count; }
    static std::size_t cached_bytes() noexcept { return local().bytes; }

    // Frees this thread's cached buffers now.
    static void release() noexcept {
        state& s = local();
        for (std::size_t i = 0; i < s.count; ++i) delete[] s.buffer[i];
        s.count = 0;
        s.bytes = 0;
    }

private:
    // Trivially destructible, so reaching it costs no guard on the hot path.
    struct state {
        char* buffer[slots];
        std::size_t capacity[slots];
        std::size_t count;
        std::size_t bytes;
        bool registered;
        bool closed;
    };
    static state& local() noexcept {
        thread_local state s{};
        return s;
    }
    struct at_exit {
        ~at_exit() {
            release();
            local().closed = true;
        }
    };
    static void cleanup_at_exit() {
        thread_local at_exit guard;
        (void)guard;
    }
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_BUFFER_CACHE_HPP
