// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_TESTS_SUPPORT_ASIO_HPP
#define ASYNCHAT_TESTS_SUPPORT_ASIO_HPP

// The tests are written against `asio::`: the standalone namespace, or under
// ASYNCHAT_USE_BOOST_ASIO (CMake: -DASYNCHAT_ASIO=boost) a global alias for
// `boost::asio`, so that one test source covers both flavours. What only one
// Asio has is tested where it exists:
//
// - ASYNCHAT_TEST_HAS_CANCELLATION_SLOT: per-operation cancellation
//   (Asio 1.19 / Boost 1.77 and later).
// - ASYNCHAT_TEST_HAS_EXPERIMENTAL_TOKENS: experimental::deferred and
//   experimental::as_tuple (standalone Asio 1.22; Boost.Asio 1.80).
// - ASYNCHAT_TEST_HAS_CO_AWAIT: co_await on Asio awaitables.

#include <asynchat/detail/asio.hpp>

#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/asio.hpp>
namespace asio = ::boost::asio;
#if BOOST_ASIO_VERSION >= 102200
#define ASYNCHAT_TEST_HAS_EXPERIMENTAL_TOKENS 1
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/experimental/deferred.hpp>
#endif
#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#define ASYNCHAT_TEST_HAS_CO_AWAIT 1
#endif
#else
#include <asio.hpp>
#if ASIO_VERSION >= 102200
#define ASYNCHAT_TEST_HAS_EXPERIMENTAL_TOKENS 1
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#endif
#if defined(ASIO_HAS_CO_AWAIT)
#define ASYNCHAT_TEST_HAS_CO_AWAIT 1
#endif
#endif

#if defined(ASYNCHAT_ASIO_HAS_CANCELLATION_SLOT)
#define ASYNCHAT_TEST_HAS_CANCELLATION_SLOT 1
#endif

// The version of the Asio in use, as ASIO_VERSION spells it (1.18.0: 101800).
#if defined(ASYNCHAT_USE_BOOST_ASIO)
#define ASYNCHAT_TEST_ASIO_VERSION BOOST_ASIO_VERSION
#else
#define ASYNCHAT_TEST_ASIO_VERSION ASIO_VERSION
#endif

namespace test {
/// What Asio throws (a throwing overload, use_awaitable, use_future):
/// `std::system_error` (standalone) or `boost::system::system_error`.
#if defined(ASYNCHAT_USE_BOOST_ASIO)
using system_error = ::boost::system::system_error;
#else
using system_error = ::std::system_error;
#endif
} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_ASIO_HPP
