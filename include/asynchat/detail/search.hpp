// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_SEARCH_HPP
#define ASYNCHAT_DETAIL_SEARCH_HPP

#include <asynchat/detail/config.hpp>

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__) || \
    defined(__NetBSD__) || defined(__OpenBSD__) || defined(__ANDROID__)
#define ASYNCHAT_HAS_MEMMEM 1
#endif

namespace asynchat::detail {

// Needles up to this long are searched with memchr + memcmp; longer ones
// with memmem (two-way on glibc, linear whatever the input).
inline constexpr std::size_t short_needle = 16;

// Position of the first occurrence of `needle` (not empty) in `haystack`, or
// npos. Linear time whatever the peer sends: memchr (vectorised) finds each
// candidate first byte, and checking a candidate costs at most
// `short_needle` bytes. glibc's memmem is scalar for short needles (over 500
// instructions per 64-byte line for "\r\n", measured with callgrind), and
// std::string_view::find is O(n*m) on input such as "\r\r\r...".
std::size_t find_long(std::string_view haystack, std::string_view needle) noexcept;

ASYNCHAT_ALWAYS_INLINE std::size_t find(std::string_view haystack, std::string_view needle) noexcept {
    const std::size_t m = needle.size();
    if (haystack.size() < m) return std::string_view::npos;
    const char* const base = haystack.data();
    if (m == 2) {  // "\r\n", the common case, kept small enough to inline
        const char* const last = base + haystack.size() - 1;
        const char* p = base;
#if defined(__SSE2__)
        // 32 bytes a step, inline (a memchr call costs about 30 instructions
        // for a 64-byte line): candidates for the first byte, each checked
        // for the second. Reads stay inside the haystack.
        {
            const __m128i first = _mm_set1_epi8(needle[0]);
            for (; last - p >= 32; p += 32) {
                const __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), first);
                const __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), first);
                if (_mm_movemask_epi8(_mm_or_si128(a, b)) == 0) continue;
                unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(a)) |
                                (static_cast<unsigned>(_mm_movemask_epi8(b)) << 16);
                do {
                    const unsigned k = static_cast<unsigned>(__builtin_ctz(mask));
                    if (p[k + 1] == needle[1]) return static_cast<std::size_t>(p - base) + k;
                    mask &= mask - 1;
                } while (mask != 0);
            }
        }
#endif
        for (; p < last; ++p) {
            p = static_cast<const char*>(std::memchr(p, needle[0], static_cast<std::size_t>(last - p)));
            if (p == nullptr) break;
            if (p[1] == needle[1]) return static_cast<std::size_t>(p - base);
        }
        return std::string_view::npos;
    }
    return find_long(haystack, needle);
}

// Needles of one byte, or of three bytes or more.
inline std::size_t find_long(std::string_view haystack, std::string_view needle) noexcept {
    const std::size_t m = needle.size();
    const char* const base = haystack.data();
    if (m == 1) {
        const void* p = std::memchr(base, needle[0], haystack.size());
        return p ? static_cast<std::size_t>(static_cast<const char*>(p) - base) : std::string_view::npos;
    }
    if (m <= short_needle) {
        const char first = needle[0];
        const char* p = base;
        const char* const last = base + (haystack.size() - m);  // the last possible start
        while (p <= last) {
            p = static_cast<const char*>(std::memchr(p, first, static_cast<std::size_t>(last - p) + 1));
            if (p == nullptr) return std::string_view::npos;
            std::size_t k = 1;  // at most short_needle bytes: cheaper inline than a memcmp call
            while (k < m && p[k] == needle[k]) ++k;
            if (k == m) return static_cast<std::size_t>(p - base);
            ++p;
        }
        return std::string_view::npos;
    }
#if defined(ASYNCHAT_HAS_MEMMEM)
    const void* p = ::memmem(base, haystack.size(), needle.data(), m);
    return p ? static_cast<std::size_t>(static_cast<const char*>(p) - base) : std::string_view::npos;
#else
    return haystack.find(needle);
#endif
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_SEARCH_HPP
