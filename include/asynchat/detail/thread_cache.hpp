// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_THREAD_CACHE_HPP
#define ASYNCHAT_DETAIL_THREAD_CACHE_HPP

#include <cstddef>
#include <type_traits>

namespace asynchat::detail {

// The per-thread state of one cache: a `T` (value-initialized: zeroes) that
// lives as long as the thread, emptied by `Owner::release(T&)` when the
// thread exits (once something was kept: see `keep_until_exit`). After that
// the state is `closed`: what is given back then is freed at once.
//
// The state is trivially destructible, so reaching it costs no guard on the
// hot path and an object destroyed late in thread exit (or a static one
// destroyed after the main thread's thread_local objects) still finds it
// valid, closed. The destructor that empties it is a separate thread_local,
// made the first time something is kept: objects made before that one on the
// thread are destroyed after it and find the state closed; those made after
// it give back into the open state, which it then empties.
template <class Owner, class T>
class thread_state {
    static_assert(std::is_trivially_destructible_v<T>, "the per-thread state must be trivially destructible");

public:
    struct state {
        T value;
        bool registered;  // the emptying destructor is arranged
        bool closed;      // ... and has run: keep nothing more
    };

    static state& local() noexcept {
        thread_local state s{};
        return s;
    }

    // Arranges for the state to be emptied at thread exit; false if it is
    // closed or that cannot be arranged: then keep nothing.
    static bool keep_until_exit() noexcept {
        state& s = local();
        if (s.closed) return false;
        if (s.registered) return true;
        try {
            thread_local at_exit guard;
            (void)guard;
        } catch (...) {
            return false;
        }
        s.registered = true;
        return true;
    }

private:
    struct at_exit {
        ~at_exit() {
            state& s = local();
            Owner::release(s.value);
            s.closed = true;
        }
    };
};

// What a full cache does with one more block.
enum class when_full {
    refuse,           // frees the new block: the cache keeps what it has
    replace_in_turn,  // frees one of its blocks, in turn, and keeps the new one
};

// A per-thread cache of at most `Traits::slots` blocks and
// `Traits::max_bytes` bytes. `Traits` gives:
//   using block_type = ...;                      // a pointer
//   static constexpr std::size_t slots, max_bytes;
//   static constexpr when_full full = ...;
//   static void free(block_type, std::size_t size) noexcept;
// Each block is kept with its size (bytes). `take` hands out the most
// recently given block whose size the caller's rule accepts; `give` keeps a
// block, or frees it (closed, over `max_bytes`, or full and refusing).
template <class Traits>
class thread_cache {
public:
    using block_type = typename Traits::block_type;
    static constexpr std::size_t slots = Traits::slots;
    static constexpr std::size_t max_bytes = Traits::max_bytes;

    // The most recently given block whose size `fits(size)` accepts, removed
    // from the cache: true and `block`, `size` set; false if there is none.
    template <class Fits>
    static bool take(Fits fits, block_type& block, std::size_t& size) noexcept {
        blocks& c = lifetime::local().value;
        for (std::size_t i = c.count; i-- != 0;) {
            if (fits(c.size[i])) {
                block = c.block[i];
                size = c.size[i];
                c.bytes -= size;
                --c.count;
                c.block[i] = c.block[c.count];
                c.size[i] = c.size[c.count];
                return true;
            }
        }
        return false;
    }

    // Keeps `block` (of `size` bytes) for a later take() on this thread, or
    // frees it (Traits::free).
    static void give(block_type block, std::size_t size) noexcept {
        auto& s = lifetime::local();
        blocks& c = s.value;
        if (s.closed || size > max_bytes - c.bytes) return Traits::free(block, size);
        if (c.count == slots) {
            if constexpr (Traits::full == when_full::refuse) {
                return Traits::free(block, size);
            } else {
                // So that blocks no longer asked for cannot hold every slot for good.
                const std::size_t victim = c.next++ % slots;
                c.bytes -= c.size[victim];
                Traits::free(c.block[victim], c.size[victim]);
                c.block[victim] = block;
                c.size[victim] = size;
                c.bytes += size;
                return;
            }
        }
        if (!lifetime::keep_until_exit()) return Traits::free(block, size);
        c.block[c.count] = block;
        c.size[c.count] = size;
        c.bytes += size;
        ++c.count;
    }

    // Blocks held by this thread's cache, and their bytes.
    static std::size_t count() noexcept { return lifetime::local().value.count; }
    static std::size_t bytes() noexcept { return lifetime::local().value.bytes; }

    // Frees this thread's cached blocks now.
    static void release() noexcept { release(lifetime::local().value); }

private:
    struct blocks {
        block_type block[slots];
        std::size_t size[slots];
        std::size_t count;
        std::size_t bytes;
        std::size_t next;  // the slot a full cache gives up next (replace_in_turn)
    };
    using lifetime = thread_state<thread_cache, blocks>;
    friend lifetime;

    static void release(blocks& c) noexcept {
        for (std::size_t i = 0; i < c.count; ++i) Traits::free(c.block[i], c.size[i]);
        c.count = 0;
        c.bytes = 0;
    }
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_THREAD_CACHE_HPP
