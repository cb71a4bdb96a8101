// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_TERMINATOR_HPP
#define ASYNCHAT_TERMINATOR_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asynchat {

/// Type of `asynchat::none`, the "no terminator" value (Python's `None`).
struct none_t {
    explicit constexpr none_t(int) noexcept {}
};

/// `set_terminator(asynchat::none)`: collect everything, never call `found_terminator()`.
inline constexpr none_t none{0};

namespace detail {
// Integer types that mean "a byte count". `bool` and the character types are
// excluded: `set_terminator('\n')` means the one-byte string, and `true` or
// `u'\n'` mean nothing sensible.
template <class T>
inline constexpr bool is_count_type_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
    !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char16_t> &&
    !std::is_same_v<T, char32_t>
#if defined(__cpp_char8_t)
    && !std::is_same_v<T, char8_t>
#endif
    ;
} // namespace detail

/// What ends a record: a byte string, a byte count, or nothing.
///
/// A value type built implicitly from what users write, as Python's
/// `set_terminator(term)` accepts bytes, an int or `None`:
///
///     ch.set_terminator("\r\n");                  // a string terminator
///     ch.set_terminator(std::string_view{p, n});  // binary strings too (NUL allowed)
///     ch.set_terminator(42);                      // a byte count (any integer type)
///     ch.set_terminator(asynchat::none);          // no terminator
///
/// `set_terminator(0)` is the byte count 0, never a null pointer; a plain
/// `char` is a one-byte string. As in Python, the empty string and the count 0
/// are "falsy" (`!t`): the framer then collects data without framing, exactly
/// as with `none`. A count reaching 0 after `found_terminator()` therefore
/// means "collect forever" until the callback sets a new terminator — the
/// CPython behaviour, kept on purpose.
class terminator {
public:
    /// The three kinds of terminator (`kind::none`: `asynchat::none`). The
    /// enumerator `none` is public API; inside the class it hides the global
    /// `asynchat::none`, which -Wshadow would report, so the warning is off
    /// for this one declaration.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
    enum class kind : unsigned char { none, string, count };
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

    /// No terminator.
    terminator() noexcept = default;
    /// No terminator: `asynchat::none`.
    terminator(none_t) noexcept {}

    /// A string terminator from a NUL-terminated string.
    /// @throws std::invalid_argument if `s` is a null pointer.
    terminator(const char* s) : kind_(kind::string), string_(checked(s)) {}
    /// A string terminator; may hold any bytes, NUL included.
    terminator(std::string_view s) : kind_(kind::string), string_(s) {}
    /// A string terminator, taking ownership of `s`.
    terminator(std::string s) noexcept : kind_(kind::string), string_(std::move(s)) {}
    /// A one-byte string terminator: `set_terminator('\n')`.
    template <class C, std::enable_if_t<std::is_same_v<C, char>, int> = 0>
    terminator(C c) : kind_(kind::string), string_(1, c) {}

    /// A byte count from any integer type.
    /// @throws std::invalid_argument if `n` is negative (Python raises
    ///         `ValueError`) or does not fit in `std::size_t`.
    template <class Int, std::enable_if_t<detail::is_count_type_v<Int>, int> = 0>
    terminator(Int n) : kind_(kind::count), count_(checked_count(n)) {}

    terminator(std::nullptr_t) = delete;  // ambiguous: use `none`, `0` or `""`
    terminator(bool) = delete;            // not a terminator

    [[nodiscard]] kind type() const noexcept { return kind_; }
    [[nodiscard]] bool is_none() const noexcept { return kind_ == kind::none; }
    [[nodiscard]] bool is_string() const noexcept { return kind_ == kind::string; }
    [[nodiscard]] bool is_count() const noexcept { return kind_ == kind::count; }

    /// The terminator string.
    /// @throws std::logic_error if this is not a string terminator.
    [[nodiscard]] std::string_view string() const {
        if (kind_ != kind::string) wrong_kind("string");
        return string_;
    }

    /// The number of bytes still expected.
    /// @throws std::logic_error if this is not a byte count.
    [[nodiscard]] std::size_t count() const {
        if (kind_ != kind::count) wrong_kind("count");
        return count_;
    }

    /// Python truthiness: false for `none`, the empty string and the count 0.
    explicit operator bool() const noexcept {
        switch (kind_) {
        case kind::string: return !string_.empty();
        case kind::count: return count_ != 0;
        default: return false;
        }
    }

    /// A readable form for messages and test output: `none`, `"\r\n"`, `42`.
    [[nodiscard]] std::string describe() const {
        switch (kind_) {
        case kind::string: return quote(string_);
        case kind::count: return std::to_string(count_);
        default: return "none";
        }
    }

    friend bool operator==(const terminator& a, const terminator& b) noexcept {
        if (a.kind_ != b.kind_) return false;
        switch (a.kind_) {
        case kind::string: return a.string_ == b.string_;
        case kind::count: return a.count_ == b.count_;
        default: return true;
        }
    }
    friend bool operator!=(const terminator& a, const terminator& b) noexcept {
        return !(a == b);
    }
    friend std::ostream& operator<<(std::ostream& os, const terminator& t) {
        return os << t.describe();
    }

private:
    // Out of line, so that the observers stay small enough to inline.
    [[noreturn]] void wrong_kind(const char* observer) const {
        throw std::logic_error(std::string("asynchat::terminator::") + observer + ": the terminator is " +
                               describe());
    }

    static const char* checked(const char* s) {
        if (s == nullptr)
            throw std::invalid_argument("asynchat::terminator: null string pointer");
        return s;
    }

    template <class Int>
    static std::size_t checked_count(Int n) {
        if constexpr (std::is_signed_v<Int>) {
            if (n < 0)
                throw std::invalid_argument(
                    "asynchat::terminator: negative byte count " +
                    std::to_string(static_cast<long long>(n)));
        }
        using wide = std::common_type_t<std::make_unsigned_t<Int>, std::size_t>;
        if (static_cast<wide>(n) > static_cast<wide>(std::numeric_limits<std::size_t>::max()))
            throw std::invalid_argument("asynchat::terminator: byte count too large");
        return static_cast<std::size_t>(n);
    }

    static std::string quote(std::string_view s) {
        static constexpr char hex[] = "0123456789abcdef";
        std::string out = "\"";
        for (const char byte : s) {
            const auto c = static_cast<unsigned char>(byte);
            switch (c) {
            case '\r': out += "\\r"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    out += "\\x";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += static_cast<char>(c);
                }
            }
        }
        out += '"';
        return out;
    }

    kind kind_ = kind::none;
    std::string string_;
    std::size_t count_ = 0;
};

} // namespace asynchat

#endif // ASYNCHAT_TERMINATOR_HPP
