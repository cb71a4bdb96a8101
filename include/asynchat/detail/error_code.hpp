// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_ERROR_CODE_HPP
#define ASYNCHAT_DETAIL_ERROR_CODE_HPP

// The error-code type of the Asio in use, without the rest of Asio (so that
// <asynchat/error.hpp> stays light). <asynchat/detail/asio.hpp> includes it.
//
// ASYNCHAT_USE_BOOST_ASIO (set by the CMake option ASYNCHAT_ASIO=boost, or by
// hand for other build systems) selects Boost.Asio; otherwise standalone Asio.

#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/system/error_code.hpp>
#else
#include <system_error>
#endif

namespace asynchat {

#if defined(ASYNCHAT_USE_BOOST_ASIO)
/// The error-code type of the Asio in use: `boost::system::error_code` under
/// Boost.Asio (which converts to `std::error_code`), `std::error_code` under
/// standalone Asio. Every completion handler and `handle_error` receives one.
using error_code = ::boost::system::error_code;
namespace detail {
using error_category_base = ::boost::system::error_category;
/// The category of `errno` values.
inline const error_category_base& generic_category() noexcept { return ::boost::system::generic_category(); }
} // namespace detail
#else
using error_code = ::std::error_code;
namespace detail {
using error_category_base = ::std::error_category;
/// The category of `errno` values.
inline const error_category_base& generic_category() noexcept { return ::std::generic_category(); }
} // namespace detail
#endif

} // namespace asynchat

#endif // ASYNCHAT_DETAIL_ERROR_CODE_HPP
