// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_OP_ALLOCATOR_HPP
#define ASYNCHAT_DETAIL_OP_ALLOCATOR_HPP

#include <asynchat/detail/thread_cache.hpp>

#include <cstddef>
#include <new>
#include <utility>

namespace asynchat::detail {

// Memory for the operations a channel starts (its reads, its writes, its wait
// for readability, its timer's wait), kept apart from Asio's own per-thread
// cache. Asio serves any operation from a cached block that is big enough,
// so a wait pending for hours could sit in a block left by a large write (a
// gathered write carries its pieces, about 400 bytes): idle memory would
// depend on what the thread did last. Here sizes are rounded up to a class
// (a multiple of 16 bytes, malloc's own granularity) and a block is reused
// only for a request of its own class, so an idle wait holds a block of its
// own size, and a busy channel allocates nothing per operation in the steady
// state: a block given back keeps the class it was made for, whatever asked
// for it (a looser match once let a wait take a read's block and give it back
// labelled as a wait's, and every read then allocated).
//
class op_memory {
    struct traits {
        using block_type = void*;
        static constexpr std::size_t slots = 8;
        static constexpr std::size_t max_bytes = static_cast<std::size_t>(-1);
        // Full: the newest block replaces one of the others in turn, so
        // blocks of sizes no longer asked for (a connect's, a handshake's)
        // cannot hold every slot for good.
        static constexpr when_full full = when_full::replace_in_turn;
        static void free(void* p, std::size_t /*size*/) noexcept { ::operator delete(p); }
    };
    using cache = thread_cache<traits>;

public:
    static constexpr std::size_t slots = traits::slots;

    // @throws std::bad_alloc
    static void* allocate(std::size_t size) {
        size = size_class(size);
        void* p = nullptr;
        std::size_t cached = 0;
        if (cache::take([size](std::size_t c) { return c == size; }, p, cached)) return p;
        return ::operator new(size);
    }

    // `p` from allocate(size), with the same `size`.
    static void deallocate(void* p, std::size_t size) noexcept { cache::give(p, size_class(size)); }

    // Blocks held by this thread's cache (for tests).
    static std::size_t cached_blocks() noexcept { return cache::count(); }

    // Frees this thread's cached blocks now.
    static void release() noexcept { cache::release(); }

    // The size of the block made for a request of `size` bytes.
    static constexpr std::size_t size_class(std::size_t size) noexcept { return (size + 15) / 16 * 16; }
};

// An Allocator over op_memory: the associated allocator of a handler
// (see with_op_allocator), which Asio uses for the operation holding it.
template <class T>
struct op_allocator {
    using value_type = T;
    op_allocator() noexcept = default;
    template <class U>
    op_allocator(const op_allocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly
    T* allocate(std::size_t n) {
        // Blocks come from ::operator new(size), aligned for any fundamental
        // type; an over-aligned operation (an executor declared alignas(64),
        // say) would need the std::align_val_t overloads.
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                      "asynchat::detail::op_allocator: over-aligned operations are not supported");
        return static_cast<T*>(op_memory::allocate(n * sizeof(T)));
    }
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
