// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_OP_ALLOCATOR_HPP
#define ASYNCHAT_DETAIL_OP_ALLOCATOR_HPP

#include <cstddef>
#include <new>
#include <utility>

namespace asynchat::detail {

// Memory for the operations an idle channel leaves pending (its wait for
// readability, its timer's wait), kept apart from Asio's own per-thread
// cache. Asio serves any operation from a cached block that is big enough,
// so a wait pending for hours could sit in a block left by a large write (a
// gathered write carries its pieces, about 400 bytes): idle memory would
// depend on what the thread did last. Here a block is reused only for a
// request of about its size (at most 1.5 times smaller), so a busy channel
// still allocates nothing per wait in the steady state, and an idle wait
// holds a block of its own size.
//
// Bounded: at most `slots` blocks per thread; anything beyond is freed at
// once. The cache is freed when the thread exits; blocks given back after
// that are freed at once. Blocks come from ::operator new: one taken on a
// thread may be given back on another.
class op_memory {
public:
    static constexpr std::size_t slots = 8;

    // @throws std::bad_alloc
    static void* allocate(std::size_t size) {
        state& s = local();
        for (std::size_t i = s.count; i-- != 0;) {
            if (s.size[i] >= size && s.size[i] - size <= size / 2) {
                void* p = s.block[i];
                --s.count;
                s.block[i] = s.block[s.count];
                s.size[i] = s.size[s.count];
                return p;
            }
        }
        return ::operator new(size);
    }

    // `p` from allocate(size), with the same `size`.
    static void deallocate(void* p, std::size_t size) noexcept {
        state& s = local();
        if (s.closed || s.count == slots) return ::operator delete(p);
        if (!s.registered) {
            s.registered = true;
            try {
                cleanup_at_exit();
            } catch (...) {
                s.registered = false;
                return ::operator delete(p);
            }
        }
        s.block[s.count] = p;
        s.size[s.count] = size;
        ++s.count;
    }

    // Blocks held by this thread's cache (for tests).
    static std::size_t cached_blocks() noexcept { return local().count; }

    // Frees this thread's cached blocks now.
    static void release() noexcept {
        state& s = local();
        for (std::size_t i = 0; i < s.count; ++i) ::operator delete(s.block[i]);
        s.count = 0;
    }

private:
    // Trivially destructible, so reaching it costs no guard on the hot path.
    struct state {
        void* block[slots];
        std::size_t size[slots];
        std::size_t count;
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

// An Allocator over op_memory: the associated allocator of a handler
// (see with_op_allocator), which Asio uses for the operation holding it.
template <class T>
struct op_allocator {
    using value_type = T;
    op_allocator() noexcept = default;
    template <class U>
    op_allocator(const op_allocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly
    T* allocate(std::size_t n) { return static_cast<T*>(op_memory::allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { op_memory::deallocate(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const op_allocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const op_allocator<U>&) const noexcept {
        return false;
    }
};

// A completion handler `f` whose operation is allocated from op_memory.
template <class F>
struct with_op_allocator {
    F f;
    using allocator_type = op_allocator<void>;
    allocator_type get_allocator() const noexcept { return {}; }
    template <class... Args>
    void operator()(Args&&... args) {
        f(std::forward<Args>(args)...);
    }
};
template <class F>
with_op_allocator<F> own_op_memory(F f) {
    return {std::move(f)};
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_OP_ALLOCATOR_HPP
