// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_ERROR_HPP
#define ASYNCHAT_ERROR_HPP

#include <asynchat/detail/error_code.hpp>

#include <string>
#include <system_error>
#include <type_traits>

namespace asynchat {

/// The library's own error codes, in the category named "asynchat". They
/// reach `handle_error(const asynchat::error_code&)` like I/O errors. Under
/// standalone Asio the category is a `std::error_category`; under Boost.Asio
/// a `boost::system::error_category`, and both `boost::system::error_code`
/// and `std::error_code` (Boost's converts to it) compare equal to the
/// enumerators.
enum class error {
    /// A record grew past `set_record_limit()` and the overflow policy was
    /// `overflow::close`.
    record_too_long = 1,
    /// The idle timeout or the deadline passed (the default `handle_timeout()`).
    timed_out,
    /// The peer sent bytes after its STARTTLS command, before the TLS
    /// handshake; they were discarded (the default
    /// `handle_plaintext_after_starttls()`).
    plaintext_after_starttls,
    /// A push (or a producer's piece) would have taken the queued output past
    /// `set_output_limit()`; it was not queued (the default
    /// `handle_output_overflow()`).
    output_limit_exceeded,
    /// A file range pushed with `push_file` ended early: the file is shorter
    /// than its offset plus its length (it shrank, or the range was past its
    /// end). What was sent of it stays sent; the rest of the range is dropped.
    file_truncated,
};

namespace detail {
class error_category_impl final : public error_category_base {
public:
    const char* name() const noexcept override { return "asynchat"; }
    std::string message(int value) const override {
        switch (static_cast<error>(value)) {
        case error::record_too_long: return "record longer than the limit";
        case error::timed_out: return "timed out";
        case error::plaintext_after_starttls: return "plaintext received after STARTTLS, discarded";
        case error::output_limit_exceeded: return "queued output over the limit";
        case error::file_truncated: return "file shorter than the range being sent";
        }
        return "unknown asynchat error";
    }
};
} // namespace detail

/// The category of `asynchat::error`: a `std::error_category` under
/// standalone Asio, a `boost::system::error_category` under Boost.Asio.
inline const detail::error_category_base& error_category() noexcept {
    static const detail::error_category_impl category;
    return category;
}

/// `e` as an `asynchat::error_code` (found by ADL, so `ec == error::timed_out`
/// and `error_code ec = error::timed_out;` work).
inline error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace asynchat

namespace std {
template <>
struct is_error_code_enum<asynchat::error> : true_type {};
} // namespace std

#if defined(ASYNCHAT_USE_BOOST_ASIO)
namespace boost {
namespace system {
template <>
struct is_error_code_enum<asynchat::error> : std::true_type {};
} // namespace system
} // namespace boost
#endif

#endif // ASYNCHAT_ERROR_HPP
