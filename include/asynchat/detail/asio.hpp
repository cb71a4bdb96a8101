// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_ASIO_HPP
#define ASYNCHAT_DETAIL_ASIO_HPP

// One source for standalone Asio and Boost.Asio. Every library header takes
// Asio from here (TLS from <asynchat/detail/asio_ssl.hpp>) and writes
// `asio::...` inside namespace asynchat, which resolves to `asynchat::asio`:
//
// - ASYNCHAT_USE_BOOST_ASIO defined (CMake: -DASYNCHAT_ASIO=boost):
//   `asynchat::asio` is `::boost::asio` and `asynchat::error_code` is
//   `boost::system::error_code`. Floor: Boost 1.74 (Asio 1.18, Debian 12).
// - otherwise: `asynchat::asio` is `::asio` and `asynchat::error_code` is
//   `std::error_code`. Floor: Asio 1.22 (Debian 12's libasio-dev).
//
// The headers below are those the library uses (not all of Asio).

#include <asynchat/detail/error_code.hpp>

// The other Asio already included in this translation unit: the two cannot
// share one, and the compiler's errors would not say why.
#if defined(ASYNCHAT_USE_BOOST_ASIO) && defined(ASIO_VERSION)
#error "asynchat is built for Boost.Asio here (ASYNCHAT_USE_BOOST_ASIO, CMake ASYNCHAT_ASIO=boost), but standalone Asio (<asio.hpp>) is included too: include <boost/asio.hpp> instead, or build asynchat with ASYNCHAT_ASIO=standalone"
#elif !defined(ASYNCHAT_USE_BOOST_ASIO) && defined(BOOST_ASIO_VERSION)
#error "asynchat is built for standalone Asio here, but Boost.Asio (<boost/asio.hpp>) is included too: define ASYNCHAT_USE_BOOST_ASIO (CMake: ASYNCHAT_ASIO=boost) for a Boost.Asio program"
#endif

#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/version.hpp>
#if BOOST_ASIO_VERSION >= 101900 // Boost 1.77: per-operation cancellation
#define ASYNCHAT_ASIO_HAS_CANCELLATION_SLOT 1
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/cancellation_type.hpp>
#endif
#else
#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/version.hpp>
#if ASIO_VERSION >= 101900 // per-operation cancellation
#define ASYNCHAT_ASIO_HAS_CANCELLATION_SLOT 1
#include <asio/cancellation_state.hpp>
#include <asio/cancellation_type.hpp>
#endif
#endif

namespace asynchat {
#if defined(ASYNCHAT_USE_BOOST_ASIO)
/// The Asio in use: `::boost::asio` here. Code inside namespace asynchat
/// writes `asio::`; users may write `asynchat::asio::` to follow the choice.
namespace asio = ::boost::asio;
#else
/// The Asio in use: standalone `::asio` here. Code inside namespace asynchat
/// writes `asio::`; users may write `asynchat::asio::` to follow the choice.
namespace asio = ::asio;
#endif
} // namespace asynchat

#endif // ASYNCHAT_DETAIL_ASIO_HPP
