// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_FIND_PREFIX_AT_END_HPP
#define ASYNCHAT_FIND_PREFIX_AT_END_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace asynchat {

/// The length of the longest proper prefix of `needle` that `haystack` ends with.
///
/// Python's `asynchat.find_prefix_at_end`: `find_prefix_at_end("qwerty\r", "\r\n")`
/// is 1, `find_prefix_at_end("qwertydkjf", "\r\n")` is 0. Only *proper* prefixes
/// count (at most `needle.size() - 1` bytes), because the caller has already
/// looked for the whole needle. For an empty needle the result is 0 (CPython
/// returns -1 there, which no caller can use).
///
/// Runs in time linear in `needle.size()` for typical needles: only positions
/// holding `needle[0]` in the last `needle.size() - 1` bytes are compared, the
/// leftmost first, since that one gives the longest prefix.
[[nodiscard]] inline std::size_t find_prefix_at_end(std::string_view haystack,
                                                   std::string_view needle) noexcept {
    if (needle.size() < 2 || haystack.empty()) return 0;
    const std::size_t window =
        haystack.size() < needle.size() - 1 ? haystack.size() : needle.size() - 1;
    const char* const end = haystack.data() + haystack.size();
    const char* p = end - window;
    while (p < end) {
        p = static_cast<const char*>(std::memchr(p, needle[0], static_cast<std::size_t>(end - p)));
        if (p == nullptr) return 0;
        const auto tail = static_cast<std::size_t>(end - p);
        if (std::memcmp(p, needle.data(), tail) == 0) return tail;
        ++p;
    }
    return 0;
}

} // namespace asynchat

#endif // ASYNCHAT_FIND_PREFIX_AT_END_HPP
