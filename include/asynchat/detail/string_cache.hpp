// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_STRING_CACHE_HPP
#define ASYNCHAT_DETAIL_STRING_CACHE_HPP

#include <asynchat/detail/config.hpp>
#include <asynchat/detail/thread_cache.hpp>

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace asynchat::detail {

// One spare std::string storage per thread, so that a line collected by
// `_collect_incoming_data`, returned by `_get_data()`, extended by its
// terminator and pushed (`push(_get_data() + "\r\n")`) costs no allocation in
// the steady state: a short string pushed by rvalue is copied into the output
// queue's shared buffer and its storage kept here (`give`); the next
// collection on this thread takes it back (`append`).
//
// Bounded: one string of at most `max_capacity` bytes per thread. Freed when
// the thread exits; storage given after that stays with the string given
// (the per-thread lifetime is `detail::thread_state`'s, as for the block
// caches; its one slot is a string object, not a block, so that storage can
// move in and out without allocating the object each time).
class string_cache {
public:
    static constexpr std::size_t max_capacity = 4096;
    // Room left past the collected bytes when a collection buffer grows: a
    // terminator appended to `_get_data()` then fits without reallocating.
    static constexpr std::size_t slack = 32;

    // Keeps `s`'s storage (emptied) for the next `append` on this thread if
    // it is on the heap, at most `max_capacity` bytes and larger than the
    // spare already kept; `s` is left holding the smaller one (or empty).
    static void give(std::string& s) noexcept {
        const std::size_t cap = s.capacity();
        if (cap <= small || cap > max_capacity) return;
        state& st = lifetime::local().value;
        std::string* spare = st.spare;
        if (spare == nullptr) {
            if (!lifetime::keep_until_exit()) return;  // closed: `s` keeps its storage
            spare = st.spare = new (std::nothrow) std::string();
            if (spare == nullptr) return;
        }
        if (cap <= spare->capacity()) return;
        s.clear();
        // Move-assigning heap storage takes it (no allocation, no throw);
        // cheaper than std::string::swap, which is not inlined.
        *spare = std::move(s);
        s.clear();
    }

    // Appends `data` to `s`. If `s` lacks room, or has only its small-string
    // buffer (where a terminator appended later would not fit): an empty `s`
    // first takes the spare storage when it is large enough; otherwise `s`
    // grows with room for `slack` more bytes (or doubles).
    // @throws std::bad_alloc (`s` then keeps its content)
    ASYNCHAT_ALWAYS_INLINE static void append(std::string& s, std::string_view data) {
        const std::size_t cap = s.capacity();
        if (cap <= small || cap - s.size() < data.size()) grow(s, data.size());
        s.append(data);
    }

    // The spare's capacity on this thread (for tests).
    static std::size_t spare_capacity() noexcept {
        const state& st = lifetime::local().value;
        return st.spare ? st.spare->capacity() : 0;
    }

private:
    // At most this capacity, a std::string may be using its small-string
    // buffer (15 bytes in libstdc++, 22 in libc++: below its own size); a
    // compile-time bound, so the hot path tests no guard variable.
    static constexpr std::size_t small = sizeof(std::string) - 1;

    static void grow(std::string& s, std::size_t n) {
        const std::size_t need = s.size() + n;
        state& st = lifetime::local().value;
        if (s.empty() && st.spare != nullptr && st.spare->capacity() >= need) {
            s = std::move(*st.spare);  // takes the heap storage (see give)
            st.spare->clear();
            return;
        }
        if (s.capacity() > small && s.capacity() - s.size() >= n) return;
        std::size_t cap = need + slack;
        if (cap < 2 * s.capacity()) cap = 2 * s.capacity();
        s.reserve(cap);
    }

    // The spare, or null; a string object made on the first give and kept
    // (storage moves in and out of it) until the thread exits.
    struct state {
        std::string* spare;
    };
    using lifetime = thread_state<string_cache, state>;
    friend lifetime;
    static void release(state& st) noexcept {
        delete st.spare;
        st.spare = nullptr;
    }
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_STRING_CACHE_HPP
