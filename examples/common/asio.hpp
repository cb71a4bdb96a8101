// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef EXAMPLES_COMMON_ASIO_HPP
#define EXAMPLES_COMMON_ASIO_HPP

// The examples are written against `asio::`: standalone Asio, or with
// ASYNCHAT_USE_BOOST_ASIO (CMake: -DASYNCHAT_ASIO=boost) a global alias for
// `boost::asio`. Your own program would simply use the one it is built on.

#include <asynchat/detail/asio.hpp>

#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/asio.hpp>
namespace asio = ::boost::asio;
#else
#include <asio.hpp>
#endif

#endif // EXAMPLES_COMMON_ASIO_HPP
